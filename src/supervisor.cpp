// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/supervisor.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <string>

#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "showguard/error.hpp"

namespace showguard {

namespace {

// The "NSpid:" line of /proc/PID/status (or of thread-self): the process's
// pid in each PID namespace it belongs to, from the proc mount's down.
std::vector<pid_t> namespace_pids(const std::string &proc_entry)
{
	std::ifstream in("/proc/" + proc_entry + "/status");
	std::string line;
	while (std::getline(in, line)) {
		if (line.rfind("NSpid:", 0) != 0)
			continue;
		std::vector<pid_t> pids;
		std::istringstream fields(line.substr(6));
		pid_t pid;
		while (fields >> pid)
			pids.push_back(pid);
		return pids;
	}
	return {};
}

// This process's pid as the proc mount numbers it; 0 if unknown.
pid_t proc_self_pid()
{
	char link[32] = {};
	pid_t pid = 0;
	if (::readlink("/proc/self", link, sizeof(link) - 1) > 0)
		(void)std::from_chars(link, link + std::strlen(link), pid);
	return pid;
}

// Pids read from /proc are numbered in the proc mount's PID namespace, which
// need not be the guard's (unshare --pid without --mount-proc); pidfd_open()
// and kill() take the guard's numbering. Translates through NSpid; drops
// what cannot be translated (a process that did not exit then keeps the
// lock held through its inherited descriptor all the same).
std::vector<pid_t> in_own_namespace(std::vector<pid_t> pids)
{
	if (proc_self_pid() == ::getpid())
		return pids;
	const std::size_t level = namespace_pids("thread-self").size();
	std::vector<pid_t> own;
	for (pid_t pid : pids)
		if (const auto ns = namespace_pids(std::to_string(pid)); level > 0 && ns.size() >= level)
			own.push_back(ns[level - 1]);
	return own;
}

// The guard's children: the show, and as a subreaper, whatever the show's
// processes left behind when their parents exited.
std::vector<pid_t> list_children()
{
	std::vector<pid_t> children;
	// Not "/proc/<getpid()>/...": in a PID namespace that sees another
	// namespace's /proc (unshare --pid without --mount-proc), getpid() names
	// some other process there, whose children would never go away. The
	// proc mount resolves thread-self (and self) in its own namespace. The
	// guard forks the show and reads this from its main thread, the thread
	// the kernel also re-parents orphans to.
	std::ifstream in("/proc/thread-self/children");
	if (in) {
		pid_t pid;
		while (in >> pid)
			children.push_back(pid);
		return in_own_namespace(std::move(children));
	}

	// Kernels without CONFIG_PROC_CHILDREN: find them by parent pid, our
	// pid as this /proc numbers it.
	const pid_t self = proc_self_pid();
	if (self == 0)
		return children;
	DIR *proc = ::opendir("/proc");
	if (!proc)
		return children;
	while (const dirent *entry = ::readdir(proc)) {
		pid_t pid = 0;
		const std::string_view name = entry->d_name;
		auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
		if (ec != std::errc{} || p != name.data() + name.size())
			continue;
		std::ifstream stat("/proc/" + std::string(name) + "/stat");
		std::string line;
		std::getline(stat, line);
		// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
		const auto close = line.rfind(')');
		if (close == std::string::npos)
			continue;
		char state = 0;
		pid_t ppid = 0;
		if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == self)
			children.push_back(pid);
	}
	::closedir(proc);
	return in_own_namespace(std::move(children));
}

bool signal_child(pid_t pid, int signo)
{
	// pid is our child and not yet reaped, so it cannot have been recycled.
	UniqueFd pidfd(pidfd_open(pid));
	if (!pidfd || pidfd_send_signal(pidfd.get(), signo) < 0)
		return false;
	// A stopped process keeps a SIGTERM pending and never runs its handler
	// (its blackout) until SIGKILL ends it at the kill timeout: continue it
	// right after, as systemd and s6-supervise do.
	if (is_stop_signal(signo))
		(void)pidfd_send_signal(pidfd.get(), SIGCONT);
	return true;
}

const char *signal_name(int signo)
{
	const char *abbrev = ::sigabbrev_np(signo);
	return abbrev ? abbrev : "?";
}

// SIGTERM or SIGINT queued for the guard and not yet read, or 0. Left
// queued: the guard exits without reading it.
int pending_stop_signal()
{
	sigset_t pending;
	if (::sigpending(&pending) < 0)
		return 0;
	for (int signo : {SIGTERM, SIGINT})
		if (sigismember(&pending, signo))
			return signo;
	return 0;
}

} // namespace

