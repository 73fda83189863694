// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/show_process.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "showguard/error.hpp"
#include "showguard/show_name.hpp"
#include "showguard/signals.hpp"

namespace showguard {

namespace {

// What the child reports through the exec-status pipe when it cannot exec.
enum class Stage : int { credentials = 1, working_directory = 2, exec = 3, orphaned = 4, interpreter = 5 };

struct ChildReport {
	Stage stage;
	int error;
};

// Runs in the child between fork() and exec(): async-signal-safe calls only,
// no allocation, no exceptions, no logging.
[[noreturn]] void child_fail(int pipe_fd, Stage stage, int error) noexcept
{
	const ChildReport report{stage, error};
	(void)!::write(pipe_fd, &report, sizeof(report));
	::_exit(stage == Stage::exec && error == ENOENT ? 127 : 126);
}

[[noreturn]] void run_child(const LaunchSpec &spec, char *const argv[], char *const envp[], int pipe_fd,
			    pid_t guard_pid, bool inherit_locks, bool own_group) noexcept
{
	// Here and in the parent (whichever runs first), as shells do, so that
	// no group signal aimed at the guard reaches the show once it runs.
	if (own_group)
		(void)::setpgid(0, 0);
	const Credentials &c = spec.credentials;
	if (c.change_user || c.change_group) {
		if (::setgroups(c.groups.size(), c.groups.data()) < 0 || ::setgid(c.gid) < 0)
			child_fail(pipe_fd, Stage::credentials, errno);
	}
	if (c.change_user && ::setuid(c.uid) < 0)
		child_fail(pipe_fd, Stage::credentials, errno);

	// After the credential change, which clears it. If the guard is killed,
	// even with SIGKILL, the show is asked to stop; the lock stays held
	// through the inherited descriptors below until its last process exits.
	(void)::prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (::getppid() != guard_pid)
		child_fail(pipe_fd, Stage::orphaned, ESRCH);

	// The one deliberate descriptor leak: the show keeps the lock file open
	// so the lock outlives a guard killed outright, for as long as any
	// process of the show is alive. (flock(1) and s6-setlock do the same.)
	// Not to a show of another user: see lock_keeper_needed().
	if (inherit_locks)
		for (int fd : spec.inherited_fds)
			(void)::fcntl(fd, F_SETFD, 0);

	if (!spec.working_directory.empty() && ::chdir(spec.working_directory.c_str()) < 0)
		child_fail(pipe_fd, Stage::working_directory, errno);

	(void)::sigaction(SIGPIPE, &spec.sigpipe, nullptr);
	(void)::sigprocmask(SIG_SETMASK, &spec.signal_mask, nullptr);

	::execve(spec.program.c_str(), argv, envp);
	// ENOENT from execve() also means a missing #! interpreter (or ELF
	// loader): then the program was found but cannot be executed, 126,
	// as the exit contract says; 127 only if the program itself is gone
	// (deleted before a restart).
	const int error = errno;
	if (error == ENOENT && ::access(spec.program.c_str(), F_OK) == 0)
		child_fail(pipe_fd, Stage::interpreter, error);
	child_fail(pipe_fd, Stage::exec, error);
}

// The lock keeper, between fork and _exit: async-signal-safe calls only.
// It keeps the lock descriptors and the show's pidfd, nothing else (not
// the guard's sockets, not its stderr), and exits once the show's main
// process has: the kernel's pidfd poll works for a process that is not its
// child, and goes on working after the guard is gone. Signals stay blocked
// as the guard's were, so a signal meant for a stopping show does not end
// it early; SIGKILL, the unit's cgroup, still does.
[[noreturn]] void run_lock_keeper(const std::vector<int> &lock_fds, int show_pidfd) noexcept
{
	(void)::prctl(PR_SET_NAME, "showguard-lock", 0, 0, 0);
	unsigned first = 0;
	for (;;) {
		// The lowest descriptor to keep at or above first.
		unsigned keep = ~0U;
		for (int fd : lock_fds)
			if (static_cast<unsigned>(fd) >= first && static_cast<unsigned>(fd) < keep)
				keep = static_cast<unsigned>(fd);
		if (static_cast<unsigned>(show_pidfd) >= first && static_cast<unsigned>(show_pidfd) < keep)
			keep = static_cast<unsigned>(show_pidfd);
		if (keep > first)
			(void)::syscall(SYS_close_range, first, keep - 1, 0U);
		if (keep == ~0U)
			break;
		first = keep + 1;
	}
	pollfd p{show_pidfd, POLLIN, 0};
	while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
	}
	::_exit(0);
}

std::vector<char *> c_strings(const std::vector<std::string> &strings)
{
	std::vector<char *> out;
	out.reserve(strings.size() + 1);
	for (const auto &s : strings)
		out.push_back(const_cast<char *>(s.c_str()));
	out.push_back(nullptr);
	return out;
}

std::string path_of(const std::vector<std::string> &env)
{
	for (const auto &entry : env)
		if (entry.rfind("PATH=", 0) == 0)
			return entry.substr(5);
	return "/usr/local/bin:/usr/bin:/bin";
}

} // namespace

