// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/show_stop.hpp"

#include <cerrno>
#include <chrono>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "showguard/error.hpp"
#include "showguard/lock_record.hpp"
#include "showguard/proc_locks.hpp"
#include "showguard/show_lock.hpp"
#include "showguard/show_process.hpp"

namespace showguard {

namespace {

using Clock = std::chrono::steady_clock;

// Extra time past the guard's kill timeout for it to reap and release.
constexpr Duration stop_margin = std::chrono::seconds(5);

// Who the kernel says holds the show's lock right now.
std::optional<pid_t> lock_holder(const LockDir &dir, const std::string &show)
{
	struct stat st;
	if (::fstatat(dir.fd(), lock_file_name(show).c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return std::nullopt;
	return ProcLocks::read().holder(st.st_dev, st.st_ino);
}

// Whether pid, which the kernel names as the holder, still has the lock file
// open. The kernel keeps naming a guard killed with SIGKILL for as long as
// its show holds the lock, so by now the pid may be another process's.
bool still_holds(const LockDir &dir, const std::string &show, pid_t pid)
{
	struct stat st;
	return ::fstatat(dir.fd(), lock_file_name(show).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       lock_holder(dir, show) == pid && has_file_open(pid, st.st_dev, st.st_ino);
}

// Waits until fd is readable or the deadline passes.
bool wait_readable(int fd, Clock::time_point deadline)
{
	for (;;) {
		const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
		pollfd p{fd, POLLIN, 0};
		const int n = ::poll(&p, 1, static_cast<int>(std::max<long long>(left, 0)));
		if (n > 0)
			return true;
		if (n == 0)
			return false;
		if (errno != EINTR)
			throw_errno(ExitCode::os_error, "poll failed");
	}
}

// Whether pid is a showguard guard: its status record names it, or it runs
// the same program as this command. Anything else holding the lock, such as
// flock(1) or a process that opened the file, is not ours to signal.
bool is_guard(pid_t pid, const std::optional<LockRecord> &record)
{
	return (record && record->guard_pid == pid && record->state != "free") || runs_this_program(pid);
}

} // namespace

int run_stop(const CommandLine &cl)
{
	const std::string &show = cl.names.front();
	const std::filesystem::path lock_dir = resolve_lock_dir(cl);
	const std::optional<LockDir> dir = LockDir::open_existing(lock_dir);
	if (!dir) {
		spdlog::info("show {} is not running", show);
		return 0;
	}

	const std::optional<pid_t> holder = lock_holder(*dir, show);
	if (!holder) {
		struct stat st;
		if (::fstatat(dir->fd(), lock_file_name(show).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    ProcLocks::read().marked(st.st_dev, st.st_ino)) {
			// Held by a guard whose pid does not exist here: there is nobody
			// this command could signal, and saying "not running" would let
			// `stop && start` scripts go on while it runs.
			spdlog::error("show {} is running, guarded by a process outside this PID namespace; stop it "
				      "from there (lock {})",
				      show, (dir->path() / lock_file_name(show)).string());
			return to_int(ExitCode::failure);
		}
		spdlog::info("show {} is not running", show);
		return 0;
	}
	const std::optional<LockRecord> record = read_record(*dir, show);
	const Duration timeout = cl.timeout.value_or(
		(record && record->guard_pid == *holder && record->kill_timeout_ms > 0 ? Duration(record->kill_timeout_ms)
										       : Duration(std::chrono::seconds(10))) +
		stop_margin);
	const auto deadline = Clock::now() + timeout;

	// Open the pidfd, then confirm that the process it names still has the
	// lock file open: a pid read before pidfd_open() may have been recycled,
	// but a recycled one holds no descriptor of our lock file.
	UniqueFd pidfd(pidfd_open(*holder));
	if (!pidfd || !still_holds(*dir, show, *holder)) {
		// The guard is gone but the lock is still held: its show is winding
		// down after the guard was killed, and has been sent SIGTERM.
		spdlog::info("show {}: its guard (pid {}) is gone; waiting for the show to exit", show, *holder);
		while (lock_holder(*dir, show) == holder) {
			if (Clock::now() >= deadline) {
				spdlog::error("show {} still running after {}: the lock is held by the show of the vanished "
					      "guard pid {}",
					      show, format_duration(timeout), *holder);
				return to_int(ExitCode::failure);
			}
			::usleep(50'000);
		}
		return 0;
	}
	if (!is_guard(*holder, record)) {
		spdlog::error("show {} is held by pid {}, which is not a showguard guard; not signalling it (lock {})",
			      show, *holder, (dir->path() / lock_file_name(show)).string());
		return to_int(ExitCode::failure);
	}
	if (pidfd_send_signal(pidfd.get(), SIGTERM) < 0) {
		if (errno == EPERM)
			throw Error(ExitCode::no_permission,
				    "permission denied: show " + show + " is guarded by pid " + std::to_string(*holder) +
					    (record && !record->user.empty() ? " running as " + record->user : "") +
					    "; stop it as that user or as root");
		if (errno != ESRCH)
			throw_errno(ExitCode::os_error, "cannot signal guard pid " + std::to_string(*holder));
	}
	spdlog::info("show {}: asked guard pid {} to stop", show, *holder);

	// The pidfd turns readable when the guard has exited, which it does only
	// after every process of the show is gone and the lock is released.
	if (!wait_readable(pidfd.get(), deadline)) {
		spdlog::error("show {} still running after {}: guard pid {}{}", show, format_duration(timeout), *holder,
			      record && record->show_pid ? ", show pid " + std::to_string(record->show_pid) : "");
		return to_int(ExitCode::failure);
	}
	if (const auto next = lock_holder(*dir, show); next && next != holder)
		spdlog::info("show {} stopped; guard pid {} has taken it over", show, *next);
	else
		spdlog::info("show {} stopped", show);
	return 0;
}

} // namespace showguard