const char *to_string(ShowState state) noexcept
{
	switch (state) {
	case ShowState::armed:
		return "armed";
	case ShowState::starting:
		return "starting";
	case ShowState::running:
		return "running";
	case ShowState::stopping:
		return "stopping";
	case ShowState::restart_wait:
		return "restarting";
	case ShowState::finished:
		return "finished";
	}
	return "?";
}

void ListenerList::show_changed(const ShowEvent &event)
{
	for (auto *listener : listeners_)
		listener->show_changed(event);
}

std::optional<TimePoint> ListenerList::next_deadline() const
{
	std::optional<TimePoint> earliest;
	for (const auto *listener : listeners_)
		if (auto d = listener->next_deadline(); d && (!earliest || *d < *earliest))
			earliest = d;
	return earliest;
}

void ListenerList::on_deadline(TimePoint now)
{
	for (auto *listener : listeners_)
		if (auto d = listener->next_deadline(); d && *d <= now)
			listener->on_deadline(now);
}

void ListenerList::add_output_fds(std::vector<pollfd> &fds) const
{
	for (const auto *listener : listeners_)
		listener->add_output_fds(fds);
}

void ListenerList::output_ready(std::span<const pollfd> fds)
{
	for (auto *listener : listeners_)
		listener->output_ready(fds);
}

Supervisor::Supervisor(const GuardOptions &options, LaunchSpec spec, SignalFd &signals, ShowListener &listener,
		       LoopSource *lock_source, ShowButton *button)
	: options_(options), spec_(std::move(spec)), signals_(signals), listener_(listener), lock_source_(lock_source),
	  button_(button)
{
}

int Supervisor::run()
{
	// Orphans of the show's processes are re-parented to us rather than to
	// init, so we can wait for them before releasing the lock.
	// Only user-mode emulators (qemu-user) refuse this; a real kernel since
	// 3.4 does not. Without it the show itself is still guarded, but what it
	// leaves behind escapes to init.
	if (::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		spdlog::warn("show {}: cannot become a child subreaper ({}); processes the show leaves behind "
			     "will not be stopped",
			     options_.show, std::strerror(errno));

	// A stop that came while the locks were taken (or the LED and record set
	// up) is still queued on the signalfd: starting the show now would run
	// it, and light its LED, only to stop it.
	if (const int signo = pending_stop_signal()) {
		spdlog::info("show {}: stopped by SIG{} before the show started", options_.show, signal_name(signo));
		finish(128 + signo);
		return *exit_code_;
	}
	if (button_ && options_.button_action == ButtonAction::toggle)
		arm();
	else
		start_show();
	std::vector<pollfd> fds;
	while (!done_) {
		// The button's edges are kernel events on this one loop, like the signals.
		fds.assign({{signals_.fd(), POLLIN, 0}, {-1, POLLIN, 0}, {button_ ? button_->fd() : -1, POLLIN, 0}});
		if (show_ && show_->exec_status_fd() >= 0)
			fds[1].fd = show_->exec_status_fd();
		if (lock_source_)
			lock_source_->add_poll_fds(fds);
		const std::size_t listener_fds = fds.size();
		listener_.add_output_fds(fds);

		int timeout = -1;
		if (const auto deadline = next_deadline()) {
			const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
			timeout = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 24 * 3600 * 1000));
		}
		if (::poll(fds.data(), fds.size(), timeout) < 0) {
			if (errno == EINTR)
				continue;
			throw_errno(ExitCode::os_error, "poll failed");
		}
		if (fds[1].revents && show_)
			exec_status_ready();
		if (fds[0].revents) {
			while (auto info = signals_.read()) {
				handle_signal(*info);
				if (done_)
					break;
			}
		}
		if (!done_ && fds[2].revents && button_)
			read_button();
		if (!done_ && lock_source_) {
			lock_source_->handle_poll(std::span(fds).subspan(3, listener_fds - 3), Clock::now());
			check_lock_source();
		}
		listener_.output_ready(std::span(fds).subspan(listener_fds));
		if (!done_)
			deadline_reached(Clock::now());
	}
	return *exit_code_;
}

