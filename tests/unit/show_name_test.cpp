// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "showguard/show_name.hpp"

using namespace showguard;

TEST(ShowName, AcceptsSafeNames)
{
	for (const char *good : {"starcourt", "a", "Show_2.v1-final", "0", "x.y", "a-"})
		EXPECT_TRUE(is_valid_name(good)) << good;
	EXPECT_TRUE(is_valid_name(std::string(64, 'a')));
}

TEST(ShowName, RejectsUnsafeNames)
{
	for (const char *bad : {"", ".", "..", ".hidden", "-x", "../etc", "a/b", "a b", "a\tb", "a\nb", "caf\xc3\xa9",
				"a:b", "a*", "~root"})
		EXPECT_FALSE(is_valid_name(bad)) << bad;
	EXPECT_FALSE(is_valid_name(std::string(65, 'a')));
	EXPECT_FALSE(is_valid_name(std::string("a\0b", 3)));
}

TEST(ShowName, ExplainsTheProblem)
{
	EXPECT_EQ(name_problem(""), "is empty");
	EXPECT_EQ(name_problem(".x"), "must not start with '.'");
	EXPECT_EQ(name_problem(std::string(65, 'a')), "is longer than 64 characters");
	EXPECT_NE(name_problem("a/b").find("contains '/'"), std::string::npos);
	EXPECT_NE(name_problem("a\x01").find("contains '\\x01'"), std::string::npos);
}

TEST(ShowName, PrintableEscapesControlAndNonAscii)
{
	EXPECT_EQ(printable("abc"), "abc");
	EXPECT_EQ(printable("a\nb"), "a\\x0ab");
	EXPECT_EQ(printable("caf\xc3\xa9"), "caf\\xc3\\xa9");
}
