// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "showguard/command_line.hpp"

namespace showguard {

// `showguard check-config [NAME...]`: checks the global config file and
// every show file (or the named shows'), printing each problem as
// "FILE:LINE: message" and "FILE: ok" for a good file. Beyond syntax it
// checks values, that each show has a command whose program exists, and
// that users and groups exist. Returns 0 only if everything is valid.
[[nodiscard]] int run_check_config(const CommandLine &cl);

} // namespace showguard
