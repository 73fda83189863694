// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <signal.h>
#include <sys/types.h>

#include "showguard/credentials.hpp"
#include "showguard/unique_fd.hpp"

namespace showguard {

// Everything needed to start the show, prepared before fork() so that the
// child only makes async-signal-safe calls between fork() and exec().
struct LaunchSpec {
	std::string program;            // resolved path to execve()
	std::vector<std::string> argv;  // argv[0] as the user gave it
	std::vector<std::string> env;   // "KEY=VALUE"
	Credentials credentials;
	std::string working_directory;  // empty: keep the guard's
	std::vector<int> inherited_fds; // lock descriptors the show keeps
	sigset_t signal_mask;           // restored in the show
	struct sigaction sigpipe;       // restored in the show
};

// How a process ended.
struct ExitStatus {
	int code = 0;   // exit code, if it exited
	int signal = 0; // signal number, if it died of one
	std::string failure; // not empty: it could not be started (code is the guard's status)

	// The guard's own exit status for this: the code, or 128+N.
	[[nodiscard]] int as_exit_code() const noexcept { return signal ? 128 + signal : code; }
	[[nodiscard]] bool success() const noexcept { return signal == 0 && code == 0; }
	// "exited with status 3", "killed by signal 9 (SIGKILL)", "could not be started: ..."
	[[nodiscard]] std::string describe() const;
};

// A running show's main process, owned through a pidfd so that a signal can
// never reach a recycled pid.
class ShowProcess {
public:
	// Forks and execs the show, in the guard's process group when the guard
	// is a terminal's foreground job, else in a group of its own
	// (in_terminal_foreground()). The returned process may still be between
	// fork and exec: exec_status_fd() reports how exec went.
	// Throws Error(os_error) if the process cannot be created.
	static ShowProcess launch(const LaunchSpec &spec);

	[[nodiscard]] pid_t pid() const noexcept { return pid_; }
	[[nodiscard]] int pidfd() const noexcept { return pidfd_.get(); }

	// Readable once exec() has happened (EOF) or failed; -1 once read.
	[[nodiscard]] int exec_status_fd() const noexcept { return exec_status_.get(); }

	enum class Start { pending, started, failed };
	// Reads how exec() went, once exec_status_fd() is readable.
	[[nodiscard]] Start read_exec_status();
	// After Start::failed: what failed, naming the program, user or directory.
	[[nodiscard]] const std::string &failure() const noexcept { return failure_; }
	[[nodiscard]] int failure_errno() const noexcept { return failure_errno_; }

	// Sends a signal through the pidfd; false if the process has gone.
	bool signal(int signo) noexcept;

	// The process that keeps the locks for a show of another user
	// (lock_keeper_needed), or 0. It is the guard's child too, and exits on
	// its own right after the show's main process.
	[[nodiscard]] pid_t keeper_pid() const noexcept { return keeper_pid_; }

private:
	ShowProcess(pid_t pid, UniqueFd pidfd, UniqueFd exec_status)
		: pid_(pid), pidfd_(std::move(pidfd)), exec_status_(std::move(exec_status)) {}

	pid_t pid_;
	UniqueFd pidfd_;
	UniqueFd exec_status_;
	std::string program_;
	std::string user_;
	std::string working_directory_;
	std::string failure_;
	int failure_errno_ = 0;
	pid_t keeper_pid_ = 0;
};

// Whether the show runs as another user, who must not get the lock
// descriptors (show_process.cpp says why), so a keeper process holds them.
[[nodiscard]] bool lock_keeper_needed(const LaunchSpec &spec) noexcept;

// Finds the program the way execvp() would, in the PATH of env, so that a
// missing or unexecutable program is reported before anything is locked.
// Throws Error(not_found) or Error(cannot_execute) naming the program.
[[nodiscard]] std::string resolve_program(const std::string &program, const std::vector<std::string> &env,
					  bool check_executable);

// pidfd_open(2) and pidfd_send_signal(2), which glibc 2.36 does not wrap.
[[nodiscard]] int pidfd_open(pid_t pid) noexcept;
int pidfd_send_signal(int pidfd, int signo) noexcept;

} // namespace showguard
