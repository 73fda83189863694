// SPDX-License-Identifier: GPL-2.0-or-later
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "showguard/command_line.hpp"
#include "showguard/command_split.hpp"
#include "showguard/config_file.hpp"
#include "showguard/error.hpp"

using namespace showguard;
using namespace std::chrono_literals;

namespace {

std::string config_error(std::string_view text)
{
	try {
		(void)parse_config_text(text, "f.conf");
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), ExitCode::config);
		return e.what();
	}
	return "";
}

std::vector<std::string> split(std::string_view text)
{
	std::string error;
	auto words = split_command(text, error);
	EXPECT_TRUE(words) << error;
	return words.value_or(std::vector<std::string>{});
}

std::string split_error(std::string_view text)
{
	std::string error;
	EXPECT_FALSE(split_command(text, error)) << text;
	return error;
}

class ConfigDir : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/showguard-config-XXXXXX";
		dir = ::mkdtemp(tmpl);
		std::filesystem::create_directories(dir / "shows");
		write("showguard.conf", "");
	}
	void TearDown() override { std::filesystem::remove_all(dir); }
	void write(const std::filesystem::path &path, const std::string &text) { std::ofstream(dir / path) << text; }
	GuardOptions load(std::vector<const char *> args)
	{
		const std::string config = (dir / "showguard.conf").string();
		const std::string config_dir = dir.string();
		args.insert(args.begin(), {"showguard", "--config", config.c_str(), "--config-dir", config_dir.c_str()});
		return load_guard_options(parse_command_line(static_cast<int>(args.size()), args.data()));
	}
	std::filesystem::path dir;
};

} // namespace

TEST(CommandSplit, SplitsLikeAShellWithoutExpansion)
{
	EXPECT_EQ(split(R"(/opt/shows/starcourt/run --fps 40 "--title=Star Court")"),
		  (std::vector<std::string>{"/opt/shows/starcourt/run", "--fps", "40", "--title=Star Court"}));
	EXPECT_EQ(split("a  'b c'  d\\ e"), (std::vector<std::string>{"a", "b c", "d e"}));
	EXPECT_EQ(split(R"("a \"q\" \\ \$HOME" '$HOME' $HOME *)"),
		  (std::vector<std::string>{R"(a "q" \ $HOME)", "$HOME", "$HOME", "*"}));
	EXPECT_EQ(split(R"("" '' x)"), (std::vector<std::string>{"", "", "x"}));
	EXPECT_EQ(split(R"(a"b"'c'd)"), (std::vector<std::string>{"abcd"}));
	EXPECT_EQ(split(R"("\n")"), (std::vector<std::string>{"\\n"}));
	EXPECT_EQ(split("color #ff0000"), (std::vector<std::string>{"color", "#ff0000"}));
	EXPECT_TRUE(split("   ").empty());
}

TEST(CommandSplit, ReportsUnterminatedQuotes)
{
	EXPECT_EQ(split_error("run \"a"), "unterminated double quote");
	EXPECT_EQ(split_error("run 'a"), "unterminated single quote");
	EXPECT_EQ(split_error("run a\\"), "trailing backslash");
}

TEST(ConfigFile, ReadsKeysAndComments)
{
	const auto s = parse_config_text("# a comment\n; another\n\nrestart = on-failure\n"
					 "resource=dmx1\nresource = audio\ncommand = run --color #ff0000\r\n",
					 "f.conf");
	EXPECT_EQ(s.at("restart").at(0).value, "on-failure");
	EXPECT_EQ(s.at("restart").at(0).origin, "f.conf:4");
	ASSERT_EQ(s.at("resource").size(), 2u);
	EXPECT_EQ(s.at("resource").at(1).value, "audio");
	EXPECT_EQ(s.at("command").at(0).value, "run --color #ff0000");
}

TEST(ConfigFile, ErrorsNameFileLineAndKey)
{
	EXPECT_EQ(config_error("restart = no\nbogus = 1\n"), "f.conf:2: unknown key 'bogus'");
	EXPECT_EQ(config_error("restart = no\nrestart = always\n"),
		  "f.conf:2: duplicate key 'restart' (first set at f.conf:1)");
	EXPECT_EQ(config_error("user =\n"), "f.conf:1: missing value for user");
	EXPECT_EQ(config_error("just words\n"), "f.conf:1: expected 'key = value', found 'just words'");
	EXPECT_EQ(config_error("[section]\n").substr(0, 8), "f.conf:1");
	EXPECT_EQ(config_error("= x\n"), "f.conf:1: missing key before '='");
	EXPECT_NE(config_error(std::string("a\0b = c\n", 8)).find("NUL byte"), std::string::npos);
	EXPECT_NE(config_error("command = " + std::string(5000, 'x')).find("longer than 4096"), std::string::npos);
	EXPECT_NE(config_error("show = x\n").find("unknown key 'show'"), std::string::npos);
}