std::optional<TimePoint> Supervisor::next_deadline() const
{
	std::optional<TimePoint> earliest = listener_.next_deadline();
	const std::optional<TimePoint> lock_deadline = lock_source_ ? lock_source_->next_deadline() : std::nullopt;
	const std::optional<TimePoint> button_deadline = button_ ? button_->next_deadline() : std::nullopt;
	for (const auto &d : {kill_deadline_, restart_at_, lock_deadline, button_deadline})
		if (d && (!earliest || *d < *earliest))
			earliest = d;
	return earliest;
}

void Supervisor::notify(ShowState state)
{
	state_ = state;
	ShowEvent event{state, show_ ? show_->pid() : 0, restarts_, last_exit_, options_.restart_delay,
			state == ShowState::stopping && button_stop_ && *button_stop_ != ButtonStop::exit};
	listener_.show_changed(event);
}

void Supervisor::start_show()
{
	exec_failed_ = false;
	killed_ = false;
	show_.emplace(ShowProcess::launch(spec_));
	keeper_pid_ = show_->keeper_pid();
	spdlog::debug("show {}: started pid {} ({})", options_.show, show_->pid(), spec_.program);
	notify(ShowState::starting);
}

// A restart that cannot even fork (RLIMIT_NPROC, no memory, no descriptor
// left) is a run that failed: retried within the restart policy like any
// other, and once --restart-limit is spent the guard gives up with 71 and a
// record that says so, instead of escaping with the record at "restarting".
void Supervisor::restart_show()
{
	try {
		start_show();
	} catch (const Error &e) {
		spdlog::error("show {}: cannot restart: {}", options_.show, e.what());
		last_exit_ = ExitStatus{to_int(e.code()), 0, e.what()};
		after_show_ended();
	}
}

void Supervisor::exec_status_ready()
{
	switch (show_->read_exec_status()) {
	case ShowProcess::Start::pending:
		return;
	case ShowProcess::Start::started:
		spdlog::info("show {}: running {} (pid {})", options_.show, spec_.program, show_->pid());
		if (state_ == ShowState::starting)
			notify(ShowState::running);
		return;
	case ShowProcess::Start::failed:
		exec_failed_ = true;
		spdlog::error("show {}: {}", options_.show, show_->failure());
		return;
	}
}

void Supervisor::handle_signal(const signalfd_siginfo &info)
{
	const int signo = static_cast<int>(info.ssi_signo);
	if (signo == SIGCHLD) {
		reap_children();
		return;
	}

	const bool terminal = from_terminal(info);
	if (terminal) {
		// What the show does with the terminal's signal is its own choice,
		// but the user asked for an end: no restart afterwards, and nothing
		// left to wait for between runs.
		spdlog::debug("show {}: SIG{} from the terminal", options_.show, signal_name(signo));
		if (signo == SIGINT || signo == SIGQUIT || signo == SIGHUP) {
			stop_requested_ = true;
			if (between_runs()) {
				finish(128 + signo);
				return;
			}
		}
		// The show is asked once: by the terminal if it is in the group the
		// terminal signalled, else by the guard.
		if (!show_ || reached_the_show(info, ::getpgrp(), ::getpgid(show_->pid())))
			return;
	}

	// Signals first, then the log line: logging never blocks, but the
	// show's stop must not wait even for that.
	if (show_) {
		(void)show_->signal(signo);
		if (is_stop_signal(signo))
			(void)show_->signal(SIGCONT); // a stopped show runs its handler
		spdlog::info("show {}: forwarding SIG{} to pid {}", options_.show, signal_name(signo), show_->pid());
	}
	if (!terminal && is_stop_signal(signo))
		request_stop(signo);
}

void Supervisor::request_stop(int signo)
{
	if (!stop_requested_)
		spdlog::info("show {}: stopping on SIG{}", options_.show, signal_name(signo));
	stop_requested_ = true;
	stop_signal_ = signo;
	if (between_runs()) {
		finish(128 + signo);
		return;
	}
	start_kill_timeout();
	if (show_ && state_ != ShowState::stopping)
		notify(ShowState::stopping);
}

// The lock is being lost (an etcd lease that cannot be renewed): stop the
// show as for SIGTERM, with no restart, so that it is dead before anyone
// else can take the lock; the guard then exits with the source's status.
void Supervisor::check_lock_source()
{
	if (lock_lost_exit_)
		return;
	const std::string reason = lock_source_->stop_reason();
	if (reason.empty())
		return;
	lock_lost_exit_ = lock_source_->stop_exit_code();
	terminate_show();
	spdlog::error("show {}: stopping the show: {}", options_.show, reason);
	stop_requested_ = true; // logged above, not as "stopping on SIGTERM"
	request_stop(SIGTERM);
}

