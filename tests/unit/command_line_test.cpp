// SPDX-License-Identifier: GPL-2.0-or-later
#include <vector>

#include <gtest/gtest.h>

#include "showguard/command_line.hpp"
#include "showguard/error.hpp"

#include "command_line_helpers.hpp"

using namespace showguard;
using namespace showguard::unit_test;
using namespace std::chrono_literals;

namespace {

// The guard's options from a command line alone: no config files.
GuardOptions guard(std::vector<const char *> args)
{
	return guard_options(std::move(args));
}

ExitCode failure_of(std::vector<const char *> args, std::string *message = nullptr)
{
	try {
		(void)guard(std::move(args));
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
	EXPECT_EQ(parse({"--show", "starcourt", "--", "run"}).verb, Verb::run);
	const auto g = guard({"--show", "starcourt", "--", "/opt/shows/starcourt/run"});
	EXPECT_EQ(g.show, "starcourt");
	EXPECT_FALSE(g.wait);
	EXPECT_EQ(g.conflict_exit_code, 75);
	EXPECT_EQ(g.kill_timeout, Duration(10s));
	EXPECT_EQ(g.restart, RestartPolicy::no);
	EXPECT_EQ(g.restart_delay, Duration(1s));
	EXPECT_EQ(g.restart_limit, 5u);
	EXPECT_EQ(g.command, std::vector<std::string>{"/opt/shows/starcourt/run"});
	EXPECT_EQ(g.log_level, "info");
}

TEST(CommandLine, TheShowsArgumentsAreUntouched)
{
	const auto g = guard({"--show", "x", "--", "run", "--show", "y", "--", "-v", ""});
	EXPECT_EQ(g.command, (std::vector<std::string>{"run", "--show", "y", "--", "-v", ""}));
	EXPECT_EQ(g.show, "x");
}

TEST(CommandLine, EveryOption)
{
	const auto g = guard({"--show=x", "--lock-dir", "/tmp/l", "--wait=5m", "--conflict-exit-code", "0",
			       "--kill-timeout", "250ms", "--restart", "on-failure", "--restart-delay", "2",
			       "--restart-limit", "9", "--resource", "dmx1", "--resource", "audio", "--user", "show",
			       "--group", "gpio", "--log-level", "debug", "--", "run"});
	EXPECT_EQ(g.lock_dir, "/tmp/l");
	EXPECT_EQ(g.wait, Duration(5min));
	EXPECT_EQ(g.conflict_exit_code, 0);
	EXPECT_EQ(g.kill_timeout, Duration(250));
	EXPECT_EQ(g.restart, RestartPolicy::on_failure);
	EXPECT_EQ(g.restart_delay, Duration(2s));
	EXPECT_EQ(g.restart_limit, 9u);
	EXPECT_EQ(g.resources, (std::vector<std::string>{"dmx1", "audio"}));
	EXPECT_EQ(g.user, "show");
	EXPECT_EQ(g.group, "gpio");
	EXPECT_EQ(g.log_level, "debug");
}

TEST(CommandLine, WaitWithoutValueWaitsForever)
{
	EXPECT_EQ(guard({"--show", "x", "--wait", "--", "run"}).wait, max_duration);
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

TEST(CommandLine, Subcommands)
{
	const auto status = parse({"status", "a", "b", "--json", "--lock-dir", "/tmp/l"});
	EXPECT_EQ(status.verb, Verb::status);
	EXPECT_EQ(status.names, (std::vector<std::string>{"a", "b"}));
	EXPECT_EQ(status.format, StatusFormat::json);
	EXPECT_EQ(status.lock_dir, "/tmp/l");
	EXPECT_EQ(parse({"status", "--format", "prometheus"}).format, StatusFormat::prometheus);

	const auto stop = parse({"stop", "starcourt", "--timeout", "3s"});
	EXPECT_EQ(stop.verb, Verb::stop);
	EXPECT_EQ(stop.names, std::vector<std::string>{"starcourt"});
	EXPECT_EQ(stop.timeout, Duration(3s));

	EXPECT_EQ(parse({"check-config", "x"}).verb, Verb::check_config);
	EXPECT_EQ(parse({"status", "--help"}).verb, Verb::help);
}

TEST(CommandLine, BadSubcommandInput)
{
	auto code = [](std::vector<const char *> args) {
		try {
			(void)parse(std::move(args));
		} catch (const Error &e) {
			return e.code();
		}
		return ExitCode::ok;
	};
	EXPECT_EQ(code({"stop"}), ExitCode::usage);
	EXPECT_EQ(code({"stop", "a", "b"}), ExitCode::usage);
	EXPECT_EQ(code({"stop", "../x"}), ExitCode::usage);
	EXPECT_EQ(code({"stop", "x", "--timeout", "soon"}), ExitCode::usage);
	EXPECT_EQ(code({"status", "--format", "xml"}), ExitCode::usage);
	EXPECT_EQ(code({"status", "--", "x"}), ExitCode::usage);
}
