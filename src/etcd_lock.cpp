// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/etcd_lock.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>

#include <csignal>

#include <poll.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "showguard/error.hpp"
#include "showguard/lock_record.hpp"

namespace showguard {

using namespace std::chrono_literals;

namespace {

std::int64_t epoch_ms()
{
	return std::chrono::duration_cast<std::chrono::milliseconds>(
		       std::chrono::system_clock::now().time_since_epoch())
		.count();
}

// A poll timeout in ms until the earliest of deadlines.
int timeout_until(std::initializer_list<std::optional<TimePoint>> deadlines)
{
	std::optional<TimePoint> earliest;
	for (const auto &d : deadlines)
		if (d && (!earliest || *d < *earliest))
			earliest = d;
	if (!earliest)
		return -1;
	const auto left = std::chrono::ceil<std::chrono::milliseconds>(*earliest - Clock::now());
	return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 3600 * 1000));
}

} // namespace

EtcdConnection etcd_connection(const GuardOptions &options)
{
	EtcdConnection c{options.etcd_endpoints, options.etcd_cacert, options.etcd_cert, options.etcd_key,
			 options.etcd_user, {}};
	if (!options.etcd_password_file.empty()) {
		std::ifstream in(options.etcd_password_file, std::ios::binary);
		if (!in || !std::getline(in, c.password) || c.password.empty())
			throw Error(ExitCode::config, "cannot read the etcd password from " +
							      options.etcd_password_file.string() +
							      " (etcd-password-file: the password on its first line)");
	}
	return c;
}

std::string describe_holder(const HolderRecord &record)
{
	std::string text = "guard pid " + std::to_string(record.guard_pid) + " (";
	text += record.show_pid > 0 ? "show pid " + std::to_string(record.show_pid) : std::string("show not started yet");
	text += ") on host " + record.host + " since " + format_iso8601(record.since_ms);
	return text;
}

EtcdLock::EtcdLock(const GuardOptions &options, EtcdConnection connection)
	: options_(options), client_(std::move(connection)), timing_{options.lease_ttl, options.kill_timeout}
{
	record_.show = options.show;
	record_.host = host_name();
	record_.guard_pid = ::getpid();
}

EtcdLock::~EtcdLock()
{
	release();
}

Duration EtcdLock::setup_timeout() const noexcept
{
	return std::clamp<Duration>(timing_.ttl / 3, 500ms, 5s);
}

bool EtcdLock::poll_once(int extra_fd, std::optional<TimePoint> until)
{
	std::vector<pollfd> fds{{extra_fd, POLLIN, 0}};
	client_.add_poll_fds(fds);
	const int timeout = timeout_until({until, next_deadline(), retry_at_});
	if (::poll(fds.data(), fds.size(), timeout) < 0) {
		if (errno == EINTR)
			return false;
		throw_errno(ExitCode::os_error, "poll failed while talking to etcd");
	}
	const TimePoint now = Clock::now();
	handle_poll(std::span(fds).subspan(1), now);
	return fds[0].revents != 0;
}

