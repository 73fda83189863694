// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "showguard/duration.hpp"
#include "showguard/etcd_client.hpp"
#include "showguard/supervisor.hpp"

namespace showguard {

// The fencing arithmetic. etcd lets a lease expire TTL after the leader
// received its last renewal, which is no earlier than when we sent it; so
// counted from the moment the last renewal that succeeded was *sent*,
// expiry() is the earliest the servers can drop our key and let another
// controller start. The show is asked to stop at stop_at(), early enough
// that SIGTERM, the kill timeout, SIGKILL and a safety margin all fit before
// expiry(): the show is dead before anyone else can hold the lock.
struct LeaseTiming {
	Duration ttl;
	Duration kill_timeout;

	// Renew three times per TTL, as etcd's own clients do.
	[[nodiscard]] Duration keepalive_interval() const noexcept { return ttl / 3; }
	// A renewal that takes longer is given up and retried at the next member.
	[[nodiscard]] Duration request_timeout() const noexcept { return keepalive_interval() / 2; }
	// Pause before retrying after every member failed.
	[[nodiscard]] Duration retry_delay() const noexcept;
	// Covers reaping the killed show and the clocks of guard and servers
	// running at slightly different rates: a tenth of the TTL, at least 200 ms.
	[[nodiscard]] Duration safety_margin() const noexcept;
	[[nodiscard]] TimePoint expiry(TimePoint last_renewal_sent) const noexcept { return last_renewal_sent + ttl; }
	[[nodiscard]] TimePoint stop_at(TimePoint last_renewal_sent) const noexcept
	{
		return expiry(last_renewal_sent) - kill_timeout - safety_margin();
	}
};

// With the etcd backend and no --kill-timeout, a third of the TTL (3.3s for
// the default 10s): the default 10s kill timeout cannot fit in a 10s lease.
[[nodiscard]] Duration default_etcd_kill_timeout(Duration ttl) noexcept;

// Empty if kill_timeout fits inside the lease; else why not. It fits when
// after one renewal interval and a margin for its answer, the stop point
// still lies ahead: kill_timeout + 2 * margin + interval <= ttl. Otherwise a
// single late renewal would stop the show.
[[nodiscard]] std::string kill_timeout_problem(Duration ttl, Duration kill_timeout);

// Keeps a lease alive from the event loop: a keepalive every interval, to
// the current member; a failed one is retried at the next member at once,
// and after every member failed, after retry_delay(). lost() once the stop
// point passed without a renewal, or when etcd says the lease is gone.
class LeaseKeeper {
public:
	LeaseKeeper(EtcdClient &client, std::int64_t lease, LeaseTiming timing, TimePoint granted_sent);
	LeaseKeeper(const LeaseKeeper &) = delete;
	LeaseKeeper &operator=(const LeaseKeeper &) = delete;
	~LeaseKeeper();

	[[nodiscard]] std::optional<TimePoint> next_deadline() const noexcept;
	void on_deadline(TimePoint now);

	[[nodiscard]] bool lost() const noexcept { return !loss_.empty(); }
	// Why, naming the endpoint and etcd's answer; empty while the lease is kept.
	[[nodiscard]] const std::string &loss() const noexcept { return loss_; }
	[[nodiscard]] TimePoint stop_at() const noexcept { return timing_.stop_at(last_ok_sent_); }
	[[nodiscard]] std::int64_t lease() const noexcept { return lease_; }
	[[nodiscard]] const LeaseTiming &timing() const noexcept { return timing_; }
	// Called after a renewal failed (the client moved to another member).
	void on_failure(std::function<void()> handler) { on_failure_ = std::move(handler); }

private:
	void send(TimePoint now);
	void answered(TimePoint sent, const EtcdClient::Response &response);

	EtcdClient &client_;
	std::int64_t lease_;
	LeaseTiming timing_;
	TimePoint last_ok_sent_;
	TimePoint next_send_;
	std::optional<EtcdClient::RequestId> in_flight_;
	unsigned failures_in_row_ = 0;
	std::string last_error_;
	std::string loss_;
	std::function<void()> on_failure_;
};

} // namespace showguard
