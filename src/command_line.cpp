// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/command_line.hpp"

#include <sstream>

#include <unistd.h>

#include <boost/program_options.hpp>

#include "showguard/config_file.hpp"
#include "showguard/error.hpp"
#include "showguard/show_name.hpp"

namespace po = boost::program_options;

namespace showguard {

namespace {

constexpr const char *guard_usage = "Usage: showguard --show NAME [options] [-- PROGRAM [ARGS...]]\n"
				    "       showguard status [NAME...] [--json | --format table|json|prometheus]\n"
				    "       showguard stop NAME [--timeout DURATION]\n"
				    "       showguard check-config [NAME...]\n"
				    "       showguard boards\n"
				    "       showguard led-test [--led SPEC | --board NAME] [--led-active-low] [--show NAME]\n"
				    "       showguard led-reset --show NAME [--led SPEC | --board NAME] [--led-active-low]\n"
				    "       showguard button-test [--button SPEC | --board NAME] [--button-active-high] [--show NAME]\n";

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
  69                a required LED cannot be driven; the etcd cluster
                    cannot be reached at start, or the etcd lock was
                    lost and the show stopped
  71                other system error (also: no process or thread for the
                    guard, or a restart that cannot start the show once
                    --restart-limit is spent)
  73                lock dir or lock file cannot be created or opened,
                    or is a symlink or not a regular file
  77                permission denied (stop a show of another user)
  78                configuration error
  80                the show button stopped the show for good (--button-action
                    stop, or a long press)
  1                 status: a named show is unknown; stop: timed out;
                    check-config: a problem was found
)";

constexpr const char *led_help = R"(
Status LED (SPEC):
  none              no LED (the default unless a board or config names one)
  term              a simulated LED: its changes are printed on stderr
  gpio:LINE_NAME    the GPIO line of that name on any chip, e.g. gpio:GPIO17
  gpio:CHIP:OFFSET  CHIP is a device path, a name (gpiochip0) or a label
                    (pinctrl-rp1)
  sysfs:PATH        an LED-class device, e.g. sysfs:/sys/class/leds/ACT
The LED is steady on while the show runs, blinks fast while it starts, slowly
while a restart is pending, flashes briefly while it stops, blips every 2 s
while armed (waiting for the show button), and is off whenever the show's lock
is not held.
)";

[[noreturn]] void usage_error(const std::string &message)
{
	throw Error(ExitCode::usage, message + " (see 'showguard --help')");
}

std::string checked_name(const std::string &what, const std::string &name)
{
	const std::string problem = name_problem(name);
	if (!problem.empty())
		usage_error("invalid " + what + " name '" + printable(name) + "': " + problem);
	return name;
}

void add_common_options(po::options_description &desc)
{
	// clang-format off
	desc.add_options()
		("config", po::value<std::string>(), "global config file (default /etc/showguard/showguard.conf if it exists)")
		("help,h", "print this help and exit");
	// clang-format on
}

void add_led_options(po::options_description &desc, bool required)
{
	// clang-format off
	desc.add_options()
		("led", po::value<std::string>()->value_name("SPEC"), "status LED: none, term, gpio:LINE_NAME, gpio:CHIP:OFFSET "
		                                                      "or sysfs:PATH (default: the board's, else none)")
		("led-active-low", po::value<std::string>()->implicit_value("yes")->value_name("yes|no"),
		                   "the LED lights when its line is low")
		("board", po::value<std::string>()->value_name("NAME"), "board definition boards/NAME.conf: its default LED "
		                                                        "(see 'showguard boards')")
		("board-file", po::value<std::string>()->value_name("PATH"), "board definition file (wins over --board)");
	// clang-format on
	if (required)
		desc.add_options()("led-required", po::value<std::string>()->implicit_value("yes")->value_name("yes|no"),
				   "an LED that cannot be driven is an error (exit 69), not a warning");
}