void Supervisor::reap_children()
{
	for (;;) {
		siginfo_t info{};
		if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG) < 0) {
			if (errno == EINTR)
				continue;
			break; // ECHILD: nobody left
		}
		if (info.si_pid == 0)
			break;
		ExitStatus status;
		if (info.si_code == CLD_EXITED)
			status.code = info.si_status;
		else
			status.signal = info.si_status;

		if (show_ && info.si_pid == show_->pid())
			main_exited(status);
		else if (info.si_pid != keeper_pid_)
			spdlog::debug("show {}: leftover process {} {}", options_.show, info.si_pid, status.describe());
		if (done_)
			return;
	}
	if (cleaning_up_)
		sweep_leftovers();
}

void Supervisor::main_exited(ExitStatus status)
{
	if (show_->exec_status_fd() >= 0)
		exec_status_ready();
	if (!exec_failed_)
		spdlog::info("show {}: pid {} {}", options_.show, show_->pid(), status.describe());
	last_exit_ = status;
	show_.reset();
	cleaning_up_ = true;
}

void Supervisor::sweep_leftovers()
{
	const std::vector<pid_t> children = list_children();
	if (children.empty()) {
		cleaning_up_ = false;
		kill_deadline_.reset();
		terminated_.clear();
		after_show_ended();
		return;
	}
	// The run's lock keeper exits on its own right after the show's main
	// process (show_process.cpp): waited for, but no leftover to stop.
	const auto leftovers = static_cast<std::size_t>(
		std::count_if(children.begin(), children.end(), [&](pid_t pid) { return pid != keeper_pid_; }));
	if (leftovers == 0)
		return; // its exit is another SIGCHLD, another sweep
	const bool first_sweep = !kill_deadline_ && !killed_;
	start_kill_timeout();
	for (pid_t pid : children) {
		if (pid == keeper_pid_)
			continue;
		// SIGTERM (and SIGCONT) each leftover once; after the kill timeout, SIGKILL.
		if (killed_)
			(void)signal_child(pid, SIGKILL);
		else if (terminated_.insert(pid).second)
			(void)signal_child(pid, SIGTERM);
	}
	if (first_sweep)
		spdlog::info("show {}: stopping {} process(es) the show left behind", options_.show, leftovers);
}

void Supervisor::after_show_ended()
{
	const ExitStatus status = last_exit_.value_or(ExitStatus{});
	const int code = status.as_exit_code();

	// A stop the button asked for, and no signal's stop since.
	if (button_stop_ && !stop_requested_) {
		const ButtonStop what = *button_stop_;
		button_stop_.reset();
		switch (what) {
		case ButtonStop::exit:
			finish(to_int(ExitCode::button_stop));
			return;
		case ButtonStop::rearm:
			arm();
			return;
		case ButtonStop::restart:
			spdlog::info("show {}: starting it again (button)", options_.show);
			++restarts_;
			restart_show();
			return;
		}
	}
	button_stop_.reset();
	// With a toggle button, a show that ended on its own and is not to be
	// restarted waits for the next press, still holding the lock.
	if (button_ && options_.button_action == ButtonAction::toggle && !stop_requested_ && !exec_failed_ &&
	    !restart_wanted(status)) {
		spdlog::info("show {}: {}; armed again", options_.show, status.describe());
		arm();
		return;
	}

	if (stop_requested_ || exec_failed_ || !restart_wanted(status)) {
		finish(code);
		return;
	}

	const TimePoint now = Clock::now();
	while (!restart_times_.empty() && now - restart_times_.front() >= restart_window)
		restart_times_.pop_front();
	if (restart_times_.size() >= options_.restart_limit) {
		spdlog::error("show {}: {} restarts within {}; giving up ({})", options_.show, restart_times_.size(),
			      format_duration(restart_window), status.describe());
		finish(code);
		return;
	}
	spdlog::info("show {}: restarting in {} ({})", options_.show, format_duration(options_.restart_delay),
		     status.describe());
	restart_at_ = now + options_.restart_delay;
	notify(ShowState::restart_wait);
}

bool Supervisor::restart_wanted(const ExitStatus &status) const noexcept
{
	return options_.restart == RestartPolicy::always ||
	       (options_.restart == RestartPolicy::on_failure && !status.success());
}

void Supervisor::terminate_show()
{
	if (show_) {
		(void)show_->signal(SIGTERM);
		(void)show_->signal(SIGCONT);
	}
}

