// SPDX-License-Identifier: GPL-2.0-or-later
// What the fuzz targets share: a property check that stops the fuzzer with
// a message (libFuzzer then saves the input as a crash artifact).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "showguard/error.hpp"

namespace showguard::fuzz {

[[noreturn]] inline void fail(const std::string &what)
{
	std::fprintf(stderr, "fuzz property violated: %s\n", what.c_str());
	std::abort();
}

inline void check(bool ok, const std::string &what)
{
	if (!ok)
		fail(what);
}

// A parser that reports bad input by throwing may throw Error with the exit
// code the contract gives it, and nothing else: any other exception would
// reach main() as an "internal error" (exit 70).
template <typename Parse>
void expect_only(ExitCode code, std::string_view message_prefix, Parse &&parse)
{
	try {
		parse();
	} catch (const Error &e) {
		check(e.code() == code, std::string("Error with exit code ") + std::to_string(to_int(e.code())) +
						": " + e.what());
		check(std::string_view(e.what()).starts_with(message_prefix),
		      std::string("message without '") + std::string(message_prefix) + "': " + e.what());
	}
}

} // namespace showguard::fuzz
