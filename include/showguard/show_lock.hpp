// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <sys/types.h>

#include "showguard/unique_fd.hpp"

namespace showguard {

// The directory that holds the lock files, opened once without following a
// symlink; every file in it is reached relative to this descriptor so a path
// swapped underneath us cannot redirect a write.
class LockDir {
public:
	// Opens path, creating it (mode 0755) and its parents if create is set.
	// Throws Error(cant_create) naming the path when it is missing, not a
	// directory, a symlink, owned by another user or writable by everyone.
	static LockDir open(const std::filesystem::path &path, bool create);

	// Opens an existing lock dir for reading (status, stop); nothing if it
	// does not exist, which just means no show ever ran there.
	static std::optional<LockDir> open_existing(const std::filesystem::path &path);

	[[nodiscard]] int fd() const noexcept { return fd_.get(); }
	[[nodiscard]] const std::filesystem::path &path() const noexcept { return path_; }

	// The sub-directory for resource locks ("resources"), same rules.
	[[nodiscard]] LockDir resources(bool create) const;

private:
	LockDir(UniqueFd fd, std::filesystem::path path) : fd_(std::move(fd)), path_(std::move(path)) {}

	UniqueFd fd_;
	std::filesystem::path path_;
};

// What a lock guards: a show, or a resource shared between shows.
enum class LockKind { show, resource };

[[nodiscard]] const char *to_string(LockKind kind) noexcept;

// One kernel flock(2) lock on DIR/NAME.lock. The file is never unlinked:
// removing it after release would let two guards lock two different inodes
// of the same path. A crashed holder's lock dies with its last descriptor.
class ShowLock {
public:
	// Opens (creating, mode 0600) the lock file without locking it.
	// Throws Error(cant_create) when it is a symlink, not a regular file or
	// owned by another user.
	ShowLock(const LockDir &dir, LockKind kind, std::string name);

	ShowLock(ShowLock &&) noexcept = default;
	ShowLock &operator=(ShowLock &&) noexcept = default;

	// Takes the lock if it is free; false if someone else holds it. With
	// the flock, takes an OFD read lock on the same open file: a marker that
	// /proc/locks shows in every PID namespace (see ProcLocks).
	[[nodiscard]] bool try_lock();
	// Lets go of both.
	void unlock() noexcept;

	[[nodiscard]] int fd() const noexcept { return fd_.get(); }
	[[nodiscard]] LockKind kind() const noexcept { return kind_; }
	[[nodiscard]] const std::string &name() const noexcept { return name_; }
	[[nodiscard]] const std::filesystem::path &path() const noexcept { return path_; }
	[[nodiscard]] dev_t device() const noexcept { return dev_; }
	[[nodiscard]] ino_t inode() const noexcept { return ino_; }

	// Leaves the descriptor open for the rest of the process's life; for a
	// lock a helper thread may still be blocked on when the guard gives up.
	void abandon() noexcept { (void)fd_.release(); }

private:
	LockKind kind_;
	std::string name_;
	std::filesystem::path path_;
	UniqueFd fd_;
	dev_t dev_ = 0;
	ino_t ino_ = 0;
};

// File names inside a LockDir.
[[nodiscard]] std::string lock_file_name(const std::string &name);
[[nodiscard]] std::string record_file_name(const std::string &name);

} // namespace showguard
