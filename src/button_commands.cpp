// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/button_commands.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include <poll.h>

#include <spdlog/spdlog.h>

#include "showguard/error.hpp"
#include "showguard/guard.hpp"
#include "showguard/led_gpio.hpp"
#include "showguard/led_setup.hpp"
#include "showguard/logging.hpp"
#include "showguard/show_button.hpp"
#include "showguard/show_lock.hpp"
#include "showguard/signals.hpp"

namespace showguard {

namespace {

std::string seconds(ButtonTime t)
{
	const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
	char buf[48];
	std::snprintf(buf, sizeof(buf), "%lld.%06lld", static_cast<long long>(us / 1'000'000),
		      static_cast<long long>(us % 1'000'000));
	return buf;
}

void print(const ButtonInput &input, std::optional<ButtonTime> &pressed_at)
{
	for (const ButtonEdge &e : input.edges) {
		if (e.pressed) {
			std::printf("%s pressed\n", seconds(e.time).c_str());
			pressed_at = e.time;
		} else {
			const auto held = pressed_at ? std::chrono::duration_cast<Duration>(e.time - *pressed_at) : Duration(0);
			std::printf("%s released%s\n", seconds(e.time).c_str(),
				    pressed_at ? (" after " + format_duration(held)).c_str() : "");
			pressed_at.reset();
		}
	}
	for (ButtonGesture g : input.gestures)
		std::printf("  => %s\n", g == ButtonGesture::press ? "press" : "long press");
	std::fflush(stdout);
}

} // namespace

int run_button_test(const CommandLine &cl)
{
	const GuardOptions options = load_show_options(cl);
	set_log_level(options.log_level);
	const LedSetup led = resolve_led(options);
	const ButtonSetup setup = resolve_button(options, led.board);
	if (!setup.wanted())
		throw Error(ExitCode::usage, std::string("no button to test") +
						     (cl.show.empty() ? "" : " for show " + cl.show) +
						     ": give --button SPEC or --board NAME (see 'showguard button-test --help')");
	SignalFd signals;
	std::optional<LockDir> dir;
	std::optional<ShowLock> lock;
	if (!cl.show.empty()) {
		dir.emplace(LockDir::open(options.lock_dir, true));
		lock.emplace(*dir, LockKind::show, cl.show);
		if (!lock->try_lock()) {
			spdlog::error("show {} is running ({}): its guard owns the button; stop the show to test it",
				      cl.show, describe_holder(*dir, *lock));
			return options.conflict_exit_code;
		}
	}

	std::unique_ptr<ButtonLine> line;
	try {
		line = open_button_line(setup, cl.show.empty() ? "button-test" : cl.show);
	} catch (const LedUnavailable &e) {
		spdlog::error("{}", e.what());
		return to_int(ExitCode::unavailable);
	}
	std::printf("button: %s, %s, %s; %s\n", line->describe().c_str(),
		    setup.active_low ? "active-low" : "active-high",
		    line->kernel_debounced() ? "debounced by the kernel" : "debounced from edge timestamps",
		    gpiod_library_version().c_str());
	std::printf("now %s; press the button (Ctrl-C ends)\n", line->pressed() ? "pressed" : "released");
	std::fflush(stdout);
	ShowButton button(std::move(line), setup.hold);
	std::optional<ButtonTime> pressed_at;
	for (;;) {
		int timeout = -1;
		if (const auto d = button.next_deadline()) {
			const auto left = std::chrono::ceil<std::chrono::milliseconds>(*d - ButtonClock::now());
			timeout = static_cast<int>(std::max<std::int64_t>(left.count(), 0));
		}
		pollfd fds[2] = {{signals.fd(), POLLIN, 0}, {button.fd(), POLLIN, 0}};
		if (::poll(fds, 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			throw_errno(ExitCode::os_error, "poll failed");
		}
		if (fds[0].revents) {
			while (auto info = signals.read()) {
				const int s = static_cast<int>(info->ssi_signo);
				if (is_stop_signal(s) || s == SIGHUP || s == SIGQUIT) {
					std::printf("stopped by SIG%s\n", ::sigabbrev_np(s));
					return 128 + s;
				}
			}
		}
		if (fds[1].revents)
			print(button.readable(ButtonClock::now()), pressed_at);
		else if (const auto d = button.next_deadline(); d && *d <= ButtonClock::now())
			print(button.deadline(ButtonClock::now()), pressed_at);
	}
}

} // namespace showguard
