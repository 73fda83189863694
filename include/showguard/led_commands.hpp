// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include "showguard/command_line.hpp"

namespace showguard {

// `showguard boards`: every board definition with its default LED and GPIO
// chip; the one matching this machine's device-tree model is marked.
// Returns 78 if a board file is broken (after listing the others).
[[nodiscard]] int run_boards(const CommandLine &cl);

// `showguard led-test`: reports what the LED spec finds (chip, line, its
// consumer; the LED-class attributes), then walks the LED through every
// pattern, --step each (default 2s), and leaves it off. Exit 69 with the
// exact reason if it cannot be driven; with --show, 75 (the conflict code)
// if that show is running, since its guard owns the LED.
[[nodiscard]] int run_led_test(const CommandLine &cl);

// `showguard led-reset --show NAME`: for ExecStopPost=. Takes the show's
// lock if it is free, without waiting, turns the LED off and lets both go.
// If the show is running its guard owns the LED: a message, exit 0, the
// LED untouched. An LED that cannot be driven is a warning (exit 0), with
// --led-required an error (69).
[[nodiscard]] int run_led_reset(const CommandLine &cl);

} // namespace showguard
