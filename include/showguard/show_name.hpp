// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string>
#include <string_view>

namespace showguard {

// Show and resource names become file names in the lock dir, so only a
// safe subset is allowed: 1-64 characters of [A-Za-z0-9._-], not starting
// with '.' or '-' (no hidden files, no option look-alikes, no traversal).
inline constexpr std::size_t max_name_length = 64;

[[nodiscard]] bool is_valid_name(std::string_view name) noexcept;

// Why a name is invalid, for the one-line error ("" when it is valid).
// Control and non-ASCII characters are shown escaped, never raw.
[[nodiscard]] std::string name_problem(std::string_view name);

// The name with control and non-ASCII bytes escaped as \xNN, for messages.
[[nodiscard]] std::string printable(std::string_view text);

} // namespace showguard
