// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace showguard {

using Duration = std::chrono::milliseconds;

// Longest duration accepted anywhere: a week is far beyond any sane timeout
// and keeps every deadline computation clear of overflow.
inline constexpr Duration max_duration = std::chrono::hours(24 * 7);

// Parses "250ms", "30s", "5m", "1h" or a bare number of seconds ("10",
// "1.5"). Returns nothing for anything else, including negative values,
// surrounding spaces and values over max_duration.
[[nodiscard]] std::optional<Duration> parse_duration(std::string_view text);

// Formats a duration the way parse_duration reads it back: "250ms", "30s",
// "5m", "1h", or "1500ms" where no larger unit is exact.
[[nodiscard]] std::string format_duration(Duration d);

} // namespace showguard
