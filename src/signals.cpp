// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/signals.hpp"

#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

#include "showguard/error.hpp"

namespace showguard {

SignalFd::SignalFd()
{
	sigset_t set;
	sigemptyset(&set);
	for (int signo : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2})
		sigaddset(&set, signo);
	if (::sigprocmask(SIG_BLOCK, &set, &original_mask_) < 0)
		throw_errno(ExitCode::os_error, "cannot block signals");

	struct sigaction ignore {};
	ignore.sa_handler = SIG_IGN;
	sigemptyset(&ignore.sa_mask);
	(void)::sigaction(SIGPIPE, &ignore, &original_sigpipe_);

	fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
	if (!fd_)
		throw_errno(ExitCode::os_error, "cannot create signalfd");
}

std::optional<signalfd_siginfo> SignalFd::read()
{
	signalfd_siginfo info;
	for (;;) {
		const ssize_t n = ::read(fd_.get(), &info, sizeof(info));
		if (n == static_cast<ssize_t>(sizeof(info)))
			return info;
		if (n < 0 && errno == EINTR)
			continue;
		return std::nullopt;
	}
}

bool from_terminal(const signalfd_siginfo &info) noexcept
{
	// The tty layer sends job-control signals with SI_KERNEL; kill(2),
	// systemd and `showguard stop` send SI_USER (or SI_QUEUE, SI_TKILL).
	return info.ssi_code == SI_KERNEL && info.ssi_signo != SIGCHLD;
}

bool in_terminal_foreground() noexcept
{
	// /dev/tty is the controlling terminal whatever stdin is; without one
	// (a daemon, setsid, systemd) open() fails with ENXIO.
	const UniqueFd tty(::open("/dev/tty", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
	return tty && ::tcgetpgrp(tty.get()) == ::getpgrp();
}

bool reached_the_show(const signalfd_siginfo &info, pid_t guard_group, pid_t show_group) noexcept
{
	return from_terminal(info) && show_group > 0 && show_group == guard_group;
}

bool is_stop_signal(int signo) noexcept
{
	return signo == SIGTERM || signo == SIGINT;
}

} // namespace showguard
