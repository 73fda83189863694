// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "showguard/settings.hpp"

namespace showguard {

// Where configuration lives. A missing default global file is fine; a
// missing file named with --config is an error.
inline constexpr const char *default_config_file = "/etc/showguard/showguard.conf";
inline constexpr const char *default_config_dir = "/etc/showguard";

// Reads an INI-style file of "key = value" lines, as Boost.Program_options
// reads config files, with these rules:
//  - blank lines and lines whose first non-blank character is '#' or ';'
//    are ignored; there are no comments after a value, so everything after
//    '=' (trimmed) is the value and '#' inside a value needs no escaping;
//  - keys are long option names (see is_config_key); an unknown key, a
//    missing value, a repeated non-repeatable key, a [section] header, a
//    NUL byte or a line over 4096 bytes is an error.
// Throws Error(config) with "FILE:LINE: message".
[[nodiscard]] Settings read_config_file(const std::filesystem::path &path);

// Like read_config_file, but collects every problem (the file's own, such as
// a FIFO or an oversized file, or its lines') instead of throwing; for check-config.
[[nodiscard]] Settings read_config_file(const std::filesystem::path &path, std::vector<std::string> &problems);

// Reads a whole configuration-like file (a regular file, or /dev/null) of
// at most max_size bytes. Throws Error(config) naming what and path.
[[nodiscard]] std::string read_text_file(const std::filesystem::path &path, const std::string &what,
					 std::size_t max_size);

// Parses text as if read from path; for tests and fuzzing.
[[nodiscard]] Settings parse_config_text(std::string_view text, const std::string &path);

// Like parse_config_text, but collects every problem instead of throwing
// at the first; for check-config.
[[nodiscard]] Settings parse_config_text(std::string_view text, const std::string &path,
					 std::vector<std::string> &problems);

// Throws Error(config) if path, a file found in config_dir (a show file, the
// default global file), is a symlink that leads out of config_dir and out
// of config_dir/shows. A file named on the command line (--config) is read
// wherever it is: its user chose it.
void refuse_symlink_out_of(const std::filesystem::path &path, const std::filesystem::path &config_dir);

// DIR/shows/NAME.conf.
[[nodiscard]] std::filesystem::path show_config_path(const std::filesystem::path &config_dir,
						     const std::string &show);

} // namespace showguard
