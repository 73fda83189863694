// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/board.hpp"
#include "showguard/button.hpp"
#include "showguard/config_file.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "showguard/error.hpp"
#include "showguard/paths.hpp"
#include "showguard/show_name.hpp"
#include "showguard/unique_fd.hpp"

namespace showguard {

namespace {

constexpr std::size_t max_board_file_size = 64 * 1024;
constexpr std::array board_keys = {"description", "model", "led", "gpio-chip", "led-active-low", "button"};

std::string_view trim(std::string_view s)
{
	const auto first = s.find_first_not_of(" \t\r");
	if (first == std::string_view::npos)
		return {};
	const auto last = s.find_last_not_of(" \t\r");
	return s.substr(first, last - first + 1);
}

[[noreturn]] void board_error(const std::string &origin, const std::string &message)
{
	throw Error(ExitCode::config, origin + ": " + message);
}

std::vector<std::filesystem::path> split_dirs(std::string_view list)
{
	std::vector<std::filesystem::path> dirs;
	while (!list.empty()) {
		const auto colon = list.find(':');
		const std::string_view dir = list.substr(0, colon);
		if (!dir.empty())
			dirs.emplace_back(dir);
		list = colon == std::string_view::npos ? std::string_view{} : list.substr(colon + 1);
	}
	return dirs;
}

std::string joined(const std::vector<std::filesystem::path> &dirs)
{
	std::string text;
	for (const auto &d : dirs)
		text += (text.empty() ? "" : ", ") + d.string();
	return text.empty() ? "nowhere" : text;
}

} // namespace

BoardDefinition parse_board_text(std::string_view text, const std::filesystem::path &path)
{
	BoardDefinition board;
	board.path = path;
	board.name = path.stem().string();
	std::map<std::string, std::string> origins;
	std::size_t line_number = 0;
	while (!text.empty()) {
		++line_number;
		const auto eol = text.find('\n');
		const std::string_view line = text.substr(0, eol);
		text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
		const std::string origin = path.string() + ":" + std::to_string(line_number);

		if (line.find('\0') != std::string_view::npos)
			board_error(origin, "line holds a NUL byte; is this a text file?");
		const std::string_view stripped = trim(line);
		if (stripped.empty() || stripped.front() == '#' || stripped.front() == ';')
			continue;
		const auto eq = stripped.find('=');
		if (eq == std::string_view::npos)
			board_error(origin, "expected 'key = value', found '" + printable(stripped) + "'");
		const std::string key(trim(stripped.substr(0, eq)));
		const std::string value(trim(stripped.substr(eq + 1)));
		if (std::find(board_keys.begin(), board_keys.end(), key) == board_keys.end())
			board_error(origin, "unknown key '" + printable(key) +
						    "'; a board file knows description, model, led, gpio-chip, led-active-low and button");
		if (value.empty())
			board_error(origin, "missing value for " + key);
		if (const auto [it, fresh] = origins.emplace(key, origin); !fresh)
			board_error(origin, "duplicate key '" + key + "' (first set at " + it->second + ")");

		if (key == "description") {
			board.description = value;
		} else if (key == "model") {
			board.model = value;
		} else if (key == "gpio-chip") {
			board.gpio_chip = value;
		} else if (key == "led") {
			std::string error;
			auto spec = parse_led_spec(value, error);
			if (!spec)
				board_error(origin, "invalid value '" + printable(value) + "' for led; " + error);
			board.led = *spec;
		} else if (key == "button") {
			std::string error;
			auto spec = parse_button_spec(value, error);
			if (!spec)
				board_error(origin, "invalid value '" + printable(value) + "' for button; " + error);
			board.button = *spec;
		} else if (key == "led-active-low") {
			auto yes = parse_bool(value);
			if (!yes)
				board_error(origin, "invalid value '" + printable(value) + "' for led-active-low; use yes or no");
			board.led_active_low = *yes;
		}
	}
	for (const char *required : {"description", "led"})
		if (!origins.count(required))
			board_error(path.string(), std::string("no '") + required + "' line; a board file needs one");
	return board;
}

BoardDefinition read_board_file(const std::filesystem::path &path)
{
	return parse_board_text(read_text_file(path, "board file", max_board_file_size), path);
}

std::vector<std::filesystem::path> board_search_dirs()
{
	std::vector<std::filesystem::path> dirs;
	if (const char *env = std::getenv("SHOWGUARD_BOARDS_DIR"))
		dirs = split_dirs(env);
	// Beside the executable first, so a package built with any prefix, or a build
	// tree, finds its own boards; /proc/self/exe, never a path of the build machine.
	std::vector<std::filesystem::path> own;
	std::error_code ec;
	const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
	if (!ec && exe.is_absolute())
		own.push_back((exe.parent_path() / boards_dir_from_executable).lexically_normal());
	own.emplace_back(configured_boards_dir);
	for (auto &dir : own)
		if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end())
			dirs.push_back(std::move(dir));
	return dirs;
}

BoardDefinition find_board(const std::string &name)
{
	const auto dirs = board_search_dirs();
	for (const auto &dir : dirs) {
		const auto path = dir / (name + ".conf");
		if (::access(path.c_str(), F_OK) == 0)
			return read_board_file(path);
	}
	throw Error(ExitCode::config, "no board definition '" + printable(name) + "' (looked in " + joined(dirs) +
					      "); 'showguard boards' lists the known boards");
}

std::vector<BoardDefinition> list_boards(std::vector<std::string> &problems)
{
	std::map<std::string, BoardDefinition> boards;
	for (const auto &dir : board_search_dirs()) {
		std::error_code ec;
		std::vector<std::filesystem::path> files;
		for (const auto &entry : std::filesystem::directory_iterator(dir, ec))
			if (entry.path().extension() == ".conf")
				files.push_back(entry.path());
		std::sort(files.begin(), files.end());
		for (const auto &file : files) {
			const std::string name = file.stem().string();
			if (boards.count(name) || !is_valid_name(name))
				continue;
			try {
				boards.emplace(name, read_board_file(file));
			} catch (const Error &e) {
				problems.push_back(e.what());
			}
		}
	}
	std::vector<BoardDefinition> list;
	for (auto &[name, board] : boards)
		list.push_back(std::move(board));
	return list;
}

std::string machine_model()
{
	for (const char *path : {"/sys/firmware/devicetree/base/model", "/proc/device-tree/model"}) {
		std::ifstream in(path, std::ios::binary);
		std::string model;
		if (in && std::getline(in, model, '\0') && !model.empty())
			return model;
	}
	return {};
}

bool board_matches(const BoardDefinition &board, std::string_view model) noexcept
{
	return !board.model.empty() && model.starts_with(board.model);
}

} // namespace showguard
