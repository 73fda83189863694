// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/terminal_text.hpp"

#include <algorithm>
#include <cstdio>

namespace showguard {

namespace {

// The length of the valid UTF-8 sequence at the start of text, or 0.
// Overlong forms, surrogates and code points past U+10FFFF are invalid.
std::size_t utf8_length(std::string_view text, char32_t &code_point)
{
	if (text.empty())
		return 0;
	const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
	const unsigned char lead = byte(0);
	std::size_t length;
	char32_t min;
	if (lead >= 0xc2 && lead <= 0xdf) {
		length = 2;
		code_point = lead & 0x1fu;
		min = 0x80;
	} else if (lead >= 0xe0 && lead <= 0xef) {
		length = 3;
		code_point = lead & 0x0fu;
		min = 0x800;
	} else if (lead >= 0xf0 && lead <= 0xf4) {
		length = 4;
		code_point = lead & 0x07u;
		min = 0x10000;
	} else {
		return 0;
	}
	if (text.size() < length)
		return 0;
	for (std::size_t i = 1; i < length; ++i) {
		if ((byte(i) & 0xc0u) != 0x80u)
			return 0;
		code_point = (code_point << 6) | (byte(i) & 0x3fu);
	}
	if (code_point < min || code_point > 0x10ffff || (code_point >= 0xd800 && code_point <= 0xdfff))
		return 0;
	return length;
}

void append_hex(std::string &out, std::string_view bytes)
{
	for (char c : bytes) {
		char buf[5];
		std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(c));
		out += buf;
	}
}

} // namespace

std::string terminal_safe(std::string_view text)
{
	std::string out;
	out.reserve(text.size());
	for (std::size_t i = 0; i < text.size();) {
		const char c = text[i];
		const auto byte = static_cast<unsigned char>(c);
		if (byte >= 0x20 && byte < 0x7f) {
			if (c == '\\')
				out += '\\';
			out += c;
			++i;
			continue;
		}
		switch (c) {
		case '\n':
			out += "\\n";
			++i;
			continue;
		case '\r':
			out += "\\r";
			++i;
			continue;
		case '\t':
			out += "\\t";
			++i;
			continue;
		default:
			break;
		}
		char32_t code_point = 0;
		const std::size_t length = byte >= 0x80 ? utf8_length(text.substr(i), code_point) : 0;
		if (length == 0) {
			append_hex(out, text.substr(i, 1));
			++i;
		} else if (code_point <= 0x9f) {
			append_hex(out, text.substr(i, length)); // a C1 control
			i += length;
		} else {
			out.append(text, i, length);
			i += length;
		}
	}
	return out;
}

std::string terminal_fragment(std::string_view text, std::size_t max_bytes)
{
	if (text.size() <= max_bytes)
		return terminal_safe(text);
	// Whole characters only: a valid UTF-8 sequence is one unit, any other
	// byte is one of its own.
	std::size_t end = 0;
	for (;;) {
		char32_t code_point = 0;
		const std::size_t length = std::max<std::size_t>(utf8_length(text.substr(end), code_point), 1);
		if (end + length > max_bytes)
			break;
		end += length;
	}
	return terminal_safe(text.substr(0, end)) + "...";
}

} // namespace showguard
