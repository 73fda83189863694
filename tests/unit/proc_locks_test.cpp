// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>
#include <sys/sysmacros.h>

#include "showguard/proc_locks.hpp"

using namespace showguard;

TEST(ProcLocks, FindsExclusiveFlockHolders)
{
	const auto locks = ProcLocks::parse("1: POSIX  ADVISORY  WRITE 700 fe:00:42 0 EOF\n"
					    "2: FLOCK  ADVISORY  WRITE 1234 00:19:5678 0 EOF\n"
					    "2: -> FLOCK  ADVISORY  WRITE 1240 00:19:5678 0 EOF\n"
					    "3: FLOCK  ADVISORY  READ 99 00:19:77 0 EOF\n"
					    "4: OFDLCK ADVISORY  WRITE -1 00:19:88 0 EOF\n"
					    "garbage\n"
					    "5: FLOCK  ADVISORY  WRITE 4321 103:2:1000000 0 EOF");
	EXPECT_EQ(locks.holder(makedev(0, 0x19), 5678), 1234);
	EXPECT_FALSE(locks.holder(makedev(0xfe, 0), 42)); // POSIX, not flock
	EXPECT_FALSE(locks.holder(makedev(0, 0x19), 77)); // shared
	EXPECT_FALSE(locks.holder(makedev(0, 0x19), 88));
	EXPECT_EQ(locks.holder(makedev(0x103, 2), 1000000), 4321);
	EXPECT_FALSE(locks.holder(makedev(0, 0x19), 1));
}

TEST(ProcLocks, EmptyMeansNothingHeld)
{
	EXPECT_FALSE(ProcLocks::parse("").holder(makedev(0, 1), 1));
}

TEST(ProcLocks, AnOfdMarkerIsHeldWithoutAHolder)
{
	// What a reader in another PID namespace sees of a guard: the flock line
	// is hidden from it, the OFD marker is not.
	const auto locks = ProcLocks::parse("5: OFDLCK ADVISORY  READ -1 fe:00:10952811 0 EOF\n"
					    "7: -> OFDLCK ADVISORY  READ -1 fe:00:99 0 EOF\n");
	EXPECT_TRUE(locks.marked(makedev(0xfe, 0), 10952811));
	EXPECT_FALSE(locks.holder(makedev(0xfe, 0), 10952811));
	EXPECT_FALSE(locks.marked(makedev(0xfe, 0), 99));
	EXPECT_FALSE(locks.marked(makedev(0xfe, 0), 12));
}

TEST(ProcLocks, AFlockIsNoMarker)
{
	const auto locks = ProcLocks::parse("6: FLOCK  ADVISORY  WRITE 4849 fe:00:10952811 0 EOF\n");
	EXPECT_EQ(locks.holder(makedev(0xfe, 0), 10952811), 4849);
	EXPECT_FALSE(locks.marked(makedev(0xfe, 0), 10952811));
}
