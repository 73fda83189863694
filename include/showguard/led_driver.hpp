// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string>

#include "showguard/error.hpp"

namespace showguard {

// What the LED shows. A person at the venue reads the show's state from it:
// steady on while the show runs, three blink patterns that can be told apart
// at a glance for the moments in between, off when the lock is not held.
enum class LedPattern {
	off,
	on,         // the show runs
	starting,   // fast blink: the lock is held, the show is being started
	restarting, // slow blink: waiting out --restart-delay
	stopping,   // short flashes: the show was asked to stop
	armed,      // a blip every 2 s: the lock is held, waiting for the show button
};

[[nodiscard]] const char *to_string(LedPattern pattern) noexcept;

// One LED device, opened and owned: a requested GPIO line, an LED-class
// directory, the simulated terminal LED. Opening it drives it off (a known
// state whatever the previous holder left), and the destructor drives it
// off explicitly before letting the device go: a Raspberry Pi kernel keeps a
// released GPIO output at its last level. Active-low is the driver's
// business: lit means the LED shines.
class LedDriver {
public:
	LedDriver() = default;
	LedDriver(const LedDriver &) = delete;
	LedDriver &operator=(const LedDriver &) = delete;
	virtual ~LedDriver() = default;

	// Lights or darkens the LED. Throws SystemError when the device refuses.
	virtual void set(bool lit) = 0;

	// What is driven, for messages: "GPIO17 (/dev/gpiochip0 [pinctrl-bcm2711] line 17)".
	[[nodiscard]] virtual std::string describe() const = 0;

	// Told of a new pattern before the set() calls that show it; the
	// simulated LED prints the pattern's name instead of every toggle.
	virtual void pattern_changed(LedPattern /*pattern*/) {}
};

// An LED that cannot be driven: no such chip or line, the line is busy, no
// permission. A warning (the show runs without it), or with --led-required
// an error with exit status 69. The message names the line and the reason.
class LedUnavailable : public Error {
public:
	explicit LedUnavailable(const std::string &message) : Error(ExitCode::unavailable, message) {}
};

} // namespace showguard