// A show of another user than the guard's does not get the lock
// descriptors: any process of that user could copy them out of the show
// (pidfd_getfd(2), ptrace) and unlock the lock, so that a second root guard
// starts the same show, or keep it for ever, so that no root guard ever can.
// Yet the lock must outlive a guard killed outright for as long as its show
// runs. So a small keeper process with the guard's credentials, which the
// show's user can neither ptrace nor signal, keeps them instead, and lets
// them go once the show's main process has exited. The price, for such shows
// only: after SIGKILL of the guard, a daemon the show detached no longer
// keeps the lock held (under systemd the unit's cgroup ends it anyway).
bool lock_keeper_needed(const LaunchSpec &spec) noexcept
{
	return spec.credentials.change_user && spec.credentials.uid != ::geteuid();
}

int pidfd_open(pid_t pid) noexcept
{
	return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

int pidfd_send_signal(int pidfd, int signo) noexcept
{
	return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signo, nullptr, 0));
}

std::string ExitStatus::describe() const
{
	if (!failure.empty())
		return "could not be started: " + failure;
	if (signal) {
		const char *abbrev = ::sigabbrev_np(signal);
		return "killed by signal " + std::to_string(signal) + (abbrev ? std::string(" (SIG") + abbrev + ")" : "");
	}
	return "exited with status " + std::to_string(code);
}

ShowProcess ShowProcess::launch(const LaunchSpec &spec)
{
	std::vector<char *> argv = c_strings(spec.argv);
	std::vector<char *> envp = c_strings(spec.env);

	int pipe_fds[2];
	if (::pipe2(pipe_fds, O_CLOEXEC) < 0)
		throw_errno(ExitCode::os_error, "cannot create pipe for " + spec.program);
	UniqueFd read_end(pipe_fds[0]);
	(void)::fcntl(read_end.get(), F_SETFL, O_NONBLOCK);
	UniqueFd write_end(pipe_fds[1]);

	const pid_t guard_pid = ::getpid();
	const bool keeper = lock_keeper_needed(spec); // asked before the child changes its uid
	const bool own_group = !in_terminal_foreground();
	const pid_t pid = ::fork();
	if (pid < 0)
		throw_errno(ExitCode::os_error, "cannot start " + spec.program);
	if (pid == 0)
		run_child(spec, argv.data(), envp.data(), write_end.get(), guard_pid, !keeper, own_group);
	if (own_group)
		(void)::setpgid(pid, pid);

	write_end.reset();
	// The child is ours and not yet reaped, so this pid cannot have been
	// recycled: the pidfd refers to the show.
	UniqueFd pidfd(pidfd_open(pid));
	if (!pidfd) {
		const int err = errno;
		::kill(pid, SIGKILL);
		errno = err;
		throw_errno(ExitCode::os_error, "cannot open pidfd of show pid " + std::to_string(pid));
	}
	ShowProcess process(pid, std::move(pidfd), std::move(read_end));
	if (keeper) {
		const pid_t keeper_pid = ::fork();
		if (keeper_pid < 0) {
			const int err = errno;
			::kill(pid, SIGKILL);
			errno = err;
			throw_errno(ExitCode::os_error, "cannot start the lock keeper of show pid " + std::to_string(pid));
		}
		if (keeper_pid == 0)
			run_lock_keeper(spec.inherited_fds, process.pidfd());
		process.keeper_pid_ = keeper_pid;
	}
	process.program_ = spec.program;
	process.user_ = spec.credentials.change_user ? spec.credentials.user_name : "";
	process.working_directory_ = spec.working_directory;
	return process;
}

