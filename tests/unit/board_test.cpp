// SPDX-License-Identifier: GPL-2.0-or-later
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "showguard/board.hpp"
#include "showguard/error.hpp"
#include "showguard/paths.hpp"

using namespace showguard;

namespace {

std::string board_error(std::string_view text, const char *path = "/b/x.conf")
{
	try {
		(void)parse_board_text(text, path);
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), ExitCode::config);
		return e.what();
	}
	ADD_FAILURE() << "no error for: " << text;
	return "";
}

// A scratch directory of board files, searched through SHOWGUARD_BOARDS_DIR.
class BoardDir : public ::testing::Test {
protected:
	void SetUp() override
	{
		char pattern[] = "/tmp/showguard-boards-XXXXXX";
		ASSERT_TRUE(::mkdtemp(pattern));
		dir_ = pattern;
		::setenv("SHOWGUARD_BOARDS_DIR", dir_.c_str(), 1);
	}
	void TearDown() override
	{
		::unsetenv("SHOWGUARD_BOARDS_DIR");
		std::filesystem::remove_all(dir_);
	}
	void write(const std::string &name, const std::string &text)
	{
		std::ofstream(dir_ / name) << text;
	}
	std::filesystem::path dir_;
};

} // namespace

TEST(Board, ParsesEveryKey)
{
	const BoardDefinition b = parse_board_text(R"(# Raspberry Pi 4 Model B
; another comment

description = Raspberry Pi 4 Model B
  model=Raspberry Pi 4 Model B
led = gpio:GPIO17
gpio-chip = pinctrl-bcm2711
led-active-low = yes
)",
						   "/usr/share/showguard/boards/pi4b.conf");
	EXPECT_EQ(b.name, "pi4b");
	EXPECT_EQ(b.path, "/usr/share/showguard/boards/pi4b.conf");
	EXPECT_EQ(b.description, "Raspberry Pi 4 Model B");
	EXPECT_EQ(b.model, "Raspberry Pi 4 Model B");
	EXPECT_EQ(b.led.kind, LedKind::gpio_name);
	EXPECT_EQ(b.led.line_name, "GPIO17");
	EXPECT_EQ(b.gpio_chip, "pinctrl-bcm2711");
	EXPECT_TRUE(b.led_active_low);
}

TEST(Board, ErrorsNameFileAndLine)
{
	const std::string ok = "description = d\nled = gpio:GPIO17\n";
	EXPECT_EQ(board_error(ok + "colour = red\n"),
		  "/b/x.conf:3: unknown key 'colour'; a board file knows description, model, led, gpio-chip, "
		  "led-active-low and button");
	EXPECT_EQ(board_error(ok + "led = gpio:GPIO27\n"), "/b/x.conf:3: duplicate key 'led' (first set at /b/x.conf:2)");
	EXPECT_EQ(board_error("description = d\nled = GPIO17\n"),
		  std::string("/b/x.conf:2: invalid value 'GPIO17' for led; ") + led_spec_forms);
	EXPECT_EQ(board_error(ok + "led-active-low = maybe\n"),
		  "/b/x.conf:3: invalid value 'maybe' for led-active-low; use yes or no");
	EXPECT_EQ(board_error("description = d\njust words\n"), "/b/x.conf:2: expected 'key = value', found 'just words'");
	EXPECT_EQ(board_error("description =\n"), "/b/x.conf:1: missing value for description");
	EXPECT_EQ(board_error("led = gpio:GPIO17\n"), "/b/x.conf: no 'description' line; a board file needs one");
	EXPECT_EQ(board_error("description = d\n"), "/b/x.conf: no 'led' line; a board file needs one");
	EXPECT_EQ(board_error(std::string("description = d\0x\n", 18)),
		  "/b/x.conf:1: line holds a NUL byte; is this a text file?");
}

TEST(Board, MatchesTheDeviceTreeModel)
{
	BoardDefinition b;
	b.model = "Raspberry Pi 3 Model B";
	EXPECT_TRUE(board_matches(b, "Raspberry Pi 3 Model B Rev 1.2"));
	EXPECT_TRUE(board_matches(b, "Raspberry Pi 3 Model B Plus Rev 1.3"));
	EXPECT_FALSE(board_matches(b, "Raspberry Pi 3 Model A Plus Rev 1.0"));
	EXPECT_FALSE(board_matches(b, ""));
	b.model.clear();
	EXPECT_FALSE(board_matches(b, "Raspberry Pi 3 Model B Rev 1.2"));
}

