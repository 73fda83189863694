// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <functional>
#include <map>
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

	// Renew six times per TTL: early enough that a renewal failing for a
	// whole leader election still leaves time before stop_at().
	[[nodiscard]] Duration keepalive_interval() const noexcept { return ttl / 6; }
	// A renewal that has no answer after this long is also sent to the next
	// member, the first one still being asked (a hedge); a member that failed
	// is asked again after it.
	[[nodiscard]] Duration hedge_delay() const noexcept;
	// Pause before retrying a setup step (grant, create, watch) that failed.
	[[nodiscard]] Duration retry_delay() const noexcept;
	// Covers reaping the killed show and the clocks of guard and servers
	// running at slightly different rates: a tenth of the TTL, at least 200 ms.
	[[nodiscard]] Duration safety_margin() const noexcept;
	[[nodiscard]] TimePoint expiry(TimePoint last_renewal_sent) const noexcept { return last_renewal_sent + ttl; }
	[[nodiscard]] TimePoint stop_at(TimePoint last_renewal_sent) const noexcept
	{
		return expiry(last_renewal_sent) - kill_timeout - safety_margin();
	}
	// How long renewals may fail, in the worst case (the last one was sent a
	// keepalive interval before the failures began), before stop_at(), less
	// the hedge delay a renewal may take to reach a member that answers:
	// TTL - TTL/6 - margin - kill timeout - hedge delay.
	[[nodiscard]] Duration outage_ridden_out() const noexcept
	{
		return ttl - keepalive_interval() - safety_margin() - kill_timeout - hedge_delay();
	}
};

// With the etcd backend and no --kill-timeout, a third of the TTL (3.3s for
// the default 10s): the default 10s kill timeout cannot fit in a 10s lease.
[[nodiscard]] Duration default_etcd_kill_timeout(Duration ttl) noexcept;

// Empty if kill_timeout fits inside the lease; else why not. It fits when
// after a third of the TTL and a margin for a renewal's answer, the stop
// point still lies ahead: kill_timeout + 2 * margin + TTL/3 <= ttl.
// Otherwise two late renewals in a row would stop the show.
[[nodiscard]] std::string kill_timeout_problem(Duration ttl, Duration kill_timeout);

// The cluster's raft timing (etcd's --election-timeout, --heartbeat-interval).
struct EtcdElection {
	Duration election_timeout = std::chrono::seconds(1);
	Duration heartbeat = std::chrono::milliseconds(100);
	// The longest no member can renew a lease after the leader dies: a
	// follower starts an election a randomised 1 to 2 election timeouts
	// after the last heartbeat, and the vote and the new leader's first
	// heartbeat take a heartbeat each: 2 * election timeout + 2 * heartbeat.
	[[nodiscard]] Duration longest() const noexcept { return 2 * election_timeout + 2 * heartbeat; }
};

// Empty if a lease of ttl with kill_timeout rides out a leader election
// (LeaseTiming::outage_ridden_out() >= EtcdElection::longest()); else a
// warning naming the smallest TTL that does.
[[nodiscard]] std::string election_problem(Duration ttl, Duration kill_timeout, bool kill_timeout_given,
					   const EtcdElection &election);
// The smallest whole-second TTL that rides out a leader election, with
// kill_timeout (or, if not given, the default derived from the TTL).
[[nodiscard]] std::optional<Duration> smallest_election_ttl(std::optional<Duration> kill_timeout,
							    const EtcdElection &election);

// Keeps a lease alive from the event loop. Every keepalive interval a
// renewal round starts at the first member listed (the one nearest the
// controller, as the operator lists them); while it has no answer, every hedge
// delay the next member is asked too (one request in flight per member, each
// allowed to wait until the stop point: a follower holds a renewal until a
// new leader is elected and then forwards it); a member that failed is asked
// again a hedge delay later. The first success ends the round and cancels
// the rest. lost() once the stop point passed without a renewal, or when
// etcd says the lease is gone.
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
	// Called after a renewal failed at a member.
	void on_failure(std::function<void()> handler) { on_failure_ = std::move(handler); }

private:
	struct Attempt {
		EtcdClient::RequestId id;
		TimePoint sent;
	};
	void ask_next(TimePoint now);
	void answered(std::size_t member, TimePoint sent, const EtcdClient::Response &response);
	void cancel_all() noexcept;

	EtcdClient &client_;
	std::int64_t lease_;
	LeaseTiming timing_;
	TimePoint last_ok_sent_;
	TimePoint next_round_;
	bool in_round_ = false;
	std::optional<TimePoint> next_hedge_;    // in a round: when to ask another member
	std::size_t next_member_ = 0;            // the member to ask next in a round
	std::map<std::size_t, Attempt> asking_;  // member -> its renewal in flight
	std::map<std::size_t, TimePoint> resting_; // member -> not before (it failed)
	std::string last_error_;
	std::string loss_;
	std::function<void()> on_failure_;
};

} // namespace showguard
