// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/lease_keeper.hpp"

#include <algorithm>

#include "showguard/etcd_protocol.hpp"

namespace showguard {

using namespace std::chrono_literals;

Duration LeaseTiming::retry_delay() const noexcept
{
	return std::clamp<Duration>(keepalive_interval() / 4, 50ms, 1s);
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
	const Duration room = ttl - t.keepalive_interval() - 2 * t.safety_margin();
	if (kill_timeout <= room)
		return {};
	if (room <= Duration::zero())
		return "a lease TTL of " + format_duration(ttl) + " is too short for any kill timeout";
	return "a kill timeout of " + format_duration(kill_timeout) + " does not fit inside a lease TTL of " +
	       format_duration(ttl) + ": the show must be dead before the lease can expire, so the kill timeout " +
	       "may be at most " + format_duration(room) + " (TTL - TTL/3 - 2 * " +
	       format_duration(t.safety_margin()) + " margin)";
}

LeaseKeeper::LeaseKeeper(EtcdClient &client, std::int64_t lease, LeaseTiming timing, TimePoint granted_sent)
	: client_(client), lease_(lease), timing_(timing), last_ok_sent_(granted_sent),
	  next_send_(granted_sent + timing.keepalive_interval())
{
}

LeaseKeeper::~LeaseKeeper()
{
	if (in_flight_)
		client_.cancel(*in_flight_);
}

std::optional<TimePoint> LeaseKeeper::next_deadline() const noexcept
{
	if (lost())
		return std::nullopt;
	const TimePoint stop = stop_at();
	if (in_flight_)
		return stop;
	return std::min(next_send_, stop);
}

void LeaseKeeper::on_deadline(TimePoint now)
{
	if (lost())
		return;
	if (now >= stop_at()) {
		loss_ = "lease " + std::to_string(lease_) + " not renewed for " +
			format_duration(std::chrono::floor<Duration>(now - last_ok_sent_)) + " (" +
			(last_error_.empty() ? std::string("no answer") : last_error_) + ")";
		if (in_flight_)
			client_.cancel(*std::exchange(in_flight_, std::nullopt));
		return;
	}
	if (!in_flight_ && now >= next_send_)
		send(now);
}

void LeaseKeeper::send(TimePoint now)
{
	in_flight_ = client_.post(
		"/v3/lease/keepalive", lease_request(lease_), timing_.request_timeout(),
		[this, now](const EtcdClient::Response &r) { answered(now, r); }, {}, 1);
}

void LeaseKeeper::answered(TimePoint sent, const EtcdClient::Response &response)
{
	in_flight_.reset();
	const TimePoint now = Clock::now();
	std::optional<std::int64_t> ttl;
	if (response.ok)
		ttl = parse_keepalive(response.body);
	if (ttl && *ttl > 0) {
		last_ok_sent_ = std::max(last_ok_sent_, sent);
		failures_in_row_ = 0;
		last_error_.clear();
		next_send_ = sent + timing_.keepalive_interval();
		return;
	}
	if (ttl || (response.etcd_said && response.error.find("lease not found") != std::string::npos)) {
		// etcd answered: no such lease (it expired, or was revoked).
		loss_ = (ttl ? client_.endpoint() + ": etcd no longer knows lease " + std::to_string(lease_)
			     : response.error);
		return;
	}
	last_error_ = response.ok ? client_.endpoint() + ": unexpected answer to keepalive: " + error_message(response.body)
				  : response.error;
	if (response.ok)
		client_.next_endpoint();
	// Next member at once; after a round of failures, pause briefly.
	++failures_in_row_;
	next_send_ = failures_in_row_ % client_.endpoints().size() == 0 ? now + timing_.retry_delay() : now;
	if (on_failure_)
		on_failure_();
}

} // namespace showguard
