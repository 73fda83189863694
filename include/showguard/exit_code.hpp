// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

namespace showguard {

// The exit-status contract, documented in README.md and --help.
// A show's own status passes through unchanged; these are the guard's own.
enum class ExitCode : int {
	ok = 0,
	failure = 1,          // status: unknown show; stop: timed out
	usage = 64,           // EX_USAGE: bad option, value or show name
	no_user = 67,         // EX_NOUSER: unknown --user or --group
	unavailable = 69,     // EX_UNAVAILABLE: a required LED cannot be driven; etcd unreachable or lost
	software = 70,        // EX_SOFTWARE: internal error
	os_error = 71,        // EX_OSERR: other system errors
	os_file = 72,         // EX_OSFILE: no board definitions found (an incomplete installation)
	cant_create = 73,     // EX_CANTCREAT: lock dir or lock file unusable
	busy = 75,            // EX_TEMPFAIL: show busy (default of --conflict-exit-code)
	no_permission = 77,   // EX_NOPERM: not allowed to act on that show
	config = 78,          // EX_CONFIG: configuration error
	button_stop = 80,     // the show button stopped the show (--button-action stop, a long press)
	cannot_execute = 126, // the show's program exists but cannot be executed
	not_found = 127,      // the show's program does not exist
	signal_base = 128,    // the show died of signal N: 128 + N
};

[[nodiscard]] constexpr int to_int(ExitCode code) noexcept { return static_cast<int>(code); }

} // namespace showguard
