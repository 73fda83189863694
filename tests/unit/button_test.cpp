// SPDX-License-Identifier: GPL-2.0-or-later
// The show button's pure logic: debounce from edge timestamps, press and
// long press, and its options (command line, config keys, board files).
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "showguard/board.hpp"
#include "showguard/button.hpp"
#include "showguard/command_line.hpp"
#include "showguard/config_file.hpp"
#include "showguard/error.hpp"
#include "showguard/settings.hpp"

#include "command_line_helpers.hpp"

using namespace showguard;
using namespace showguard::unit_test;
using namespace std::chrono_literals;

namespace {

const ButtonTime t0 = ButtonTime(100s);

ButtonEdge down(Duration at) { return {true, t0 + at}; }
ButtonEdge up(Duration at) { return {false, t0 + at}; }

// Feeds raw edges through a debouncer the way the loop does (a deadline
// that passed before an edge settles first), then runs its last deadline.
std::vector<ButtonEdge> settle(Duration period, const std::vector<ButtonEdge> &raw, bool pressed_now = false)
{
	ButtonDebouncer d(period, pressed_now);
	std::vector<ButtonEdge> out;
	for (const auto &e : raw) {
		if (auto s = d.advance(e.time))
			out.push_back(*s);
		if (auto s = d.edge(e))
			out.push_back(*s);
	}
	if (auto deadline = d.next_deadline())
		if (auto s = d.advance(*deadline))
			out.push_back(*s);
	EXPECT_FALSE(d.next_deadline());
	return out;
}

// The guard's options for a show that runs true.
GuardOptions guard(std::vector<const char *> args)
{
	args.insert(args.end(), {"--", "true"});
	return guard_options(std::move(args));
}

Error error_of(std::vector<const char *> args)
{
	try {
		(void)guard(std::move(args));
	} catch (const Error &e) {
		return e;
	}
	ADD_FAILURE() << "no error";
	return Error(ExitCode::ok, "");
}

} // namespace

TEST(ButtonDebounce, BouncesWithinThePeriodAreOnePress)
{
	// Five edges 1-5 ms apart within 20 ms, ending down; then held.
	const auto out = settle(50ms, {down(0ms), up(1ms), down(4ms), up(6ms), down(11ms)});
	ASSERT_EQ(out.size(), 1u);
	EXPECT_TRUE(out[0].pressed);
	EXPECT_EQ(out[0].time, t0 + 11ms + 50ms); // the kernel's way: when the level has held for the period
}

TEST(ButtonDebounce, PressAndReleaseEachSettle)
{
	const auto out = settle(50ms, {down(0ms), up(2ms), down(5ms), up(300ms), down(303ms), up(305ms)});
	ASSERT_EQ(out.size(), 2u);
	EXPECT_TRUE(out[0].pressed);
	EXPECT_FALSE(out[1].pressed);
	EXPECT_EQ(out[1].time, t0 + 355ms);
}

TEST(ButtonDebounce, AGlitchThatReturnsIsNothing)
{
	EXPECT_TRUE(settle(50ms, {down(0ms), up(3ms)}).empty());
	EXPECT_TRUE(settle(50ms, {up(0ms), down(3ms)}, true).empty());
}

TEST(ButtonDebounce, EdgesFurtherApartThanThePeriodAllCount)
{
	const auto out = settle(50ms, {down(0ms), up(100ms), down(200ms), up(300ms)});
	EXPECT_EQ(out.size(), 4u);
}

TEST(ButtonDebounce, ZeroPeriodPassesKernelDebouncedEdgesAtOnce)
{
	ButtonDebouncer d(0ms);
	auto e = d.edge(down(0ms));
	ASSERT_TRUE(e);
	EXPECT_EQ(e->time, t0);
	EXPECT_FALSE(d.next_deadline());
	EXPECT_FALSE(d.edge(down(1ms))); // no change of level
	EXPECT_TRUE(d.edge(up(2ms)));
}

TEST(ButtonDebounce, TheUndebouncedCanaryCountsEveryBounce)
{
	// Without a period the same burst is five changes: what the guard's
	// debounce (or the kernel's) is there to prevent.
	const auto out = settle(0ms, {down(0ms), up(1ms), down(4ms), up(6ms), down(11ms)});
	EXPECT_EQ(out.size(), 5u);
}

