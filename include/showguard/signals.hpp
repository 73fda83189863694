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
// (Ctrl-C, Ctrl-\, hang-up): the show received it as well, directly.
[[nodiscard]] bool from_terminal(const signalfd_siginfo &info) noexcept;

// True for SIGTERM and SIGINT: signals that ask the show to stop.
[[nodiscard]] bool is_stop_signal(int signo) noexcept;

} // namespace showguard