ShowProcess::Start ShowProcess::read_exec_status()
{
	ChildReport report{};
	ssize_t n;
	do
		n = ::read(exec_status_.get(), &report, sizeof(report));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return Start::pending;
	exec_status_.reset();
	if (n != static_cast<ssize_t>(sizeof(report)))
		return Start::started;

	failure_errno_ = report.error;
	const std::string reason = std::strerror(report.error);
	switch (report.stage) {
	case Stage::credentials:
		failure_ = "cannot run the show as user " + user_ + ": " + reason;
		break;
	case Stage::working_directory:
		failure_ = "cannot enter working directory " + working_directory_ + ": " + reason;
		break;
	case Stage::orphaned:
		failure_ = "the guard went away before the show started";
		break;
	case Stage::exec:
		failure_ = "cannot execute " + program_ + ": " + reason;
		break;
	case Stage::interpreter:
		failure_ = "cannot execute " + program_ + ": its interpreter (#! line) or loader does not exist";
		break;
	}
	return Start::failed;
}

bool ShowProcess::signal(int signo) noexcept
{
	return pidfd_send_signal(pidfd_.get(), signo) == 0;
}

std::string resolve_program(const std::string &program, const std::vector<std::string> &env, bool check_executable)
{
	auto check = [&](const std::string &path) {
		struct stat st;
		if (::stat(path.c_str(), &st) < 0) {
			const int err = errno;
			if (err == ENOENT || err == ENOTDIR)
				throw Error(ExitCode::not_found, "show program " + printable(path) + " does not exist");
			throw SystemError(ExitCode::cannot_execute, err, "cannot run show program " + printable(path));
		}
		if (S_ISDIR(st.st_mode))
			throw Error(ExitCode::cannot_execute,
				    "show program " + printable(path) + " is a directory, not a program");
		if (check_executable && ::access(path.c_str(), X_OK) < 0)
			throw Error(ExitCode::cannot_execute,
				    "show program " + printable(path) + " is not executable (chmod +x?)");
	};

	if (program.empty())
		throw Error(ExitCode::not_found, "the show's program is an empty string");
	if (program.find('/') != std::string::npos) {
		check(program);
		return program;
	}

	const std::string search = path_of(env);
	std::size_t start = 0;
	std::optional<std::string> found_but_unusable;
	for (;;) {
		const auto colon = search.find(':', start);
		std::string dir = search.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
		if (dir.empty())
			dir = ".";
		const std::string candidate = dir + "/" + program;
		struct stat st;
		if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
			if (!check_executable || ::access(candidate.c_str(), X_OK) == 0)
				return candidate;
			if (!found_but_unusable)
				found_but_unusable = candidate;
		}
		if (colon == std::string::npos)
			break;
		start = colon + 1;
	}
	if (found_but_unusable)
		throw Error(ExitCode::cannot_execute,
			    "show program " + printable(*found_but_unusable) + " is not executable (chmod +x?)");
	throw Error(ExitCode::not_found, "show program " + printable(program) + " not found in PATH (" + search + ")");
}

} // namespace showguard
