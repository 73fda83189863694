// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/command_split.hpp"

namespace showguard {

std::optional<std::vector<std::string>> split_command(std::string_view text, std::string &error)
{
	std::vector<std::string> words;
	std::string word;
	bool in_word = false;
	std::size_t i = 0;
	while (i < text.size()) {
		const char c = text[i];
		if (c == ' ' || c == '\t') {
			if (in_word)
				words.push_back(std::move(word));
			word.clear();
			in_word = false;
			++i;
			continue;
		}
		in_word = true;
		if (c == '\'') {
			const auto end = text.find('\'', i + 1);
			if (end == std::string_view::npos) {
				error = "unterminated single quote";
				return std::nullopt;
			}
			word.append(text.substr(i + 1, end - i - 1));
			i = end + 1;
		} else if (c == '"') {
			++i;
			for (;;) {
				if (i >= text.size()) {
					error = "unterminated double quote";
					return std::nullopt;
				}
				const char d = text[i];
				if (d == '"') {
					++i;
					break;
				}
				if (d == '\\' && i + 1 < text.size() &&
				    (text[i + 1] == '"' || text[i + 1] == '\\' || text[i + 1] == '$' || text[i + 1] == '`')) {
					word += text[i + 1];
					i += 2;
					continue;
				}
				word += d;
				++i;
			}
		} else if (c == '\\') {
			if (i + 1 >= text.size()) {
				error = "trailing backslash";
				return std::nullopt;
			}
			word += text[i + 1];
			i += 2;
		} else {
			word += c;
			++i;
		}
	}
	if (in_word)
		words.push_back(std::move(word));
	return words;
}

} // namespace showguard
