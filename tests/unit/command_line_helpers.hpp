// SPDX-License-Identifier: GPL-2.0-or-later
// The unit tests' way to a command line: as main() would see it, and the
// guard's options from it alone (no config files).
#pragma once

#include <vector>

#include "showguard/command_line.hpp"
#include "showguard/guard_options.hpp"

namespace showguard::unit_test {

inline CommandLine parse(std::vector<const char *> args)
{
	args.insert(args.begin(), "showguard");
	return parse_command_line(static_cast<int>(args.size()), args.data());
}

inline GuardOptions guard_options(std::vector<const char *> args)
{
	args.insert(args.begin(), {"--config", "/dev/null", "--config-dir", "/nonexistent"});
	return load_guard_options(parse(std::move(args)));
}

} // namespace showguard::unit_test
