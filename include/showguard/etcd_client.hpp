// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <poll.h>

#include "showguard/duration.hpp"
#include "showguard/supervisor.hpp"

namespace showguard {

// How to reach the cluster: --etcd-endpoints and the TLS and auth options.
struct EtcdConnection {
	std::vector<std::string> endpoints; // "http://10.0.0.2:2379", "https://..."
	std::string cacert, cert, key;      // PEM files; empty: none (the system's CAs)
	std::string user, password;         // password read from --etcd-password-file
};

// A client of etcd's v3 JSON gateway over HTTP(S), on libcurl's multi
// interface so that its sockets and timers join the caller's poll loop (the
// supervisor's, or the lock's while waiting): no threads. Requests are POSTs
// of a JSON body; the answer comes back to a handler called from
// handle_poll(). One endpoint is used at a time; a connection failure moves
// on to the next, so a dead member costs one failed request.
class EtcdClient {
public:
	struct Response {
		bool ok = false;
		std::string body;     // the answer (ok)
		std::string error;    // "ENDPOINT: what went wrong" (not ok), every endpoint tried
		bool etcd_said = false; // the error is etcd's own answer, not a transport failure
	};
	using Handler = std::function<void(const Response &)>;
	using LineHandler = std::function<void(std::string_view line)>;
	using RequestId = std::uint64_t;

	explicit EtcdClient(EtcdConnection connection);
	EtcdClient(const EtcdClient &) = delete;
	EtcdClient &operator=(const EtcdClient &) = delete;
	~EtcdClient();

	// POSTs body to path (/v3/...). attempts: how many endpoints to try
	// (0: each once); timeout: for each attempt (0: none, for streams). For
	// a stream (lines set), each line of the answer goes to lines as it
	// arrives and done is called once the stream ends. Handlers run from
	// handle_poll(), never from inside post().
	RequestId post(const std::string &path, std::string body, Duration timeout, Handler done,
		       LineHandler lines = {}, unsigned attempts = 0);
	// The same, one attempt at endpoints()[member] whichever is current:
	// for asking several members at once (a renewal hedged across them).
	RequestId post_to(std::size_t member, const std::string &path, std::string body, Duration timeout,
			  Handler done);
	// Drops a request; its handler is not called.
	void cancel(RequestId id) noexcept;

	// The event loop: descriptors to poll, the next timer, and the work
	// to do when either is due (fds as returned by poll for add_poll_fds's
	// entries; also call it when the deadline has passed).
	void add_poll_fds(std::vector<pollfd> &fds) const;
	void handle_poll(std::span<const pollfd> fds);
	[[nodiscard]] std::optional<TimePoint> next_deadline() const noexcept { return timer_; }

	[[nodiscard]] const std::string &endpoint() const noexcept;
	// Moves to the next endpoint (after a failure the caller noticed).
	void next_endpoint() noexcept;
	[[nodiscard]] const std::vector<std::string> &endpoints() const noexcept { return connection_.endpoints; }

private:
	struct Request;
	RequestId add(const std::string &path, std::string body, Duration timeout, Handler done, LineHandler lines,
		      unsigned attempts, std::optional<std::size_t> member);
	void start(Request &request);
	void finished(Request &request, int curl_code);
	void deliver_lines();
	void collect_done();
	void authenticate_then(Request &request);
	static int on_socket(void *easy, int fd, int what, void *self, void *socket_data);
	static int on_timer(void *multi, long timeout_ms, void *self);

	EtcdConnection connection_;
	void *multi_ = nullptr;
	std::size_t current_ = 0;
	std::string token_;
	std::map<int, short> sockets_; // fd -> poll events curl wants
	std::optional<TimePoint> timer_;
	std::map<RequestId, std::unique_ptr<Request>> requests_;
	RequestId next_id_ = 1;
};

} // namespace showguard
