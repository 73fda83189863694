// SPDX-License-Identifier: GPL-2.0-or-later
// A board file: rejected only as a configuration error naming the file;
// accepted only with a description and an LED that reads back the same.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "showguard/board.hpp"

using namespace showguard;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	const std::string_view text(reinterpret_cast<const char *>(data), size);
	const std::string path = "/usr/share/showguard/boards/fuzz.conf";
	fuzz::expect_only(ExitCode::config, path, [&] {
		const BoardDefinition board = parse_board_text(text, path);
		fuzz::check(!board.description.empty(), "a board without a description");
		fuzz::check(board.name == "fuzz", "board named '" + board.name + "'");
		std::string error;
		const auto led = parse_led_spec(to_string(board.led), error);
		fuzz::check(led && *led == board.led, "the board's LED does not read back: " + to_string(board.led));
	});
	return 0;
}
