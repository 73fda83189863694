// SPDX-License-Identifier: GPL-2.0-or-later
// passwd(5) and group(5) as the fully static build reads them (no NSS), and
// the user database of this build against the system's own files.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "showguard/credentials.hpp"
#include "showguard/error.hpp"
#include "showguard/user_db.hpp"

using namespace showguard;

TEST(PasswdFile, ParsesTheSevenFields)
{
	const auto pi = parse_passwd_line("pi:x:1000:1000:Raspberry Pi,,,:/home/pi:/bin/bash");
	ASSERT_TRUE(pi);
	EXPECT_EQ(pi->name, "pi");
	EXPECT_EQ(pi->uid, 1000u);
	EXPECT_EQ(pi->gid, 1000u);
	EXPECT_EQ(pi->home, "/home/pi");

	// Empty password, GECOS, home and shell are all allowed.
	const auto bare = parse_passwd_line("show::4294967294:7:::\n");
	ASSERT_TRUE(bare);
	EXPECT_EQ(bare->uid, 4294967294u);
	EXPECT_EQ(bare->home, "");
}

TEST(PasswdFile, SkipsWhatIsNoEntry)
{
	for (const char *line : {"", "   ", "# pi:x:1000:1000::/home/pi:/bin/sh", "+pi::::::", "-@netgroup:::::",
				 "pi:x:1000:1000::/home/pi",              // six fields
				 "pi:x:1000:1000::/home/pi:/bin/sh:extra", // eight
				 ":x:1000:1000::/home/pi:/bin/sh",         // no name
				 "pi:x:-1:1000::/home/pi:/bin/sh", "pi:x:1000:10x::/home/pi:/bin/sh",
				 "pi:x::1000::/home/pi:/bin/sh", "pi:x:4294967295:1000::/home/pi:/bin/sh",
				 "pi:x:99999999999:1000::/home/pi:/bin/sh", "pi:x: 1000:1000::/home/pi:/bin/sh"})
		EXPECT_FALSE(parse_passwd_line(line)) << '"' << line << '"';
}

TEST(PasswdFile, ParsesGroupsAndTheirMembers)
{
	const auto gpio = parse_group_line("gpio:x:997:pi,show");
	ASSERT_TRUE(gpio);
	EXPECT_EQ(gpio->name, "gpio");
	EXPECT_EQ(gpio->gid, 997u);
	EXPECT_EQ(gpio->members, (std::vector<std::string>{"pi", "show"}));

	const auto empty = parse_group_line("show:x:1001:");
	ASSERT_TRUE(empty);
	EXPECT_TRUE(empty->members.empty());
	const auto odd = parse_group_line("audio:x:29:,pi,,");
	ASSERT_TRUE(odd);
	EXPECT_EQ(odd->members, (std::vector<std::string>{"pi"}));

	for (const char *line : {"gpio:x:997", "gpio:x:997:pi:more", ":x:997:pi", "gpio:x:nine:pi", "# gpio:x:997:",
				 "+gpio:::"})
		EXPECT_FALSE(parse_group_line(line)) << '"' << line << '"';
}

TEST(PasswdFile, ABadLineHidesNoOtherEntry)
{
	std::istringstream passwd("root:x:0:0:root:/root:/bin/bash\n"
				  "broken line\n"
				  "\n"
				  "# a comment\n"
				  "pi:x:1000:1000::/home/pi:/bin/bash\n"
				  "pi:x:1001:1001::/elsewhere:/bin/sh\n" // a duplicate: the first wins in lookups
				  "show:x:1002:1002::/opt/show:/usr/sbin/nologin"); // no final newline
	const auto users = read_passwd(passwd);
	ASSERT_EQ(users.size(), 4u);
	EXPECT_EQ(users[1].name, "pi");
	EXPECT_EQ(users[1].uid, 1000u);
	EXPECT_EQ(users[3].name, "show");
}

TEST(PasswdFile, GroupListIsThePrimaryGroupThenEveryMembershipOnce)
{
	std::istringstream group("pi:x:1000:\n"
				 "gpio:x:997:pi,show\n"
				 "video:x:44:show\n"
				 "audio:x:29:show,pi\n"
				 "audio:x:29:pi\n" // the same gid twice: listed once
				 "show:x:1002:\n");
	const auto groups = read_group(group);
	const UserEntry pi{"pi", 1000, 1000, "/home/pi"};
	EXPECT_EQ(group_list(groups, pi), (std::vector<gid_t>{1000, 997, 29}));
	const UserEntry show{"show", 1002, 1002, "/opt/show"};
	EXPECT_EQ(group_list(groups, show), (std::vector<gid_t>{1002, 997, 44, 29}));
	// A member that is also its primary group is not listed twice.
	const UserEntry gpio_user{"pi", 1000, 997, "/home/pi"};
	EXPECT_EQ(group_list(groups, gpio_user), (std::vector<gid_t>{997, 29}));
}

// This build's user database (NSS, or the files in the static build) agrees
// with the system's files for the entries every Debian system has.
TEST(UserDb, FindsRootByNameAndId)
{
	const auto by_name = find_user("root");
	ASSERT_TRUE(by_name);
	EXPECT_EQ(by_name->uid, 0u);
	EXPECT_EQ(by_name->home, "/root");
	const auto by_id = find_user(uid_t{0});
	ASSERT_TRUE(by_id);
	EXPECT_EQ(by_id->name, "root");
	const auto group = find_group(gid_t{0});
	ASSERT_TRUE(group);
	EXPECT_EQ(group->name, "root");
	EXPECT_FALSE(find_user("no-such-user-showguard"));
	EXPECT_FALSE(find_group("no-such-group-showguard"));
}

TEST(UserDb, CredentialsOfNobodyMatchTheFiles)
{
	// nobody:x:65534:65534 and group nogroup (65534) on Debian.
	std::ifstream passwd("/etc/passwd");
	std::optional<UserEntry> nobody;
	for (const UserEntry &u : read_passwd(passwd))
		if (u.name == "nobody" && !nobody)
			nobody = u;
	if (!nobody)
		GTEST_SKIP() << "no user nobody in /etc/passwd";
	const Credentials creds = resolve_credentials(std::string("nobody"), std::nullopt);
	EXPECT_TRUE(creds.change_user);
	EXPECT_EQ(creds.uid, nobody->uid);
	EXPECT_EQ(creds.gid, nobody->gid);
	EXPECT_EQ(creds.home, nobody->home);
	ASSERT_FALSE(creds.groups.empty());
	EXPECT_EQ(creds.groups.front(), nobody->gid);
	// A numeric id finds the same user.
	EXPECT_EQ(resolve_credentials(std::to_string(nobody->uid), std::nullopt).user_name, "nobody");

	try {
		(void)resolve_credentials(std::string("no-such-user-showguard"), std::nullopt);
		ADD_FAILURE() << "an unknown user was accepted";
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), ExitCode::no_user);
	}
}
