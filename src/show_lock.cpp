// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/show_lock.hpp"

#include <cerrno>
#include <climits>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "showguard/error.hpp"

namespace showguard {

namespace {

constexpr mode_t lock_dir_mode = 0755;
constexpr mode_t lock_file_mode = 0600;

[[noreturn]] void dir_error(const std::filesystem::path &path, const std::string &problem)
{
	throw Error(ExitCode::cant_create, "lock dir " + path.string() + " " + problem);
}

// mkdir -p with mode 0755. Returns true if the last component was created.
bool make_directories(const std::filesystem::path &path)
{
	// A path the kernel cannot take is refused before any parent is made,
	// so a failed start leaves no half-built tree behind.
	if (path.native().size() >= PATH_MAX)
		throw SystemError(ExitCode::cant_create, ENAMETOOLONG, "cannot create lock dir " + path.string());
	bool created = false;
	std::filesystem::path prefix;
	for (const auto &part : path) {
		prefix /= part;
		if (part == "/" || part.empty())
			continue;
		if (::mkdir(prefix.c_str(), lock_dir_mode) == 0) {
			created = true;
			continue;
		}
		created = false;
		if (errno == EEXIST)
			continue;
		throw SystemError(ExitCode::cant_create, errno, "cannot create lock dir " + prefix.string());
	}
	return created;
}

UniqueFd open_directory(const std::filesystem::path &path, int parent_fd, const char *relative)
{
	const int fd = relative ? ::openat(parent_fd, relative, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
				: ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return UniqueFd(fd);
	if (errno == ELOOP)
		dir_error(path, "is a symlink; give the directory it points to");
	if (errno == ENOTDIR) {
		// O_NOFOLLOW|O_DIRECTORY reports a symlink to a directory as ENOTDIR
		// on some kernels; tell the two apart for the message.
		struct stat st;
		if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
			dir_error(path, "is a symlink; give the directory it points to");
		dir_error(path, "is not a directory");
	}
	throw SystemError(ExitCode::cant_create, errno, "cannot open lock dir " + path.string());
}

void check_directory(int fd, const std::filesystem::path &path, bool created)
{
	struct stat st;
	if (::fstat(fd, &st) < 0)
		throw SystemError(ExitCode::cant_create, errno, "cannot stat lock dir " + path.string());
	if (st.st_uid != ::geteuid() && st.st_uid != 0)
		dir_error(path, "belongs to uid " + std::to_string(st.st_uid) +
					", not to you (uid " + std::to_string(::geteuid()) +
					") or root; anyone who owns it could block your shows");
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		dir_error(path, "is writable by everyone; use a directory only you (or root) can write");
	// mkdir() honoured the umask; readers of the status records need 0755.
	if (created && (st.st_mode & 07777) != lock_dir_mode)
		(void)::fchmod(fd, lock_dir_mode);
}

} // namespace

LockDir LockDir::open(const std::filesystem::path &path, bool create)
{
	const bool created = create && make_directories(path);
	UniqueFd fd = open_directory(path, -1, nullptr);
	check_directory(fd.get(), path, created);
	return LockDir(std::move(fd), path);
}

std::optional<LockDir> LockDir::open_existing(const std::filesystem::path &path)
{
	try {
		return open(path, false);
	} catch (const SystemError &e) {
		if (e.error_number() != ENOENT)
			throw;
	}
	return std::nullopt;
}

LockDir LockDir::resources(bool create) const
{
	const std::filesystem::path sub = path_ / "resources";
	bool created = false;
	if (create) {
		if (::mkdirat(fd_.get(), "resources", lock_dir_mode) == 0)
			created = true;
		else if (errno != EEXIST)
			throw SystemError(ExitCode::cant_create, errno, "cannot create lock dir " + sub.string());
	}
	UniqueFd fd = open_directory(sub, fd_.get(), "resources");
	check_directory(fd.get(), sub, created);
	return LockDir(std::move(fd), sub);
}

const char *to_string(LockKind kind) noexcept
{
	return kind == LockKind::show ? "show" : "resource";
}

std::string lock_file_name(const std::string &name)
{
	return name + ".lock";
}

std::string record_file_name(const std::string &name)
{
	return name + ".state";
}

ShowLock::ShowLock(const LockDir &dir, LockKind kind, std::string name)
	: kind_(kind), name_(std::move(name)), path_(dir.path() / lock_file_name(name_))
{
	const std::string file = lock_file_name(name_);
	// O_RDONLY is all flock(2) needs, so nothing can ever be written through
	// this descriptor. O_NOFOLLOW refuses a planted symlink; O_NONBLOCK keeps
	// a planted FIFO from hanging the open; 0600 keeps other users from
	// opening the file and holding the lock to block the show.
	const int fd = ::openat(dir.fd(), file.c_str(),
				O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, lock_file_mode);
	if (fd < 0) {
		if (errno == ELOOP)
			throw Error(ExitCode::cant_create,
				    "lock file " + path_.string() + " is a symlink; refusing to follow it (remove it)");
		if (errno == EISDIR)
			throw Error(ExitCode::cant_create,
				    "lock file " + path_.string() + " is a directory, not a regular file (remove it)");
		throw SystemError(ExitCode::cant_create, errno, "cannot open lock file " + path_.string());
	}
	fd_.reset(fd);

	struct stat st;
	if (::fstat(fd, &st) < 0)
		throw SystemError(ExitCode::cant_create, errno, "cannot stat lock file " + path_.string());
	if (!S_ISREG(st.st_mode))
		throw Error(ExitCode::cant_create,
			    "lock file " + path_.string() + " is not a regular file (remove it)");
	if (st.st_uid != ::geteuid())
		throw Error(ExitCode::cant_create, "lock file " + path_.string() + " belongs to uid " +
							   std::to_string(st.st_uid) + ", not to you (uid " +
							   std::to_string(::geteuid()) + "); remove it");
	if ((st.st_mode & 0077) != 0)
		(void)::fchmod(fd, lock_file_mode);
	dev_ = st.st_dev;
	ino_ = st.st_ino;
}

namespace {

// An OFD (open file description) lock over the whole file, or its removal.
// OFD locks belong to the open file like flock's, so the marker lives and
// dies with the lock: inherited by the show, gone with the last descriptor.
int set_ofd_lock(int fd, short type) noexcept
{
	struct flock marker {};
	marker.l_type = type;
	marker.l_whence = SEEK_SET;
	marker.l_start = 0;
	marker.l_len = 0;
	return ::fcntl(fd, F_OFD_SETLK, &marker);
}

} // namespace

bool ShowLock::try_lock()
{
	while (::flock(fd_.get(), LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return false;
		if (errno != EINTR)
			throw SystemError(ExitCode::os_error, errno, "cannot lock " + path_.string());
	}
	// /proc/locks hides a flock whose holder is outside the reader's PID
	// namespace, but lists every OFD lock, with pid -1, in every namespace:
	// so status and stop in a container still see the show held. The
	// marker is only read, never contended: only a holder of the flock
	// takes it, and a read lock conflicts with nobody else's read lock.
	// A kernel without OFD locks (before 3.15) only loses that view.
	(void)set_ofd_lock(fd_.get(), F_RDLCK);
	return true;
}

void ShowLock::unlock() noexcept
{
	(void)set_ofd_lock(fd_.get(), F_UNLCK);
	(void)::flock(fd_.get(), LOCK_UN);
}

} // namespace showguard
