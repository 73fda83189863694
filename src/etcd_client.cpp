// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/etcd_client.hpp"

#include <algorithm>

#include "libcurl.hpp"
#include "showguard/error.hpp"
#include "showguard/etcd_protocol.hpp"
#include "showguard/guard_options.hpp"

namespace showguard {

namespace {

const Libcurl &curl() { return Libcurl::get(); }

} // namespace

const char *etcd_backend_missing() noexcept
{
	return nullptr;
}

struct EtcdClient::Request {
	RequestId id = 0;
	CURL *easy = nullptr;
	curl_slist *headers = nullptr;
	std::string path, body, answer, line_buffer;
	std::vector<std::string> lines_due;
	Handler done;
	LineHandler lines;
	Duration timeout{0};
	unsigned attempts_left = 1;
	std::optional<std::size_t> member; // fixed endpoint (post_to)
	bool reauthenticated = false;
	std::string endpoint, errors;
	char curl_error[CURL_ERROR_SIZE] = {};

	void drop_easy(CURLM *multi) noexcept
	{
		if (easy) {
			curl().multi_remove_handle(multi, easy);
			curl().easy_cleanup(easy);
			easy = nullptr;
		}
		if (headers) {
			curl().slist_free_all(headers);
			headers = nullptr;
		}
	}
};

namespace {

// An answer that says "try another member": the member has no leader, is
// not ready, or is shutting down. Anything else is etcd's final word.
bool member_unavailable(long http_status, std::string_view message)
{
	return http_status >= 500 || message.find("no leader") != std::string_view::npos ||
	       message.find("not capable") != std::string_view::npos ||
	       message.find("leader changed") != std::string_view::npos ||
	       message.find("timed out") != std::string_view::npos;
}

} // namespace

EtcdClient::EtcdClient(EtcdConnection connection) : connection_(std::move(connection))
{
	if (connection_.endpoints.empty())
		throw Error(ExitCode::config, "no etcd endpoints (--etcd-endpoints)");
	multi_ = curl().multi_init();
	if (!multi_)
		throw Error(ExitCode::os_error, "cannot initialise libcurl");
	curl().multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &EtcdClient::on_socket);
	curl().multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
	curl().multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &EtcdClient::on_timer);
	curl().multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

EtcdClient::~EtcdClient()
{
	for (auto &[id, request] : requests_)
		request->drop_easy(multi_);
	requests_.clear();
	curl().multi_cleanup(multi_);
}

const std::string &EtcdClient::endpoint() const noexcept
{
	return connection_.endpoints[current_];
}

void EtcdClient::next_endpoint() noexcept
{
	current_ = (current_ + 1) % connection_.endpoints.size();
}

EtcdClient::RequestId EtcdClient::post(const std::string &path, std::string body, Duration timeout, Handler done,
				       LineHandler lines, unsigned attempts)
{
	return add(path, std::move(body), timeout, std::move(done), std::move(lines), attempts, std::nullopt);
}

EtcdClient::RequestId EtcdClient::post_to(std::size_t member, const std::string &path, std::string body,
					  Duration timeout, Handler done)
{
	return add(path, std::move(body), timeout, std::move(done), {}, 1, member % connection_.endpoints.size());
}

EtcdClient::RequestId EtcdClient::add(const std::string &path, std::string body, Duration timeout, Handler done,
				      LineHandler lines, unsigned attempts, std::optional<std::size_t> member)
{
	auto request = std::make_unique<Request>();
	request->id = next_id_++;
	request->path = path;
	request->body = std::move(body);
	request->done = std::move(done);
	request->lines = std::move(lines);
	request->timeout = timeout;
	request->attempts_left = attempts ? attempts : static_cast<unsigned>(connection_.endpoints.size());
	request->member = member;
	Request &r = *request;
	requests_.emplace(r.id, std::move(request));
	if (!connection_.user.empty() && token_.empty() && path != "/v3/auth/authenticate")
		authenticate_then(r);
	else
		start(r);
	return r.id;
}

