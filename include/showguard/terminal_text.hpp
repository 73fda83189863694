// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace showguard {

// Text from records, config files and other processes, made safe to print
// on a terminal: it can neither start a new line nor send the terminal a
// control sequence. Backslash becomes "\\"; newline, carriage return and
// tab "\n", "\r", "\t"; every other C0 control, DEL, a C1 control (U+0080 to
// U+009F, which some terminals obey as ESC [ and the like) and each byte
// that is not part of valid UTF-8 "\xNN". Valid UTF-8 stays as it is, so a
// show titled in any language still reads.
[[nodiscard]] std::string terminal_safe(std::string_view text);

// terminal_safe() of at most the first max_bytes bytes of text (never cut
// inside a UTF-8 character), with "..." when something was left out: for
// quoting a line of a file that may not be what it claims to be.
[[nodiscard]] std::string terminal_fragment(std::string_view text, std::size_t max_bytes);

} // namespace showguard
