// SPDX-License-Identifier: GPL-2.0-or-later
#include <vector>

#include <gtest/gtest.h>

#include "showguard/command_line.hpp"
#include "showguard/error.hpp"

using namespace showguard;
using namespace std::chrono_literals;

namespace {

CommandLine parse(std::vector<const char *> args)
{
	args.insert(args.begin(), "showguard");
	return parse_command_line(static_cast<int>(args.size()), args.data());
}

ExitCode failure_of(std::vector<const char *> args, std::string *message = nullptr)
{
	try {
		(void)parse(std::move(args));
	} catch (const Error &e) {
		if (message)
			*message = e.what();
		return e.code();
	}
	return ExitCode::ok;
}

} // namespace

TEST(CommandLine, Defaults)
{
	const auto cl = parse({"--show", "starcourt", "--", "/opt/shows/starcourt/run"});
	EXPECT_EQ(cl.verb, Verb::run);
	EXPECT_EQ(cl.guard.show, "starcourt");
	EXPECT_FALSE(cl.guard.wait);
	EXPECT_EQ(cl.guard.conflict_exit_code, 75);
	EXPECT_EQ(cl.guard.kill_timeout, Duration(10s));
	EXPECT_EQ(cl.guard.restart, RestartPolicy::no);
	EXPECT_EQ(cl.guard.restart_delay, Duration(1s));
	EXPECT_EQ(cl.guard.restart_limit, 5u);
	EXPECT_EQ(cl.guard.command, std::vector<std::string>{"/opt/shows/starcourt/run"});
	EXPECT_EQ(cl.log_level, "info");
}

TEST(CommandLine, TheShowsArgumentsAreUntouched)
{
	const auto cl = parse({"--show", "x", "--", "run", "--show", "y", "--", "-v", ""});
	EXPECT_EQ(cl.guard.command, (std::vector<std::string>{"run", "--show", "y", "--", "-v", ""}));
	EXPECT_EQ(cl.guard.show, "x");
}

TEST(CommandLine, EveryOption)
{
	const auto cl = parse({"--show=x", "--lock-dir", "/tmp/l", "--wait=5m", "--conflict-exit-code", "0",
			       "--kill-timeout", "250ms", "--restart", "on-failure", "--restart-delay", "2",
			       "--restart-limit", "9", "--resource", "dmx1", "--resource", "audio", "--user", "show",
			       "--group", "gpio", "--log-level", "debug", "--", "run"});
	EXPECT_EQ(cl.guard.lock_dir, "/tmp/l");
	EXPECT_EQ(cl.guard.wait, Duration(5min));
	EXPECT_EQ(cl.guard.conflict_exit_code, 0);
	EXPECT_EQ(cl.guard.kill_timeout, Duration(250));
	EXPECT_EQ(cl.guard.restart, RestartPolicy::on_failure);
	EXPECT_EQ(cl.guard.restart_delay, Duration(2s));
	EXPECT_EQ(cl.guard.restart_limit, 9u);
	EXPECT_EQ(cl.guard.resources, (std::vector<std::string>{"dmx1", "audio"}));
	EXPECT_EQ(cl.guard.user, "show");
	EXPECT_EQ(cl.guard.group, "gpio");
	EXPECT_EQ(cl.log_level, "debug");
}

TEST(CommandLine, WaitWithoutValueWaitsForever)
{
	EXPECT_EQ(parse({"--show", "x", "--wait", "--", "run"}).guard.wait, max_duration);
}

TEST(CommandLine, HelpAndVersionNeedNothingElse)
{
	const auto help = parse({"--help"});
	EXPECT_EQ(help.verb, Verb::help);
	EXPECT_NE(help.help.find("Exit status:"), std::string::npos);
	EXPECT_NE(help.help.find("--conflict-exit-code"), std::string::npos);
	EXPECT_EQ(parse({"--version"}).verb, Verb::version);
}

TEST(CommandLine, BadInputIsAUsageErrorNamingIt)
{
	std::string message;
	EXPECT_EQ(failure_of({"--show", "a/b", "--", "x"}, &message), ExitCode::usage);
	EXPECT_NE(message.find("invalid show name 'a/b'"), std::string::npos);
	EXPECT_EQ(failure_of({"--show", "x", "--kill-timeout", "soon", "--", "x"}, &message), ExitCode::usage);
	EXPECT_NE(message.find("'soon' for --kill-timeout"), std::string::npos);
	EXPECT_EQ(failure_of({"--show", "x", "--restart-limit", "-1", "--", "x"}, &message), ExitCode::usage);
	EXPECT_NE(message.find("--restart-limit"), std::string::npos);
	EXPECT_EQ(failure_of({"--show", "x", "--conflict-exit-code", "256", "--", "x"}), ExitCode::usage);
	EXPECT_EQ(failure_of({"--show", "x", "--show", "y", "--", "x"}), ExitCode::usage);
	EXPECT_EQ(failure_of({"--show", "x", "--sho", "y", "--", "x"}), ExitCode::usage);
	EXPECT_EQ(failure_of({"--show", "x", "stray", "--", "x"}), ExitCode::usage);
	EXPECT_EQ(failure_of({"--show", "x", "--user", "", "--", "x"}), ExitCode::usage);
	EXPECT_EQ(failure_of({"--show", "x"}, &message), ExitCode::usage);
	EXPECT_NE(message.find("missing the show's program"), std::string::npos);
	EXPECT_EQ(failure_of({"--", "x"}, &message), ExitCode::usage);
	EXPECT_NE(message.find("missing --show"), std::string::npos);
}