void Supervisor::start_kill_timeout()
{
	if (!kill_deadline_ && !killed_)
		kill_deadline_ = Clock::now() + options_.kill_timeout;
}

void Supervisor::arm()
{
	spdlog::info("show {}: armed, press the button to start", options_.show);
	notify(ShowState::armed);
}

void Supervisor::read_button()
{
	ButtonInput input;
	try {
		input = button_->readable(Clock::now());
	} catch (const Error &e) {
		// The button describes a wish, it does not guard the show: the
		// guard goes on without it (signals and `showguard stop` still work).
		spdlog::error("show {}: {}; the button is ignored from now on", options_.show, e.what());
		button_ = nullptr;
		return;
	}
	button_input(input);
}

void Supervisor::button_input(const ButtonInput &input)
{
	for (const ButtonEdge &edge : input.edges) {
		spdlog::debug("show {}: button {}", options_.show, edge.pressed ? "pressed" : "released");
		// A press counts on release; one that began while the show stopped
		// is ignored even if it ends after the guard is armed again.
		if (edge.pressed)
			pressed_while_stopping_ = state_ == ShowState::stopping;
	}
	for (ButtonGesture gesture : input.gestures) {
		if (done_)
			return;
		if (gesture == ButtonGesture::press && pressed_while_stopping_ && state_ != ShowState::stopping) {
			spdlog::info("show {}: button pressed while the show stopped: ignored", options_.show);
			continue;
		}
		button_gesture(gesture);
	}
}

void Supervisor::button_gesture(ButtonGesture gesture)
{
	if (gesture == ButtonGesture::long_press) {
		spdlog::info("show {}: button held {}: stopping for good", options_.show,
			     format_duration(options_.button_hold));
		button_stop(ButtonStop::exit);
		return;
	}
	switch (options_.button_action) {
	case ButtonAction::toggle:
		if (state_ == ShowState::armed) {
			spdlog::info("show {}: button pressed: starting the show", options_.show);
			restart_show();
		} else {
			button_stop(ButtonStop::rearm);
		}
		return;
	case ButtonAction::stop:
		button_stop(ButtonStop::exit);
		return;
	case ButtonAction::restart:
		button_stop(ButtonStop::restart);
		return;
	}
}

void Supervisor::button_stop(ButtonStop what)
{
	// A signal's stop is under way: it decides how the guard ends.
	if (stop_requested_)
		return;
	if (state_ == ShowState::stopping) {
		// A press while the show stops is ignored; a long press still ends the guard.
		if (what == ButtonStop::exit && button_stop_)
			button_stop_ = what;
		else
			spdlog::info("show {}: button pressed while the show stopped: ignored", options_.show);
		return;
	}
	if (state_ == ShowState::armed || state_ == ShowState::restart_wait) {
		restart_at_.reset();
		if (what == ButtonStop::exit)
			finish(to_int(ExitCode::button_stop));
		else if (what == ButtonStop::rearm)
			arm();
		else
			restart_show();
		return;
	}
	spdlog::info("show {}: button pressed: stopping the show{}", options_.show,
		     what == ButtonStop::exit ? "" : what == ButtonStop::rearm ? " (armed after)" : " to start it again");
	button_stop_ = what;
	// The usual graceful stop: SIGTERM, SIGKILL after the kill timeout, leftovers.
	terminate_show();
	start_kill_timeout();
	notify(ShowState::stopping);
}

void Supervisor::finish(int exit_code)
{
	restart_at_.reset();
	exit_code_ = lock_lost_exit_.value_or(exit_code);
	notify(ShowState::finished);
	done_ = true;
}

void Supervisor::deadline_reached(TimePoint now)
{
	if (kill_deadline_ && now >= *kill_deadline_) {
		kill_deadline_.reset();
		killed_ = true;
		if (show_)
			(void)show_->signal(SIGKILL);
		for (pid_t pid : list_children())
			(void)signal_child(pid, SIGKILL);
		spdlog::warn("show {}: still running {} after SIGTERM; sending SIGKILL", options_.show,
			     format_duration(options_.kill_timeout));
	}
	if (restart_at_ && now >= *restart_at_) {
		restart_at_.reset();
		++restarts_;
		restart_times_.push_back(now);
		restart_show();
	}
	if (button_)
		if (const auto d = button_->next_deadline(); d && *d <= now)
			button_input(button_->deadline(now));
	if (!done_)
		listener_.on_deadline(now);
}

} // namespace showguard