EtcdLock::Result EtcdLock::acquire(std::optional<Duration> wait, SignalFd &signals,
				   const std::function<void(const std::string &)> &on_wait)
{
	const TimePoint began = Clock::now();
	const std::optional<TimePoint> give_up =
		!wait ? std::optional<TimePoint>() : *wait >= max_duration ? std::nullopt : std::optional(began + *wait);
	std::string told, told_shape; // what on_wait last said; the same without numbers
	auto tell = [&](const std::string &what) {
		// "timed out after 1001 ms" and "after 1000 ms" are one story: tell
		// it once, not on every retry.
		std::string shape = what;
		std::erase_if(shape, [](char c) { return c >= '0' && c <= '9'; });
		if (shape != told_shape) {
			told_shape = std::move(shape);
			on_wait(told = what);
		}
	};

	start_step(Step::grant);
	for (;;) {
		if (step_ == Step::owned)
			return {Outcome::acquired, {}, 0};
		if (step_ == Step::busy) {
			release();
			return {Outcome::busy, holder_, 0};
		}
		if (!error_.empty()) {
			if (!wait || error_is_fatal_) {
				const std::string error = error_;
				release();
				throw Error(ExitCode::unavailable, "show " + options_.show + ": etcd lock " +
									 lock_prefix(options_.show) + ": " + error);
			}
			tell("the etcd cluster (" + error_ + ")");
			error_.clear();
		}
		if (step_ == Step::watch)
			tell("the etcd lock " + lock_prefix(options_.show) + ", held by " + holder_);
		if (wait && give_up && Clock::now() >= *give_up) {
			std::string what = step_ == Step::watch ? holder_ : told;
			if (what.empty())
				what = "the etcd cluster (no answer yet from " + client_.endpoint() + ")";
			release();
			return {Outcome::timed_out, what, 0};
		}
		if (poll_once(signals.fd(), wait ? give_up : std::nullopt)) {
			while (auto info = signals.read()) {
				const int s = static_cast<int>(info->ssi_signo);
				const bool terminal_stop = from_terminal(*info) && (s == SIGQUIT || s == SIGHUP);
				if (is_stop_signal(s) || terminal_stop) {
					release();
					return {Outcome::interrupted, {}, s};
				}
			}
		}
		if (keeper_ && keeper_->lost() && step_ != Step::owned) {
			// Our key went with the lease: queue up again from the start.
			error_ = keeper_->loss();
			start_over();
		}
		if (retry_at_ && Clock::now() >= *retry_at_) {
			retry_at_.reset();
			start_step(step_);
		}
	}
}

void EtcdLock::start_over()
{
	if (pending_)
		client_.cancel(*std::exchange(pending_, std::nullopt));
	keeper_.reset();
	lease_ = 0;
	revision_ = 0;
	retry_at_ = Clock::now() + timing_.retry_delay();
	step_ = Step::grant;
}

void EtcdLock::failed(const EtcdClient::Response &response, const char *doing)
{
	error_ = response.error + " (" + doing + ")";
	// etcd's own refusal (no permission, bad credentials) will not go away by
	// waiting; a member that cannot be reached or has no leader may.
	error_is_fatal_ = response.etcd_said && response.error.find("no leader") == std::string::npos &&
			  response.error.find("timed out") == std::string::npos &&
			  response.error.find("not found") == std::string::npos;
	retry_at_ = Clock::now() + std::max<Duration>(timing_.retry_delay(), 500ms);
}

void EtcdLock::start_step(Step step)
{
	step_ = step;
	const Duration timeout = setup_timeout();
	switch (step) {
	case Step::grant: {
		const TimePoint sent = Clock::now();
		const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(timing_.ttl).count();
		pending_ = client_.post("/v3/lease/grant", grant_request(ttl), timeout,
					[this, sent](const EtcdClient::Response &r) {
						pending_.reset();
						const auto grant = r.ok ? parse_grant(r.body) : std::nullopt;
						if (!grant) {
							EtcdClient::Response bad = r;
							if (r.ok)
								bad = {false, {}, client_.endpoint() + ": unexpected answer: " + error_message(r.body), true};
							return failed(bad, "granting a lease");
						}
						lease_ = grant->lease;
						key_ = lock_key(options_.show, lease_);
						keeper_ = std::make_unique<LeaseKeeper>(client_, lease_, timing_, sent);
						keeper_->on_failure([this] {
							// The member we watched through may be the one
							// that failed: watch again through another.
							if (step_ == Step::watch)
								start_step(Step::check);
						});
						record_.since_ms = epoch_ms();
						start_step(Step::create);
					});
		return;
	}
	case Step::create:
		pending_ = client_.post("/v3/kv/txn", create_key_request(key_, format_holder(record_), lease_), timeout,
					[this](const EtcdClient::Response &r) {
						pending_.reset();
						const auto created = r.ok ? parse_create_key(r.body) : std::nullopt;
						if (!created)
							return failed(r, "creating the lock key");
						revision_ = created->create_revision;
						start_step(Step::check);
					});
		return;
	case Step::check:
		if (pending_)
			client_.cancel(*std::exchange(pending_, std::nullopt));
		pending_ = client_.post("/v3/kv/range", range_request(lock_prefix(options_.show)), timeout,
					[this](const EtcdClient::Response &r) {
						pending_.reset();
						const auto range = r.ok ? parse_range(r.body) : std::nullopt;
						if (!range)
							return failed(r, "reading the lock's keys");
						checked(*range);
					});
		return;
	case Step::watch:
		pending_ = client_.post(
			"/v3/watch", watch_request(predecessor_, watch_from_), Duration::zero(),
			[this](const EtcdClient::Response &r) {
				// The stream ended (the member went away): look again.
				pending_.reset();
				if (!r.ok)
					failed(r, "watching the key ahead");
				else
					retry_at_ = Clock::now() + timing_.retry_delay();
				step_ = Step::check;
			},
			[this](std::string_view line) {
				const auto message = parse_watch_message(line);
				if (!message || !(message->deleted || message->canceled))
					return;
				client_.cancel(*std::exchange(pending_, std::nullopt));
				start_step(Step::check);
			});
		return;
	case Step::owned:
	case Step::busy:
		return;
	}
}

