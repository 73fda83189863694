// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/lock_set.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <system_error>
#include <thread>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "showguard/error.hpp"

namespace showguard {

namespace {

using Clock = std::chrono::steady_clock;

enum class Wait { acquired, timed_out, interrupted };

// Waits for one lock without polling it: a helper thread blocks in
// flock(LOCK_EX), so the kernel wakes it the moment the holder lets go,
// and tells the event loop through an eventfd; meanwhile the loop keeps
// serving signals and the deadline. The thread exists only while waiting.
// If the guard gives up, the thread is left blocked and the process exits
// soon after, so its descriptors are abandoned rather than closed: closing
// them could let the thread lock whatever file reuses the number.
Wait wait_for(ShowLock &lock, std::optional<Clock::time_point> deadline, SignalFd &signals, int &signo)
{
	UniqueFd ready(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
	if (!ready)
		throw_errno(ExitCode::os_error, "cannot create eventfd to wait for " + lock.path().string());

	// The thread touches nothing but these two descriptor numbers, which stay
	// open for as long as it may run.
	const int ready_fd = ready.get();
	const int lock_fd = lock.fd();
	try {
		std::thread([lock_fd, ready_fd] {
			while (::flock(lock_fd, LOCK_EX) < 0 && errno == EINTR) {
			}
			const std::uint64_t one = 1;
			(void)!::write(ready_fd, &one, sizeof(one));
		}).detach();
	} catch (const std::system_error &e) {
		// RLIMIT_NPROC or memory: a system error (71), not a bug of the guard.
		throw SystemError(ExitCode::os_error, e.code().value(),
				  "cannot start a thread to wait for " + lock.path().string());
	}

	auto give_up = [&](Wait why) {
		lock.abandon();
		(void)ready.release();
		return why;
	};

	for (;;) {
		pollfd fds[2] = {{ready_fd, POLLIN, 0}, {signals.fd(), POLLIN, 0}};
		int timeout = -1;
		if (deadline) {
			const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
			timeout = static_cast<int>(std::max<std::int64_t>(left.count(), 0));
		}
		const int n = ::poll(fds, 2, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw_errno(ExitCode::os_error, "poll failed while waiting for " + lock.path().string());
		// The lock wins a tie with the deadline: it is ours already.
		if (fds[0].revents) {
			// Reading the count orders everything after the helper's write,
			// its last use of either descriptor, before the eventfd is closed
			// (poll() alone is no such order for ThreadSanitizer).
			std::uint64_t count = 0;
			(void)!::read(ready_fd, &count, sizeof(count));
			if (lock.try_lock())
				return Wait::acquired;
			throw Error(ExitCode::os_error, "waiting for " + lock.path().string() + " failed");
		}
		if (fds[1].revents) {
			while (auto info = signals.read()) {
				const int s = static_cast<int>(info->ssi_signo);
				const bool terminal_stop = from_terminal(*info) && (s == SIGQUIT || s == SIGHUP);
				if (is_stop_signal(s) || terminal_stop) {
					signo = s;
					return give_up(Wait::interrupted);
				}
				spdlog::debug("ignoring SIG{} while waiting for {}", ::sigabbrev_np(s), lock.path().string());
			}
		}
		if (deadline && Clock::now() >= *deadline)
			return give_up(Wait::timed_out);
	}
}

} // namespace

LockSet::LockSet(const LockDir &dir, const std::string &show, std::vector<std::string> resources) : dir_(dir)
{
	locks_.emplace_back(dir, LockKind::show, show);
	std::sort(resources.begin(), resources.end());
	resources.erase(std::unique(resources.begin(), resources.end()), resources.end());
	if (!resources.empty()) {
		resource_dir_.emplace(dir.resources(true));
		for (auto &name : resources)
			locks_.emplace_back(*resource_dir_, LockKind::resource, std::move(name));
	}
}

const LockDir &LockSet::dir_of(const ShowLock &lock) const noexcept
{
	return lock.kind() == LockKind::show ? dir_ : *resource_dir_;
}

std::vector<std::string> LockSet::resource_names() const
{
	std::vector<std::string> names;
	for (const auto &lock : locks_)
		if (lock.kind() == LockKind::resource)
			names.push_back(lock.name());
	return names;
}

std::vector<int> LockSet::fds() const
{
	std::vector<int> fds;
	for (const auto &lock : locks_)
		fds.push_back(lock.fd());
	return fds;
}

LockSet::Result LockSet::acquire(std::optional<Duration> wait, SignalFd &signals,
				 const std::function<void(const ShowLock &)> &on_wait,
				 const std::function<void()> &before_release)
{
	std::optional<Clock::time_point> deadline;
	if (wait && *wait < max_duration)
		deadline = Clock::now() + *wait;

	std::size_t taken = 0;
	auto release_taken = [&] {
		for (std::size_t i = 0; i < taken; ++i)
			locks_[i].unlock();
	};

	for (auto &lock : locks_) {
		if (!lock.try_lock()) {
			if (!wait) {
				release_taken();
				return {Outcome::busy, &lock, 0};
			}
			on_wait(lock);
			int signo = 0;
			switch (wait_for(lock, deadline, signals, signo)) {
			case Wait::acquired:
				break;
			case Wait::timed_out:
				if (taken > 0 && before_release)
					before_release();
				release_taken();
				return {Outcome::timed_out, &lock, 0};
			case Wait::interrupted:
				if (taken > 0 && before_release)
					before_release();
				release_taken();
				return {Outcome::interrupted, &lock, signo};
			}
		}
		++taken;
	}
	return {Outcome::acquired, nullptr, 0};
}

} // namespace showguard
