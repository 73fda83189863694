// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <utility>

#include <sys/socket.h>
#include <sys/un.h>

#include "showguard/supervisor.hpp"
#include "showguard/unique_fd.hpp"

namespace showguard {

// sd_notify(3) without libsystemd: datagrams to $NOTIFY_SOCKET. READY=1
// once the lock is held and the show's program runs; STATUS= lines a
// person can read in `systemctl status`; STOPPING=1 when stopping;
// WATCHDOG=1 every half $WATCHDOG_USEC (the only timer the guard keeps
// while the show runs, and only when systemd asks for it). Does nothing
// when NOTIFY_SOCKET is unset.
class SystemdNotifier final : public ShowListener {
public:
	// Reads NOTIFY_SOCKET and WATCHDOG_USEC/WATCHDOG_PID from the environment.
	explicit SystemdNotifier(std::string show);

	[[nodiscard]] bool enabled() const noexcept { return fd_.valid(); }

	// Sends one message ("STATUS=...", "READY=1\nSTATUS=..."), never
	// blocking: one the receiver has no room for waits in a queue of
	// max_queued for POLLOUT on the loop, then is dropped and counted (a
	// warning says how many once the queue drains). Failures are logged at
	// debug level only: notification must never stop a show.
	void send(const std::string &message) noexcept;

	void show_changed(const ShowEvent &event) override;
	[[nodiscard]] std::optional<TimePoint> next_deadline() const override;
	void on_deadline(TimePoint now) override;
	void add_output_fds(std::vector<pollfd> &fds) const override;
	void output_ready(std::span<const pollfd> fds) override;

	static constexpr std::size_t max_queued = 16;

private:
	[[nodiscard]] std::pair<sockaddr_un, socklen_t> socket_address() const noexcept;
	// Sends message, with READY=1 before it the first time the service is
	// ready (armed or running); the watchdog's pings start then.
	void send_ready(std::string message);
	bool transmit(const std::string &message) noexcept;
	void drain() noexcept;

	std::string show_;
	UniqueFd fd_;
	std::string address_;
	bool connected_ = false;
	std::deque<std::string> queue_;
	std::size_t dropped_ = 0;
	bool ready_sent_ = false;
	std::optional<Duration> watchdog_interval_;
	std::optional<TimePoint> next_ping_;
};

} // namespace showguard