void EtcdLock::checked(const Range &range)
{
	const auto mine = std::find_if(range.kvs.begin(), range.kvs.end(),
				       [&](const KeyValue &kv) { return kv.key == key_; });
	if (mine == range.kvs.end()) {
		error_ = client_.endpoint() + ": our key " + key_ + " is gone (the lease expired)";
		error_is_fatal_ = false;
		start_over();
		return;
	}
	revision_ = mine->create_revision;
	const KeyValue &owner = range.kvs.front(); // sorted by create revision
	if (owner.key == key_) {
		step_ = Step::owned;
		return;
	}
	const auto holder = parse_holder(owner.value);
	holder_ = (holder ? describe_holder(*holder) : std::string("an unknown client")) + "; key " + owner.key;
	if (!options_.wait) {
		step_ = Step::busy;
		return;
	}
	// Wait for the one just ahead of us, as etcd's Mutex does: only one
	// waiter wakes per release.
	const KeyValue *ahead = &owner;
	for (const auto &kv : range.kvs)
		if (kv.create_revision < revision_ && kv.create_revision > ahead->create_revision)
			ahead = &kv;
	predecessor_ = ahead->key;
	watch_from_ = range.revision + 1;
	start_step(Step::watch);
}

void EtcdLock::handle_poll(std::span<const pollfd> fds, TimePoint now)
{
	client_.handle_poll(fds);
	if (keeper_)
		keeper_->on_deadline(now);
}

std::optional<TimePoint> EtcdLock::next_deadline() const
{
	std::optional<TimePoint> client = client_.next_deadline();
	std::optional<TimePoint> keeper = keeper_ ? keeper_->next_deadline() : std::nullopt;
	if (client && keeper)
		return std::min(*client, *keeper);
	return client ? client : keeper;
}

std::string EtcdLock::stop_reason() const
{
	if (step_ != Step::owned || !keeper_ || !keeper_->lost())
		return {};
	return "the etcd lock " + key_ + " is being lost: " + keeper_->loss() +
	       "; the show must be dead before the lease can expire";
}

void EtcdLock::show_changed(const ShowEvent &event)
{
	if (step_ != Step::owned || event.show_pid == record_.show_pid || event.show_pid == 0)
		return;
	record_.show_pid = event.show_pid;
	// Only while the key is still the one we created; a failure only
	// leaves the record less precise, the lock itself is the lease.
	client_.post("/v3/kv/txn", update_key_request(key_, revision_, format_holder(record_), lease_), setup_timeout(),
		     [show = options_.show, key = key_](const EtcdClient::Response &r) {
			     if (!r.ok)
				     spdlog::warn("show {}: cannot update the holder record in etcd {}: {}", show, key, r.error);
		     });
}

void EtcdLock::release() noexcept
{
	if (pending_)
		client_.cancel(*std::exchange(pending_, std::nullopt));
	if (lease_ == 0)
		return;
	const std::int64_t lease = std::exchange(lease_, 0);
	keeper_.reset();
	try {
		bool done = false;
		client_.post("/v3/lease/revoke", lease_request(lease), setup_timeout(),
			     [&done](const EtcdClient::Response &r) {
				     done = true;
				     if (!r.ok)
					     spdlog::debug("cannot revoke the etcd lease: {}", r.error);
			     });
		const TimePoint until = Clock::now() + setup_timeout();
		while (!done && Clock::now() < until)
			(void)poll_once(-1, until);
	} catch (const std::exception &e) {
		spdlog::debug("cannot revoke the etcd lease: {}", e.what());
	}
	step_ = Step::grant;
}

