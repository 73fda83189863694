// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <optional>

#include <signal.h>
#include <sys/signalfd.h>

#include "showguard/unique_fd.hpp"

namespace showguard {

// The guard's signals, delivered through a signalfd to the one event loop.
// Constructing it blocks SIGCHLD and the signals that reach the show
// (TERM, INT, HUP, QUIT, USR1, USR2) for the whole process; create it before
// any thread so that every thread inherits the mask. SIGPIPE is ignored so a
// closed stderr cannot kill the guard and orphan the show.
class SignalFd {
public:
	SignalFd();
	SignalFd(const SignalFd &) = delete;
	SignalFd &operator=(const SignalFd &) = delete;

	[[nodiscard]] int fd() const noexcept { return fd_.get(); }

	// The next pending signal, or nothing if none is pending.
	[[nodiscard]] std::optional<signalfd_siginfo> read();

	// The mask and SIGPIPE disposition the guard started with, for the show.
	[[nodiscard]] const sigset_t &original_mask() const noexcept { return original_mask_; }
	[[nodiscard]] const struct sigaction &original_sigpipe() const noexcept { return original_sigpipe_; }

private:
	UniqueFd fd_;
	sigset_t original_mask_;
	struct sigaction original_sigpipe_;
};

// True for a signal the terminal sent to its whole foreground process group
// (Ctrl-C, Ctrl-\, hang-up).
[[nodiscard]] bool from_terminal(const signalfd_siginfo &info) noexcept;

// Whether the guard's process group is the foreground process group of its
// controlling terminal: the guard runs as a foreground job. Only then does
// the show share the guard's process group (to read the terminal and take
// Ctrl-C, Ctrl-Z and job control with it, as if run directly); otherwise it
// gets a process group of its own, so that a signal sent to the guard's
// group (kill -- -PGID, bash's kill %1, timeout(1)) reaches the show only
// through the guard, once.
[[nodiscard]] bool in_terminal_foreground() noexcept;

// Whether a signal the guard received has reached the show's main process
// as well, so that forwarding it would deliver it twice: only a signal
// sent to a whole process group can, and the only group signal the guard
// can recognise is the terminal's (kill(2) leaves no trace of a group in
// siginfo). The terminal's signal went to the guard's group, so the show
// has it if it is in that group still; a show that moved to a group or
// session of its own (setsid, timeout(1)) gets it forwarded.
[[nodiscard]] bool reached_the_show(const signalfd_siginfo &info, pid_t guard_group, pid_t show_group) noexcept;

// True for SIGTERM and SIGINT: signals that ask the show to stop.
[[nodiscard]] bool is_stop_signal(int signo) noexcept;

} // namespace showguard
