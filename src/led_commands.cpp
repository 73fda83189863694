// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/led_commands.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include <poll.h>

#include <spdlog/spdlog.h>

#include "showguard/board.hpp"
#include "showguard/error.hpp"
#include "showguard/etcd_lock.hpp"
#include "showguard/guard.hpp"
#include "showguard/led_setup.hpp"
#include "showguard/logging.hpp"
#include "showguard/show_lock.hpp"
#include "showguard/signals.hpp"

namespace showguard {

namespace {

constexpr Duration default_step = std::chrono::seconds(2);

// The show's lock, taken without waiting, or an Error(busy) naming the holder.
std::optional<ShowLock> try_show_lock(const LockDir &dir, const std::string &show)
{
	ShowLock lock(dir, LockKind::show, show);
	if (!lock.try_lock())
		return std::nullopt;
	return lock;
}

// Shows one pattern for `step`, serving the LED's deadlines and stop signals.
// Returns the stop signal, or 0.
int show_for(StatusLed &led, LedPattern pattern, Duration step, SignalFd &signals)
{
	led.show(pattern);
	const TimePoint end = Clock::now() + step;
	for (;;) {
		const TimePoint now = Clock::now();
		if (now >= end)
			return 0;
		TimePoint wake = end;
		if (const auto d = led.next_deadline(); d && *d < wake)
			wake = *d;
		const auto left = std::chrono::ceil<std::chrono::milliseconds>(wake - now);
		pollfd p{signals.fd(), POLLIN, 0};
		if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0))) < 0 && errno != EINTR)
			throw_errno(ExitCode::os_error, "poll failed");
		if (p.revents) {
			while (auto info = signals.read()) {
				const int s = static_cast<int>(info->ssi_signo);
				if (is_stop_signal(s) || s == SIGHUP || s == SIGQUIT)
					return s;
			}
		}
		if (const auto d = led.next_deadline(); d && *d <= Clock::now())
			led.on_deadline(Clock::now());
	}
}

} // namespace

int run_boards(const CommandLine & /*cl*/)
{
	std::vector<std::string> problems;
	const auto boards = list_boards(problems);
	const std::string model = machine_model();
	std::size_t name_width = 4;
	std::size_t led_width = 3;
	std::size_t chip_width = 9;
	for (const auto &b : boards) {
		name_width = std::max(name_width, b.name.size());
		led_width = std::max(led_width, to_string(b.led).size() + (b.led_active_low ? 11 : 0));
		chip_width = std::max(chip_width, b.gpio_chip.size());
	}
	if (boards.empty() && problems.empty()) {
		// The package ships the board files: none at all is an installation that
		// lost them (or a binary moved away from its share/), not an empty list.
		std::string dirs;
		for (const auto &d : board_search_dirs())
			dirs += (dirs.empty() ? "" : ", ") + d.string();
		throw Error(ExitCode::os_file, "no board definitions in " + (dirs.empty() ? "any directory" : dirs) +
						       " (the package installs them in share/showguard/boards beside bin/)");
	}
	if (!boards.empty()) {
		std::printf("  %-*s  %-*s  %-*s  %s\n", static_cast<int>(name_width), "NAME", static_cast<int>(led_width),
			    "LED", static_cast<int>(chip_width), "GPIO CHIP", "DESCRIPTION");
	}
	bool matched = false;
	for (const auto &b : boards) {
		const bool here = board_matches(b, model);
		matched = matched || here;
		const std::string led = to_string(b.led) + (b.led_active_low ? " active-low" : "");
		std::printf("%c %-*s  %-*s  %-*s  %s\n", here ? '*' : ' ', static_cast<int>(name_width), b.name.c_str(),
			    static_cast<int>(led_width), led.c_str(), static_cast<int>(chip_width),
			    b.gpio_chip.empty() ? "any" : b.gpio_chip.c_str(), b.description.c_str());
	}
	if (matched)
		std::printf("* this machine: %s\n", model.c_str());
	std::fflush(stdout);
	for (const auto &p : problems)
		spdlog::error("{}", p);
	return problems.empty() ? 0 : to_int(ExitCode::config);
}

