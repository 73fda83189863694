// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "showguard/terminal_text.hpp"

using namespace showguard;

TEST(TerminalText, PlainTextAndUtf8StayAsTheyAre)
{
	EXPECT_EQ(terminal_safe("/opt/run --fps 40"), "/opt/run --fps 40");
	EXPECT_EQ(terminal_safe("Sternenhof \xc3\xa4 \xe2\x98\x85 \xf0\x9f\x8e\x86"), "Sternenhof \xc3\xa4 \xe2\x98\x85 \xf0\x9f\x8e\x86");
}

TEST(TerminalText, ControlsAndBackslashAreEscaped)
{
	EXPECT_EQ(terminal_safe("a\nb\rc\td"), "a\\nb\\rc\\td");
	EXPECT_EQ(terminal_safe("\x1b[31mred\x1b[2K"), "\\x1b[31mred\\x1b[2K");
	EXPECT_EQ(terminal_safe(std::string_view("nul\0del\x7f", 8)), "nul\\x00del\\x7f");
	EXPECT_EQ(terminal_safe("back\\slash"), "back\\\\slash");
}

TEST(TerminalText, C1ControlsAndInvalidUtf8AreEscaped)
{
	EXPECT_EQ(terminal_safe("\xc2\x9b" "2J"), "\\xc2\\x9b2J"); // U+009B, CSI
	EXPECT_EQ(terminal_safe("\x9b" "2J"), "\\x9b2J");           // a raw 8-bit CSI
	EXPECT_EQ(terminal_safe("\xc0\xaf"), "\\xc0\\xaf");         // overlong '/'
	EXPECT_EQ(terminal_safe("\xed\xa0\x80"), "\\xed\\xa0\\x80"); // a surrogate
	EXPECT_EQ(terminal_safe("cut \xe2\x98"), "cut \\xe2\\x98");
}

TEST(TerminalText, NoByteOfTheOutputIsAControl)
{
	std::string every_byte;
	for (int b = 0; b < 256; ++b)
		every_byte += static_cast<char>(b);
	for (const char ch : terminal_safe(every_byte)) {
		const auto c = static_cast<unsigned char>(ch);
		EXPECT_TRUE(c >= 0x20 && c != 0x7f && !(c >= 0x80 && c <= 0x9f)) << static_cast<int>(c);
	}
}

TEST(TerminalText, FragmentsAreBoundedAndEscaped)
{
	EXPECT_EQ(terminal_fragment("short", 10), "short");
	EXPECT_EQ(terminal_fragment("root:$y$j9T$secret:19000:0:99999:7:::", 8), "root:$y$...");
	EXPECT_EQ(terminal_fragment("\x1b[2Kabcdef", 4), "\\x1b[2K...");
	// Never cut inside a character: "ä" is two bytes.
	EXPECT_EQ(terminal_fragment("a\xc3\xa4" "b", 2), "a...");
	// Bytes that are no UTF-8 count one each.
	EXPECT_EQ(terminal_fragment("\x80\x81\x82\x83", 2), "\\x80\\x81...");
}