void LockLossLed::show_changed(const ShowEvent &event)
{
	if (lock_.stop_reason().empty())
		led_.show_changed(event);
	else if (led_.pattern() != LedPattern::off)
		led_.show(LedPattern::off);
}

std::optional<TimePoint> LockLossLed::next_deadline() const
{
	return lock_.stop_reason().empty() ? led_.next_deadline() : std::nullopt;
}

void LockLossLed::on_deadline(TimePoint now)
{
	if (lock_.stop_reason().empty())
		led_.on_deadline(now);
}

namespace {

// One request, answered (or failed) before it returns: for the short-lived
// commands (status, led-reset), whose only loop this is.
EtcdClient::Response ask(EtcdClient &client, const std::string &path, std::string body, Duration timeout)
{
	std::optional<EtcdClient::Response> answer;
	client.post(path, std::move(body), timeout, [&answer](const EtcdClient::Response &r) { answer = r; });
	while (!answer) {
		std::vector<pollfd> fds;
		client.add_poll_fds(fds);
		if (::poll(fds.data(), fds.size(), timeout_until({client.next_deadline()})) < 0 && errno != EINTR)
			throw_errno(ExitCode::os_error, "poll failed while talking to etcd");
		client.handle_poll(fds);
	}
	return *answer;
}

// The keys under prefix, or an error (exit 69) that names what could not be
// read and why.
Range read_range(EtcdClient &client, const std::string &prefix, Duration timeout, const std::string &what)
{
	const EtcdClient::Response answer = ask(client, "/v3/kv/range", range_request(prefix), timeout);
	auto range = answer.ok ? parse_range(answer.body) : std::nullopt;
	if (!range)
		throw Error(ExitCode::unavailable,
			    "cannot " + what + ": " + (answer.ok ? error_message(answer.body) : answer.error));
	return std::move(*range);
}

} // namespace

std::vector<std::string> revoke_dead_guards(const EtcdConnection &connection, const std::string &show)
{
	EtcdClient client(connection);
	const Range range = read_range(client, lock_prefix(show), 2s, "read the etcd lock " + lock_prefix(show));
	const std::string host = host_name();
	std::vector<std::string> revoked;
	for (const KeyValue &kv : range.kvs) {
		const auto holder = parse_holder(kv.value);
		// Only what this controller created for this show, the key bound
		// to the lease it names, its guard gone (a pid reused since only
		// leaves the lease to expire).
		if (!holder || holder->host != host || holder->show != show || kv.lease <= 0 ||
		    kv.key != lock_key(show, kv.lease) || holder->guard_pid <= 0 ||
		    ::kill(holder->guard_pid, 0) == 0 || errno != ESRCH)
			continue;
		const EtcdClient::Response r = ask(client, "/v3/lease/revoke", lease_request(kv.lease), 2s);
		if (!r.ok && r.error.find("lease not found") == std::string::npos)
			throw Error(ExitCode::unavailable, "cannot revoke lease " + std::to_string(kv.lease) + " of " +
								   kv.key + ": " + r.error);
		revoked.push_back("revoked lease " + std::to_string(kv.lease) + " of " + describe_holder(*holder) +
				  "; key " + kv.key);
	}
	return revoked;
}

std::vector<EtcdLockEntry> list_etcd_locks(const EtcdConnection &connection)
{
	EtcdClient client(connection);
	const Range range = read_range(client, std::string(lock_root), 3s, "list the etcd locks");
	std::map<std::string, EtcdLockEntry> shows;
	for (const auto &kv : range.kvs) { // oldest first: the first of a show holds it
		const std::string show = show_of_key(kv.key);
		if (show.empty())
			continue;
		auto [it, first] = shows.try_emplace(show);
		if (!first) {
			++it->second.waiting;
			continue;
		}
		it->second = {show, kv.key, kv.create_revision, parse_holder(kv.value), 0};
	}
	std::vector<EtcdLockEntry> out;
	for (auto &[name, entry] : shows)
		out.push_back(std::move(entry));
	return out;
}

} // namespace showguard