po::options_description guard_options()
{
	po::options_description desc("Options");
	// clang-format off
	desc.add_options()
		("show", po::value<std::string>(), "the show to guard (required)")
		("config-dir", po::value<std::string>(), "directory of show files shows/NAME.conf (default /etc/showguard)")
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
		("working-directory", po::value<std::string>(), "run the show in this directory")
		("environment", po::value<std::vector<std::string>>(), "KEY=VALUE for the show's environment (repeatable)")
		("log-level", po::value<std::string>(), "trace, debug, info, warn, error or off (default info)")
		("lock-backend", po::value<std::string>()->value_name("local|etcd"), "local: this machine's lock only (default); "
		                                                    "etcd: also the cluster's, one show on several controllers")
		("etcd-endpoints", po::value<std::string>()->value_name("URL[,URL...]"), "the etcd cluster's client URLs")
		("lease-ttl", po::value<std::string>()->value_name("DURATION"), "etcd lease TTL, whole seconds (default 10s); "
		                                                 "the default kill timeout is then a third of it")
		("etcd-election-timeout", po::value<std::string>()->value_name("DURATION"), "the members' --election-timeout "
		                                                 "(default 1s), to warn when lease-ttl cannot ride out an election")
		("etcd-heartbeat-interval", po::value<std::string>()->value_name("DURATION"), "the members' --heartbeat-interval "
		                                                 "(default 100ms)")
		("etcd-cacert", po::value<std::string>()->value_name("FILE"), "CA certificate to verify the etcd members")
		("etcd-cert", po::value<std::string>()->value_name("FILE"), "client certificate for etcd")
		("etcd-key", po::value<std::string>()->value_name("FILE"), "the client certificate's key")
		("etcd-user", po::value<std::string>()->value_name("USER"), "etcd user (authentication)")
		("etcd-password-file", po::value<std::string>()->value_name("FILE"), "file holding the etcd user's password "
		                                                 "(never on the command line, where ps shows it)")
		("button", po::value<std::string>()->value_name("SPEC"), "show button: gpio:LINE_NAME or gpio:CHIP:OFFSET "
		                                                    "(default: the board's, else none)")
		("button-active-high", po::value<std::string>()->implicit_value("yes")->value_name("yes|no"),
		                       "the button drives its line high when pressed (default: low, with a pull-up)")
		("button-action", po::value<std::string>()->value_name("toggle|stop|restart"),
		                  "what a press does (default toggle: the show waits armed for a press)")
		("button-hold", po::value<std::string>()->value_name("DURATION"), "a press this long stops the show "
		                                                 "and the guard exits (default 3s)")
		("button-required", po::value<std::string>()->implicit_value("yes")->value_name("yes|no"),
		                    "a button line that cannot be requested is an error (exit 69), not a warning")
		("version", "print the version and exit");
	// clang-format on
	add_led_options(desc, true);
	add_common_options(desc);
	return desc;
}

po::variables_map parse_options(const std::vector<std::string> &args, const po::options_description &desc,
				 const po::positional_options_description &positional)
{
	po::variables_map vm;
	try {
		po::store(po::command_line_parser(args)
				  .options(desc)
				  .positional(positional)
				  .style(po::command_line_style::unix_style ^ po::command_line_style::allow_guessing)
				  .run(),
			  vm);
	} catch (const po::too_many_positional_options_error &) {
		usage_error("unexpected argument; the show's program goes after '--'");
	} catch (const po::error &e) {
		usage_error(e.what());
	}
	return vm;
}

std::string help_text(const char *intro, const po::options_description &desc, bool with_led = false)
{
	std::ostringstream out;
	out << guard_usage << "\n" << intro << "\n\n" << desc << (with_led ? led_help : "") << exit_status_help;
	return out.str();
}

// The config-key options given on the command line, as the command-line
// layer of settings.
void collect_settings(const po::variables_map &vm, CommandLine &cl)
{
	for (const auto &[key, value] : vm) {
		if (!is_config_key(key))
			continue;
		auto &values = cl.settings[key];
		if (is_repeatable(key))
			for (const auto &v : value.as<std::vector<std::string>>())
				values.push_back({v, ""});
		else
			values.push_back({value.as<std::string>(), ""});
	}
	// Check every command-line value now, so a usage error comes before
	// any config file is read.
	GuardOptions scratch;
	apply_settings(cl.settings, scratch);
}

void read_common(const po::variables_map &vm, CommandLine &cl)
{
	if (vm.count("config"))
		cl.config_file = vm["config"].as<std::string>();
	if (vm.count("config-dir"))
		cl.config_dir = vm["config-dir"].as<std::string>();
	if (vm.count("lock-dir"))
		cl.lock_dir = vm["lock-dir"].as<std::string>();
	if (vm.count("names"))
		for (const auto &name : vm["names"].as<std::vector<std::string>>())
			cl.names.push_back(checked_name("show", name));
}

void parse_guard(const std::vector<std::string> &args, CommandLine &cl)
{
	const po::options_description desc = guard_options();
	const po::variables_map vm = parse_options(args, desc, po::positional_options_description{});
	if (vm.count("help")) {
		cl.verb = Verb::help;
		cl.help = help_text("Runs PROGRAM only while holding the lock of show NAME.", desc, true);
		return;
	}
	if (vm.count("version")) {
		cl.verb = Verb::version;
		return;
	}
	if (!vm.count("show"))
		usage_error("missing --show NAME");
	cl.show = checked_name("show", vm["show"].as<std::string>());
	read_common(vm, cl);
	collect_settings(vm, cl);
}

