// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "showguard/duration.hpp"
#include "showguard/guard_options.hpp"
#include "showguard/settings.hpp"

namespace showguard {

enum class Verb { run, help, version, status, stop, check_config, boards, led_test, led_reset, button_test };

// Output formats of `showguard status`.
enum class StatusFormat { table, json, prometheus };

// What the user asked for on the command line, before any config file is
// read: parse_command_line() does no I/O.
struct CommandLine {
	Verb verb = Verb::run;
	std::string help;

	// run; led-test, led-reset (--show)
	std::string show;
	Settings settings;                // the command-line layer of settings
	std::vector<std::string> command; // after "--"
	bool has_command = false;         // "--" was given

	// every verb but help/version
	std::optional<std::filesystem::path> config_file; // --config
	std::optional<std::filesystem::path> config_dir;  // --config-dir
	std::optional<std::filesystem::path> lock_dir;    // status, stop

	// status, stop, check-config
	std::vector<std::string> names;
	StatusFormat format = StatusFormat::table;
	std::optional<Duration> timeout; // stop
	std::optional<Duration> step;    // led-test
};

// Parses argv. For the guard, everything after the first "--" is the
// show's command, untouched. Subcommands: status, stop, check-config,
// boards, led-test, led-reset.
// Throws Error(ExitCode::usage) naming the offending option or value.
[[nodiscard]] CommandLine parse_command_line(int argc, const char *const argv[]);

// The guard's options: built-in defaults, overlaid by the global config
// (--config, or /etc/showguard/showguard.conf if it exists), by the show's
// file (CONFIG_DIR/shows/NAME.conf if it exists), and by the command line.
// A program after "--" overrides the "command" key.
[[nodiscard]] GuardOptions load_guard_options(const CommandLine &cl);

// The same layers without requiring a program, and without a show file
// when no show is named: for led-test and led-reset.
[[nodiscard]] GuardOptions load_show_options(const CommandLine &cl);

// The global config file's settings, or none if there is no file.
[[nodiscard]] Settings load_global_settings(const CommandLine &cl);

// The lock dir for status and stop: --lock-dir, else the global config's
// lock-dir, else the default.
[[nodiscard]] std::filesystem::path resolve_lock_dir(const CommandLine &cl);

} // namespace showguard
