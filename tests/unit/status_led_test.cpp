// SPDX-License-Identifier: GPL-2.0-or-later
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "showguard/status_led.hpp"

using namespace showguard;
using namespace std::chrono_literals;

namespace {

// What a fake driver saw, kept outside it so the test can read it after
// the StatusLed (and the driver) are gone.
struct DriverLog {
	std::vector<bool> sets;
	std::vector<LedPattern> patterns;
	bool destroyed = false;
	bool lit_when_destroyed = false;
	int failures_left = 0;
};

class FakeDriver final : public LedDriver {
public:
	explicit FakeDriver(DriverLog &log) : log_(log) {}
	~FakeDriver() override
	{
		log_.destroyed = true;
		log_.lit_when_destroyed = !log_.sets.empty() && log_.sets.back();
	}
	void set(bool lit) override
	{
		if (log_.failures_left > 0) {
			--log_.failures_left;
			throw SystemError(ExitCode::os_error, EIO, "cannot write brightness");
		}
		log_.sets.push_back(lit);
	}
	std::string describe() const override { return "fake"; }
	void pattern_changed(LedPattern pattern) override { log_.patterns.push_back(pattern); }

private:
	DriverLog &log_;
};

// A clock the test moves by hand.
TimePoint fake_now;
TimePoint now() { return fake_now; }

class StatusLedTest : public ::testing::Test {
protected:
	void SetUp() override { fake_now = TimePoint(10s); }
	std::unique_ptr<StatusLed> make()
	{
		return std::make_unique<StatusLed>(std::make_unique<FakeDriver>(log_), "starcourt", &now);
	}
	static ShowEvent event(ShowState state) { return ShowEvent{state, 42, 0, std::nullopt, 1s}; }
	// Moves the clock to the LED's next deadline, as the event loop would.
	void tick(StatusLed &led)
	{
		ASSERT_TRUE(led.next_deadline());
		fake_now = *led.next_deadline();
		led.on_deadline(fake_now);
	}
	DriverLog log_;
};

} // namespace

TEST(LedPatterns, EachStateHasItsOwnPattern)
{
	EXPECT_EQ(pattern_for(ShowState::starting), LedPattern::starting);
	EXPECT_EQ(pattern_for(ShowState::running), LedPattern::on);
	EXPECT_EQ(pattern_for(ShowState::stopping), LedPattern::stopping);
	EXPECT_EQ(pattern_for(ShowState::restart_wait), LedPattern::restarting);
	EXPECT_EQ(pattern_for(ShowState::finished), LedPattern::off);
}

TEST(LedPatterns, BlinkingPatternsAreDistinctAndSteadyOnesDoNotBlink)
{
	EXPECT_FALSE(timing_of(LedPattern::on).blinks());
	EXPECT_FALSE(timing_of(LedPattern::off).blinks());
	std::vector<std::pair<Duration, Duration>> seen;
	for (LedPattern p : {LedPattern::starting, LedPattern::restarting, LedPattern::stopping}) {
		const PatternTiming t = timing_of(p);
		EXPECT_TRUE(t.blinks()) << to_string(p);
		// Slow enough to see, and each unlike the others.
		EXPECT_GE(t.lit, 50ms);
		EXPECT_GE(t.dark, 50ms);
		for (const auto &other : seen)
			EXPECT_NE(other, std::make_pair(t.lit, t.dark));
		seen.emplace_back(t.lit, t.dark);
	}
}

TEST(LedBlinker, SteadyPatternsNeedNoDeadline)
{
	LedBlinker b;
	b.start(LedPattern::on, TimePoint(1s));
	EXPECT_TRUE(b.lit());
	EXPECT_FALSE(b.next_change());
	EXPECT_FALSE(b.advance(TimePoint(100s)));
	b.start(LedPattern::off, TimePoint(1s));
	EXPECT_FALSE(b.lit());
	EXPECT_FALSE(b.next_change());
}

TEST(LedBlinker, BlinksWithoutDrift)
{
	LedBlinker b;
	const TimePoint t0(1s);
	b.start(LedPattern::stopping, t0); // 200ms lit, 800ms dark
	EXPECT_TRUE(b.lit());
	EXPECT_EQ(b.next_change(), t0 + 200ms);
	EXPECT_FALSE(b.advance(t0 + 199ms));
	// Woken a little late: the next deadline still follows the first.
	EXPECT_TRUE(b.advance(t0 + 203ms));
	EXPECT_FALSE(b.lit());
	EXPECT_EQ(b.next_change(), t0 + 1000ms);
	EXPECT_TRUE(b.advance(t0 + 1000ms));
	EXPECT_TRUE(b.lit());
	EXPECT_EQ(b.next_change(), t0 + 1200ms);
}

