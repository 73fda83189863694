// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/show_button.hpp"

#include <spdlog/spdlog.h>

#include "showguard/error.hpp"
#include "showguard/led_driver.hpp"
#include "showguard/led_gpio.hpp"
#include "showguard/led_setup.hpp"
#include "showguard/show_name.hpp"

namespace showguard {

std::string ButtonSetup::describe() const
{
	if (!spec)
		return "none";
	return to_string(*spec) + (active_low ? "" : ", active-high");
}

ButtonSetup resolve_button(const GuardOptions &options, const std::optional<BoardDefinition> &board)
{
	ButtonSetup setup;
	setup.required = options.button_required;
	setup.action = options.button_action;
	setup.hold = options.button_hold;
	setup.active_low = !options.button_active_high;
	if (!options.button.empty()) {
		std::string error;
		auto spec = parse_button_spec(options.button, error);
		if (!spec) // apply_setting checked it already
			throw Error(ExitCode::usage, "invalid button '" + printable(options.button) + "': " + error);
		setup.spec = *spec;
	} else if (board && board->button) {
		setup.spec = *board->button;
		setup.chip_label = board->gpio_chip;
	}
	return setup;
}

ShowButton::ShowButton(std::unique_ptr<ButtonLine> line, Duration hold)
	: line_(std::move(line)),
	  debouncer_(line_->kernel_debounced() ? Duration::zero() : button_debounce, line_->pressed()),
	  gestures_(hold)
{
	// Held down since before the request: that press began before the guard
	// could see it, and it is not one.
}

void ShowButton::settled(const ButtonEdge &edge, ButtonInput &input)
{
	input.edges.push_back(edge);
	if (auto g = gestures_.edge(edge))
		input.gestures.push_back(*g);
}

ButtonInput ShowButton::readable(ButtonTime now)
{
	ButtonInput input;
	for (const ButtonEdge &edge : line_->read_edges()) {
		// A settle deadline that passed before this edge came in settles first.
		if (auto s = debouncer_.advance(edge.time))
			settled(*s, input);
		if (auto s = debouncer_.edge(edge))
			settled(*s, input);
	}
	ButtonInput later = deadline(now);
	input.edges.insert(input.edges.end(), later.edges.begin(), later.edges.end());
	input.gestures.insert(input.gestures.end(), later.gestures.begin(), later.gestures.end());
	return input;
}

std::optional<ButtonTime> ShowButton::next_deadline() const
{
	const auto a = debouncer_.next_deadline();
	const auto b = gestures_.next_deadline();
	if (a && b)
		return std::min(*a, *b);
	return a ? a : b;
}

ButtonInput ShowButton::deadline(ButtonTime now)
{
	ButtonInput input;
	std::optional<bool> level;
	if (debouncer_.due(now)) {
		try {
			level = line_->pressed();
		} catch (const Error &) {
			// The next read of the edges names what went wrong.
		}
	}
	if (auto s = debouncer_.advance(now, level))
		settled(*s, input);
	if (auto g = gestures_.advance(now))
		input.gestures.push_back(*g);
	return input;
}

std::unique_ptr<ButtonLine> open_button_line(const ButtonSetup &setup, const std::string &show)
{
	const std::string what = "button " + setup.describe();
	GpioLine line;
	try {
		line = find_gpio_line(*setup.spec, setup.chip_label, system_gpio_chips());
	} catch (const LedUnavailable &e) {
		throw LedUnavailable(what + " cannot be used: " + e.what());
	}
	const std::string description = line.describe();
	const std::filesystem::path chip = line.chip->path();
	try {
		return request_button_line(chip, line.offset, led_consumer(show), setup.active_low, description);
	} catch (const SystemError &e) {
		if (e.error_number() == EBUSY) {
			std::string holder = "another consumer";
			try {
				const GpioLineInfo info = line.chip->line_info(line.offset);
				if (!info.consumer.empty())
					holder = "'" + printable(info.consumer) + "'";
			} catch (const Error &) {
			}
			throw LedUnavailable(what + " cannot be used: line " + description + " is busy: used by " + holder);
		}
		throw LedUnavailable(what + " cannot be used: " + e.what());
	}
}

std::unique_ptr<ShowButton> open_show_button(const ButtonSetup &setup, const std::string &show)
{
	if (!setup.wanted())
		return nullptr;
	std::unique_ptr<ButtonLine> line;
	try {
		line = open_button_line(setup, show);
	} catch (const LedUnavailable &e) {
		device_unavailable(e, setup.required, show);
		return nullptr;
	}
	spdlog::info("show {}: button {} ({}, {}), action {}", show, line->describe(),
		     setup.active_low ? "active-low" : "active-high",
		     line->kernel_debounced() ? "debounced by the kernel" : "debounced from edge timestamps",
		     to_string(setup.action));
	return std::make_unique<ShowButton>(std::move(line), setup.hold);
}

} // namespace showguard