TEST(Board, TheShippedBoardsParse)
{
	const std::filesystem::path dir = SHOWGUARD_SOURCE_BOARDS_DIR;
	std::size_t count = 0;
	for (const auto &entry : std::filesystem::directory_iterator(dir)) {
		if (entry.path().extension() != ".conf")
			continue;
		++count;
		SCOPED_TRACE(entry.path().string());
		const BoardDefinition b = read_board_file(entry.path());
		EXPECT_FALSE(b.description.empty());
		// By line name, never by a gpiochipN number: numbers change between kernels.
		EXPECT_EQ(b.led.kind, LedKind::gpio_name);
		EXPECT_EQ(b.led.line_name, "GPIO17");
		if (b.name != "generic") {
			EXPECT_TRUE(b.gpio_chip == "pinctrl-bcm2835" || b.gpio_chip == "pinctrl-bcm2711" ||
				    b.gpio_chip == "pinctrl-rp1")
				<< b.gpio_chip;
			EXPECT_TRUE(b.model.starts_with("Raspberry Pi ")) << b.model;
		}
	}
	EXPECT_EQ(count, 10u);
	EXPECT_EQ(read_board_file(dir / "pi5.conf").gpio_chip, "pinctrl-rp1");
	EXPECT_EQ(read_board_file(dir / "pi4b.conf").gpio_chip, "pinctrl-bcm2711");
	EXPECT_EQ(read_board_file(dir / "pi3b.conf").gpio_chip, "pinctrl-bcm2835");
	// The ARMv6 boards, by the model strings their firmware reports: the Zero's
	// file must not claim the Zero W or the Zero 2 W, nor the Zero W's the 2 W.
	const BoardDefinition zero = read_board_file(dir / "zero.conf");
	const BoardDefinition zerow = read_board_file(dir / "zerow.conf");
	const BoardDefinition bplus = read_board_file(dir / "pi1bplus.conf");
	EXPECT_TRUE(board_matches(zero, "Raspberry Pi Zero Rev 1.3"));
	EXPECT_FALSE(board_matches(zero, "Raspberry Pi Zero W Rev 1.1"));
	EXPECT_FALSE(board_matches(zero, "Raspberry Pi Zero 2 W Rev 1.0"));
	EXPECT_TRUE(board_matches(zerow, "Raspberry Pi Zero W Rev 1.1"));
	EXPECT_FALSE(board_matches(zerow, "Raspberry Pi Zero 2 W Rev 1.0"));
	EXPECT_TRUE(board_matches(bplus, "Raspberry Pi Model B Plus Rev 1.2"));
	EXPECT_FALSE(board_matches(bplus, "Raspberry Pi 3 Model B Plus Rev 1.3"));
	for (const BoardDefinition *b : {&zero, &zerow, &bplus})
		EXPECT_EQ(b->gpio_chip, "pinctrl-bcm2835");
}

TEST_F(BoardDir, FindsBoardsFirstInTheEnvironmentsDirectory)
{
	write("pi4b.conf", "description = my own pi4b\nled = gpio:GPIO27\n");
	const BoardDefinition b = find_board("pi4b");
	EXPECT_EQ(b.description, "my own pi4b");
	EXPECT_EQ(b.path, dir_ / "pi4b.conf");
	EXPECT_EQ(board_search_dirs().front(), dir_);
}

TEST_F(BoardDir, AnUnknownBoardIsAConfigurationError)
{
	try {
		(void)find_board("pi9");
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), ExitCode::config);
		EXPECT_NE(std::string(e.what()).find("no board definition 'pi9' (looked in " + dir_.string()),
			  std::string::npos)
			<< e.what();
	}
}

TEST_F(BoardDir, ListsBoardsAndReportsBrokenOnes)
{
	write("alpha.conf", "description = A\nled = term\n");
	write("broken.conf", "description = B\n");
	write("notes.txt", "not a board\n");
	std::vector<std::string> problems;
	const auto boards = list_boards(problems);
	ASSERT_FALSE(boards.empty());
	EXPECT_EQ(boards.front().name, "alpha");
	EXPECT_EQ(problems, std::vector<std::string>{(dir_ / "broken.conf").string() +
						      ": no 'led' line; a board file needs one"});
}

TEST_F(BoardDir, SearchesTheEnvironmentThenBesideTheProgramThenThePrefix)
{
	const auto dirs = board_search_dirs();
	ASSERT_EQ(dirs.size(), 3U);
	EXPECT_EQ(dirs[0], dir_);
	// Relative to the running program (this test binary), never a source tree.
	const auto exe = std::filesystem::read_symlink("/proc/self/exe");
	EXPECT_EQ(dirs[1], (exe.parent_path() / boards_dir_from_executable).lexically_normal());
	EXPECT_EQ(dirs[2], std::filesystem::path(configured_boards_dir));
	EXPECT_EQ(std::string(boards_dir_from_executable), "../share/showguard/boards");
}
