// SPDX-License-Identifier: GPL-2.0-or-later
// parse_duration: never more than a week, never negative, and whatever it
// accepts, format_duration writes back in a form it reads as the same value.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "showguard/duration.hpp"

using namespace showguard;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	const std::string_view text(reinterpret_cast<const char *>(data), size);
	const auto d = parse_duration(text);
	if (!d)
		return 0;
	fuzz::check(d->count() >= 0 && *d <= max_duration, "out of range: " + std::to_string(d->count()) + " ms");
	const std::string formatted = format_duration(*d);
	const auto again = parse_duration(formatted);
	fuzz::check(again && *again == *d, "'" + formatted + "' does not read back as " + std::to_string(d->count()) + " ms");
	return 0;
}