// Hostile input (tests/integration/test_hostile_input.py): a quoted empty
// command is no program, an error of its line rather than a failed exec (127).
TEST(ConfigFile, EmptyQuotedCommandNamesItsLine)
{
	GuardOptions options;
	try {
		apply_settings(parse_config_text("restart = no\ncommand = \"\"\n", "f.conf"), options);
		FAIL() << "accepted an empty program";
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), ExitCode::config);
		EXPECT_STREQ(e.what(), "f.conf:2: invalid value '\"\"' for command; it names no program");
	}
}

TEST(ConfigFile, CollectsEveryProblem)
{
	std::vector<std::string> problems;
	(void)parse_config_text("a = 1\nrestart = no\nb = 2\n", "f.conf", problems);
	EXPECT_EQ(problems, (std::vector<std::string>{"f.conf:1: unknown key 'a'", "f.conf:3: unknown key 'b'"}));
}

TEST_F(ConfigDir, ShowFileStartsAShowByName)
{
	write("shows/starcourt.conf", "command = /opt/shows/starcourt/run --fps 40 \"--title=Star Court\"\n"
				      "restart = on-failure\nkill-timeout = 3s\nenvironment = FPS=40\n"
				      "working-directory = /opt/shows/starcourt\n");
	const auto g = load({"--show", "starcourt"});
	EXPECT_EQ(g.command, (std::vector<std::string>{"/opt/shows/starcourt/run", "--fps", "40", "--title=Star Court"}));
	EXPECT_EQ(g.restart, RestartPolicy::on_failure);
	EXPECT_EQ(g.kill_timeout, Duration(3s));
	EXPECT_EQ(g.environment, std::vector<std::string>{"FPS=40"});
	EXPECT_EQ(g.working_directory, "/opt/shows/starcourt");
}

TEST_F(ConfigDir, PrecedenceIsCommandLineThenShowThenGlobalThenDefaults)
{
	write("showguard.conf", "kill-timeout = 20s\nrestart-delay = 2s\nresource = global-a\nresource = global-b\n"
				"lock-dir = /tmp/global-locks\n");
	write("shows/x.conf", "command = run\nrestart-delay = 3s\nresource = show-only\n");
	const auto g = load({"--show", "x", "--restart-delay", "4s"});
	EXPECT_EQ(g.kill_timeout, Duration(20s));   // global
	EXPECT_EQ(g.restart_delay, Duration(4s));   // command line
	EXPECT_EQ(g.resources, std::vector<std::string>{"show-only"}); // show file replaces the list
	EXPECT_EQ(g.lock_dir, "/tmp/global-locks");
	EXPECT_EQ(g.restart_limit, 5u);             // default
	const auto h = load({"--show", "x", "--resource", "cli", "--", "other", "arg"});
	EXPECT_EQ(h.resources, std::vector<std::string>{"cli"});
	EXPECT_EQ(h.command, (std::vector<std::string>{"other", "arg"})); // "--" overrides command
}

TEST_F(ConfigDir, BadValuesInFilesAreConfigErrorsWithFileAndLine)
{
	write("shows/x.conf", "command = run\n\nrestart = sometimes\n");
	try {
		(void)load({"--show", "x"});
		FAIL() << "no error";
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), ExitCode::config);
		EXPECT_EQ(std::string(e.what()), (dir / "shows/x.conf").string() +
							 ":3: invalid value 'sometimes' for restart; use no, on-failure or always");
	}
	write("shows/y.conf", "command = run \"unterminated\n");
	try {
		(void)load({"--show", "y"});
		FAIL() << "no error";
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), ExitCode::config);
		EXPECT_NE(std::string(e.what()).find("y.conf:1: invalid value 'run \"unterminated' for command; "
						     "unterminated double quote"),
			  std::string::npos);
	}
}

TEST_F(ConfigDir, MissingProgramIsAUsageError)
{
	try {
		(void)load({"--show", "nothing"});
		FAIL() << "no error";
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), ExitCode::usage);
		EXPECT_NE(std::string(e.what()).find("shows/nothing.conf"), std::string::npos);
	}
}

TEST_F(ConfigDir, NamedConfigFileMustExist)
{
	std::filesystem::remove(dir / "showguard.conf");
	try {
		(void)load({"--show", "x", "--", "run"});
		FAIL() << "no error";
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), ExitCode::config);
		EXPECT_NE(std::string(e.what()).find("cannot read config file"), std::string::npos);
	}
}
