// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <sys/types.h>

namespace showguard {

// The kernel's own list of flock(2) locks, from /proc/locks. Anyone may
// read it, so it tells an unprivileged user whether a root-owned lock file
// is held (and by which process) without opening the file, and without
// taking the lock even for a moment, which could make a starting guard
// believe its show busy.
class ProcLocks {
public:
	// Reads /proc/locks (or the given text, for tests).
	static ProcLocks read();
	static ProcLocks parse(std::string_view text);

	// The pid that took the exclusive flock on (dev, ino), if it is held.
	// The pid is the process that called flock(); the lock itself belongs to
	// the open file, so it may outlive that process (the show inherits it).
	[[nodiscard]] std::optional<pid_t> holder(dev_t dev, ino_t ino) const;

	// Whether (dev, ino) carries a guard's OFD marker (ShowLock::try_lock).
	// The kernel lists a flock only to readers in a PID namespace where its
	// holder's pid exists, so from a container a show held on the host looks
	// free; it lists OFD locks to everyone, with pid -1. A marked file with
	// no visible holder is held by a guard outside this namespace.
	//
	// Why a marker rather than a trial lock on the file: a trial flock, even
	// LOCK_SH|LOCK_NB released at once, holds the lock for a moment, and a
	// guard starting in that moment (LOCK_EX|LOCK_NB) would be refused as
	// busy; F_GETLK, which takes nothing, does not see flocks at all; and a
	// trial needs the lock file open, which 0600 allows only its owner.
	// Reading the marker in /proc/locks takes nothing and needs no access.
	[[nodiscard]] bool marked(dev_t dev, ino_t ino) const;

private:
	struct Key {
		unsigned major;
		unsigned minor;
		unsigned long long ino;
		bool operator==(const Key &) const = default;
	};
	struct KeyHash {
		std::size_t operator()(const Key &k) const noexcept
		{
			return std::hash<unsigned long long>()(k.ino ^ (static_cast<unsigned long long>(k.major) << 40) ^
							      (static_cast<unsigned long long>(k.minor) << 20));
		}
	};
	std::unordered_map<Key, pid_t, KeyHash> holders_;
	std::unordered_set<Key, KeyHash> marked_;
};

// Whether process pid still has the file (dev, ino) open. The pid that
// /proc/locks names stays there after that process has died while others
// keep the lock's open file (the show of a guard killed with SIGKILL), and
// may by then name an unrelated process that reused it; a process that has
// the lock file open is the holder, or one of its show's processes. Where
// /proc/PID/fd cannot be read (another user's process), says yes if the
// process exists: the caller cannot signal it either.
[[nodiscard]] bool has_file_open(pid_t pid, dev_t dev, ino_t ino);

// Whether process pid runs the same program as this one: a showguard guard,
// even one that has written no status record yet (it is still waiting for a
// resource). flock(1), or any process that opened a lock file, is not.
[[nodiscard]] bool runs_this_program(pid_t pid);

} // namespace showguard
