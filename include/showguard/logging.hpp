// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <chrono>
#include <string_view>

namespace showguard {

// Sends the default logger to stderr, one write per line. On a terminal
// or pipe lines read "showguard: error: ..."; under systemd, when stderr is
// the journal stream named by $JOURNAL_STREAM, each line carries a "<N>"
// syslog priority prefix instead so the journal files it at the right
// level, and no timestamp (the journal has its own).
//
// Writing never blocks: a reader that stalls (a stopped pager, Ctrl-S, a
// full pipe the show filled) must not freeze the guard's loop, and with it
// the kill timeout, `stop` and the etcd fence. What cannot be written at
// once waits in a bounded queue; lines that do not fit are dropped and
// counted, and a warning says how many once the queue has drained.
void setup_logging();

// trace, debug, info, warn, error or off (already validated).
void set_log_level(std::string_view level);

// Writes one line (with its '\n') to stderr as the logger does, bypassing
// the log level: the simulated LED.
void write_stderr_line(std::string_view line) noexcept;

// While lines wait for a stalled stderr: the descriptor to poll for
// POLLOUT, else -1. drain_stderr() writes what it can without blocking.
[[nodiscard]] int stderr_backlog_fd() noexcept;
void drain_stderr() noexcept;

// On the way out, once the locks are let go: gives a reader that is still
// reading up to `patience` per step to take what is queued; a reader that
// takes nothing in that time gets nothing more.
void flush_stderr(std::chrono::milliseconds patience) noexcept;

} // namespace showguard
