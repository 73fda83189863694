// SPDX-License-Identifier: GPL-2.0-or-later
// The LED backends other than GPIO (see showguard/led_gpio.hpp), opened by
// led_setup.cpp.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "showguard/led_driver.hpp"

namespace showguard {

// A Linux LED-class device (/sys/class/leds/NAME): sets trigger to none so
// the kernel stops driving it (mmc0 on the ACT LED), then writes brightness:
// max_brightness when lit, 0 when dark (reversed with active_low). Throws
// LedUnavailable naming the directory and what is wrong.
[[nodiscard]] std::unique_ptr<LedDriver> open_sysfs_led(const std::filesystem::path &dir, bool active_low);

// What an LED-class directory holds, without changing anything: for led-test.
[[nodiscard]] std::string probe_sysfs_led(const std::filesystem::path &dir);

// The simulated LED: one line on stderr per change of what a person would
// see ("showguard: LED starcourt: ● on"); a blinking pattern is announced by
// name, its toggles only at debug level.
[[nodiscard]] std::unique_ptr<LedDriver> open_term_led(std::string show);

} // namespace showguard
