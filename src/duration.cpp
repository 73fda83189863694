// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/duration.hpp"

#include <charconv>
#include <cstdint>

namespace showguard {

std::optional<Duration> parse_duration(std::string_view text)
{
	using namespace std::chrono;

	std::size_t digits_end = 0;
	while (digits_end < text.size() &&
	       ((text[digits_end] >= '0' && text[digits_end] <= '9') || text[digits_end] == '.'))
		++digits_end;
	const std::string_view number = text.substr(0, digits_end);
	const std::string_view unit = text.substr(digits_end);
	if (number.empty() || number.front() == '.' || number.back() == '.')
		return std::nullopt;

	std::int64_t unit_ms = 0;
	if (unit.empty() || unit == "s")
		unit_ms = 1000;
	else if (unit == "ms")
		unit_ms = 1;
	else if (unit == "m")
		unit_ms = 60'000;
	else if (unit == "h")
		unit_ms = 3'600'000;
	else
		return std::nullopt;

	// Integer part and up to three fractional digits, in exact integer
	// arithmetic: "1.5s" is 1500 ms, "0.25" is 250 ms.
	const auto dot = number.find('.');
	const std::string_view whole = number.substr(0, dot);
	std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : number.substr(dot + 1);
	if (fraction.find('.') != std::string_view::npos)
		return std::nullopt;

	std::uint64_t value = 0;
	if (whole.size() > 12)
		return std::nullopt;
	auto [p, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), value);
	if (ec != std::errc{} || p != whole.data() + whole.size())
		return std::nullopt;

	std::int64_t ms = static_cast<std::int64_t>(value) * unit_ms;
	// Fractional digits beyond the unit's millisecond resolution must be 0.
	std::int64_t scale = unit_ms;
	for (char c : fraction) {
		const std::int64_t digit = c - '0';
		if (scale % 10 != 0) {
			if (digit != 0)
				return std::nullopt;
			continue;
		}
		scale /= 10;
		ms += digit * scale;
	}

	if (ms > max_duration.count())
		return std::nullopt;
	return Duration(ms);
}

std::string format_duration(Duration d)
{
	const auto ms = d.count();
	if (ms != 0 && ms % 3'600'000 == 0)
		return std::to_string(ms / 3'600'000) + "h";
	if (ms != 0 && ms % 60'000 == 0)
		return std::to_string(ms / 60'000) + "m";
	if (ms % 1000 == 0)
		return std::to_string(ms / 1000) + "s";
	return std::to_string(ms) + "ms";
}

} // namespace showguard
