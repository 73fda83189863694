// SPDX-License-Identifier: GPL-2.0-or-later
// The user database through NSS, for the dynamically linked builds.
#include <string>

#include <grp.h>
#include <pwd.h>

#include "showguard/user_db.hpp"

namespace showguard {

namespace {

std::optional<UserEntry> user_of(const struct passwd *pw)
{
	if (!pw)
		return std::nullopt;
	return UserEntry{pw->pw_name, pw->pw_uid, pw->pw_gid, pw->pw_dir};
}

std::optional<GroupEntry> group_of(const struct group *gr)
{
	if (!gr)
		return std::nullopt;
	GroupEntry group{gr->gr_name, gr->gr_gid, {}};
	for (char **member = gr->gr_mem; member && *member; ++member)
		group.members.emplace_back(*member);
	return group;
}

} // namespace

std::optional<UserEntry> find_user(std::string_view name)
{
	return user_of(::getpwnam(std::string(name).c_str()));
}

std::optional<UserEntry> find_user(uid_t uid)
{
	return user_of(::getpwuid(uid));
}

std::optional<GroupEntry> find_group(std::string_view name)
{
	return group_of(::getgrnam(std::string(name).c_str()));
}

std::optional<GroupEntry> find_group(gid_t gid)
{
	return group_of(::getgrgid(gid));
}

std::vector<gid_t> groups_of(const UserEntry &user)
{
	int count = 32;
	std::vector<gid_t> groups(static_cast<std::size_t>(count));
	while (::getgrouplist(user.name.c_str(), user.gid, groups.data(), &count) < 0)
		groups.resize(static_cast<std::size_t>(count));
	groups.resize(static_cast<std::size_t>(count));
	return groups;
}

} // namespace showguard