int run_led_test(const CommandLine &cl)
{
	const GuardOptions options = load_show_options(cl);
	set_log_level(options.log_level);
	const LedSetup setup = resolve_led(options);
	if (!setup.wanted())
		throw Error(ExitCode::usage, std::string("no LED to test") +
						     (cl.show.empty() ? "" : " for show " + cl.show) +
						     ": give --led SPEC or --board NAME (see 'showguard led-test --help')");
	const Duration step = cl.step.value_or(default_step);
	const std::string who = cl.show.empty() ? "led-test" : cl.show;

	SignalFd signals;
	std::optional<LockDir> dir;
	std::optional<ShowLock> lock;
	if (!cl.show.empty()) {
		dir.emplace(LockDir::open(options.lock_dir, true));
		lock = try_show_lock(*dir, cl.show);
		if (!lock) {
			const ShowLock busy(*dir, LockKind::show, cl.show);
			spdlog::error("show {} is running ({}): its guard owns the LED; stop the show to test it", cl.show,
				      describe_holder(*dir, busy));
			return options.conflict_exit_code;
		}
	}

	std::printf("LED: %s\n", setup.describe().c_str());
	if (setup.board)
		std::printf("board: %s: %s (%s)\n", setup.board->name.c_str(), setup.board->description.c_str(),
			    setup.board->path.c_str());
	std::fflush(stdout);
	std::string found;
	try {
		found = probe_led(setup);
		std::printf("found: %s\n", found.c_str());
		std::fflush(stdout);
		auto driver = open_led(setup, who);
		StatusLed led(std::move(driver), who);
		std::printf("driving %s: each pattern for %s\n", led.driver().describe().c_str(),
			    format_duration(step).c_str());
		std::fflush(stdout);
		for (LedPattern p : {LedPattern::on, LedPattern::starting, LedPattern::restarting, LedPattern::stopping,
				     LedPattern::armed, LedPattern::off}) {
			const PatternTiming t = timing_of(p);
			if (t.blinks())
				std::printf("  %-10s  %s on, %s off\n", to_string(p), format_duration(t.lit).c_str(),
					    format_duration(t.dark).c_str());
			else
				std::printf("  %s\n", to_string(p));
			std::fflush(stdout);
			if (const int signo = show_for(led, p, p == LedPattern::off ? Duration(0) : step, signals)) {
				std::printf("stopped by SIG%s; the LED is off\n", ::sigabbrev_np(signo));
				return 128 + signo;
			}
		}
	} catch (const LedUnavailable &e) {
		spdlog::error("{}", e.what());
		return to_int(ExitCode::unavailable);
	}
	std::printf("done: the LED is off\n");
	return 0;
}

int run_led_reset(const CommandLine &cl)
{
	const GuardOptions options = load_show_options(cl);
	set_log_level(options.log_level);
	const LedSetup setup = resolve_led(options);
	const bool etcd = options.lock_backend == LockBackend::etcd;
	if (!setup.wanted() && !etcd) {
		spdlog::info("show {} has no LED", cl.show);
		return 0;
	}
	const LockDir dir = LockDir::open(options.lock_dir, true);
	ShowLock lock(dir, LockKind::show, cl.show);
	if (!lock.try_lock()) {
		spdlog::info("show {} is running ({}): its guard owns the LED{}; left as it is", cl.show,
			     describe_holder(dir, lock), etcd ? " and its etcd lease" : "");
		return 0;
	}
	// Holding the lock, the LED is ours: open it (which drives it off) and
	// let it go again, off, before the lock is released.
	if (setup.wanted()) {
		auto led = open_status_led(setup, cl.show);
		if (led) {
			spdlog::info("show {}: LED {} is off", cl.show, led->driver().describe());
			led.reset();
		}
	}
	if (etcd) {
		// Holding the lock also proves that the show's guard and every
		// process of its show are gone from this controller: a lease of
		// theirs still in etcd only keeps a standby waiting for the TTL.
		try {
			for (const auto &line : revoke_dead_guards(etcd_connection(options), cl.show))
				spdlog::info("show {}: {}", cl.show, line);
		} catch (const Error &e) {
			// The lease then ends with its TTL, as after a controller's death.
			spdlog::warn("show {}: {}", cl.show, e.what());
		}
	}
	return 0;
}

} // namespace showguard