void EtcdClient::authenticate_then(Request &request)
{
	const RequestId waiting = request.id;
	// Its own request, one attempt per endpoint; the original starts once
	// it has a token, or fails with the authentication's error.
	post("/v3/auth/authenticate", authenticate_request(connection_.user, connection_.password),
	     request.timeout.count() ? request.timeout : std::chrono::seconds(5), [this, waiting](const Response &r) {
		     auto it = requests_.find(waiting);
		     if (it == requests_.end())
			     return;
		     if (auto token = r.ok ? parse_token(r.body) : std::nullopt) {
			     token_ = *token;
			     start(*it->second);
			     return;
		     }
		     Response failed;
		     failed.etcd_said = r.etcd_said;
		     failed.error = r.ok ? endpoint() + ": no token in the answer to authentication as " + connection_.user
					 : r.error + " (authenticating as " + connection_.user + ")";
		     Handler done = std::move(it->second->done);
		     requests_.erase(it);
		     if (done)
			     done(failed);
	     });
}

void EtcdClient::start(Request &r)
{
	r.drop_easy(multi_);
	r.answer.clear();
	r.line_buffer.clear();
	r.endpoint = r.member ? connection_.endpoints[*r.member] : endpoint();
	r.easy = curl().easy_init();
	if (!r.easy)
		throw Error(ExitCode::os_error, "cannot create a libcurl request");
	CURL *e = r.easy;
	const std::string url = r.endpoint + r.path;
	curl().easy_setopt(e, CURLOPT_URL, url.c_str());
	curl().easy_setopt(e, CURLOPT_PRIVATE, &r);
	curl().easy_setopt(e, CURLOPT_POSTFIELDS, r.body.c_str());
	curl().easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(r.body.size()));
	curl().easy_setopt(e, CURLOPT_ERRORBUFFER, r.curl_error);
	curl().easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl().easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl().easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl().easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	const long timeout_ms = static_cast<long>(r.timeout.count());
	curl().easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl().easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms ? std::min(timeout_ms, 2000L) : 2000L);
	if (!connection_.cacert.empty())
		curl().easy_setopt(e, CURLOPT_CAINFO, connection_.cacert.c_str());
	if (!connection_.cert.empty())
		curl().easy_setopt(e, CURLOPT_SSLCERT, connection_.cert.c_str());
	if (!connection_.key.empty())
		curl().easy_setopt(e, CURLOPT_SSLKEY, connection_.key.c_str());

	r.headers = curl().slist_append(r.headers, "Content-Type: application/json");
	// Without "Expect: 100-continue" curl sends the body at once.
	r.headers = curl().slist_append(r.headers, "Expect:");
	if (!token_.empty() && r.path != "/v3/auth/authenticate")
		r.headers = curl().slist_append(r.headers, ("Authorization: " + token_).c_str());
	// The gateway passes Grpc-Metadata-* on as gRPC metadata: "hasleader"
	// makes a member that loses its leader end the watch instead of
	// keeping a partitioned waiter waiting on a stale view.
	if (r.lines)
		r.headers = curl().slist_append(r.headers, "Grpc-Metadata-hasleader: true");
	curl().easy_setopt(e, CURLOPT_HTTPHEADER, r.headers);

	curl().easy_setopt(e, CURLOPT_WRITEDATA, &r);
	curl().easy_setopt(e, CURLOPT_WRITEFUNCTION, +[](char *data, size_t size, size_t count, void *user) -> size_t {
		auto &req = *static_cast<Request *>(user);
		const size_t n = size * count;
		if (!req.lines) {
			if (req.answer.size() + n > 1024 * 1024)
				return 0; // far beyond any answer of ours: fail the transfer
			req.answer.append(data, n);
			return n;
		}
		// A stream: complete lines are handed out after curl returns
		// (curl must not be called from inside its own callback).
		req.line_buffer.append(data, n);
		for (auto nl = req.line_buffer.find('\n'); nl != std::string::npos; nl = req.line_buffer.find('\n')) {
			req.lines_due.push_back(req.line_buffer.substr(0, nl));
			req.line_buffer.erase(0, nl + 1);
		}
		if (req.line_buffer.size() > 1024 * 1024)
			return 0;
		return n;
	});
	curl().multi_add_handle(multi_, e);
}

