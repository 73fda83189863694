// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/config_file.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "showguard/error.hpp"
#include "showguard/show_name.hpp"
#include "showguard/terminal_text.hpp"
#include "showguard/unique_fd.hpp"

namespace showguard {

namespace {

constexpr std::size_t max_line_length = 4096;
constexpr std::size_t max_file_size = 1024 * 1024;

std::string_view trim(std::string_view s)
{
	const auto first = s.find_first_not_of(" \t\r");
	if (first == std::string_view::npos)
		return {};
	const auto last = s.find_last_not_of(" \t\r");
	return s.substr(first, last - first + 1);
}

// A line that is no setting is quoted in its error only this far, escaped:
// enough to find it, too little to print a file that is no config file
// (a key, a password hash) into a terminal or a log.
constexpr std::size_t max_quoted = 32;

// Parses one line into settings; returns the problem, or "" if none.
std::string parse_line(std::string_view line, const std::string &origin, Settings &settings)
{
	if (line.size() > max_line_length)
		return "line is longer than " + std::to_string(max_line_length) + " bytes";
	if (line.find('\0') != std::string_view::npos)
		return "line holds a NUL byte; is this a text file?";
	const std::string_view text = trim(line);
	if (text.empty() || text.front() == '#' || text.front() == ';')
		return {};
	if (text.front() == '[')
		return "sections like " + terminal_fragment(text, max_quoted) + " are not used; write key = value lines only";
	const auto eq = text.find('=');
	if (eq == std::string_view::npos)
		return "expected 'key = value', found '" + terminal_fragment(text, max_quoted) + "'";
	const std::string key(trim(text.substr(0, eq)));
	const std::string value(trim(text.substr(eq + 1)));
	if (key.empty())
		return "missing key before '='";
	if (!is_config_key(key))
		return "unknown key '" + terminal_fragment(key, max_quoted) + "'" +
		       (key == "show" ? " (the show is named by the file or --show)" : "");
	if (value.empty() && key != "wait")
		return "missing value for " + key;
	auto &values = settings[key];
	if (!values.empty() && !is_repeatable(key))
		return "duplicate key '" + key + "' (first set at " + values.front().origin + ")";
	values.push_back({value, origin});
	return {};
}

Settings parse(std::string_view text, const std::string &path, std::vector<std::string> *problems)
{
	Settings settings;
	std::size_t line_number = 0;
	while (!text.empty()) {
		++line_number;
		const auto eol = text.find('\n');
		const std::string_view line = text.substr(0, eol);
		text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
		const std::string origin = path + ":" + std::to_string(line_number);
		const std::string problem = parse_line(line, origin, settings);
		if (problem.empty())
			continue;
		if (!problems)
			throw Error(ExitCode::config, origin + ": " + problem);
		problems->push_back(origin + ": " + problem);
	}
	return settings;
}

} // namespace

Settings parse_config_text(std::string_view text, const std::string &path)
{
	return parse(text, path, nullptr);
}

Settings parse_config_text(std::string_view text, const std::string &path, std::vector<std::string> &problems)
{
	return parse(text, path, &problems);
}

std::string read_text_file(const std::filesystem::path &path, const std::string &what, std::size_t max_size)
{
	UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
	if (!fd)
		throw SystemError(ExitCode::config, errno, "cannot read " + what + " " + path.string());
	struct stat st;
	// A character device is allowed so that --config /dev/null means "none".
	if (::fstat(fd.get(), &st) < 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)))
		throw Error(ExitCode::config, what + " " + path.string() + " is not a regular file");
	if (static_cast<std::size_t>(st.st_size) > max_size)
		throw Error(ExitCode::config, what + " " + path.string() + " is larger than " +
						      std::to_string(max_size / 1024) + " KiB");
	std::string text(static_cast<std::size_t>(st.st_size), '\0');
	std::size_t got = 0;
	while (got < text.size()) {
		const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			throw SystemError(ExitCode::config, errno, "cannot read " + what + " " + path.string());
		if (n == 0)
			break;
		got += static_cast<std::size_t>(n);
	}
	text.resize(got);
	return text;
}

Settings read_config_file(const std::filesystem::path &path)
{
	return parse_config_text(read_text_file(path, "config file", max_file_size), path.string());
}

Settings read_config_file(const std::filesystem::path &path, std::vector<std::string> &problems)
{
	std::string text;
	try {
		text = read_text_file(path, "config file", max_file_size);
	} catch (const Error &e) {
		problems.push_back(e.what());
		return {};
	}
	return parse_config_text(text, path.string(), problems);
}

void refuse_symlink_out_of(const std::filesystem::path &path, const std::filesystem::path &config_dir)
{
	struct stat st;
	if (::lstat(path.c_str(), &st) < 0 || !S_ISLNK(st.st_mode))
		return;
	// A symlink within the config dir (or its shows/, wherever that is) is
	// the admin's own arrangement. One that leads out of it would make the
	// guard, and check-config's messages, read a file nobody reviewed as
	// configuration: /etc/shadow is a link away for anyone who can write
	// the shows directory.
	std::error_code ec;
	const std::filesystem::path target = std::filesystem::weakly_canonical(path, ec);
	auto inside = [&](const std::filesystem::path &dir) {
		std::error_code dir_ec;
		const std::filesystem::path base = std::filesystem::weakly_canonical(dir, dir_ec);
		if (dir_ec)
			return false;
		const auto [end, _] = std::mismatch(base.begin(), base.end(), target.begin(), target.end());
		return end == base.end();
	};
	if (!ec && (inside(config_dir) || inside(config_dir / "shows")))
		return;
	throw Error(ExitCode::config, "config file " + path.string() + " is a symlink to " +
					      (ec ? std::string("a path that cannot be resolved") : target.string()) +
					      ", outside " + config_dir.string() +
					      "; not reading it (copy the file there, or link within that directory)");
}

std::filesystem::path show_config_path(const std::filesystem::path &config_dir, const std::string &show)
{
	return config_dir / "shows" / (show + ".conf");
}

} // namespace showguard
