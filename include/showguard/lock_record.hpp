// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "showguard/show_lock.hpp"

namespace showguard {

// What the holder of a lock says about itself, in DIR/NAME.state beside the
// lock file. The lock file stays private (0600); the record is public
// (0644) so `showguard status` works for everyone. It is only a
// description: whether the lock is held is asked of the kernel.
//
// Format: one "key=value" per line, values with '\\' and newlines escaped.
// Unknown keys are ignored so older readers accept newer records.
struct LockRecord {
	std::string name;
	LockKind kind = LockKind::show;
	std::string state;              // starting, running, restarting, stopping, free
	pid_t guard_pid = 0;
	pid_t show_pid = 0;
	std::int64_t since_ms = 0;      // when the lock was taken, Unix epoch ms
	// The same moment on CLOCK_BOOTTIME, ms: uptime is measured on it, since
	// the wall clock jumps (a Pi has no RTC; NTP steps it after boot). 0 in
	// records of older guards.
	std::int64_t since_boot_ms = 0;
	std::string host;
	std::string user;
	std::string command;            // argv joined with spaces, for people
	unsigned restarts = 0;
	std::int64_t kill_timeout_ms = 0; // the guard's --kill-timeout, for `stop`
	std::vector<std::string> resources; // for a show: the resources it holds
	std::string held_by;            // for a resource: the show holding it
	std::optional<int> last_exit;   // exit status of the last run (128+N for signal N)
	std::string last_exit_reason;   // "exited 3", "killed by signal 9", ...
	std::int64_t last_exit_ms = 0;
};

[[nodiscard]] std::string format_record(const LockRecord &record);

// Never throws; returns nothing for text that is not a record (no name,
// bad numbers). Field values are bounded in length.
[[nodiscard]] std::optional<LockRecord> parse_record(std::string_view text);

// Replaces DIR/NAME.state atomically (write a temporary file, rename it),
// so a reader sees the old record or the new one, never half of either.
// Call only while holding NAME's lock: the lock is what makes this writer
// the only one. Throws Error(os_error) on failure.
void write_record(const LockDir &dir, const LockRecord &record);

// Reads DIR/NAME.state; nothing if it is missing or unreadable. Does not
// follow symlinks and reads at most 64 KiB.
[[nodiscard]] std::optional<LockRecord> read_record(const LockDir &dir, const std::string &name);

// This machine's name, for records; empty if it has none.
[[nodiscard]] std::string host_name();

// "2026-11-22T19:00:00+01:00" in local time.
[[nodiscard]] std::string format_iso8601(std::int64_t epoch_ms);

[[nodiscard]] std::int64_t now_epoch_ms();

// CLOCK_BOOTTIME in ms: never steps, and counts suspended time.
[[nodiscard]] std::int64_t now_boot_ms();

} // namespace showguard
