// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/button.hpp"

namespace showguard {

const char *to_string(ButtonAction action) noexcept
{
	switch (action) {
	case ButtonAction::toggle:
		return "toggle";
	case ButtonAction::stop:
		return "stop";
	case ButtonAction::restart:
		return "restart";
	}
	return "?";
}

std::optional<ButtonAction> parse_button_action(std::string_view text) noexcept
{
	for (ButtonAction a : {ButtonAction::toggle, ButtonAction::stop, ButtonAction::restart})
		if (text == to_string(a))
			return a;
	return std::nullopt;
}

std::optional<LedSpec> parse_button_spec(std::string_view text, std::string &error)
{
	if (!text.starts_with("gpio:")) {
		error = button_spec_forms;
		return std::nullopt;
	}
	return parse_led_spec(text, error);
}

std::optional<ButtonEdge> ButtonDebouncer::edge(const ButtonEdge &e) noexcept
{
	raw_ = e.pressed;
	if (period_.count() == 0) {
		settle_at_.reset();
		if (raw_ == stable_)
			return std::nullopt;
		stable_ = raw_;
		return e;
	}
	// Every edge restarts the wait: the level must hold for a whole period.
	settle_at_ = e.time + period_;
	return std::nullopt;
}

std::optional<ButtonEdge> ButtonDebouncer::advance(ButtonTime now, std::optional<bool> level_now) noexcept
{
	if (!settle_at_ || now < *settle_at_)
		return std::nullopt;
	if (level_now && *level_now != raw_) {
		raw_ = *level_now;
		settle_at_ = now + period_;
		return std::nullopt;
	}
	const ButtonTime at = *settle_at_;
	settle_at_.reset();
	if (raw_ == stable_)
		return std::nullopt; // bounced back: no change at all
	stable_ = raw_;
	return ButtonEdge{stable_, at};
}

std::optional<ButtonGesture> ButtonGestures::edge(const ButtonEdge &e) noexcept
{
	if (e.pressed) {
		if (!down_) {
			down_ = true;
			long_at_ = e.time + hold_;
		}
		return std::nullopt;
	}
	if (!down_)
		return std::nullopt;
	down_ = false;
	if (!long_at_)
		return std::nullopt; // the long press was already reported
	// Released after the hold time, before the loop saw its deadline: still long.
	const ButtonGesture gesture = e.time < *long_at_ ? ButtonGesture::press : ButtonGesture::long_press;
	long_at_.reset();
	return gesture;
}

std::optional<ButtonGesture> ButtonGestures::advance(ButtonTime now) noexcept
{
	if (!long_at_ || now < *long_at_)
		return std::nullopt;
	long_at_.reset();
	return ButtonGesture::long_press;
}

} // namespace showguard
