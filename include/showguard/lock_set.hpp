// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "showguard/duration.hpp"
#include "showguard/show_lock.hpp"
#include "showguard/signals.hpp"

namespace showguard {

// A show's lock and the locks of the resources it uses, always taken in one
// order: the show first, then resources sorted by name. Every guard follows
// the same total order, so no two guards can ever wait for each other in a
// cycle. A guard that is refused, times out or is stopped while waiting
// keeps none of them.
class LockSet {
public:
	// Opens (creating) every lock file; locks nothing yet.
	LockSet(const LockDir &dir, const std::string &show, std::vector<std::string> resources);

	enum class Outcome { acquired, busy, timed_out, interrupted };
	struct Result {
		Outcome outcome;
		const ShowLock *blocker = nullptr; // the lock that was busy
		int signo = 0;                     // for interrupted
	};

	// Takes every lock. Without wait, a busy lock is refused at once; with
	// it, waits at most that long (max_duration: for as long as it takes),
	// calling on_wait once for each lock it has to wait for. A stop signal
	// (SIGTERM, SIGINT; from a terminal also SIGQUIT, SIGHUP) ends the wait.
	// Giving up a wait with locks already taken, calls before_release while
	// they are still held (to put back what on_wait wrote under them).
	[[nodiscard]] Result acquire(std::optional<Duration> wait, SignalFd &signals,
				     const std::function<void(const ShowLock &)> &on_wait,
				     const std::function<void()> &before_release = {});

	[[nodiscard]] const ShowLock &show() const noexcept { return locks_.front(); }
	[[nodiscard]] const std::vector<ShowLock> &locks() const noexcept { return locks_; }
	[[nodiscard]] const LockDir &show_dir() const noexcept { return dir_; }
	// The directory holding lock's file (the lock dir or its resources/).
	[[nodiscard]] const LockDir &dir_of(const ShowLock &lock) const noexcept;
	[[nodiscard]] std::vector<std::string> resource_names() const;
	[[nodiscard]] std::vector<int> fds() const;

private:
	const LockDir &dir_;
	std::optional<LockDir> resource_dir_;
	std::vector<ShowLock> locks_;
};

} // namespace showguard
