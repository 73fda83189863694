// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/command_line.hpp"

#include <charconv>
#include <limits>
#include <sstream>

#include <boost/program_options.hpp>

#include "showguard/error.hpp"
#include "showguard/show_name.hpp"

namespace po = boost::program_options;

namespace showguard {

namespace {

constexpr const char *usage_line =
	"Usage: showguard --show NAME [options] -- PROGRAM [ARGS...]\n";

constexpr const char *exit_status_help = R"(
Exit status:
  the show's own    the show exited with that status
  128+N             the show died of signal N (also: stopped by signal N
                    while waiting or between restarts)
  126               the show's program cannot be executed
  127               the show's program does not exist
  75                the show or a resource is busy (--conflict-exit-code)
  64                usage error: bad option, value or name
  67                unknown user or group
  69                a required LED cannot be driven
  71                other system error
  73                lock dir or lock file cannot be created or opened,
                    or is a symlink or not a regular file
  78                configuration error
)";

[[noreturn]] void usage_error(const std::string &message)
{
	throw Error(ExitCode::usage, message + " (see 'showguard --help')");
}

Duration duration_option(const std::string &option, const std::string &value)
{
	if (auto d = parse_duration(value))
		return *d;
	usage_error("invalid duration '" + printable(value) + "' for --" + option +
		    "; use a number of seconds or 250ms, 30s, 5m, 1h");
}

unsigned number_option(const std::string &option, const std::string &value, unsigned max)
{
	unsigned n = 0;
	auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
	if (value.empty() || ec != std::errc{} || p != value.data() + value.size() || n > max)
		usage_error("invalid value '" + printable(value) + "' for --" + option +
			    "; expected a whole number from 0 to " + std::to_string(max));
	return n;
}

std::string checked_name(const std::string &what, const std::string &name)
{
	const std::string problem = name_problem(name);
	if (!problem.empty())
		usage_error("invalid " + what + " name '" + printable(name) + "': " + problem);
	return name;
}

po::options_description guard_options()
{
	po::options_description desc("Options");
	// clang-format off
	desc.add_options()
		("show", po::value<std::string>(), "the show to guard (required)")
		("lock-dir", po::value<std::string>(), "directory of the lock files (default: /run/showguard for root, "
		                                       "else $XDG_RUNTIME_DIR/showguard, else /tmp/showguard-$UID)")
		("wait", po::value<std::string>()->implicit_value(""), "wait for a busy show; --wait=DURATION waits at most that long")
		("conflict-exit-code", po::value<std::string>(), "exit status when the show is busy (default 75)")
		("kill-timeout", po::value<std::string>(), "grace between SIGTERM and SIGKILL when stopping (default 10s)")
		("restart", po::value<std::string>(), "no, on-failure or always (default no)")
		("restart-delay", po::value<std::string>(), "pause before a restart (default 1s)")
		("restart-limit", po::value<std::string>(), "restarts allowed within 60 s before giving up (default 5)")
		("resource", po::value<std::vector<std::string>>(), "also lock this shared resource (repeatable)")
		("user", po::value<std::string>(), "run the show as this user")
		("group", po::value<std::string>(), "run the show with this group")
		("log-level", po::value<std::string>(), "trace, debug, info, warn, error or off (default info)")
		("help,h", "print this help and exit")
		("version", "print the version and exit");
	// clang-format on
	return desc;
}

RestartPolicy restart_option(const std::string &value)
{
	if (value == "no")
		return RestartPolicy::no;
	if (value == "on-failure")
		return RestartPolicy::on_failure;
	if (value == "always")
		return RestartPolicy::always;
	usage_error("invalid value '" + printable(value) + "' for --restart; use no, on-failure or always");
}

std::string log_level_option(const std::string &value)
{
	for (const char *level : {"trace", "debug", "info", "warn", "error", "off"})
		if (value == level)
			return value;
	usage_error("invalid value '" + printable(value) +
		    "' for --log-level; use trace, debug, info, warn, error or off");
}

} // namespace

CommandLine parse_command_line(int argc, const char *const argv[])
{
	CommandLine cl;
	const po::options_description desc = guard_options();

	// The show's command is everything after the first "--", untouched.
	std::vector<std::string> ours;
	int i = 1;
	for (; i < argc; ++i) {
		if (std::string_view(argv[i]) == "--") {
			++i;
			break;
		}
		ours.emplace_back(argv[i]);
	}
	for (; i < argc; ++i)
		cl.guard.command.emplace_back(argv[i]);

	po::variables_map vm;
	try {
		// No positional arguments: a stray word is an error, not ignored.
		const po::positional_options_description none;
		po::store(po::command_line_parser(ours)
				  .options(desc)
				  .positional(none)
				  .style(po::command_line_style::unix_style ^ po::command_line_style::allow_guessing)
				  .run(),
			  vm);
	} catch (const po::error &e) {
		usage_error(e.what());
	}

	if (vm.count("help")) {
		std::ostringstream out;
		out << usage_line << "\nRuns PROGRAM only while holding the lock of show NAME.\n\n"
		    << desc << exit_status_help;
		cl.verb = Verb::help;
		cl.help = out.str();
		return cl;
	}
	if (vm.count("version")) {
		cl.verb = Verb::version;
		return cl;
	}

	GuardOptions &g = cl.guard;
	if (!vm.count("show"))
		usage_error("missing --show NAME");
	g.show = checked_name("show", vm["show"].as<std::string>());
	if (g.command.empty())
		usage_error("missing the show's program after '--'");

	g.lock_dir = vm.count("lock-dir") ? std::filesystem::path(vm["lock-dir"].as<std::string>())
					  : default_lock_dir();
	if (g.lock_dir.empty())
		usage_error("--lock-dir must not be empty");

	if (vm.count("wait")) {
		const auto &value = vm["wait"].as<std::string>();
		g.wait = value.empty() ? max_duration : duration_option("wait", value);
	}
	if (vm.count("conflict-exit-code"))
		g.conflict_exit_code =
			static_cast<int>(number_option("conflict-exit-code", vm["conflict-exit-code"].as<std::string>(), 255));
	if (vm.count("kill-timeout"))
		g.kill_timeout = duration_option("kill-timeout", vm["kill-timeout"].as<std::string>());
	if (vm.count("restart"))
		g.restart = restart_option(vm["restart"].as<std::string>());
	if (vm.count("restart-delay"))
		g.restart_delay = duration_option("restart-delay", vm["restart-delay"].as<std::string>());
	if (vm.count("restart-limit"))
		g.restart_limit = number_option("restart-limit", vm["restart-limit"].as<std::string>(), 1'000'000);
	if (vm.count("resource"))
		for (const auto &r : vm["resource"].as<std::vector<std::string>>())
			g.resources.push_back(checked_name("resource", r));
	if (vm.count("user")) {
		g.user = vm["user"].as<std::string>();
		if (g.user->empty())
			usage_error("--user must not be empty");
	}
	if (vm.count("group")) {
		g.group = vm["group"].as<std::string>();
		if (g.group->empty())
			usage_error("--group must not be empty");
	}
	if (vm.count("log-level"))
		cl.log_level = log_level_option(vm["log-level"].as<std::string>());
	return cl;
}

} // namespace showguard
