// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/show_name.hpp"

#include <cstdio>

namespace showguard {

namespace {

bool is_name_char(char c) noexcept
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

} // namespace

bool is_valid_name(std::string_view name) noexcept
{
	return name_problem(name).empty();
}

std::string name_problem(std::string_view name)
{
	if (name.empty())
		return "is empty";
	if (name.size() > max_name_length)
		return "is longer than " + std::to_string(max_name_length) + " characters";
	if (name.front() == '.' || name.front() == '-')
		return "must not start with '" + std::string(1, name.front()) + "'";
	for (char c : name) {
		if (!is_name_char(c))
			return "contains '" + printable(std::string_view(&c, 1)) +
			       "'; use only letters, digits, '.', '_' and '-'";
	}
	return {};
}

std::string printable(std::string_view text)
{
	std::string out;
	out.reserve(text.size());
	for (char c : text) {
		const auto byte = static_cast<unsigned char>(c);
		if (byte < 0x20 || byte >= 0x7f) {
			char buf[5];
			std::snprintf(buf, sizeof(buf), "\\x%02x", byte);
			out += buf;
		} else {
			out += c;
		}
	}
	return out;
}

} // namespace showguard
