// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "showguard/duration.hpp"
#include "showguard/led_spec.hpp"

namespace showguard {

// The show button: a push button on a GPIO line beside the status LED.
// This header holds its settings and its pure logic (debounce and the
// press / long-press recognition); button_line.hpp the kernel side.

using ButtonClock = std::chrono::steady_clock; // CLOCK_MONOTONIC, the clock of GPIO edge timestamps
using ButtonTime = ButtonClock::time_point;

// What a (short) press does: --button-action.
enum class ButtonAction {
	toggle,  // the guard waits armed; a press starts the show, the next stops it and re-arms
	stop,    // a press stops the show and the guard exits (button_stop_exit)
	restart, // a press stops the show and starts it again, keeping the lock
};

[[nodiscard]] const char *to_string(ButtonAction action) noexcept;
[[nodiscard]] std::optional<ButtonAction> parse_button_action(std::string_view text) noexcept;

// A line that bounces settles within this: a press is an edge that stays
// for this long. The kernel debounces libgpiod 2.x requests with it; with
// libgpiod 1.6 ButtonDebouncer does the same from the events' timestamps.
inline constexpr Duration button_debounce = std::chrono::milliseconds(50);
inline constexpr Duration default_button_hold = std::chrono::seconds(3);

// Parses a --button SPEC: the GPIO forms of an LED spec (gpio:NAME,
// gpio:CHIP:OFFSET). On failure returns nothing and says why in error.
[[nodiscard]] std::optional<LedSpec> parse_button_spec(std::string_view text, std::string &error);
inline constexpr const char *button_spec_forms = "use gpio:LINE_NAME or gpio:CHIP:OFFSET";

// One edge of the button as the kernel reported it: pressed (the line went
// active) or released, at the event's CLOCK_MONOTONIC timestamp.
struct ButtonEdge {
	bool pressed = false;
	ButtonTime time;
};

// Debounce in the guard, the kernel's way (gpiolib-cdev's debounce): an
// edge counts once the line has kept its level for the period after the
// line's last edge; bounces within the period restart it. A zero period
// passes every edge through at once (the kernel debounced them already).
class ButtonDebouncer {
public:
	explicit ButtonDebouncer(Duration period, bool pressed_now = false) noexcept
		: period_(period), stable_(pressed_now), raw_(pressed_now)
	{
	}

	// A raw edge; returns the settled change it completes (zero period only).
	[[nodiscard]] std::optional<ButtonEdge> edge(const ButtonEdge &e) noexcept;
	// When the pending level settles, if an edge is pending.
	[[nodiscard]] std::optional<ButtonTime> next_deadline() const noexcept { return settle_at_; }
	// The settled change at its deadline, if the level really changed.
	// level_now, the line's level read at now, catches an edge that the
	// kernel has timestamped but not yet delivered (its IRQ thread runs late
	// on a loaded machine): a level that disagrees with the last edge seen
	// is a change in flight, and the wait for it to hold starts again.
	[[nodiscard]] std::optional<ButtonEdge> advance(ButtonTime now,
							std::optional<bool> level_now = std::nullopt) noexcept;
	// Whether a level read now would be asked for: a change is due to settle.
	[[nodiscard]] bool due(ButtonTime now) const noexcept
	{
		return period_.count() > 0 && settle_at_ && now >= *settle_at_;
	}
	[[nodiscard]] bool pressed() const noexcept { return stable_; }

private:
	Duration period_;
	bool stable_;
	bool raw_;
	std::optional<ButtonTime> settle_at_;
};

// What a person did with the button.
enum class ButtonGesture { press, long_press };

// Press and long press from settled edges. A press counts when the button
// is released before the hold time (so that a long press never first acts
// as a short one); a long press as soon as it has been held that long,
// while still down. A release at startup without a press is nothing.
class ButtonGestures {
public:
	explicit ButtonGestures(Duration hold) noexcept : hold_(hold) {}

	[[nodiscard]] std::optional<ButtonGesture> edge(const ButtonEdge &e) noexcept;
	[[nodiscard]] std::optional<ButtonTime> next_deadline() const noexcept { return long_at_; }
	[[nodiscard]] std::optional<ButtonGesture> advance(ButtonTime now) noexcept;

private:
	Duration hold_;
	bool down_ = false;
	std::optional<ButtonTime> long_at_; // while down and the long press not yet fired
};

} // namespace showguard
