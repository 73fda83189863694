// SPDX-License-Identifier: GPL-2.0-or-later
// split_command, the "command =" key: whatever it splits, quoting each word
// in single quotes and splitting again gives the same words back; whatever
// it rejects, it says why.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "showguard/command_split.hpp"
#include "showguard/show_name.hpp"

using namespace showguard;

namespace {

std::string quoted(const std::string &word)
{
	std::string out = "'";
	for (char c : word)
		out += c == '\'' ? std::string("'\\''") : std::string(1, c);
	return out + "'";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	const std::string_view text(reinterpret_cast<const char *>(data), size);
	std::string error;
	const auto words = split_command(text, error);
	if (!words) {
		fuzz::check(!error.empty(), "rejected without a reason");
		return 0;
	}
	std::string line;
	for (const auto &w : *words)
		line += (line.empty() ? "" : " ") + quoted(w);
	std::string error2;
	const auto again = split_command(line, error2);
	fuzz::check(again.has_value(), "its own quoting is rejected: " + printable(line) + ": " + error2);
	fuzz::check(*again == *words, "changed on a round trip: " + printable(line));
	return 0;
}
