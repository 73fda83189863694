// SPDX-License-Identifier: GPL-2.0-or-later
#include <csignal>

#include <gtest/gtest.h>

#include "showguard/exit_code.hpp"
#include "showguard/show_process.hpp"

using namespace showguard;

TEST(ExitStatus, ExitCodesPassThroughAndSignalsAdd128)
{
	EXPECT_EQ((ExitStatus{3, 0, {}}).as_exit_code(), 3);
	EXPECT_EQ((ExitStatus{0, 0, {}}).as_exit_code(), 0);
	EXPECT_EQ((ExitStatus{0, SIGTERM, {}}).as_exit_code(), 143);
	EXPECT_EQ((ExitStatus{0, SIGKILL, {}}).as_exit_code(), 137);
	EXPECT_TRUE((ExitStatus{0, 0, {}}).success());
	EXPECT_FALSE((ExitStatus{0, SIGTERM, {}}).success());
	EXPECT_FALSE((ExitStatus{1, 0, {}}).success());
}

TEST(ExitStatus, Describes)
{
	EXPECT_EQ((ExitStatus{3, 0, {}}).describe(), "exited with status 3");
	EXPECT_EQ((ExitStatus{0, SIGKILL, {}}).describe(), "killed by signal 9 (SIGKILL)");
	const ExitStatus unstarted{71, 0, "cannot start /bin/sh: Resource temporarily unavailable"};
	EXPECT_EQ(unstarted.describe(), "could not be started: cannot start /bin/sh: Resource temporarily unavailable");
	EXPECT_EQ(unstarted.as_exit_code(), 71);
	EXPECT_FALSE(unstarted.success());
}

TEST(ExitStatus, TheContractIsSysexits)
{
	EXPECT_EQ(to_int(ExitCode::usage), 64);
	EXPECT_EQ(to_int(ExitCode::no_user), 67);
	EXPECT_EQ(to_int(ExitCode::unavailable), 69);
	EXPECT_EQ(to_int(ExitCode::os_error), 71);
	EXPECT_EQ(to_int(ExitCode::os_file), 72);
	EXPECT_EQ(to_int(ExitCode::cant_create), 73);
	EXPECT_EQ(to_int(ExitCode::busy), 75);
	EXPECT_EQ(to_int(ExitCode::no_permission), 77);
	EXPECT_EQ(to_int(ExitCode::config), 78);
	EXPECT_EQ(to_int(ExitCode::cannot_execute), 126);
	EXPECT_EQ(to_int(ExitCode::not_found), 127);
}
