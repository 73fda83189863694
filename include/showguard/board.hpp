// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "showguard/led_spec.hpp"

namespace showguard {

// A board definition, boards/NAME.conf: what a kind of controller offers
// the status LED. "key = value" lines; blank lines and lines starting with
// '#' or ';' are comments.
//   description     what the board is (required)
//   led             its default LED spec (required), by line name: gpio:GPIO17
//   gpio-chip       label of the chip the header's lines live on
//                   (pinctrl-bcm2711); a search for the board's LED by name
//                   looks only at chips of this label
//   model           start of the device-tree model of such a board
//                   ("Raspberry Pi 4 Model B"), to recognise the machine
//   led-active-low  yes if the board's LED lights when the line is low
//   button          its default show button, by line name (gpio:GPIO22);
//                   optional: a board without one has no button by default
// The name is the file's name without ".conf".
struct BoardDefinition {
	std::string name;
	std::filesystem::path path;
	std::string description;
	std::string model;
	LedSpec led;
	std::string gpio_chip;
	bool led_active_low = false;
	std::optional<LedSpec> button;
};

// Parses a board file's text as if read from path. Throws Error(config)
// with "FILE:LINE: message".
[[nodiscard]] BoardDefinition parse_board_text(std::string_view text, const std::filesystem::path &path);

// Reads one board file. Throws Error(config).
[[nodiscard]] BoardDefinition read_board_file(const std::filesystem::path &path);

// Where board files are looked for, in order: $SHOWGUARD_BOARDS_DIR
// (colon-separated), then share/showguard/boards beside the running
// executable (../share/showguard/boards from /usr/bin, or the build tree's
// copy), then the configured install prefix's share/showguard/boards.
[[nodiscard]] std::vector<std::filesystem::path> board_search_dirs();

// Finds NAME.conf in the search directories. Throws Error(config) when no
// directory has it.
[[nodiscard]] BoardDefinition find_board(const std::string &name);

// Every board in the search directories, by name; a name found in an
// earlier directory hides the same name in later ones. Files that do not
// parse are skipped and their errors appended to problems.
[[nodiscard]] std::vector<BoardDefinition> list_boards(std::vector<std::string> &problems);

// This machine's device-tree model ("Raspberry Pi 4 Model B Rev 1.4"), or "".
[[nodiscard]] std::string machine_model();

// True if the board describes a machine of this model.
[[nodiscard]] bool board_matches(const BoardDefinition &board, std::string_view model) noexcept;

} // namespace showguard
