// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/proc_locks.hpp"

#include <cerrno>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <string>

#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace showguard {

ProcLocks ProcLocks::read()
{
	std::ifstream in("/proc/locks");
	std::stringstream text;
	text << in.rdbuf();
	return parse(text.str());
}

ProcLocks ProcLocks::parse(std::string_view text)
{
	// Lines look like
	//   "3: FLOCK  ADVISORY  WRITE 1234 00:19:5678 0 EOF"
	// and blocked waiters like
	//   "3: -> FLOCK  ADVISORY  WRITE 1240 00:19:5678 0 EOF"
	// Only granted, exclusive FLOCK entries name a holder; a granted OFD
	// entry ("OFDLCK ADVISORY READ -1 ...") is a guard's marker.
	ProcLocks locks;
	while (!text.empty()) {
		const auto eol = text.find('\n');
		const std::string line(text.substr(0, eol));
		text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);

		char type[16] = {};
		char mode[16] = {};
		char access[16] = {};
		int pid = 0;
		unsigned major = 0;
		unsigned minor = 0;
		unsigned long long ino = 0;
		if (line.find("->") != std::string::npos)
			continue;
		if (std::sscanf(line.c_str(), "%*d: %15s %15s %15s %d %x:%x:%llu", type, mode, access, &pid,
				&major, &minor, &ino) != 7)
			continue;
		if (std::string_view(type) == "OFDLCK") {
			locks.marked_.insert(Key{major, minor, ino});
			continue;
		}
		if (std::string_view(type) != "FLOCK" || std::string_view(access) != "WRITE")
			continue;
		locks.holders_[Key{major, minor, ino}] = static_cast<pid_t>(pid);
	}
	return locks;
}

std::optional<pid_t> ProcLocks::holder(dev_t dev, ino_t ino) const
{
	const auto it = holders_.find(Key{::major(dev), ::minor(dev), static_cast<unsigned long long>(ino)});
	if (it == holders_.end())
		return std::nullopt;
	return it->second;
}

bool ProcLocks::marked(dev_t dev, ino_t ino) const
{
	return marked_.contains(Key{::major(dev), ::minor(dev), static_cast<unsigned long long>(ino)});
}

bool has_file_open(pid_t pid, dev_t dev, ino_t ino)
{
	if (pid <= 0)
		return false;
	const std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd";
	const int dir_fd = ::open(fd_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return errno == EACCES && (::kill(pid, 0) == 0 || errno == EPERM);
	DIR *dir = ::fdopendir(dir_fd);
	if (!dir) {
		::close(dir_fd);
		return false;
	}
	bool found = false;
	while (const dirent *entry = ::readdir(dir)) {
		struct stat st;
		// Follows the magic link to the open file itself.
		if (entry->d_name[0] != '.' && ::fstatat(dir_fd, entry->d_name, &st, 0) == 0 && st.st_dev == dev &&
		    st.st_ino == ino) {
			found = true;
			break;
		}
	}
	::closedir(dir);
	return found;
}

bool runs_this_program(pid_t pid)
{
	struct stat self, other;
	const std::string exe = "/proc/" + std::to_string(pid) + "/exe";
	return pid > 0 && ::stat("/proc/self/exe", &self) == 0 && ::stat(exe.c_str(), &other) == 0 &&
	       self.st_dev == other.st_dev && self.st_ino == other.st_ino;
}

} // namespace showguard