void parse_subcommand(Verb verb, const std::vector<std::string> &args, CommandLine &cl)
{
	po::options_description desc("Options");
	po::positional_options_description positional;
	const char *intro = "";
	if (verb == Verb::status) {
		intro = "Lists shows and resources: running or free, holder, since, restarts, last exit.";
		// clang-format off
		desc.add_options()
			("names", po::value<std::vector<std::string>>(), "shows to list (default: all)")
			("json", "print JSON")
			("format", po::value<std::string>(), "table, json or prometheus (node_exporter textfile format)")
			("lock-dir", po::value<std::string>(), "directory of the lock files");
		// clang-format on
		positional.add("names", -1);
	} else if (verb == Verb::stop) {
		intro = "Stops the guard holding NAME gracefully and waits until the lock is free.";
		// clang-format off
		desc.add_options()
			("names", po::value<std::vector<std::string>>(), "the show to stop")
			("timeout", po::value<std::string>(), "give up after this long (default: the kill timeout + 5s)")
			("lock-dir", po::value<std::string>(), "directory of the lock files");
		// clang-format on
		positional.add("names", 1);
	} else if (verb == Verb::boards) {
		intro = "Lists the board definitions: name, default LED, GPIO chip, description.";
	} else if (verb == Verb::button_test) {
		intro = "Prints each press and release of the show button, with the time of its edge\n"
			"(CLOCK_MONOTONIC), and what the guard makes of it (press, long press), until\n"
			"interrupted. With --show, uses that show's button settings and holds its lock.";
		// clang-format off
		desc.add_options()
			("show", po::value<std::string>(), "use this show's button and hold its lock")
			("config-dir", po::value<std::string>(), "directory of show files shows/NAME.conf (default /etc/showguard)")
			("lock-dir", po::value<std::string>(), "directory of the lock files")
			("button", po::value<std::string>()->value_name("SPEC"), "the button: gpio:LINE_NAME or gpio:CHIP:OFFSET")
			("button-active-high", po::value<std::string>()->implicit_value("yes")->value_name("yes|no"),
			                       "the button drives its line high when pressed")
			("button-hold", po::value<std::string>()->value_name("DURATION"), "how long a long press is (default 3s)")
			("board", po::value<std::string>()->value_name("NAME"), "board definition boards/NAME.conf: its button")
			("board-file", po::value<std::string>()->value_name("PATH"), "board definition file");
		// clang-format on
	} else if (verb == Verb::led_test || verb == Verb::led_reset) {
		if (verb == Verb::led_test)
			intro = "Walks the LED through its patterns so a person can check the wiring, and reports\n"
				"what it found (chip, line, consumer) or why it cannot drive it. With --show, uses\n"
				"that show's LED settings and holds its lock while testing.";
		else
			intro = "Turns the show's LED off if the show's lock is free (taking it meanwhile); if the\n"
				"show is running, its guard owns the LED and it is left alone (exit 0). With the\n"
				"etcd backend, also revokes the etcd lease of this controller's dead guard of the\n"
				"show, so a standby starts at once. For ExecStopPost= of the show's unit.";
		// clang-format off
		desc.add_options()
			("show", po::value<std::string>(), verb == Verb::led_test ? "use this show's LED and hold its lock" : "the show (required)")
			("config-dir", po::value<std::string>(), "directory of show files shows/NAME.conf (default /etc/showguard)")
			("lock-dir", po::value<std::string>(), "directory of the lock files");
		// clang-format on
		add_led_options(desc, verb == Verb::led_reset);
		if (verb == Verb::led_test)
			desc.add_options()("step", po::value<std::string>()->value_name("DURATION"),
					   "how long each pattern is shown (default 2s)");
	} else {
		intro = "Checks the global config file and every show file (or the named ones).";
		// clang-format off
		desc.add_options()
			("names", po::value<std::vector<std::string>>(), "shows to check (default: all)")
			("config-dir", po::value<std::string>(), "directory of show files shows/NAME.conf");
		// clang-format on
		positional.add("names", -1);
	}
	add_common_options(desc);

	const po::variables_map vm = parse_options(args, desc, positional);
	if (vm.count("help")) {
		cl.verb = Verb::help;
		cl.help = help_text(intro, desc, verb == Verb::led_test || verb == Verb::led_reset);
		return;
	}
	cl.verb = verb;
	read_common(vm, cl);
	if (vm.count("show"))
		cl.show = checked_name("show", vm["show"].as<std::string>());
	if (verb == Verb::led_test || verb == Verb::led_reset || verb == Verb::button_test)
		collect_settings(vm, cl);
	if (vm.count("step")) {
		const auto &t = vm["step"].as<std::string>();
		cl.step = parse_duration(t);
		if (!cl.step || cl.step->count() == 0)
			usage_error("invalid value '" + printable(t) +
				    "' for --step; use a number of seconds or 250ms, 30s, 5m, 1h");
	}
	if (verb == Verb::led_reset && cl.show.empty())
		usage_error("missing --show NAME: showguard led-reset --show NAME");
	if (vm.count("json"))
		cl.format = StatusFormat::json;
	if (vm.count("format")) {
		const auto &f = vm["format"].as<std::string>();
		if (f == "table")
			cl.format = StatusFormat::table;
		else if (f == "json")
			cl.format = StatusFormat::json;
		else if (f == "prometheus")
			cl.format = StatusFormat::prometheus;
		else
			usage_error("invalid value '" + printable(f) + "' for --format; use table, json or prometheus");
	}
	if (vm.count("timeout")) {
		const auto &t = vm["timeout"].as<std::string>();
		cl.timeout = parse_duration(t);
		if (!cl.timeout)
			usage_error("invalid value '" + printable(t) +
				    "' for --timeout; use a number of seconds or 250ms, 30s, 5m, 1h");
	}
	if (verb == Verb::stop && cl.names.empty())
		usage_error("missing the show to stop: showguard stop NAME");
}

