// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "showguard/button.hpp"

namespace showguard {

// The show button's GPIO line, requested as an input with edge events on
// both edges, with the libgpiod generation the build found
// (button_gpiod_v1.cpp or button_gpiod_v2.cpp). Its descriptor becomes
// readable when the kernel has queued edges: a source on the guard's one
// event loop, no polling of the line's value. Releasing the request (the
// destructor) gives the line back to the kernel.
class ButtonLine {
public:
	ButtonLine() = default;
	ButtonLine(const ButtonLine &) = delete;
	ButtonLine &operator=(const ButtonLine &) = delete;
	virtual ~ButtonLine() = default;

	// Readable when edge events are queued.
	[[nodiscard]] virtual int fd() const = 0;
	// The level now, active (pressed) or not.
	[[nodiscard]] virtual bool pressed() = 0;
	// The queued edges, oldest first; called when fd() is readable. Throws SystemError.
	[[nodiscard]] virtual std::vector<ButtonEdge> read_edges() = 0;
	// True if the kernel debounces the line (libgpiod 2.x's debounce_period);
	// else the guard debounces from the edges' timestamps.
	[[nodiscard]] virtual bool kernel_debounced() const = 0;
	// "GPIO22 (/dev/gpiochip0 [pinctrl-bcm2711] line 22)".
	[[nodiscard]] virtual std::string describe() const = 0;
};

// Requests line offset of chip as the button, as consumer, active-low or
// not, with a bias towards released where the kernel supports it (pull-up
// for active-low, pull-down for active-high). Throws SystemError (EBUSY:
// another consumer has the line).
[[nodiscard]] std::unique_ptr<ButtonLine> request_button_line(const std::filesystem::path &chip, unsigned offset,
							      const std::string &consumer, bool active_low,
							      std::string description);

} // namespace showguard