TEST(ButtonDebounce, AnEdgeNotYetDeliveredAtTheDeadlineIsWaitedFor)
{
	// The bouncy press of the kernel tier on a loaded machine: the loop's
	// settle deadline for down(0) comes while up(1) is timestamped but still
	// in the kernel. The line's level, read at the deadline, says so.
	ButtonDebouncer d(50ms);
	EXPECT_FALSE(d.edge(down(0ms)));
	EXPECT_TRUE(d.due(t0 + 60ms));
	EXPECT_FALSE(d.advance(t0 + 60ms, false)); // released now: not a press
	EXPECT_FALSE(d.pressed());
	// The late edges arrive, and the burst ends down.
	EXPECT_FALSE(d.advance(t0 + 1ms));
	EXPECT_FALSE(d.edge(up(1ms)));
	EXPECT_FALSE(d.edge(down(4ms)));
	EXPECT_FALSE(d.due(t0 + 30ms));
	auto s = d.advance(t0 + 70ms, true);
	ASSERT_TRUE(s);
	EXPECT_TRUE(s->pressed);
	EXPECT_TRUE(d.pressed());
	// Canary: without the level read, the same deadline settles the
	// first edge of the burst as a press.
	ButtonDebouncer blind(50ms);
	(void)blind.edge(down(0ms));
	EXPECT_TRUE(blind.advance(t0 + 60ms));
}

TEST(ButtonGestures, ReleaseBeforeTheHoldIsAPress)
{
	ButtonGestures g(3s);
	EXPECT_FALSE(g.edge(down(0ms)));
	EXPECT_EQ(g.next_deadline(), t0 + 3s);
	EXPECT_EQ(g.edge(up(200ms)), ButtonGesture::press);
	EXPECT_FALSE(g.next_deadline()); // an idle button costs no wake-ups
}

TEST(ButtonGestures, HoldingIsALongPressWhileStillDown)
{
	ButtonGestures g(3s);
	(void)g.edge(down(0ms));
	EXPECT_FALSE(g.advance(t0 + 2999ms));
	EXPECT_EQ(g.advance(t0 + 3s), ButtonGesture::long_press);
	EXPECT_FALSE(g.next_deadline());
	EXPECT_FALSE(g.edge(up(5s))); // its release is nothing more
}

TEST(ButtonGestures, ALateLoopStillSeesALongPress)
{
	// Released after the hold time, before the loop served the deadline.
	ButtonGestures g(3s);
	(void)g.edge(down(0ms));
	EXPECT_EQ(g.edge(up(3500ms)), ButtonGesture::long_press);
}

TEST(ButtonGestures, AReleaseWithoutAPressIsNothing)
{
	ButtonGestures g(3s);
	EXPECT_FALSE(g.edge(up(0ms)));
	EXPECT_FALSE(g.next_deadline());
}

TEST(ButtonOptions, Defaults)
{
	const GuardOptions g = guard({"--show", "starcourt"});
	EXPECT_EQ(g.button, "");
	EXPECT_FALSE(g.button_active_high);
	EXPECT_EQ(g.button_action, ButtonAction::toggle);
	EXPECT_EQ(g.button_hold, 3s);
	EXPECT_FALSE(g.button_required);
}

TEST(ButtonOptions, CommandLine)
{
	const GuardOptions g = guard({"--show", "starcourt", "--button", "gpio:GPIO22", "--button-active-high",
				      "--button-action", "restart", "--button-hold", "5s", "--button-required"});
	EXPECT_EQ(g.button, "gpio:GPIO22");
	EXPECT_TRUE(g.button_active_high);
	EXPECT_EQ(g.button_action, ButtonAction::restart);
	EXPECT_EQ(g.button_hold, 5s);
	EXPECT_TRUE(g.button_required);
	EXPECT_EQ(guard({"--show", "s", "--button", "gpio:gpiochip0:22"}).button, "gpio:gpiochip0:22");
}

