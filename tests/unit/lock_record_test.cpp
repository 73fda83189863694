// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "showguard/lock_record.hpp"

using namespace showguard;

TEST(LockRecord, RoundTrips)
{
	LockRecord r;
	r.name = "starcourt";
	r.state = "running";
	r.guard_pid = 100;
	r.show_pid = 101;
	r.since_ms = 1'795'338'399'760;
	r.host = "pi";
	r.user = "show";
	r.command = "run --title \"a\\b\"\nsecond line";
	r.restarts = 2;
	r.resources = {"audio", "dmx1"};
	r.last_exit = 137;
	r.last_exit_reason = "killed by signal 9 (SIGKILL)";
	r.last_exit_ms = 1'795'338'400'000;

	const auto parsed = parse_record(format_record(r));
	ASSERT_TRUE(parsed);
	EXPECT_EQ(parsed->name, r.name);
	EXPECT_EQ(parsed->state, r.state);
	EXPECT_EQ(parsed->guard_pid, r.guard_pid);
	EXPECT_EQ(parsed->show_pid, r.show_pid);
	EXPECT_EQ(parsed->since_ms, r.since_ms);
	EXPECT_EQ(parsed->command, r.command);
	EXPECT_EQ(parsed->restarts, r.restarts);
	EXPECT_EQ(parsed->resources, r.resources);
	EXPECT_EQ(parsed->last_exit, r.last_exit);
	EXPECT_EQ(parsed->last_exit_reason, r.last_exit_reason);
	EXPECT_EQ(parsed->last_exit_ms, r.last_exit_ms);
}

TEST(LockRecord, RejectsGarbage)
{
	EXPECT_FALSE(parse_record(""));
	EXPECT_FALSE(parse_record("\x7f"
				  "ELF\x01\x02"));
	EXPECT_FALSE(parse_record("name=../etc\n"));
	EXPECT_FALSE(parse_record("name=x\nguard_pid=abc\n"));
	EXPECT_FALSE(parse_record("name=x\nguard_pid=-5\n"));
	EXPECT_FALSE(parse_record("name=x\nrestarts=99999999999999999999\n"));
	EXPECT_FALSE(parse_record(std::string(70'000, 'a')));
	EXPECT_TRUE(parse_record("name=x\nfuture_key=1\n"));
}

TEST(LockRecord, Iso8601HasAnOffset)
{
	const std::string t = format_iso8601(0);
	ASSERT_EQ(t.size(), 25u) << t;
	EXPECT_EQ(t[22], ':');
	EXPECT_TRUE(t[19] == '+' || t[19] == '-');
}
