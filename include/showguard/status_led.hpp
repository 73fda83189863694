// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "showguard/led_driver.hpp"
#include "showguard/supervisor.hpp"

namespace showguard {

// The timing of a pattern: lit for `lit`, then dark for `dark`, repeated.
// Steady patterns have a zero phase and need no timer at all.
struct PatternTiming {
	Duration lit;
	Duration dark;
	[[nodiscard]] bool blinks() const noexcept { return lit.count() > 0 && dark.count() > 0; }
};

[[nodiscard]] PatternTiming timing_of(LedPattern pattern) noexcept;

// The pattern that shows a state of the show.
[[nodiscard]] LedPattern pattern_for(ShowState state) noexcept;

// Pure pattern logic: whether the LED is lit at a given time and when it
// next changes. Deadlines follow each other without drift; after a long
// stall (a suspended machine) the pattern restarts instead of catching up
// with a burst of toggles.
class LedBlinker {
public:
	void start(LedPattern pattern, TimePoint now) noexcept;
	// Moves past every phase that ended by now; true if lit() changed.
	bool advance(TimePoint now) noexcept;

	[[nodiscard]] LedPattern pattern() const noexcept { return pattern_; }
	[[nodiscard]] bool lit() const noexcept { return lit_; }
	// Unset for steady patterns: a steady LED costs no wake-ups.
	[[nodiscard]] std::optional<TimePoint> next_change() const noexcept { return next_; }

private:
	LedPattern pattern_ = LedPattern::off;
	bool lit_ = false;
	std::optional<TimePoint> next_;
};

// The status LED of a show whose lock the guard holds: listens to the
// supervisor and shows its state with the patterns above, blinking through
// the event loop's deadlines (no threads, no sleeps). Created only once the
// lock is held, so a refused or waiting guard never touches the LED;
// destroyed before the lock is released, so the LED is off by the time
// another guard can take the show. A device that fails while the show runs
// is reported once and otherwise ignored: the LED describes the show, it
// does not guard it.
class StatusLed final : public ShowListener {
public:
	using NowFunction = TimePoint (*)();

	// Drives the LED off at once: a known state, whatever the previous
	// holder of the lock left behind.
	StatusLed(std::unique_ptr<LedDriver> driver, std::string show, NowFunction now = &Clock::now);
	StatusLed(const StatusLed &) = delete;
	StatusLed &operator=(const StatusLed &) = delete;
	// Drives the LED off, then the driver releases the device.
	~StatusLed() override;

	void show(LedPattern pattern);
	[[nodiscard]] LedPattern pattern() const noexcept { return blinker_.pattern(); }
	[[nodiscard]] const LedDriver &driver() const noexcept { return *driver_; }

	void show_changed(const ShowEvent &event) override;
	[[nodiscard]] std::optional<TimePoint> next_deadline() const override;
	void on_deadline(TimePoint now) override;

private:
	void drive(bool lit) noexcept;

	std::unique_ptr<LedDriver> driver_;
	std::string show_;
	NowFunction now_;
	LedBlinker blinker_;
	bool failed_ = false; // a failure was reported; later ones only at debug level
};

} // namespace showguard