TEST(ButtonOptions, BadValuesNameThemselves)
{
	for (auto [args, text] : std::vector<std::pair<std::vector<const char *>, std::string>>{
		     {{"--show", "s", "--button", "term"}, "invalid value 'term' for --button; use gpio:LINE_NAME or gpio:CHIP:OFFSET"},
		     {{"--show", "s", "--button", "sysfs:/sys/class/leds/ACT"}, "for --button"},
		     {{"--show", "s", "--button", "gpio:"}, "for --button"},
		     {{"--show", "s", "--button-action", "pause"}, "invalid value 'pause' for --button-action; use toggle, stop or restart"},
		     {{"--show", "s", "--button-hold", "100ms"}, "for --button-hold; use at least 500ms"},
		     {{"--show", "s", "--button-required=maybe"}, "for --button-required; use yes or no"},
	     }) {
		const Error e = error_of(args);
		EXPECT_EQ(e.code(), ExitCode::usage) << e.what();
		EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
	}
}

TEST(ButtonOptions, ConfigKeys)
{
	for (const char *key : {"button", "button-active-high", "button-action", "button-hold", "button-required"})
		EXPECT_TRUE(is_config_key(key)) << key;
	GuardOptions g;
	apply_settings(parse_config_text("button = gpio:GPIO22\nbutton-action = stop\nbutton-hold = 2s\n"
					 "button-active-high = yes\nbutton-required = yes\n",
					 "/etc/showguard/shows/starcourt.conf"),
		       g);
	EXPECT_EQ(g.button, "gpio:GPIO22");
	EXPECT_EQ(g.button_action, ButtonAction::stop);
	EXPECT_EQ(g.button_hold, 2s);
	EXPECT_TRUE(g.button_active_high);
	EXPECT_TRUE(g.button_required);
	try {
		GuardOptions bad;
		apply_settings(parse_config_text("button-action = later\n", "/etc/showguard/shows/x.conf"), bad);
		ADD_FAILURE() << "no error";
	} catch (const Error &e) {
		EXPECT_EQ(e.code(), ExitCode::config);
		EXPECT_NE(std::string(e.what()).find("/etc/showguard/shows/x.conf:1: invalid value 'later' for button-action"),
			  std::string::npos)
			<< e.what();
	}
}

TEST(ButtonOptions, BoardFileMayNameAButton)
{
	const BoardDefinition b = parse_board_text("description = test\nled = gpio:GPIO17\nbutton = gpio:GPIO22\n",
						   "/x/boards/test.conf");
	ASSERT_TRUE(b.button);
	EXPECT_EQ(to_string(*b.button), "gpio:GPIO22");
	EXPECT_FALSE(parse_board_text("description = test\nled = gpio:GPIO17\n", "/x/boards/t.conf").button);
	EXPECT_THROW((void)parse_board_text("description = t\nled = gpio:GPIO17\nbutton = term\n", "/x/boards/t.conf"),
		     Error);
}

TEST(ButtonOptions, ButtonTestParses)
{
	const CommandLine cl = parse({"button-test", "--button", "gpio:GPIO22", "--button-hold", "1s"});
	EXPECT_EQ(cl.verb, Verb::button_test);
	EXPECT_EQ(cl.settings.at("button").back().value, "gpio:GPIO22");
}

namespace {

std::string read_source(const std::string &relative)
{
	std::ifstream in(std::string(SHOWGUARD_SOURCE_DIR) + "/" + relative);
	std::stringstream text;
	text << in.rdbuf();
	EXPECT_FALSE(text.str().empty()) << relative;
	return text.str();
}

} // namespace

TEST(ButtonOptions, ManPageCompletionAndReadmeNameEveryButtonKey)
{
	const std::string man = read_source("docs/showguard.1");
	const std::string completion = read_source("packaging/showguard.bash-completion");
	const std::string readme = read_source("README.md");
	for (const std::string key : {"button", "button-active-high", "button-action", "button-hold", "button-required"}) {
		ASSERT_TRUE(is_config_key(key)) << key;
		std::string roff = "\\-\\-";
		for (char c : key)
			roff += c == '-' ? std::string("\\-") : std::string(1, c);
		EXPECT_NE(man.find(roff), std::string::npos) << key;
		EXPECT_TRUE(completion.find("--" + key + " ") != std::string::npos ||
			    completion.find("--" + key + "\n") != std::string::npos)
			<< key;
		EXPECT_NE(readme.find("`--" + key), std::string::npos) << key;
	}
	EXPECT_NE(man.find("80 the show button"), std::string::npos);
	EXPECT_NE(readme.find("| 80 |"), std::string::npos);
	EXPECT_NE(read_source("systemd/showguard@.service").find("SuccessExitStatus=143 80"), std::string::npos);
}
