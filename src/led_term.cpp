// SPDX-License-Identifier: GPL-2.0-or-later
#include <string>

#include <spdlog/spdlog.h>

#include "led_backends.hpp"
#include "showguard/logging.hpp"
#include "showguard/status_led.hpp"

namespace showguard {

namespace {

// Written to stderr beside the logger rather than through it: the simulated
// LED is what the user asked to see, whatever --log-level says. The same
// writer as the log's: one write per line, so the show's own output never
// splits it, and never a blocking one.
void print_line(const std::string &text) noexcept
{
	try {
		write_stderr_line("showguard: " + text + "\n");
	} catch (...) { // no memory for the line: it is not shown
	}
}

const char *rhythm(LedPattern pattern)
{
	switch (pattern) {
	case LedPattern::starting:
		return "fast blink";
	case LedPattern::restarting:
		return "slow blink";
	case LedPattern::stopping:
		return "short flashes";
	case LedPattern::armed:
		return "a blip every 2 s";
	default:
		return "";
	}
}

class TermLed final : public LedDriver {
public:
	explicit TermLed(std::string show) : show_(std::move(show)) {}

	~TermLed() override { announce("○ off"); }

	void set(bool lit) override
	{
		if (lit == lit_)
			return;
		lit_ = lit;
		if (blinking_) {
			if (spdlog::should_log(spdlog::level::debug))
				print_line("LED " + show_ + ": " + (lit ? "● on" : "○ off"));
			return;
		}
		announce(lit ? "● on" : "○ off");
	}

	void pattern_changed(LedPattern pattern) override
	{
		blinking_ = timing_of(pattern).blinks();
		if (blinking_) {
			const PatternTiming t = timing_of(pattern);
			announce(std::string("◐ ") + to_string(pattern) + " (" + rhythm(pattern) + ": " +
				 format_duration(t.lit) + " on, " + format_duration(t.dark) + " off)");
		} else {
			announce(pattern == LedPattern::on ? "● on" : "○ off");
		}
	}

	std::string describe() const override { return "the simulated LED on the terminal"; }

private:
	// One line per change a person would see; never the same line twice.
	void announce(const std::string &what) noexcept
	{
		if (what == shown_)
			return;
		shown_ = what;
		print_line("LED " + show_ + ": " + what);
	}

	std::string show_;
	bool lit_ = false;
	bool blinking_ = false;
	std::string shown_ = "○ off"; // the state it starts in, not announced
};

} // namespace

std::unique_ptr<LedDriver> open_term_led(std::string show)
{
	return std::make_unique<TermLed>(std::move(show));
}

} // namespace showguard
