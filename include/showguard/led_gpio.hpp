// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "showguard/led_driver.hpp"
#include "showguard/led_spec.hpp"

namespace showguard {

// A GPIO LED through the kernel's character device, with whichever libgpiod
// generation the build found (led_gpiod_v1.cpp or led_gpiod_v2.cpp). Finding
// the line is the same for both and lives in led_gpio.cpp; each generation
// only opens chips, reads line info and requests the line.

// A line as the kernel reports it (what gpioinfo prints).
struct GpioLineInfo {
	std::string name;
	bool used = false;
	std::string consumer;
	bool output = false;
	bool active_low = false;
};

// One open GPIO chip.
class GpioChip {
public:
	GpioChip() = default;
	GpioChip(const GpioChip &) = delete;
	GpioChip &operator=(const GpioChip &) = delete;
	virtual ~GpioChip() = default;

	[[nodiscard]] virtual std::filesystem::path path() const = 0;
	[[nodiscard]] virtual std::string name() const = 0;  // gpiochip0
	[[nodiscard]] virtual std::string label() const = 0; // pinctrl-bcm2711
	[[nodiscard]] virtual unsigned num_lines() const = 0;
	// The first line of that name on this chip.
	[[nodiscard]] virtual std::optional<unsigned> find_line(const std::string &name) const = 0;
	// Throws SystemError.
	[[nodiscard]] virtual GpioLineInfo line_info(unsigned offset) const = 0;

	// Requests the line as an output, driven inactive (the LED off) from the
	// first moment, as consumer; with active_low the kernel inverts it. The
	// driver takes over the open chip: this object is spent after a success
	// (after a failure it can still answer line_info()).
	// Throws SystemError (EBUSY: another consumer has the line).
	[[nodiscard]] virtual std::unique_ptr<LedDriver> request_led(unsigned offset, const std::string &consumer,
								     bool active_low, std::string description) = 0;
};

// Where chips come from: /dev/gpiochip* for real, a fake set in tests.
class GpioChipSource {
public:
	virtual ~GpioChipSource() = default;
	// Every chip's device path, in number order.
	[[nodiscard]] virtual std::vector<std::filesystem::path> paths() const = 0;
	// Opens one; throws SystemError naming the path.
	[[nodiscard]] virtual std::unique_ptr<GpioChip> open(const std::filesystem::path &path) const = 0;
};

// The machine's chips, opened with the libgpiod this build uses.
[[nodiscard]] const GpioChipSource &system_gpio_chips();

// Opens one chip with the libgpiod this build uses (led_gpiod_v1/v2.cpp).
[[nodiscard]] std::unique_ptr<GpioChip> open_gpio_chip(const std::filesystem::path &path);

// Which libgpiod this build uses, e.g. "libgpiod 2.1.3".
[[nodiscard]] std::string gpiod_library_version();

// A line found, on its open chip.
struct GpioLine {
	std::unique_ptr<GpioChip> chip;
	unsigned offset = 0;
	std::string name; // the line's own name, may be empty
	[[nodiscard]] std::string describe() const;
};

// Finds the line a gpio: spec names. chip_label, if not empty, limits a
// search by name to chips of that label (a board's header chip). Throws
// LedUnavailable saying exactly what is missing: no chips at all, no chip
// of that name or label, no line of that name or offset, or a chip that
// cannot be opened (permission denied).
[[nodiscard]] GpioLine find_gpio_line(const LedSpec &spec, const std::string &chip_label,
				      const GpioChipSource &chips);

// Finds and requests the line as consumer "showguard:SHOW". A busy line's
// error names the consumer that holds it. Throws LedUnavailable.
[[nodiscard]] std::unique_ptr<LedDriver> open_gpio_led(const LedSpec &spec, const std::string &chip_label,
						       const std::string &consumer, bool active_low,
						       const GpioChipSource &chips);

} // namespace showguard
