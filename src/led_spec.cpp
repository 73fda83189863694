// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/led_spec.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "showguard/show_name.hpp"

namespace showguard {

namespace {

constexpr unsigned max_offset = 65535;

bool has_control_chars(std::string_view text)
{
	return std::any_of(text.begin(), text.end(), [](char c) {
		const auto byte = static_cast<unsigned char>(c);
		return byte < 0x20 || byte == 0x7f;
	});
}

std::optional<LedSpec> parse_gpio(std::string_view rest, std::string &error)
{
	LedSpec spec;
	if (rest.empty()) {
		error = "gpio: needs a line: gpio:LINE_NAME (gpio:GPIO17) or gpio:CHIP:OFFSET";
		return std::nullopt;
	}
	if (has_control_chars(rest)) {
		error = "gpio:" + printable(rest) + " holds control characters";
		return std::nullopt;
	}
	const auto colon = rest.rfind(':');
	if (colon == std::string_view::npos) {
		spec.kind = LedKind::gpio_name;
		spec.line_name = rest;
		return spec;
	}
	const std::string_view chip = rest.substr(0, colon);
	const std::string_view offset = rest.substr(colon + 1);
	if (chip.empty()) {
		error = "gpio:" + std::string(rest) + " names no chip; use gpio:CHIP:OFFSET";
		return std::nullopt;
	}
	unsigned n = 0;
	auto [p, ec] = std::from_chars(offset.data(), offset.data() + offset.size(), n);
	if (offset.empty() || ec != std::errc{} || p != offset.data() + offset.size() || n > max_offset) {
		error = "line offset '" + std::string(offset) + "' in gpio:" + std::string(rest) +
			" is not a whole number from 0 to " + std::to_string(max_offset);
		return std::nullopt;
	}
	spec.kind = LedKind::gpio_offset;
	spec.chip = chip;
	spec.offset = n;
	return spec;
}

} // namespace

std::optional<LedSpec> parse_led_spec(std::string_view text, std::string &error)
{
	LedSpec spec;
	if (text == "none")
		return spec;
	if (text == "term") {
		spec.kind = LedKind::term;
		return spec;
	}
	if (text.starts_with("gpio:"))
		return parse_gpio(text.substr(5), error);
	if (text.starts_with("sysfs:")) {
		const std::string_view path = text.substr(6);
		if (path.empty() || path.front() != '/' || has_control_chars(path)) {
			error = "sysfs: needs the absolute path of an LED-class device, e.g. sysfs:/sys/class/leds/ACT";
			return std::nullopt;
		}
		spec.kind = LedKind::sysfs;
		spec.path = std::filesystem::path(path).lexically_normal();
		return spec;
	}
	error = led_spec_forms;
	return std::nullopt;
}

std::string to_string(const LedSpec &spec)
{
	switch (spec.kind) {
	case LedKind::none:
		return "none";
	case LedKind::term:
		return "term";
	case LedKind::gpio_name:
		return "gpio:" + spec.line_name;
	case LedKind::gpio_offset:
		return "gpio:" + spec.chip + ":" + std::to_string(spec.offset);
	case LedKind::sysfs:
		return "sysfs:" + spec.path.string();
	}
	return "?";
}

std::optional<bool> parse_bool(std::string_view text)
{
	constexpr std::array yes = {"yes", "true", "on", "1"};
	constexpr std::array no = {"no", "false", "off", "0"};
	if (std::find(yes.begin(), yes.end(), text) != yes.end())
		return true;
	if (std::find(no.begin(), no.end(), text) != no.end())
		return false;
	return std::nullopt;
}

} // namespace showguard
