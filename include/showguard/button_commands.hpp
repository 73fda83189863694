// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "showguard/command_line.hpp"

namespace showguard {

// showguard button-test: prints each press and release of the show button.
[[nodiscard]] int run_button_test(const CommandLine &cl);

} // namespace showguard
