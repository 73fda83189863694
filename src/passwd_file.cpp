// SPDX-License-Identifier: GPL-2.0-or-later
// passwd(5) and group(5) files, parsed without NSS (see user_db.hpp).
#include <algorithm>
#include <charconv>
#include <string>

#include "showguard/user_db.hpp"

namespace showguard {

namespace {

std::vector<std::string_view> split(std::string_view text, char separator)
{
	std::vector<std::string_view> fields;
	for (;;) {
		const auto at = text.find(separator);
		fields.push_back(text.substr(0, at));
		if (at == std::string_view::npos)
			return fields;
		text.remove_prefix(at + 1);
	}
}

// An id as the files hold it: decimal, below (id_t)-1, which means "no id".
template <typename Id> std::optional<Id> parse_id(std::string_view text)
{
	unsigned long value = 0;
	auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
	if (text.empty() || ec != std::errc{} || p != text.data() + text.size() || value >= 0xffffffffUL)
		return std::nullopt;
	return static_cast<Id>(value);
}

// The line without its end, or nothing for a line that holds no entry.
std::optional<std::string_view> entry_text(std::string_view line)
{
	if (!line.empty() && line.back() == '\n')
		line.remove_suffix(1);
	const auto first = line.find_first_not_of(" \t");
	if (first == std::string_view::npos || line[first] == '#' || line[first] == '+' || line[first] == '-')
		return std::nullopt;
	return line;
}

template <typename Entry, typename Parse> std::vector<Entry> read_entries(std::istream &in, Parse parse)
{
	std::vector<Entry> entries;
	for (std::string line; std::getline(in, line);)
		if (auto entry = parse(line))
			entries.push_back(std::move(*entry));
	return entries;
}

} // namespace

std::optional<UserEntry> parse_passwd_line(std::string_view line)
{
	const auto text = entry_text(line);
	if (!text)
		return std::nullopt;
	const auto f = split(*text, ':'); // name:password:uid:gid:gecos:home:shell
	if (f.size() != 7 || f[0].empty())
		return std::nullopt;
	const auto uid = parse_id<uid_t>(f[2]);
	const auto gid = parse_id<gid_t>(f[3]);
	if (!uid || !gid)
		return std::nullopt;
	return UserEntry{std::string(f[0]), *uid, *gid, std::string(f[5])};
}

std::optional<GroupEntry> parse_group_line(std::string_view line)
{
	const auto text = entry_text(line);
	if (!text)
		return std::nullopt;
	const auto f = split(*text, ':'); // name:password:gid:member,member,...
	if (f.size() != 4 || f[0].empty())
		return std::nullopt;
	const auto gid = parse_id<gid_t>(f[2]);
	if (!gid)
		return std::nullopt;
	GroupEntry group{std::string(f[0]), *gid, {}};
	if (!f[3].empty())
		for (const std::string_view member : split(f[3], ','))
			if (!member.empty())
				group.members.emplace_back(member);
	return group;
}

std::vector<UserEntry> read_passwd(std::istream &in)
{
	return read_entries<UserEntry>(in, parse_passwd_line);
}

std::vector<GroupEntry> read_group(std::istream &in)
{
	return read_entries<GroupEntry>(in, parse_group_line);
}

std::vector<gid_t> group_list(const std::vector<GroupEntry> &groups, const UserEntry &user)
{
	std::vector<gid_t> list{user.gid};
	for (const GroupEntry &group : groups)
		if (std::find(group.members.begin(), group.members.end(), user.name) != group.members.end() &&
		    std::find(list.begin(), list.end(), group.gid) == list.end())
			list.push_back(group.gid);
	return list;
}

} // namespace showguard
