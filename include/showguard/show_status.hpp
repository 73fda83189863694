// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "showguard/command_line.hpp"
#include "showguard/lock_record.hpp"

namespace showguard {

// What `showguard status` reports for one show or resource. Whether it is
// running comes from the kernel (/proc/locks), never from the record: a
// record left by a crashed guard is never reported as running.
struct ShowStatus {
	std::string name;
	LockKind kind = LockKind::show;
	bool known = false;        // a lock file or record exists
	bool running = false;      // the lock is held
	std::string phase;         // starting, running, stopping, restarting (while held)
	pid_t guard_pid = 0;
	pid_t show_pid = 0;
	std::int64_t since_ms = 0;       // wall clock, for people
	std::optional<std::int64_t> uptime_ms; // on CLOCK_BOOTTIME, when the record allows
	std::string host;
	std::string user;
	std::string command;
	unsigned restarts = 0;
	std::vector<std::string> resources;
	std::string held_by;
	std::optional<int> last_exit;
	std::string last_exit_reason;
	std::int64_t last_exit_ms = 0;
};

// Reads the lock dir once: one directory listing, one /proc/locks read, and
// per entry one stat and one record read, so a thousand shows stay fast.
// With names, reports those shows (unknown ones with known=false).
[[nodiscard]] std::vector<ShowStatus> collect_status(const std::filesystem::path &lock_dir,
						     const std::vector<std::string> &names);

// "3m05s", "2h10m", "1d04h".
[[nodiscard]] std::string format_uptime(std::int64_t ms);
// Rows as left-aligned columns two spaces apart, one line each, every cell
// escaped with terminal_safe().
[[nodiscard]] std::string align_columns(const std::vector<std::vector<std::string>> &rows);

[[nodiscard]] std::string format_status_table(const std::vector<ShowStatus> &shows, std::int64_t now_ms);
[[nodiscard]] std::string format_status_json(const std::vector<ShowStatus> &shows, std::int64_t now_ms);
[[nodiscard]] std::string format_status_prometheus(const std::vector<ShowStatus> &shows);
// A Prometheus label value: backslash, quote and newline escaped.
[[nodiscard]] std::string prometheus_label(std::string_view text);

// The `status` command: prints, returns 0, or 1 if a named show is unknown.
[[nodiscard]] int run_status(const CommandLine &cl);

} // namespace showguard
