// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/systemd_notify.hpp"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace showguard {

namespace {

std::optional<Duration> watchdog_from_environment()
{
	const char *usec = std::getenv("WATCHDOG_USEC");
	if (!usec)
		return std::nullopt;
	if (const char *pid = std::getenv("WATCHDOG_PID"); pid && std::to_string(::getpid()) != pid)
		return std::nullopt;
	unsigned long long value = 0;
	const std::string_view text = usec;
	auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
	if (ec != std::errc{} || p != text.data() + text.size() || value == 0)
		return std::nullopt;
	// Ping at half the interval, as sd_watchdog_enabled(3) advises.
	return std::chrono::duration_cast<Duration>(std::chrono::microseconds(value / 2));
}

} // namespace

SystemdNotifier::SystemdNotifier(std::string show) : show_(std::move(show))
{
	const char *socket_path = std::getenv("NOTIFY_SOCKET");
	if (!socket_path || !*socket_path)
		return;
	if (socket_path[0] != '/' && socket_path[0] != '@')
		return; // vsock addresses are not for a guard on a Pi
	if (std::strlen(socket_path) >= sizeof(sockaddr_un::sun_path))
		return;
	address_ = socket_path;
	fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
	if (fd_) {
		// Connected, poll(POLLOUT) says when the receiver has room again
		// (an unconnected datagram socket always looks writable); if the
		// socket cannot be reached now, each message is sent to its address.
		const auto [addr, length] = socket_address();
		connected_ = ::connect(fd_.get(), reinterpret_cast<const sockaddr *>(&addr), length) == 0;
	}
	watchdog_interval_ = watchdog_from_environment();
}

std::pair<sockaddr_un, socklen_t> SystemdNotifier::socket_address() const noexcept
{
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	std::memcpy(addr.sun_path, address_.data(), address_.size());
	socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
	if (address_[0] == '@')
		addr.sun_path[0] = '\0'; // abstract namespace
	else
		++length;                // include the terminating NUL
	return {addr, length};
}

// Non-blocking, like the log: a receiver that does not read (a hung
// manager, a test's socket) must not stop the guard's loop, so the socket
// is O_NONBLOCK (it is the guard's alone), a message it cannot take waits
// in a short queue for POLLOUT, and one that does not fit is dropped and
// counted.
void SystemdNotifier::send(const std::string &message) noexcept
{
	if (!fd_)
		return;
	drain();
	if (queue_.empty() && transmit(message))
		return;
	if (queue_.size() >= max_queued) {
		++dropped_;
		return;
	}
	try {
		queue_.push_back(message);
	} catch (...) {
		++dropped_;
	}
}

// True if the message is gone (sent, or refused for good); false if the
// receiver has no room now.
bool SystemdNotifier::transmit(const std::string &message) noexcept
{
	ssize_t n;
	do {
		if (connected_) {
			n = ::send(fd_.get(), message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
		} else {
			const auto [addr, length] = socket_address();
			n = ::sendto(fd_.get(), message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
				     reinterpret_cast<const sockaddr *>(&addr), length);
		}
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		return true;
	if ((errno == EAGAIN || errno == EWOULDBLOCK) && connected_)
		return false;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		++dropped_; // unconnected, nothing to wait on: dropped
	try {
		spdlog::debug("cannot notify systemd at {}: {}", address_, std::strerror(errno));
	} catch (...) {
	}
	return true;
}

void SystemdNotifier::drain() noexcept
{
	while (!queue_.empty() && transmit(queue_.front()))
		queue_.pop_front();
	if (queue_.empty() && dropped_) {
		const std::size_t dropped = std::exchange(dropped_, 0);
		try {
			spdlog::warn("show {}: {} notification(s) to {} dropped while it was not being read", show_,
				     dropped, address_);
		} catch (...) {
		}
	}
}

void SystemdNotifier::add_output_fds(std::vector<pollfd> &fds) const
{
	if (!queue_.empty())
		fds.push_back({fd_.get(), POLLOUT, 0});
}

void SystemdNotifier::output_ready(std::span<const pollfd> fds)
{
	for (const pollfd &p : fds)
		if (p.fd == fd_.get() && p.revents)
			drain();
}

void SystemdNotifier::send_ready(std::string message)
{
	if (!ready_sent_) {
		message = "READY=1\n" + message;
		ready_sent_ = true;
		if (watchdog_interval_)
			next_ping_ = Clock::now() + *watchdog_interval_;
	}
	send(message);
}

void SystemdNotifier::show_changed(const ShowEvent &event)
{
	if (!fd_)
		return;
	const std::string pid = std::to_string(event.show_pid);
	switch (event.state) {
	case ShowState::armed:
		// Armed is the service's ready state: the guard does what it is for.
		send_ready("STATUS=armed, press the button to start");
		break;
	case ShowState::starting:
		send("STATUS=starting " + show_ + " (pid " + pid + ")");
		break;
	case ShowState::running: {
		std::string message = "STATUS=running " + show_ + " (pid " + pid + ")";
		if (event.restarts)
			message += ", " + std::to_string(event.restarts) + " restart(s)";
		send_ready(std::move(message));
		break;
	}
	case ShowState::restart_wait:
		send("STATUS=restarting " + show_ + " in " + format_duration(event.restart_delay) + " after it " +
		     (event.last_exit ? event.last_exit->describe() : std::string("ended")));
		break;
	case ShowState::stopping:
		// A button's stop that keeps the lock is no stop of the service.
		send(std::string(event.stays ? "" : "STOPPING=1\n") + "STATUS=stopping " + show_ +
		     (event.show_pid ? " (pid " + pid + ")" : ""));
		break;
	case ShowState::finished:
		send("STOPPING=1\nSTATUS=" + show_ + " ended: " +
		     (event.last_exit ? event.last_exit->describe() : std::string("stopped")));
		next_ping_.reset();
		break;
	}
}

std::optional<TimePoint> SystemdNotifier::next_deadline() const
{
	return next_ping_;
}

void SystemdNotifier::on_deadline(TimePoint now)
{
	send("WATCHDOG=1");
	next_ping_ = now + *watchdog_interval_;
}

} // namespace showguard
