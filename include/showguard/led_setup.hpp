// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "showguard/board.hpp"
#include "showguard/guard_options.hpp"
#include "showguard/led_driver.hpp"
#include "showguard/led_spec.hpp"
#include "showguard/status_led.hpp"

namespace showguard {

// The LED a show uses, once its options and board are read. An explicit
// led (command line or any config file) wins over a board's default LED;
// an explicit led-active-low wins over the board's. --board-file wins over
// --board. Without either, there is no LED.
struct LedSetup {
	LedSpec spec;
	bool active_low = false;
	bool required = false;
	std::optional<BoardDefinition> board;
	// Label of the chip a search by line name is limited to: the board's
	// gpio-chip, for the board's own LED only.
	std::string chip_label;

	[[nodiscard]] bool wanted() const noexcept { return spec.kind != LedKind::none; }
	// "gpio:GPIO17 (board pi4b)", "sysfs:/sys/class/leds/ACT, active-low".
	[[nodiscard]] std::string describe() const;
};

// Reads the board file if one is named. Throws Error(config) for a missing
// or broken board file: before any lock is taken.
[[nodiscard]] LedSetup resolve_led(const GuardOptions &options);

// Opens the LED device, driven off. consumer_show names the GPIO consumer
// ("showguard:SHOW") and the simulated LED. nullptr when no LED is wanted.
// Throws LedUnavailable with the spec, the line and the reason.
[[nodiscard]] std::unique_ptr<LedDriver> open_led(const LedSetup &setup, const std::string &consumer_show);

// The status LED for a show whose lock is held: open_led(), and for an LED
// that cannot be driven a warning (the show runs without it, nullptr), or
// with --led-required the LedUnavailable error (exit 69).
[[nodiscard]] std::unique_ptr<StatusLed> open_status_led(const LedSetup &setup, const std::string &show);

// A front-panel device (the LED, the button) that cannot be used: with
// required, the error for the show (exit 69); else a warning, and the show
// runs without it.
void device_unavailable(const LedUnavailable &e, bool required, const std::string &show);

// What led-test reports before it drives anything: the chip, line and its
// consumer, the LED-class device's attributes. Throws LedUnavailable when
// there is nothing to find.
[[nodiscard]] std::string probe_led(const LedSetup &setup);

// The GPIO consumer name gpioinfo shows for a show's LED.
[[nodiscard]] std::string led_consumer(const std::string &show);

} // namespace showguard
