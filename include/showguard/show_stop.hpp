// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "showguard/command_line.hpp"

namespace showguard {

// `showguard stop NAME`: sends SIGTERM, through a pidfd, to the guard that
// the kernel says holds NAME's lock (the same path as `kill -TERM` of the
// guard: forward, wait the kill timeout, escalate), then waits for that
// guard to exit. Returns 0 when stopped or not running, 1 on timeout;
// throws Error(no_permission) when the guard belongs to another user.
[[nodiscard]] int run_stop(const CommandLine &cl);

} // namespace showguard
