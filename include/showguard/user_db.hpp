// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace showguard {

// One entry of the user database (passwd(5)): what --user needs.
struct UserEntry {
	std::string name;
	uid_t uid = 0;
	gid_t gid = 0; // the primary group
	std::string home;
};

// One entry of the group database (group(5)).
struct GroupEntry {
	std::string name;
	gid_t gid = 0;
	std::vector<std::string> members;
};

// The system's users and groups, by name or id. The dynamically linked
// builds ask NSS (getpwnam(3) and friends: /etc/passwd, LDAP, systemd's
// dynamic users...). The fully static build reads /etc/passwd and
// /etc/group itself (src/user_db_files.cpp): static glibc has no NSS, its
// getpwnam() would need the shared libnss_files of the very same glibc.
[[nodiscard]] std::optional<UserEntry> find_user(std::string_view name);
[[nodiscard]] std::optional<UserEntry> find_user(uid_t uid);
[[nodiscard]] std::optional<GroupEntry> find_group(std::string_view name);
[[nodiscard]] std::optional<GroupEntry> find_group(gid_t gid);
// The user's groups as getgrouplist(3) gives them: the primary group first,
// then every group that lists the user as a member, each once.
[[nodiscard]] std::vector<gid_t> groups_of(const UserEntry &user);

// The files themselves, for the static build and its tests. A line is
// parsed the way glibc's files backend does: blank lines, comments (#) and
// NIS compat entries (+, -) are skipped, and so is a line that does not have
// the format's fields (7 for passwd, 4 for group) or a numeric id; such a
// line never stops the search, so one bad line cannot hide every user.
[[nodiscard]] std::optional<UserEntry> parse_passwd_line(std::string_view line);
[[nodiscard]] std::optional<GroupEntry> parse_group_line(std::string_view line);
[[nodiscard]] std::vector<UserEntry> read_passwd(std::istream &in);
[[nodiscard]] std::vector<GroupEntry> read_group(std::istream &in);
// groups_of() over a read group file.
[[nodiscard]] std::vector<gid_t> group_list(const std::vector<GroupEntry> &groups, const UserEntry &user);

} // namespace showguard
