// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace showguard {

// Splits a command line the way a POSIX shell splits words, without any
// expansion: blanks separate words; 'single quotes' keep everything
// literally; "double quotes" keep everything but \" \\ \$ \` which a
// backslash escapes; outside quotes a backslash escapes any character.
// No variables, globs, tildes, pipes or redirections: $, *, ~, | and > are
// ordinary characters. On error (an unterminated quote, a trailing
// backslash) returns nothing and sets error.
[[nodiscard]] std::optional<std::vector<std::string>> split_command(std::string_view text, std::string &error);

} // namespace showguard
