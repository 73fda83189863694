// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <poll.h>

#include "showguard/guard_options.hpp"
#include "showguard/show_button.hpp"
#include "showguard/show_process.hpp"
#include "showguard/signals.hpp"

namespace showguard {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// Where the guarded show stands, as reported to listeners.
enum class ShowState {
	armed,        // lock held, waiting for a press of the show button to start
	starting,     // lock held, show forked, not yet exec'd
	running,      // the show's program runs
	stopping,     // the show was asked to stop and has not yet exited
	restart_wait, // the show ended; waiting out --restart-delay
	finished,     // the show ended for good; the lock is about to be released
};

[[nodiscard]] const char *to_string(ShowState state) noexcept;

struct ShowEvent {
	ShowState state;
	pid_t show_pid = 0;                 // 0 when no show process runs
	unsigned restarts = 0;              // restarts so far
	std::optional<ExitStatus> last_exit; // how the last run ended
	Duration restart_delay{0};          // in restart_wait
	bool stays = false;                 // stopping: the guard keeps the lock (button toggle, restart)
};

// Told of every change of the show's state: the status LED, the status
// record and systemd notification listen here. A listener may also ask the
// event loop to wake it (to blink an LED, to ping a watchdog).
class ShowListener {
public:
	virtual ~ShowListener() = default;
	virtual void show_changed(const ShowEvent &event) = 0;
	[[nodiscard]] virtual std::optional<TimePoint> next_deadline() const { return std::nullopt; }
	virtual void on_deadline(TimePoint /*now*/) {}
	// Output that could not be written without blocking (a notify socket or
	// stderr whose reader stalls) waits for POLLOUT on the loop: the
	// listener adds its descriptors, and finds its own by number in fds.
	virtual void add_output_fds(std::vector<pollfd> & /*fds*/) const {}
	virtual void output_ready(std::span<const pollfd> /*fds*/) {}
};

// Fans one event out to several listeners.
class ListenerList final : public ShowListener {
public:
	void add(ShowListener &listener) { listeners_.push_back(&listener); }
	void show_changed(const ShowEvent &event) override;
	[[nodiscard]] std::optional<TimePoint> next_deadline() const override;
	void on_deadline(TimePoint now) override;
	void add_output_fds(std::vector<pollfd> &fds) const override;
	void output_ready(std::span<const pollfd> fds) override;

private:
	std::vector<ShowListener *> listeners_;
};

// Besides the show and the signals, what the event loop serves for a lock
// backend that lives on the network (etcd): its sockets and timers. It can
// ask for the show to be stopped because the lock is being lost.
class LoopSource {
public:
	virtual ~LoopSource() = default;
	virtual void add_poll_fds(std::vector<pollfd> &fds) = 0;
	// fds: the entries add_poll_fds added, with poll's revents. Also called
	// when next_deadline() has passed.
	virtual void handle_poll(std::span<const pollfd> fds, TimePoint now) = 0;
	[[nodiscard]] virtual std::optional<TimePoint> next_deadline() const = 0;
	// Non-empty once the show must stop: why (logged by the supervisor).
	[[nodiscard]] virtual std::string stop_reason() const = 0;
	// The guard's exit status after such a stop.
	[[nodiscard]] virtual int stop_exit_code() const = 0;
};

// Runs the show while the caller holds its locks, in one event loop over a
// signalfd and the exec-status pipe, with deadlines as the poll timeout:
// forwards signals, stops the show (SIGTERM, then SIGKILL after the kill
// timeout), stops whatever the show left behind, restarts it by policy.
// The guard is a child subreaper, so a show's orphaned descendants become
// its children and are waited for before the lock is given up.
class Supervisor {
public:
	// button: the show button, if any; with --button-action toggle the
	// show waits armed until it is pressed.
	Supervisor(const GuardOptions &options, LaunchSpec spec, SignalFd &signals, ShowListener &listener,
		   LoopSource *lock_source = nullptr, ShowButton *button = nullptr);

	// Supervises until the show has ended for good and every process it
	// started is gone. Returns the guard's exit status.
	[[nodiscard]] int run();

private:
	void start_show();
	void restart_show();
	void handle_signal(const signalfd_siginfo &info);
	void reap_children();
	void main_exited(ExitStatus status);
	void exec_status_ready();
	void request_stop(int signo);
	// No show runs (armed, or waiting out the restart delay): a stop ends
	// the guard at once.
	[[nodiscard]] bool between_runs() const noexcept
	{
		return state_ == ShowState::restart_wait || state_ == ShowState::armed;
	}
	// Asks the show to stop: SIGTERM, and SIGCONT so that a stopped show
	// runs its handler.
	void terminate_show();
	// The kill timeout starts with the first request to stop.
	void start_kill_timeout();
	// Whether the restart policy runs the show again after it ended so.
	[[nodiscard]] bool restart_wanted(const ExitStatus &status) const noexcept;
	void check_lock_source();
	void sweep_leftovers();
	void after_show_ended();
	// The show has ended for good: run() returns exit_code.
	void finish(int exit_code);
	void deadline_reached(TimePoint now);
	// What the show button asks for once the show has stopped.
	enum class ButtonStop { rearm, restart, exit };
	void arm();
	void read_button();
	void button_input(const ButtonInput &input);
	void button_gesture(ButtonGesture gesture);
	void button_stop(ButtonStop what);
	void notify(ShowState state);
	[[nodiscard]] std::optional<TimePoint> next_deadline() const;

	const GuardOptions &options_;
	LaunchSpec spec_;
	SignalFd &signals_;
	ShowListener &listener_;
	LoopSource *lock_source_;
	ShowButton *button_;
	std::optional<ButtonStop> button_stop_; // a stop the button asked for is under way
	bool pressed_while_stopping_ = false;   // the press under way began while the show stopped
	std::optional<int> lock_lost_exit_; // the lock source asked for a stop

	std::optional<ShowProcess> show_;
	pid_t keeper_pid_ = 0;           // the current run's lock keeper, if any
	ShowState state_ = ShowState::starting;
	bool cleaning_up_ = false;       // the show's main process ended; leftovers remain
	bool stop_requested_ = false;    // no restart after this run
	int stop_signal_ = 0;            // the signal that asked for the stop
	bool exec_failed_ = false;
	std::optional<ExitStatus> last_exit_;
	std::optional<int> exit_code_;
	std::optional<TimePoint> kill_deadline_;
	std::optional<TimePoint> restart_at_;
	bool killed_ = false;            // SIGKILL already sent
	std::set<pid_t> terminated_;     // leftovers already sent SIGTERM
	unsigned restarts_ = 0;
	std::deque<TimePoint> restart_times_;
	bool done_ = false;
};

} // namespace showguard
