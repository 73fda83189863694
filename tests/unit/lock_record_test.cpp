// SPDX-License-Identifier: GPL-2.0-or-later
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "showguard/lock_record.hpp"
#include "showguard/show_lock.hpp"

using namespace showguard;

TEST(LockRecord, RoundTrips)
{
	LockRecord r;
	r.name = "starcourt";
	r.state = "running";
	r.guard_pid = 100;
	r.show_pid = 101;
	r.since_ms = 1'795'338'399'760;
	r.since_boot_ms = 86'400'123;
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
	EXPECT_EQ(parsed->since_boot_ms, r.since_boot_ms);
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

TEST(LockRecord, ReadsRecordsOfEverySizeUpToTheLimit)
{
	char tmpl[] = "/tmp/showguard-record-test-XXXXXX";
	ASSERT_NE(::mkdtemp(tmpl), nullptr);
	const std::filesystem::path path = tmpl;
	{
		const LockDir dir = LockDir::open(path, false);
		LockRecord r;
		r.name = "small";
		r.guard_pid = 7;
		write_record(dir, r);
		const auto small = read_record(dir, "small");
		ASSERT_TRUE(small);
		EXPECT_EQ(small->guard_pid, 7);

		// Near the 64 KiB limit: read whole, not cut at a guessed size.
		r.name = "large";
		r.command = std::string(60'000, 'c') + " end";
		write_record(dir, r);
		const auto large = read_record(dir, "large");
		ASSERT_TRUE(large);
		EXPECT_EQ(large->command, r.command);

		// Over the limit: refused, however it starts.
		std::FILE *f = std::fopen((path / "huge.state").c_str(), "w");
		ASSERT_NE(f, nullptr);
		std::fputs(("name=huge\ncommand=" + std::string(70'000, 'h') + "\n").c_str(), f);
		std::fclose(f);
		EXPECT_FALSE(read_record(dir, "huge"));

		// Empty: no record.
		std::fclose(std::fopen((path / "empty.state").c_str(), "w"));
		EXPECT_FALSE(read_record(dir, "empty"));
	}
	std::filesystem::remove_all(path);
}
