// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/credentials.hpp"

#include <algorithm>
#include <charconv>

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "showguard/error.hpp"
#include "showguard/show_name.hpp"

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
		struct passwd *pw = nullptr;
		if (auto id = numeric_id<uid_t>(*user))
			pw = ::getpwuid(*id);
		else
			pw = ::getpwnam(user->c_str());
		if (!pw)
			throw Error(ExitCode::no_user, "unknown user '" + printable(*user) + "' (--user)");
		creds.change_user = true;
		creds.uid = pw->pw_uid;
		creds.gid = pw->pw_gid;
		creds.user_name = pw->pw_name;
		creds.home = pw->pw_dir;

		int count = 32;
		std::vector<gid_t> groups(static_cast<std::size_t>(count));
		while (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &count) < 0)
			groups.resize(static_cast<std::size_t>(count));
		groups.resize(static_cast<std::size_t>(count));
		creds.groups = std::move(groups);
	}
	if (group) {
		struct group *gr = nullptr;
		if (auto id = numeric_id<gid_t>(*group))
			gr = ::getgrgid(*id);
		else
			gr = ::getgrnam(group->c_str());
		if (!gr)
			throw Error(ExitCode::no_user, "unknown group '" + printable(*group) + "' (--group)");
		creds.change_group = true;
		creds.gid = gr->gr_gid;
		if (!creds.change_user)
			creds.groups = {gr->gr_gid};
		else if (std::find(creds.groups.begin(), creds.groups.end(), gr->gr_gid) == creds.groups.end())
			creds.groups.push_back(gr->gr_gid);
	}
	return creds;
}

std::string current_user_name()
{
	if (struct passwd *pw = ::getpwuid(::geteuid()))
		return pw->pw_name;
	return std::to_string(::geteuid());
}

} // namespace showguard
