// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "showguard/etcd_client.hpp"
#include "showguard/etcd_protocol.hpp"
#include "showguard/guard_options.hpp"
#include "showguard/lease_keeper.hpp"
#include "showguard/signals.hpp"
#include "showguard/status_led.hpp"
#include "showguard/supervisor.hpp"

namespace showguard {

// The cluster options of a guard as a connection: reads the password file.
// Throws Error(config) naming a password file that cannot be read.
[[nodiscard]] EtcdConnection etcd_connection(const GuardOptions &options);

// A show's lock in etcd, the recipe of etcd's concurrency.Mutex (and
// `etcdctl lock`): a key /showguard/locks/NAME/<lease hex>, created bound to
// the guard's lease in a transaction that only creates it if it does not
// exist; the holder is the key with the lowest create revision. A waiter
// watches the deletion of the key created just before its own (no polling,
// no thundering herd) and checks again. The key's value is the holder
// record (host, guard pid, show pid, since).
//
// Beyond the recipe, fencing: while the show runs the lock is a LoopSource
// of the supervisor, and once the lease could not be renewed for so long
// that the show would otherwise outlive it (LeaseTiming::stop_at), it asks
// for the show to stop. The lock's create revision is the fencing token.
class EtcdLock final : public LoopSource, public ShowListener {
public:
	EtcdLock(const GuardOptions &options, EtcdConnection connection);
	EtcdLock(const EtcdLock &) = delete;
	EtcdLock &operator=(const EtcdLock &) = delete;
	// Revokes the lease if it is still held (bounded by a short timeout).
	~EtcdLock() override;

	enum class Outcome { acquired, busy, timed_out, interrupted };
	struct Result {
		Outcome outcome;
		std::string holder; // busy, timed_out: who holds it, and the key
		int signo = 0;      // interrupted
	};
	// Takes the lock as LockSet::acquire does: refused at once without
	// wait, else waits at most that long (max_duration: as long as it
	// takes), telling on_wait what it waits for each time that changes. A
	// stop signal ends the wait. Without wait, a cluster that cannot be
	// reached is Error(unavailable); with it, a wait like any other.
	// Whatever the outcome but acquired, the lease is revoked.
	[[nodiscard]] Result acquire(std::optional<Duration> wait, SignalFd &signals,
				     const std::function<void(const std::string &)> &on_wait);

	[[nodiscard]] std::int64_t fencing_token() const noexcept { return revision_; }
	[[nodiscard]] const std::string &key() const noexcept { return key_; }
	[[nodiscard]] const std::string &endpoint() const noexcept { return client_.endpoint(); }
	// Gives the lock up: revokes the lease, so a waiting controller takes
	// over at once rather than after the TTL. Never throws.
	void release() noexcept;

	// LoopSource
	void add_poll_fds(std::vector<pollfd> &fds) override { client_.add_poll_fds(fds); }
	void handle_poll(std::span<const pollfd> fds, TimePoint now) override;
	[[nodiscard]] std::optional<TimePoint> next_deadline() const override;
	[[nodiscard]] std::string stop_reason() const override;
	[[nodiscard]] int stop_exit_code() const override { return to_int(ExitCode::unavailable); }

	// ShowListener: the show pid goes into the holder record.
	void show_changed(const ShowEvent &event) override;

private:
	enum class Step { grant, create, check, watch, owned, busy };
	void start_step(Step step);
	void failed(const EtcdClient::Response &response, const char *doing);
	void checked(const Range &range);
	void start_over();
	[[nodiscard]] Duration setup_timeout() const noexcept;
	// One round of poll over the client and extra_fd; true if extra_fd is ready.
	bool poll_once(int extra_fd, std::optional<TimePoint> until);

	const GuardOptions &options_;
	EtcdClient client_;
	LeaseTiming timing_;
	HolderRecord record_;
	std::int64_t lease_ = 0;
	std::string key_;
	std::int64_t revision_ = 0; // our key's create revision: the fencing token
	std::unique_ptr<LeaseKeeper> keeper_;
	Step step_ = Step::grant;
	std::optional<EtcdClient::RequestId> pending_;
	std::optional<TimePoint> retry_at_;
	std::string error_;       // the last failure, naming the endpoint
	bool error_is_fatal_ = false;
	std::string predecessor_; // the key watched
	std::int64_t watch_from_ = 0;
	std::string holder_;      // who holds the lock, for messages
};

// The status LED of a show under an etcd lock: as usual, but off from the
// moment the lock is being lost. Off is what the LED shows whenever the lock
// is not held, and a lost lock is exactly that, even while the show is
// still being stopped.
class LockLossLed final : public ShowListener {
public:
	LockLossLed(StatusLed &led, const EtcdLock &lock) : led_(led), lock_(lock) {}
	void show_changed(const ShowEvent &event) override;
	[[nodiscard]] std::optional<TimePoint> next_deadline() const override;
	void on_deadline(TimePoint now) override;

private:
	StatusLed &led_;
	const EtcdLock &lock_;
};

// One show's lock in etcd, for `showguard status`.
struct EtcdLockEntry {
	std::string show;
	std::string key;
	std::int64_t revision = 0;
	std::optional<HolderRecord> holder;
	unsigned waiting = 0; // other contenders queued behind the holder
};
// Every show's lock holder in the cluster, by show name. Throws
// Error(unavailable) naming the endpoints when the cluster cannot be asked.
[[nodiscard]] std::vector<EtcdLockEntry> list_etcd_locks(const EtcdConnection &connection);

// For `led-reset`, which calls it only while holding the show's local lock,
// which proves that no guard of the show and no process of its show is left
// on this controller: revokes the leases of the show's keys that this host
// created for this show (the value names this host and the show, the key names
// the lease it is bound to, and the guard pid in it is no live process), so a
// standby starts at once instead of after the TTL. Returns one line per lease
// revoked. Throws Error(unavailable) naming the endpoints when the cluster
// cannot be asked; bounded by a few seconds in all.
[[nodiscard]] std::vector<std::string> revoke_dead_guards(const EtcdConnection &connection, const std::string &show);

// "guard pid 812 (show pid 815) on host stage-a since 2026-...".
[[nodiscard]] std::string describe_holder(const HolderRecord &record);

} // namespace showguard
