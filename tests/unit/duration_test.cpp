// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "showguard/duration.hpp"

using namespace showguard;
using namespace std::chrono_literals;

TEST(Duration, AcceptsEveryDocumentedForm)
{
	EXPECT_EQ(parse_duration("250ms"), Duration(250));
	EXPECT_EQ(parse_duration("30s"), Duration(30s));
	EXPECT_EQ(parse_duration("5m"), Duration(5min));
	EXPECT_EQ(parse_duration("1h"), Duration(1h));
	EXPECT_EQ(parse_duration("10"), Duration(10s));
	EXPECT_EQ(parse_duration("0"), Duration(0));
	EXPECT_EQ(parse_duration("1.5"), Duration(1500));
	EXPECT_EQ(parse_duration("0.25s"), Duration(250));
	EXPECT_EQ(parse_duration("1.5m"), Duration(90s));
}

TEST(Duration, RejectsEverythingElse)
{
	for (const char *bad : {"", " 1s", "1s ", "1 s", "-1", "+1", "1x", "s", "ms", "1.2.3", ".5", "5.", "1e3",
				"1.0001", "0.5ms", "1sec", "1S", "1d", "999999999999999h", "169h"})
		EXPECT_FALSE(parse_duration(bad)) << bad;
}

TEST(Duration, AcceptsUpToAWeek)
{
	EXPECT_EQ(parse_duration("168h"), max_duration);
}

TEST(Duration, FormatsWhatItParses)
{
	EXPECT_EQ(format_duration(Duration(250)), "250ms");
	EXPECT_EQ(format_duration(Duration(1500)), "1500ms");
	EXPECT_EQ(format_duration(Duration(30s)), "30s");
	EXPECT_EQ(format_duration(Duration(5min)), "5m");
	EXPECT_EQ(format_duration(Duration(2h)), "2h");
	EXPECT_EQ(format_duration(Duration(0)), "0s");
	for (const char *text : {"250ms", "30s", "5m", "1h", "90s"})
		EXPECT_EQ(format_duration(*parse_duration(text)), text);
}
