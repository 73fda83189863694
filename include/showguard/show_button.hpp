// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "showguard/board.hpp"
#include "showguard/button.hpp"
#include "showguard/button_line.hpp"
#include "showguard/guard_options.hpp"

namespace showguard {

// The show button a show uses, once its options and board are read: an
// explicit --button wins over the board's button line.
struct ButtonSetup {
	std::optional<LedSpec> spec; // unset: no button
	bool active_low = true;
	bool required = false;
	ButtonAction action = ButtonAction::toggle;
	Duration hold = default_button_hold;
	std::string chip_label; // the board's gpio-chip, for the board's own button

	[[nodiscard]] bool wanted() const noexcept { return spec.has_value(); }
	[[nodiscard]] std::string describe() const;
};

[[nodiscard]] ButtonSetup resolve_button(const GuardOptions &options, const std::optional<BoardDefinition> &board);

// What the button did, read from the kernel: the settled edges (for
// button-test) and what they mean.
struct ButtonInput {
	std::vector<ButtonEdge> edges;
	std::vector<ButtonGesture> gestures;
};

// The requested button line and its logic, as a source of the guard's event
// loop: its descriptor (readable when the kernel queued edges) and a
// deadline only while a press is under way (a bounce settling, a long press
// coming). An idle button costs no wake-ups.
class ShowButton {
public:
	ShowButton(std::unique_ptr<ButtonLine> line, Duration hold);

	[[nodiscard]] int fd() const { return line_->fd(); }
	[[nodiscard]] const ButtonLine &line() const noexcept { return *line_; }
	// fd() is readable. Throws SystemError when the line cannot be read.
	[[nodiscard]] ButtonInput readable(ButtonTime now);
	[[nodiscard]] std::optional<ButtonTime> next_deadline() const;
	[[nodiscard]] ButtonInput deadline(ButtonTime now);

private:
	void settled(const ButtonEdge &edge, ButtonInput &input);

	std::unique_ptr<ButtonLine> line_;
	ButtonDebouncer debouncer_;
	ButtonGestures gestures_;
};

// Finds and requests the button line as consumer "showguard:SHOW". A line
// that cannot be requested is a warning (nullptr: the show runs without a
// button) or with --button-required a LedUnavailable error (exit 69).
[[nodiscard]] std::unique_ptr<ShowButton> open_show_button(const ButtonSetup &setup, const std::string &show);

// Finds and requests the line; throws LedUnavailable naming the line and why.
[[nodiscard]] std::unique_ptr<ButtonLine> open_button_line(const ButtonSetup &setup, const std::string &show);

} // namespace showguard
