// SPDX-License-Identifier: GPL-2.0-or-later
// The LED's options: command line, config keys, and how a board fills in.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include <gtest/gtest.h>

#include "showguard/command_line.hpp"
#include "showguard/config_file.hpp"
#include "showguard/error.hpp"
#include "showguard/led_setup.hpp"

#include "command_line_helpers.hpp"

using namespace showguard;
using namespace showguard::unit_test;

namespace {

// The guard's options for a show that runs true.
GuardOptions guard(std::vector<const char *> args)
{
	args.insert(args.end(), {"--", "true"});
	return guard_options(std::move(args));
}

std::string usage_error(std::vector<const char *> args)
{
	try {
		(void)guard(std::move(args));
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), ExitCode::usage) << e.what();
		return e.what();
	}
	ADD_FAILURE() << "no error";
	return "";
}

GuardOptions from_config(const std::string &text)
{
	GuardOptions options;
	apply_settings(parse_config_text(text, "/etc/showguard/shows/starcourt.conf"), options);
	return options;
}

class WithBoards : public ::testing::Test {
protected:
	void SetUp() override { ::setenv("SHOWGUARD_BOARDS_DIR", SHOWGUARD_SOURCE_BOARDS_DIR, 1); }
	void TearDown() override { ::unsetenv("SHOWGUARD_BOARDS_DIR"); }
};

} // namespace

TEST(LedOptions, DefaultIsNoLed)
{
	const GuardOptions g = guard({"--show", "starcourt"});
	EXPECT_EQ(g.led, "");
	EXPECT_FALSE(g.led_active_low);
	EXPECT_FALSE(g.led_required);
	EXPECT_EQ(resolve_led(g).spec.kind, LedKind::none);
	EXPECT_FALSE(resolve_led(g).wanted());
}

TEST(LedOptions, CommandLine)
{
	const GuardOptions g =
		guard({"--show", "starcourt", "--led", "gpio:GPIO17", "--led-active-low", "--led-required"});
	EXPECT_EQ(g.led, "gpio:GPIO17");
	EXPECT_EQ(g.led_active_low, true);
	EXPECT_TRUE(g.led_required);
	const LedSetup setup = resolve_led(g);
	EXPECT_EQ(setup.spec.kind, LedKind::gpio_name);
	EXPECT_TRUE(setup.active_low);
	EXPECT_TRUE(setup.required);
	EXPECT_EQ(setup.describe(), "gpio:GPIO17, active-low");

	EXPECT_EQ(guard({"--show", "s", "--led-active-low=no"}).led_active_low, false);
	// A flag does not swallow the next word.
	EXPECT_EQ(guard({"--show", "s", "--led-required", "--led", "term"}).led, "term");
}

TEST(LedOptions, BadValuesAreUsageErrors)
{
	EXPECT_EQ(usage_error({"--show", "s", "--led", "GPIO17"}),
		  std::string("invalid value 'GPIO17' for --led; ") + led_spec_forms + " (see 'showguard --help')");
	EXPECT_NE(usage_error({"--show", "s", "--led-active-low=maybe"}).find("use yes or no"), std::string::npos);
	EXPECT_NE(usage_error({"--show", "s", "--board", "../etc/passwd"}).find("invalid value '../etc/passwd' for --board"),
		  std::string::npos);
}

TEST(LedOptions, ConfigKeys)
{
	const GuardOptions g = from_config("led = sysfs:/sys/class/leds/ACT\nled-active-low = no\nled-required = yes\n"
					   "board = pi4b\nboard-file = /etc/showguard/boards/mine.conf\n");
	EXPECT_EQ(g.led, "sysfs:/sys/class/leds/ACT");
	EXPECT_EQ(g.led_active_low, false);
	EXPECT_TRUE(g.led_required);
	EXPECT_EQ(g.board, "pi4b");
	EXPECT_EQ(g.board_file, "/etc/showguard/boards/mine.conf");
	try {
		(void)from_config("command = true\nled = gpio:\n");
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), ExitCode::config);
		EXPECT_NE(std::string(e.what()).find("/etc/showguard/shows/starcourt.conf:2: invalid value 'gpio:' for led"),
			  std::string::npos)
			<< e.what();
	}
}

TEST_F(WithBoards, ABoardGivesTheDefaultLed)
{
	const LedSetup setup = resolve_led(guard({"--show", "s", "--board", "pi5"}));
	ASSERT_TRUE(setup.board);
	EXPECT_EQ(setup.board->name, "pi5");
	EXPECT_EQ(to_string(setup.spec), "gpio:GPIO17");
	EXPECT_EQ(setup.chip_label, "pinctrl-rp1");
	EXPECT_EQ(setup.describe(), "gpio:GPIO17 (board pi5)");
}

TEST_F(WithBoards, AnExplicitLedWinsOverTheBoards)
{
	const LedSetup setup = resolve_led(guard({"--show", "s", "--board", "pi5", "--led", "gpio:GPIO27"}));
	EXPECT_EQ(to_string(setup.spec), "gpio:GPIO27");
	EXPECT_EQ(setup.chip_label, ""); // the board's chip is for its own LED only
	EXPECT_EQ(resolve_led(guard({"--show", "s", "--board", "pi5", "--led", "none"})).spec.kind, LedKind::none);
}

TEST_F(WithBoards, BoardFileWinsAndSetsActiveLow)
{
	char pattern[] = "/tmp/showguard-board-XXXXXX";
	ASSERT_TRUE(::mkdtemp(pattern));
	const std::filesystem::path file = std::filesystem::path(pattern) / "mine.conf";
	std::ofstream(file) << "description = mine\nled = gpio:gpiochip0:4\nled-active-low = yes\n";
	const GuardOptions g = guard({"--show", "s", "--board", "pi5", "--board-file", file.c_str()});
	const LedSetup setup = resolve_led(g);
	EXPECT_EQ(setup.board->name, "mine");
	EXPECT_EQ(to_string(setup.spec), "gpio:gpiochip0:4");
	EXPECT_TRUE(setup.active_low);
	// An explicit led-active-low wins over the board's.
	EXPECT_FALSE(resolve_led(guard({"--show", "s", "--board-file", file.c_str(), "--led-active-low=no"})).active_low);
	std::filesystem::remove_all(pattern);
}

TEST_F(WithBoards, AMissingBoardIsAConfigurationError)
{
	try {
		(void)resolve_led(guard({"--show", "s", "--board", "pi9"}));
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), ExitCode::config);
	}
}

TEST(LedCommands, Parse)
{
	EXPECT_EQ(parse({"boards"}).verb, Verb::boards);
	const CommandLine test = parse({"led-test", "--led", "term", "--step", "250ms"});
	EXPECT_EQ(test.verb, Verb::led_test);
	EXPECT_EQ(test.step, Duration(250));
	EXPECT_EQ(test.settings.at("led").front().value, "term");
	const CommandLine reset = parse({"led-reset", "--show", "starcourt", "--board", "pi4b", "--led-required"});
	EXPECT_EQ(reset.verb, Verb::led_reset);
	EXPECT_EQ(reset.show, "starcourt");
	try {
		(void)parse({"led-reset", "--led", "term"});
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), ExitCode::usage);
		EXPECT_NE(std::string(e.what()).find("missing --show NAME"), std::string::npos);
	}
	try {
		(void)parse({"led-test", "--step", "0"});
		FAIL();
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), ExitCode::usage);
	}
}