TEST(LedBlinker, SeveralPhasesInOneWakeUp)
{
	LedBlinker b;
	const TimePoint t0(1s);
	b.start(LedPattern::starting, t0); // 100ms / 100ms
	EXPECT_FALSE(b.advance(t0 + 150ms + 50ms)); // lit -> dark -> lit
	EXPECT_TRUE(b.lit());
	EXPECT_EQ(b.next_change(), t0 + 300ms);
}

TEST(LedBlinker, RestartsAfterALongStall)
{
	LedBlinker b;
	const TimePoint t0(1s);
	b.start(LedPattern::restarting, t0); // 500ms / 500ms
	(void)b.advance(t0 + 500ms);
	EXPECT_FALSE(b.lit());
	// An hour later (a suspended machine): start over, no burst of toggles.
	const TimePoint later = t0 + 1h;
	EXPECT_TRUE(b.advance(later));
	EXPECT_TRUE(b.lit());
	EXPECT_EQ(b.next_change(), later + 500ms);
}

TEST_F(StatusLedTest, OffWhenCreatedAndWhenDestroyed)
{
	auto led = make();
	EXPECT_EQ(log_.sets, std::vector<bool>{false});
	EXPECT_FALSE(led->next_deadline());
	led->show_changed(event(ShowState::running));
	EXPECT_EQ(log_.sets.back(), true);
	led.reset();
	EXPECT_TRUE(log_.destroyed);
	EXPECT_FALSE(log_.lit_when_destroyed);
	EXPECT_EQ(log_.patterns.back(), LedPattern::off);
}

TEST_F(StatusLedTest, SteadyOnWhileRunningCostsNoWakeUps)
{
	auto led = make();
	led->show_changed(event(ShowState::starting));
	EXPECT_TRUE(led->next_deadline());
	led->show_changed(event(ShowState::running));
	EXPECT_TRUE(log_.sets.back());
	EXPECT_FALSE(led->next_deadline());
	// The same state again changes nothing.
	const auto sets = log_.sets.size();
	led->show_changed(event(ShowState::running));
	EXPECT_EQ(log_.sets.size(), sets);
}

TEST_F(StatusLedTest, FollowsTheShowThroughARestartAndAStop)
{
	auto led = make();
	const TimePoint t0 = fake_now;
	led->show_changed(event(ShowState::starting));
	EXPECT_EQ(led->pattern(), LedPattern::starting);
	EXPECT_EQ(led->next_deadline(), t0 + 100ms);
	tick(*led);
	tick(*led);
	EXPECT_EQ(log_.sets, (std::vector<bool>{false, true, false, true}));

	led->show_changed(event(ShowState::running));
	led->show_changed(event(ShowState::restart_wait));
	EXPECT_EQ(led->pattern(), LedPattern::restarting);
	const TimePoint wait_start = fake_now;
	EXPECT_EQ(led->next_deadline(), wait_start + 500ms);
	tick(*led);
	EXPECT_FALSE(log_.sets.back());
	EXPECT_EQ(led->next_deadline(), wait_start + 1000ms);

	led->show_changed(event(ShowState::starting));
	led->show_changed(event(ShowState::running));
	led->show_changed(event(ShowState::stopping));
	EXPECT_EQ(led->pattern(), LedPattern::stopping);
	const TimePoint stop_start = fake_now;
	tick(*led);
	EXPECT_FALSE(log_.sets.back());
	EXPECT_EQ(led->next_deadline(), stop_start + 1000ms);

	led->show_changed(event(ShowState::finished));
	EXPECT_FALSE(log_.sets.back());
	EXPECT_FALSE(led->next_deadline());
	EXPECT_EQ(log_.patterns,
		  (std::vector<LedPattern>{LedPattern::off, LedPattern::starting, LedPattern::on, LedPattern::restarting,
					   LedPattern::starting, LedPattern::on, LedPattern::stopping, LedPattern::off}));
}

TEST_F(StatusLedTest, AnEarlyWakeUpDoesNotToggle)
{
	auto led = make();
	led->show_changed(event(ShowState::restart_wait));
	const auto sets = log_.sets.size();
	fake_now += 200ms;
	led->on_deadline(fake_now); // woken by a signal, not by the LED's deadline
	EXPECT_EQ(log_.sets.size(), sets);
}

TEST_F(StatusLedTest, AFailingDeviceNeverStopsTheShow)
{
	auto led = make();
	log_.failures_left = 3;
	EXPECT_NO_THROW(led->show_changed(event(ShowState::running)));
	EXPECT_NO_THROW(led->show_changed(event(ShowState::stopping)));
	EXPECT_NO_THROW(led->show_changed(event(ShowState::finished)));
	EXPECT_EQ(log_.sets, std::vector<bool>{false});
	led->show_changed(event(ShowState::running));
	EXPECT_TRUE(log_.sets.back());
	log_.failures_left = 1;
	EXPECT_NO_THROW(led.reset());
}