std::optional<Verb> subcommand(std::string_view word)
{
	if (word == "status")
		return Verb::status;
	if (word == "stop")
		return Verb::stop;
	if (word == "check-config")
		return Verb::check_config;
	if (word == "boards")
		return Verb::boards;
	if (word == "led-test")
		return Verb::led_test;
	if (word == "led-reset")
		return Verb::led_reset;
	if (word == "button-test")
		return Verb::button_test;
	return std::nullopt;
}

} // namespace

CommandLine parse_command_line(int argc, const char *const argv[])
{
	CommandLine cl;
	std::vector<std::string> ours;
	int i = 1;
	std::optional<Verb> verb;
	if (argc > 1 && (verb = subcommand(argv[1])))
		i = 2;
	for (; i < argc; ++i) {
		if (std::string_view(argv[i]) == "--") {
			cl.has_command = true;
			++i;
			break;
		}
		ours.emplace_back(argv[i]);
	}
	for (; i < argc; ++i)
		cl.command.emplace_back(argv[i]);

	if (verb) {
		if (cl.has_command)
			usage_error("'--' and a program make no sense for 'showguard " + std::string(argv[1]) + "'");
		parse_subcommand(*verb, ours, cl);
	} else {
		parse_guard(ours, cl);
	}
	return cl;
}

Settings load_global_settings(const CommandLine &cl)
{
	if (cl.config_file)
		return read_config_file(*cl.config_file);
	if (::access(default_config_file, F_OK) == 0) {
		refuse_symlink_out_of(default_config_file, default_config_dir);
		return read_config_file(default_config_file);
	}
	return {};
}

GuardOptions load_show_options(const CommandLine &cl)
{
	Settings settings = load_global_settings(cl);
	if (!cl.show.empty()) {
		const std::filesystem::path config_dir = cl.config_dir.value_or(default_config_dir);
		const std::filesystem::path show_file = show_config_path(config_dir, cl.show);
		if (::access(show_file.c_str(), F_OK) == 0) {
			refuse_symlink_out_of(show_file, config_dir);
			overlay(settings, read_config_file(show_file));
		}
	}
	overlay(settings, cl.settings);

	GuardOptions options;
	options.show = cl.show;
	options.lock_dir = default_lock_dir();
	apply_settings(settings, options);
	check_lock_backend(settings, options);
	return options;
}

GuardOptions load_guard_options(const CommandLine &cl)
{
	const std::filesystem::path show_file =
		show_config_path(cl.config_dir.value_or(default_config_dir), cl.show);
	GuardOptions options = load_show_options(cl);
	if (cl.has_command)
		options.command = cl.command;
	if (options.command.empty())
		usage_error("missing the show's program: give it after '--' or as 'command' in " + show_file.string());
	return options;
}

std::filesystem::path resolve_lock_dir(const CommandLine &cl)
{
	if (cl.lock_dir)
		return *cl.lock_dir;
	GuardOptions options;
	options.lock_dir = default_lock_dir();
	const Settings global = load_global_settings(cl);
	if (auto it = global.find("lock-dir"); it != global.end())
		apply_setting(it->first, it->second, options);
	return options.lock_dir;
}

} // namespace showguard
