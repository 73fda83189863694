// SPDX-License-Identifier: GPL-2.0-or-later
// --led SPEC: a spec it accepts is written back by to_string in a form that
// reads as the same spec; one it rejects comes with a reason.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "showguard/led_spec.hpp"
#include "showguard/show_name.hpp"

using namespace showguard;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	const std::string_view text(reinterpret_cast<const char *>(data), size);
	std::string error;
	const auto spec = parse_led_spec(text, error);
	if (!spec) {
		fuzz::check(!error.empty(), "rejected without a reason");
		return 0;
	}
	const std::string written = to_string(*spec);
	std::string error2;
	const auto again = parse_led_spec(written, error2);
	fuzz::check(again && *again == *spec, "'" + printable(written) + "' does not read back: " + error2);
	return 0;
}
