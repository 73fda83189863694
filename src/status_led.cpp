// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/status_led.hpp"

#include <spdlog/spdlog.h>

namespace showguard {

using std::chrono::milliseconds;

const char *to_string(LedPattern pattern) noexcept
{
	switch (pattern) {
	case LedPattern::off:
		return "off";
	case LedPattern::on:
		return "on";
	case LedPattern::starting:
		return "starting";
	case LedPattern::restarting:
		return "restarting";
	case LedPattern::stopping:
		return "stopping";
	case LedPattern::armed:
		return "armed";
	}
	return "?";
}

PatternTiming timing_of(LedPattern pattern) noexcept
{
	// Three rhythms a person tells apart without counting: a flicker (5 Hz),
	// a calm blink (1 Hz), and a brief flash in mostly dark (1 Hz).
	switch (pattern) {
	case LedPattern::off:
		return {milliseconds(0), milliseconds(1)};
	case LedPattern::on:
		return {milliseconds(1), milliseconds(0)};
	case LedPattern::starting:
		return {milliseconds(100), milliseconds(100)};
	case LedPattern::restarting:
		return {milliseconds(500), milliseconds(500)};
	case LedPattern::stopping:
		return {milliseconds(200), milliseconds(800)};
	case LedPattern::armed:
		// Waiting may last all night: two wake-ups per 2 s, a blip that
		// still says "alive, waiting" at a glance.
		return {milliseconds(100), milliseconds(1900)};
	}
	return {milliseconds(0), milliseconds(1)};
}

LedPattern pattern_for(ShowState state) noexcept
{
	switch (state) {
	case ShowState::armed:
		return LedPattern::armed;
	case ShowState::starting:
		return LedPattern::starting;
	case ShowState::running:
		return LedPattern::on;
	case ShowState::stopping:
		return LedPattern::stopping;
	case ShowState::restart_wait:
		return LedPattern::restarting;
	case ShowState::finished:
		return LedPattern::off;
	}
	return LedPattern::off;
}

void LedBlinker::start(LedPattern pattern, TimePoint now) noexcept
{
	const PatternTiming t = timing_of(pattern);
	pattern_ = pattern;
	lit_ = t.lit.count() > 0;
	next_.reset();
	if (t.blinks())
		next_ = now + t.lit;
}

bool LedBlinker::advance(TimePoint now) noexcept
{
	if (!next_ || now < *next_)
		return false;
	const PatternTiming t = timing_of(pattern_);
	const bool before = lit_;
	if (now - *next_ >= t.lit + t.dark) {
		// Far behind (the machine was suspended, the loop was stalled): start
		// the pattern over rather than toggling through every missed phase.
		lit_ = true;
		next_ = now + t.lit;
		return lit_ != before;
	}
	while (*next_ <= now) {
		lit_ = !lit_;
		*next_ += lit_ ? t.lit : t.dark;
	}
	return lit_ != before;
}

StatusLed::StatusLed(std::unique_ptr<LedDriver> driver, std::string show, NowFunction now)
	: driver_(std::move(driver)), show_(std::move(show)), now_(now)
{
	blinker_.start(LedPattern::off, now_());
	driver_->pattern_changed(LedPattern::off);
	drive(false);
}

StatusLed::~StatusLed()
{
	try {
		if (blinker_.pattern() != LedPattern::off)
			driver_->pattern_changed(LedPattern::off);
	} catch (...) {
	}
	drive(false);
}

void StatusLed::show(LedPattern pattern)
{
	if (pattern == blinker_.pattern())
		return;
	blinker_.start(pattern, now_());
	try {
		driver_->pattern_changed(pattern);
	} catch (...) {
	}
	drive(blinker_.lit());
}

void StatusLed::show_changed(const ShowEvent &event)
{
	show(pattern_for(event.state));
}

std::optional<TimePoint> StatusLed::next_deadline() const
{
	return blinker_.next_change();
}

void StatusLed::on_deadline(TimePoint now)
{
	if (blinker_.advance(now))
		drive(blinker_.lit());
}

void StatusLed::drive(bool lit) noexcept
{
	try {
		driver_->set(lit);
	} catch (const std::exception &e) {
		try {
			if (!failed_)
				spdlog::warn("show {}: LED {}: {}", show_, driver_->describe(), e.what());
			else
				spdlog::debug("show {}: LED {}: {}", show_, driver_->describe(), e.what());
		} catch (...) {
		}
		failed_ = true;
	}
}

} // namespace showguard
