// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string>
#include <vector>

#include "showguard/credentials.hpp"
#include "showguard/guard_options.hpp"
#include "showguard/lock_set.hpp"

namespace showguard {

// Guards one show: checks everything that can be checked before locking
// (user, group, program), takes the show's and its resources' locks, runs
// the show under the Supervisor and releases the locks once every process
// of the show is gone. Returns the exit status of the exit-code contract;
// throws Error for the guard's own failures.
[[nodiscard]] int run_guard(const GuardOptions &options);

// The show's environment: the guard's, less what belongs to the guard
// (systemd's NOTIFY_SOCKET and WATCHDOG_*), plus SHOWGUARD_SHOW, and
// HOME, USER and LOGNAME of --user.
[[nodiscard]] std::vector<std::string> show_environment(const GuardOptions &options, const Credentials &credentials,
							 char **environ_in);

// "held by guard pid 1234 (show pid 1240) since 2026-11-22T19:00:00+01:00";
// the kernel's word on who holds the lock wins over a stale record.
[[nodiscard]] std::string describe_holder(const LockDir &dir, const ShowLock &lock);

} // namespace showguard
