// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/lease_keeper.hpp"

#include <algorithm>

#include "showguard/etcd_protocol.hpp"

namespace showguard {

using namespace std::chrono_literals;

Duration LeaseTiming::retry_delay() const noexcept
{
	return std::clamp<Duration>(ttl / 12, 50ms, 1s);
}

Duration LeaseTiming::hedge_delay() const noexcept
{
	return std::clamp<Duration>(keepalive_interval() / 4, 50ms, 250ms);
}

Duration LeaseTiming::safety_margin() const noexcept
{
	return std::max<Duration>(ttl / 10, 200ms);
}

Duration default_etcd_kill_timeout(Duration ttl) noexcept
{
	return std::chrono::floor<std::chrono::milliseconds>(ttl / 3);
}

std::string kill_timeout_problem(Duration ttl, Duration kill_timeout)
{
	const LeaseTiming t{ttl, kill_timeout};
	const Duration room = ttl - ttl / 3 - 2 * t.safety_margin();
	if (kill_timeout <= room)
		return {};
	if (room <= Duration::zero())
		return "a lease TTL of " + format_duration(ttl) + " is too short for any kill timeout";
	return "a kill timeout of " + format_duration(kill_timeout) + " does not fit inside a lease TTL of " +
	       format_duration(ttl) + ": the show must be dead before the lease can expire, so the kill timeout " +
	       "may be at most " + format_duration(room) + " (TTL - TTL/3 - 2 * " +
	       format_duration(t.safety_margin()) + " margin)";
}

std::optional<Duration> smallest_election_ttl(std::optional<Duration> kill_timeout, const EtcdElection &election)
{
	for (Duration ttl = 2s; ttl <= 1h; ttl += 1s) {
		const LeaseTiming t{ttl, kill_timeout.value_or(default_etcd_kill_timeout(ttl))};
		if (t.outage_ridden_out() >= election.longest())
			return ttl;
	}
	return std::nullopt;
}

std::string election_problem(Duration ttl, Duration kill_timeout, bool kill_timeout_given, const EtcdElection &election)
{
	const LeaseTiming t{ttl, kill_timeout};
	if (t.outage_ridden_out() >= election.longest())
		return {};
	const auto at_least = smallest_election_ttl(kill_timeout_given ? std::optional(kill_timeout) : std::nullopt, election);
	std::string text = "a lease TTL of " + format_duration(ttl) + " with a kill timeout of " +
			   format_duration(kill_timeout) + " cannot ride out an etcd leader election: renewals may fail for " +
			   format_duration(t.outage_ridden_out()) + " (TTL - TTL/6 - margin - kill timeout - hedge " +
			   format_duration(t.hedge_delay()) + ") but an election can take " +
			   format_duration(election.longest()) + " (2 * election timeout " +
			   format_duration(election.election_timeout) + " + 2 * heartbeat " + format_duration(election.heartbeat) +
			   "); a leader's death may stop the show";
	text += at_least ? "; use a lease TTL of at least " + format_duration(*at_least) +
				   (kill_timeout_given ? std::string() : " (or a shorter kill timeout)")
			 : std::string("; shorten the kill timeout");
	return text;
}

LeaseKeeper::LeaseKeeper(EtcdClient &client, std::int64_t lease, LeaseTiming timing, TimePoint granted_sent)
	: client_(client), lease_(lease), timing_(timing), last_ok_sent_(granted_sent),
	  next_round_(granted_sent + timing.keepalive_interval())
{
}

LeaseKeeper::~LeaseKeeper()
{
	cancel_all();
}

void LeaseKeeper::cancel_all() noexcept
{
	for (const auto &[member, attempt] : asking_)
		client_.cancel(attempt.id);
	asking_.clear();
}

std::optional<TimePoint> LeaseKeeper::next_deadline() const noexcept
{
	if (lost())
		return std::nullopt;
	TimePoint due = stop_at();
	if (!in_round_)
		due = std::min(due, next_round_);
	else if (next_hedge_)
		due = std::min(due, *next_hedge_);
	return due;
}

void LeaseKeeper::on_deadline(TimePoint now)
{
	if (lost())
		return;
	if (now >= stop_at()) {
		loss_ = "lease " + std::to_string(lease_) + " not renewed for " +
			format_duration(std::chrono::floor<Duration>(now - last_ok_sent_)) + " (" +
			(last_error_.empty() ? std::string("no answer") : last_error_) + ")";
		cancel_all();
		return;
	}
	if (!in_round_ && now >= next_round_) {
		in_round_ = true;
		next_hedge_ = now;
	}
	if (in_round_ && next_hedge_ && now >= *next_hedge_)
		ask_next(now);
}

void LeaseKeeper::ask_next(TimePoint now)
{
	const std::size_t n = client_.endpoints().size();
	std::optional<TimePoint> rested; // the earliest a resting member may be asked again
	for (std::size_t i = 0; i < n; ++i) {
		const std::size_t member = (next_member_ + i) % n;
		if (asking_.count(member))
			continue;
		if (auto r = resting_.find(member); r != resting_.end() && r->second > now) {
			rested = rested ? std::min(*rested, r->second) : r->second;
			continue;
		}
		// Each request may wait until the stop point: a follower answers it
		// as soon as a leader is elected, and the answer still counts.
		const Duration wait =
			std::max<Duration>(std::chrono::ceil<Duration>(stop_at() - now), timing_.hedge_delay());
		asking_[member] = {client_.post_to(member, "/v3/lease/keepalive", lease_request(lease_), wait,
						   [this, member, now](const EtcdClient::Response &r) {
							   answered(member, now, r);
						   }),
				   now};
		next_hedge_ = now + timing_.hedge_delay();
		return;
	}
	// Every member is being asked or resting: the next answer, or the end
	// of a rest, decides.
	next_hedge_ = rested;
}

void LeaseKeeper::answered(std::size_t member, TimePoint sent, const EtcdClient::Response &response)
{
	asking_.erase(member);
	const TimePoint now = Clock::now();
	std::optional<std::int64_t> ttl;
	if (response.ok)
		ttl = parse_keepalive(response.body);
	if (ttl && *ttl > 0) {
		// The lease lives at least TTL from when this renewal was sent,
		// whichever member passed it on to the leader.
		last_ok_sent_ = std::max(last_ok_sent_, sent);
		cancel_all();
		resting_.clear();
		last_error_.clear();
		in_round_ = false;
		next_hedge_.reset();
		next_member_ = 0;
		next_round_ = last_ok_sent_ + timing_.keepalive_interval();
		return;
	}
	if (ttl || (response.etcd_said && response.error.find("lease not found") != std::string::npos)) {
		// etcd answered: no such lease (it expired, or was revoked).
		loss_ = (ttl ? client_.endpoints()[member] + ": etcd no longer knows lease " + std::to_string(lease_)
			     : response.error);
		cancel_all();
		return;
	}
	last_error_ = response.ok ? client_.endpoints()[member] + ": unexpected answer to keepalive: " +
					    error_message(response.body)
				  : response.error;
	// Ask another member at once; this one again after a pause.
	resting_[member] = now + timing_.hedge_delay();
	if (member == next_member_)
		next_member_ = (member + 1) % client_.endpoints().size();
	if (in_round_)
		next_hedge_ = now;
	if (on_failure_)
		on_failure_();
}

} // namespace showguard