int EtcdClient::on_socket(void * /*easy*/, int fd, int what, void *self, void * /*socket_data*/)
{
	auto &client = *static_cast<EtcdClient *>(self);
	if (what == CURL_POLL_REMOVE) {
		client.sockets_.erase(fd);
		return 0;
	}
	short events = 0;
	if (what & CURL_POLL_IN)
		events |= POLLIN;
	if (what & CURL_POLL_OUT)
		events |= POLLOUT;
	client.sockets_[fd] = events;
	return 0;
}

int EtcdClient::on_timer(void * /*multi*/, long timeout_ms, void *self)
{
	auto &client = *static_cast<EtcdClient *>(self);
	if (timeout_ms < 0)
		client.timer_.reset();
	else
		client.timer_ = Clock::now() + std::chrono::milliseconds(timeout_ms);
	return 0;
}

void EtcdClient::add_poll_fds(std::vector<pollfd> &fds) const
{
	for (const auto &[fd, events] : sockets_)
		fds.push_back({fd, events, 0});
}

void EtcdClient::handle_poll(std::span<const pollfd> fds)
{
	int running = 0;
	for (const pollfd &p : fds) {
		if (!p.revents || !sockets_.count(p.fd))
			continue;
		int mask = 0;
		if (p.revents & POLLIN)
			mask |= CURL_CSELECT_IN;
		if (p.revents & POLLOUT)
			mask |= CURL_CSELECT_OUT;
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
			mask |= CURL_CSELECT_ERR;
		curl().multi_socket_action(multi_, p.fd, mask, &running);
	}
	if (timer_ && Clock::now() >= *timer_) {
		timer_.reset();
		curl().multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	deliver_lines();
	collect_done();
}

void EtcdClient::deliver_lines()
{
	std::vector<RequestId> ids;
	for (const auto &[id, request] : requests_)
		if (!request->lines_due.empty())
			ids.push_back(id);
	for (RequestId id : ids) {
		// A handler may cancel its own request or others.
		for (;;) {
			auto it = requests_.find(id);
			if (it == requests_.end() || it->second->lines_due.empty())
				break;
			std::string line = std::move(it->second->lines_due.front());
			it->second->lines_due.erase(it->second->lines_due.begin());
			LineHandler handler = it->second->lines;
			handler(line);
		}
	}
}

void EtcdClient::collect_done()
{
	int left = 0;
	while (CURLMsg *message = curl().multi_info_read(multi_, &left)) {
		if (message->msg != CURLMSG_DONE)
			continue;
		Request *request = nullptr;
		curl().easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char **>(&request));
		if (request)
			finished(*request, message->data.result);
	}
}

void EtcdClient::finished(Request &r, int curl_code)
{
	long status = 0;
	curl().easy_getinfo(r.easy, CURLINFO_RESPONSE_CODE, &status);
	Response response;
	bool try_next = false;
	if (curl_code != CURLE_OK) {
		const std::string what =
			r.curl_error[0] ? r.curl_error : curl().easy_strerror(static_cast<CURLcode>(curl_code));
		response.error = r.endpoint + ": " + what;
		try_next = true;
	} else if (status != 200) {
		const std::string message = error_message(r.lines ? r.line_buffer : r.answer);
		response.error = r.endpoint + ": " + message;
		response.etcd_said = true;
		try_next = member_unavailable(status, message);
		if (!connection_.user.empty() && !r.reauthenticated &&
		    message.find("invalid auth token") != std::string::npos) {
			// The token expired: authenticate again, then retry once.
			r.reauthenticated = true;
			token_.clear();
			r.drop_easy(multi_);
			authenticate_then(r);
			return;
		}
	} else {
		response.ok = true;
		response.body = std::move(r.answer);
	}
	r.drop_easy(multi_);
	if (!response.ok) {
		r.errors += (r.errors.empty() ? "" : "; ") + response.error;
		response.error = r.errors;
		if (try_next && endpoint() == r.endpoint)
			next_endpoint();
		if (try_next && --r.attempts_left > 0) {
			start(r);
			return;
		}
	}
	auto it = requests_.find(r.id);
	Handler done = std::move(it->second->done);
	requests_.erase(it);
	if (done)
		done(response);
}

void EtcdClient::cancel(RequestId id) noexcept
{
	auto it = requests_.find(id);
	if (it == requests_.end())
		return;
	it->second->drop_easy(multi_);
	requests_.erase(it);
}

} // namespace showguard
