// SPDX-License-Identifier: GPL-2.0-or-later
#include <csignal>

#include <gtest/gtest.h>

#include "showguard/signals.hpp"

using namespace showguard;

namespace {

signalfd_siginfo sent(int signo, int code)
{
	signalfd_siginfo info{};
	info.ssi_signo = static_cast<std::uint32_t>(signo);
	info.ssi_code = code;
	return info;
}

} // namespace

TEST(Signals, TheTerminalsSignalReachedAShowInTheGuardsGroup)
{
	EXPECT_TRUE(reached_the_show(sent(SIGINT, SI_KERNEL), 100, 100));
	EXPECT_TRUE(reached_the_show(sent(SIGQUIT, SI_KERNEL), 100, 100));
}

TEST(Signals, AShowInAGroupOfItsOwnGetsTheTerminalsSignalForwarded)
{
	// setsid(1), timeout(1): the terminal's group no longer holds the show.
	EXPECT_FALSE(reached_the_show(sent(SIGINT, SI_KERNEL), 100, 130));
	EXPECT_FALSE(reached_the_show(sent(SIGINT, SI_KERNEL), 100, -1));
}

TEST(Signals, WhatKillSendsIsForwarded)
{
	// kill(2) to the guard or to its group looks the same; a show that is
	// not a terminal's foreground job has a group of its own, so a group
	// kill never reaches it directly.
	EXPECT_FALSE(reached_the_show(sent(SIGUSR1, SI_USER), 100, 100));
	EXPECT_FALSE(reached_the_show(sent(SIGTERM, SI_QUEUE), 100, 100));
	EXPECT_FALSE(reached_the_show(sent(SIGTERM, SI_TKILL), 100, 130));
}
