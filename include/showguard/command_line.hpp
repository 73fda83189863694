// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string>

#include "showguard/guard_options.hpp"

namespace showguard {

enum class Verb { run, help, version };

// What the user asked for on the command line.
struct CommandLine {
	Verb verb = Verb::run;
	GuardOptions guard;
	std::string log_level = "info";
	std::string help;
};

// Parses argv. Everything after the first "--" is the show's command,
// untouched. Throws Error(ExitCode::usage) naming the offending option or
// value; never prints.
[[nodiscard]] CommandLine parse_command_line(int argc, const char *const argv[]);

} // namespace showguard
