// SPDX-License-Identifier: GPL-2.0-or-later
#include <algorithm>

#include <gtest/gtest.h>

#include "showguard/guard.hpp"

using namespace showguard;

TEST(ShowEnvironment, DropsSystemdVariablesAndNamesTheShow)
{
	GuardOptions options;
	options.show = "starcourt";
	const char *env[] = {"PATH=/bin", "NOTIFY_SOCKET=/run/systemd/notify", "WATCHDOG_USEC=10",
			     "WATCHDOG_PID=1", "SHOWGUARD_SHOW=old", "NOTIFY_SOCKETX=keep", nullptr};
	const auto out = show_environment(options, Credentials{}, const_cast<char **>(env));
	EXPECT_EQ(out, (std::vector<std::string>{"PATH=/bin", "NOTIFY_SOCKETX=keep", "SHOWGUARD_SHOW=starcourt"}));
}

TEST(ShowEnvironment, SetsTheUsersIdentity)
{
	GuardOptions options;
	options.show = "x";
	Credentials creds;
	creds.change_user = true;
	creds.user_name = "show";
	creds.home = "/home/show";
	const char *env[] = {"HOME=/root", "USER=root", "LOGNAME=root", nullptr};
	const auto out = show_environment(options, creds, const_cast<char **>(env));
	EXPECT_EQ(out, (std::vector<std::string>{"SHOWGUARD_SHOW=x", "HOME=/home/show", "USER=show", "LOGNAME=show"}));
}
