// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/credentials.hpp"

#include <algorithm>
#include <charconv>

#include <unistd.h>

#include "showguard/error.hpp"
#include "showguard/show_name.hpp"
#include "showguard/user_db.hpp"

namespace showguard {

namespace {

template <typename Id>
std::optional<Id> numeric_id(const std::string &text)
{
	unsigned long value = 0;
	auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
	if (text.empty() || ec != std::errc{} || p != text.data() + text.size() || value >= 0xffffffffUL)
		return std::nullopt;
	return static_cast<Id>(value);
}

} // namespace

Credentials resolve_credentials(const std::optional<std::string> &user, const std::optional<std::string> &group)
{
	Credentials creds;
	if (user) {
		const auto id = numeric_id<uid_t>(*user);
		const std::optional<UserEntry> pw = id ? find_user(*id) : find_user(std::string_view(*user));
		if (!pw)
			throw Error(ExitCode::no_user, "unknown user '" + printable(*user) + "' (--user)");
		creds.change_user = true;
		creds.uid = pw->uid;
		creds.gid = pw->gid;
		creds.user_name = pw->name;
		creds.home = pw->home;
		creds.groups = groups_of(*pw);
	}
	if (group) {
		const auto id = numeric_id<gid_t>(*group);
		const std::optional<GroupEntry> gr = id ? find_group(*id) : find_group(std::string_view(*group));
		if (!gr)
			throw Error(ExitCode::no_user, "unknown group '" + printable(*group) + "' (--group)");
		creds.change_group = true;
		creds.gid = gr->gid;
		if (!creds.change_user)
			creds.groups = {gr->gid};
		else if (std::find(creds.groups.begin(), creds.groups.end(), gr->gid) == creds.groups.end())
			creds.groups.push_back(gr->gid);
	}
	return creds;
}

std::string current_user_name()
{
	if (const std::optional<UserEntry> pw = find_user(::geteuid()))
		return pw->name;
	return std::to_string(::geteuid());
}

} // namespace showguard
