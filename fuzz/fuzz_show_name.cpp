// SPDX-License-Identifier: GPL-2.0-or-later
// Names become file names in the lock dir: a name that passes must be a
// single, visible, non-option path component, and the message for one that
// fails must not carry control or non-ASCII bytes to the terminal or journal.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "showguard/show_name.hpp"

using namespace showguard;

namespace {

bool printable_ascii(std::string_view text)
{
	return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	const std::string_view name(reinterpret_cast<const char *>(data), size);
	const std::string problem = name_problem(name);
	fuzz::check(is_valid_name(name) == problem.empty(), "is_valid_name and name_problem disagree");
	fuzz::check(printable_ascii(problem), "unprintable bytes in the message '" + printable(problem) + "'");
	fuzz::check(printable_ascii(printable(name)), "printable() let a control or non-ASCII byte through");
	if (problem.empty()) {
		fuzz::check(!name.empty() && name.size() <= max_name_length, "accepted a name of length " +
										  std::to_string(name.size()));
		fuzz::check(name.find('/') == std::string_view::npos && name != "." && name != "..",
			    "accepted a path, not a name: " + printable(name));
		fuzz::check(name.front() != '-' && name.front() != '.', "accepted a hidden or option-like name");
		fuzz::check(printable(name) == name, "a valid name is shown differently");
	}
	return 0;
}
