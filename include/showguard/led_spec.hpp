// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace showguard {

// Which LED shows that a show holds its lock: the value of --led / "led =".
//   none                 no LED
//   term                 a simulated LED: state changes printed on stderr
//   gpio:LINE_NAME       the GPIO line of that name, searched on every chip
//                        (gpio:GPIO17); names survive the renumbering of
//                        chips between kernels, numbers do not
//   gpio:CHIP:OFFSET     line OFFSET of CHIP: a device path (/dev/gpiochip0),
//                        a chip name (gpiochip0) or a chip label (pinctrl-rp1)
//   sysfs:PATH           a Linux LED-class device (/sys/class/leds/ACT)
enum class LedKind { none, term, gpio_name, gpio_offset, sysfs };

struct LedSpec {
	LedKind kind = LedKind::none;
	std::string line_name;      // gpio_name
	std::string chip;           // gpio_offset
	unsigned offset = 0;        // gpio_offset
	std::filesystem::path path; // sysfs

	bool operator==(const LedSpec &) const = default;
};

// Parses SPEC; on failure returns nothing and says why in error.
[[nodiscard]] std::optional<LedSpec> parse_led_spec(std::string_view text, std::string &error);

// The spec as the user would write it.
[[nodiscard]] std::string to_string(const LedSpec &spec);

// The accepted forms, for error messages.
inline constexpr const char *led_spec_forms = "use none, term, gpio:LINE_NAME, gpio:CHIP:OFFSET or sysfs:PATH";

// yes/no, true/false, on/off, 1/0: the values of led-active-low and led-required.
[[nodiscard]] std::optional<bool> parse_bool(std::string_view text);

} // namespace showguard
