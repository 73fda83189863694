// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/guard.hpp"

#include <algorithm>

#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "showguard/error.hpp"
#include "showguard/etcd_lock.hpp"
#include "showguard/settings.hpp"
#include "showguard/led_setup.hpp"
#include "showguard/lock_record.hpp"
#include "showguard/logging.hpp"
#include "showguard/proc_locks.hpp"
#include "showguard/record_writer.hpp"
#include "showguard/show_button.hpp"
#include "showguard/show_process.hpp"
#include "showguard/signals.hpp"
#include "showguard/supervisor.hpp"
#include "showguard/systemd_notify.hpp"

extern char **environ;

namespace showguard {

namespace {

bool has_key(const std::string &entry, std::string_view key)
{
	return entry.size() > key.size() && entry.compare(0, key.size(), key) == 0 && entry[key.size()] == '=';
}

std::string what_is_locked(const ShowLock &lock)
{
	return std::string(to_string(lock.kind())) + " " + lock.name();
}

// Log lines that a stalled stderr could not take yet are written as soon
// as the loop sees it writable again.
class StderrBacklog final : public ShowListener {
public:
	void show_changed(const ShowEvent & /*event*/) override {}
	void add_output_fds(std::vector<pollfd> &fds) const override
	{
		if (const int fd = stderr_backlog_fd(); fd >= 0)
			fds.push_back({fd, POLLOUT, 0});
	}
	void output_ready(std::span<const pollfd> fds) override
	{
		const int fd = stderr_backlog_fd();
		for (const pollfd &p : fds)
			if (p.fd == fd && p.revents)
				drain_stderr();
	}
};

} // namespace

std::vector<std::string> show_environment(const GuardOptions &options, const Credentials &credentials,
					  char **environ_in)
{
	std::vector<std::string> replaced = {"SHOWGUARD_SHOW"};
	const std::vector<std::string> dropped = {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"};
	if (credentials.change_user)
		replaced.insert(replaced.end(), {"HOME", "USER", "LOGNAME"});

	std::vector<std::string> env;
	for (char **e = environ_in; e && *e; ++e) {
		const std::string entry = *e;
		auto matches = [&](const std::string &key) { return has_key(entry, key); };
		if (std::any_of(dropped.begin(), dropped.end(), matches) ||
		    std::any_of(replaced.begin(), replaced.end(), matches))
			continue;
		env.push_back(entry);
	}
	for (const auto &entry : options.environment) {
		const std::string key = entry.substr(0, entry.find('='));
		if (key == "SHOWGUARD_SHOW")
			continue;
		std::erase_if(env, [&](const std::string &e) { return has_key(e, key); });
		env.push_back(entry);
	}
	env.push_back("SHOWGUARD_SHOW=" + options.show);
	if (credentials.change_user) {
		env.push_back("HOME=" + credentials.home);
		env.push_back("USER=" + credentials.user_name);
		env.push_back("LOGNAME=" + credentials.user_name);
	}
	return env;
}

std::string describe_holder(const LockDir &dir, const ShowLock &lock)
{
	const ProcLocks locks = ProcLocks::read();
	const std::optional<pid_t> kernel_pid = locks.holder(lock.device(), lock.inode());
	const std::optional<LockRecord> record = read_record(dir, lock.name());
	std::string text;
	const bool record_matches = record && record->guard_pid > 0 && record->state != "free" &&
				    (!kernel_pid || *kernel_pid == record->guard_pid);
	if (!kernel_pid && locks.marked(lock.device(), lock.inode())) {
		// The record's pids are another namespace's: none is named.
		text = "held by a guard outside this PID namespace";
		if (record_matches && !record->user.empty())
			text += " as " + record->user;
		if (record_matches)
			text += " since " + format_iso8601(record->since_ms);
	} else if (record_matches) {
		if (lock.kind() == LockKind::resource && !record->held_by.empty())
			text = "held by show " + record->held_by + " (guard pid " + std::to_string(record->guard_pid);
		else
			text = "held by guard pid " + std::to_string(record->guard_pid) + " (";
		if (record->show_pid > 0)
			text += (lock.kind() == LockKind::resource ? ", show pid " : "show pid ") +
				std::to_string(record->show_pid);
		else if (lock.kind() == LockKind::show)
			text += record->state == "waiting" ? "which has not started its show yet" : "show not started yet";
		text += ")";
		if (!record->user.empty())
			text += " as " + record->user;
		text += " since " + format_iso8601(record->since_ms);
	} else if (kernel_pid && *kernel_pid > 0 && runs_this_program(*kernel_pid)) {
		// A guard of an older version, waiting for another lock, wrote no
		// record; or this one is between taking the lock and its record.
		text = "held by guard pid " + std::to_string(*kernel_pid) + " (which has not started its show yet)";
	} else if (kernel_pid && *kernel_pid > 0) {
		text = "held by pid " + std::to_string(*kernel_pid) + ", which is not a showguard guard";
	} else {
		text = "held by another process";
	}
	return text + "; lock " + lock.path().string();
}

int run_guard(const GuardOptions &options)
{
	// Everything that can fail without a lock fails before one is taken.
	const Credentials credentials = resolve_credentials(options.user, options.group);
	std::vector<std::string> env = show_environment(options, credentials, environ);
	// With --user, whether the user may execute it is for exec() to tell.
	const std::string program = resolve_program(options.command.front(), env, !credentials.change_user);

	if (!options.working_directory.empty()) {
		struct stat st;
		if (::stat(options.working_directory.c_str(), &st) < 0 || !S_ISDIR(st.st_mode))
			throw Error(ExitCode::config, "working directory " + options.working_directory +
							      " of show " + options.show + " is not a directory");
	}
	// The board file is read now; the LED itself only once the lock is ours.
	const LedSetup led_setup = resolve_led(options);
	const ButtonSetup button_setup = resolve_button(options, led_setup.board);

	// With the etcd backend, the password file is read now, before any lock.
	std::optional<EtcdConnection> cluster;
	if (options.lock_backend == LockBackend::etcd) {
		cluster = etcd_connection(options);
		if (const std::string warning = lease_ttl_warning(options); !warning.empty())
			spdlog::warn("show {}: {}", options.show, warning);
	}

	SignalFd signals;
	SystemdNotifier notifier(options.show);
	const LockDir dir = LockDir::open(options.lock_dir, true);
	LockSet locks(dir, options.show, options.resources);
	const TimePoint began = Clock::now();
	// Who and where, looked up now (the user name may take a passwd or NSS
	// lookup) rather than between a waiting guard's getting the lock and
	// starting its show.
	RecordWriter records(locks, options, credentials);

	const auto result = locks.acquire(
		options.wait, signals,
		[&](const ShowLock &lock) {
			const std::string holder = describe_holder(locks.dir_of(lock), lock);
			spdlog::info("show {}: waiting for {}: {}", options.show, what_is_locked(lock), holder);
			notifier.send("STATUS=waiting for " + what_is_locked(lock) + " (" + holder + ")");
			// Holding the show's lock, waiting for a resource: status says so.
			if (lock.kind() != LockKind::show)
				records.waiting();
		},
		[&] { records.gave_up(); });
	switch (result.outcome) {
	case LockSet::Outcome::acquired:
		break;
	case LockSet::Outcome::busy: {
		const ShowLock &lock = *result.blocker;
		if (lock.kind() == LockKind::show)
			spdlog::error("show {} is busy: {}", options.show, describe_holder(dir, lock));
		else
			spdlog::error("show {} cannot start: resource {} is busy: {}", options.show, lock.name(),
				      describe_holder(locks.dir_of(lock), lock));
		return options.conflict_exit_code;
	}
	case LockSet::Outcome::timed_out: {
		const ShowLock &lock = *result.blocker;
		spdlog::error("show {}: gave up waiting for {} after {}: {}", options.show, what_is_locked(lock),
			      format_duration(*options.wait), describe_holder(locks.dir_of(lock), lock));
		return options.conflict_exit_code;
	}
	case LockSet::Outcome::interrupted:
		spdlog::info("show {}: stopped by SIG{} while waiting for {}", options.show,
			     ::sigabbrev_np(result.signo), what_is_locked(*result.blocker));
		return 128 + result.signo;
	}
	spdlog::debug("show {}: holding {}", options.show, locks.show().path().string());

	// The cluster's lock second, so this machine never runs two copies
	// either; declared after the local locks, it is given up before them.
	std::optional<EtcdLock> etcd;
	if (cluster) {
		etcd.emplace(options, std::move(*cluster));
		std::optional<Duration> wait = options.wait;
		if (wait && *wait < max_duration)
			wait = std::max(Duration::zero(), *wait - std::chrono::duration_cast<Duration>(Clock::now() - began));
		const auto r = etcd->acquire(wait, signals, [&](const std::string &what) {
			spdlog::info("show {}: waiting for {}", options.show, what);
			notifier.send("STATUS=waiting for " + what);
			records.waiting();
		});
		// Given up, the local locks are still held (released on return).
		if (r.outcome != EtcdLock::Outcome::acquired)
			records.gave_up();
		switch (r.outcome) {
		case EtcdLock::Outcome::acquired:
			break;
		case EtcdLock::Outcome::busy:
			spdlog::error("show {} is busy: held in etcd by {}", options.show, r.holder);
			return options.conflict_exit_code;
		case EtcdLock::Outcome::timed_out:
			spdlog::error("show {}: gave up waiting for the etcd lock after {}: {}", options.show,
				      format_duration(*options.wait), r.holder);
			return options.conflict_exit_code;
		case EtcdLock::Outcome::interrupted:
			spdlog::info("show {}: stopped by SIG{} while waiting for the etcd lock", options.show,
				     ::sigabbrev_np(r.signo));
			return 128 + r.signo;
		}
		spdlog::info("show {}: holding etcd lock {} at {} (fencing token {})", options.show, etcd->key(),
			     etcd->endpoint(), etcd->fencing_token());
		std::erase_if(env, [](const std::string &e) { return has_key(e, "SHOWGUARD_FENCING_TOKEN"); });
		env.push_back("SHOWGUARD_FENCING_TOKEN=" + std::to_string(etcd->fencing_token()));
	}

	// The LED belongs to the lock: opened (and driven off) only now that the
	// lock is held, never by a refused or waiting guard. Declared after the
	// locks, it is destroyed first: off, and its device let go, before the
	// lock is released. A required LED that cannot be driven throws here,
	// before the show starts, and the lock is released on the way out.
	const std::unique_ptr<StatusLed> led = open_status_led(led_setup, options.show);

	// The button too is the lock's: requested only now, let go before the
	// lock (declared after it). Its edges are a source of the supervisor's loop.
	const std::unique_ptr<ShowButton> button = open_show_button(button_setup, options.show);

	ListenerList listeners;
	StderrBacklog log_backlog;
	listeners.add(log_backlog);
	listeners.add(records);
	listeners.add(notifier);
	std::optional<LockLossLed> fenced_led;
	if (etcd) {
		listeners.add(*etcd);
		if (led)
			listeners.add(fenced_led.emplace(*led, *etcd));
	} else if (led) {
		listeners.add(*led);
	}

	LaunchSpec spec{program,
			options.command,
			std::move(env),
			credentials,
			options.working_directory,
			locks.fds(),
			signals.original_mask(),
			signals.original_sigpipe()};
	Supervisor supervisor(options, std::move(spec), signals, listeners, etcd ? &*etcd : nullptr, button.get());
	return supervisor.run();
}

} // namespace showguard
