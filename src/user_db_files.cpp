// SPDX-License-Identifier: GPL-2.0-or-later
// The user database of the fully static build: /etc/passwd and /etc/group,
// read at each lookup (a handful per guard run; the files are small).
// Users only NSS knows (LDAP, systemd's DynamicUser) are unknown here.
#include <fstream>

#include "showguard/user_db.hpp"

namespace showguard {

namespace {

std::vector<UserEntry> users()
{
	std::ifstream in("/etc/passwd");
	return read_passwd(in);
}

std::vector<GroupEntry> groups()
{
	std::ifstream in("/etc/group");
	return read_group(in);
}

// The first entry that matches, as glibc's files backend answers.
template <typename Entry, typename Match> std::optional<Entry> first(std::vector<Entry> entries, Match match)
{
	for (Entry &entry : entries)
		if (match(entry))
			return std::move(entry);
	return std::nullopt;
}

} // namespace

std::optional<UserEntry> find_user(std::string_view name)
{
	return first(users(), [&](const UserEntry &u) { return u.name == name; });
}

std::optional<UserEntry> find_user(uid_t uid)
{
	return first(users(), [&](const UserEntry &u) { return u.uid == uid; });
}

std::optional<GroupEntry> find_group(std::string_view name)
{
	return first(groups(), [&](const GroupEntry &g) { return g.name == name; });
}

std::optional<GroupEntry> find_group(gid_t gid)
{
	return first(groups(), [&](const GroupEntry &g) { return g.gid == gid; });
}

std::vector<gid_t> groups_of(const UserEntry &user)
{
	return group_list(groups(), user);
}

} // namespace showguard
