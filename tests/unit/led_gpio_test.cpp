// SPDX-License-Identifier: GPL-2.0-or-later
// Finding an LED's GPIO line, against fake chips: the same code runs with
// libgpiod 1.x and 2.x, which only open chips and request lines.
#include <cerrno>
#include <map>
#include <memory>

#include <gtest/gtest.h>

#include "showguard/led_gpio.hpp"

using namespace showguard;

namespace {

struct FakeLine {
	std::string name;
	std::string consumer; // non-empty: busy
	bool active_low = false;
	std::vector<int> values; // what the LED driver drove
	bool released = false;
};

struct FakeChipData {
	std::string name;
	std::string label;
	std::vector<FakeLine> lines;
	int open_errno = 0;
};

class FakeLed final : public LedDriver {
public:
	FakeLed(FakeLine &line, std::string description) : line_(line), description_(std::move(description)) {}
	~FakeLed() override
	{
		line_.values.push_back(0);
		line_.consumer.clear();
		line_.released = true;
	}
	void set(bool lit) override { line_.values.push_back(lit ? 1 : 0); }
	std::string describe() const override { return description_; }

private:
	FakeLine &line_;
	std::string description_;
};

class FakeChip final : public GpioChip {
public:
	FakeChip(FakeChipData &data, std::filesystem::path path) : data_(data), path_(std::move(path)) {}
	std::filesystem::path path() const override { return path_; }
	std::string name() const override { return data_.name; }
	std::string label() const override { return data_.label; }
	unsigned num_lines() const override { return static_cast<unsigned>(data_.lines.size()); }
	std::optional<unsigned> find_line(const std::string &name) const override
	{
		for (unsigned i = 0; i < data_.lines.size(); ++i)
			if (data_.lines[i].name == name)
				return i;
		return std::nullopt;
	}
	GpioLineInfo line_info(unsigned offset) const override
	{
		const FakeLine &l = data_.lines.at(offset);
		return {l.name, !l.consumer.empty(), l.consumer, false, l.active_low};
	}
	std::unique_ptr<LedDriver> request_led(unsigned offset, const std::string &consumer, bool active_low,
					       std::string description) override
	{
		FakeLine &l = data_.lines.at(offset);
		if (!l.consumer.empty())
			throw SystemError(ExitCode::os_error, EBUSY, "cannot request line " + description);
		l.consumer = consumer;
		l.active_low = active_low;
		l.values.push_back(0); // requested inactive
		return std::make_unique<FakeLed>(l, std::move(description));
	}

private:
	FakeChipData &data_;
	std::filesystem::path path_;
};

class FakeChips final : public GpioChipSource {
public:
	std::map<std::string, FakeChipData> chips; // by /dev path

	FakeChipData &add(unsigned number, const std::string &label, std::vector<std::string> names)
	{
		FakeChipData &c = chips["/dev/gpiochip" + std::to_string(number)];
		c.name = "gpiochip" + std::to_string(number);
		c.label = label;
		for (auto &n : names)
			c.lines.push_back({std::move(n), "", false, {}, false});
		return c;
	}
	std::vector<std::filesystem::path> paths() const override
	{
		std::vector<std::filesystem::path> p;
		for (const auto &[path, chip] : chips)
			p.emplace_back(path);
		return p;
	}
	std::unique_ptr<GpioChip> open(const std::filesystem::path &path) const override
	{
		auto it = chips.find(path.string());
		if (it == chips.end())
			throw SystemError(ExitCode::os_error, ENOENT, "cannot open " + path.string());
		if (it->second.open_errno)
			throw SystemError(ExitCode::os_error, it->second.open_errno, "cannot open " + path.string());
		return std::make_unique<FakeChip>(const_cast<FakeChipData &>(it->second), path);
	}
};

LedSpec spec(const std::string &text)
{
	std::string error;
	auto s = parse_led_spec(text, error);
	EXPECT_TRUE(s) << error;
	return s.value_or(LedSpec{});
}

std::string unavailable(const std::string &text, const FakeChips &chips, const std::string &label = "")
{
	try {
		(void)find_gpio_line(spec(text), label, chips);
	} catch (const LedUnavailable &e) {
		EXPECT_EQ(e.code(), ExitCode::unavailable);
		return e.what();
	}
	ADD_FAILURE() << text << " was found";
	return "";
}

// A Pi 4: the SoC's chip with the header lines, and the firmware's expander.
class GpioFind : public ::testing::Test {
protected:
	void SetUp() override
	{
		std::vector<std::string> soc;
		for (int i = 0; i < 58; ++i)
			soc.push_back("GPIO" + std::to_string(i));
		chips_.add(0, "pinctrl-bcm2711", soc);
		chips_.add(1, "raspberrypi-exp-gpio", {"BT_ON", "WL_ON", "PWR_LED_OFF", "GLOBAL_RESET"});
	}
	FakeChips chips_;
};

} // namespace

TEST_F(GpioFind, ByLineNameOnAnyChip)
{
	const GpioLine line = find_gpio_line(spec("gpio:GPIO17"), "", chips_);
	EXPECT_EQ(line.chip->path(), "/dev/gpiochip0");
	EXPECT_EQ(line.offset, 17u);
	EXPECT_EQ(line.describe(), "GPIO17 (/dev/gpiochip0 [pinctrl-bcm2711] line 17)");
	EXPECT_EQ(find_gpio_line(spec("gpio:PWR_LED_OFF"), "", chips_).chip->name(), "gpiochip1");
}

TEST_F(GpioFind, ByLineNameLimitedToTheBoardsChip)
{
	// A chip with the same line name, numbered before the Pi 5's RP1: the
	// board's chip label decides, not the order of the numbers.
	chips_.chips.clear();
	chips_.add(0, "gpio-brcmstb@107d508500", {"GPIO17"});
	chips_.add(4, "pinctrl-rp1", {"GPIO0", "GPIO1", "GPIO2", "GPIO3", "GPIO4", "GPIO5", "GPIO6", "GPIO7", "GPIO8",
				       "GPIO9", "GPIO10", "GPIO11", "GPIO12", "GPIO13", "GPIO14", "GPIO15", "GPIO16",
				       "GPIO17"});
	const GpioLine line = find_gpio_line(spec("gpio:GPIO17"), "pinctrl-rp1", chips_);
	EXPECT_EQ(line.chip->label(), "pinctrl-rp1");
	EXPECT_EQ(line.offset, 17u);
	EXPECT_EQ(find_gpio_line(spec("gpio:GPIO17"), "", chips_).chip->name(), "gpiochip0");
}

TEST_F(GpioFind, ByChipAndOffset)
{
	for (const char *chip : {"/dev/gpiochip0", "gpiochip0", "0", "pinctrl-bcm2711"}) {
		const GpioLine line = find_gpio_line(spec(std::string("gpio:") + chip + ":17"), "", chips_);
		EXPECT_EQ(line.chip->path(), "/dev/gpiochip0") << chip;
		EXPECT_EQ(line.offset, 17u);
		EXPECT_EQ(line.name, "GPIO17");
	}
	EXPECT_EQ(find_gpio_line(spec("gpio:raspberrypi-exp-gpio:2"), "", chips_).name, "PWR_LED_OFF");
}

TEST_F(GpioFind, SaysExactlyWhatIsMissing)
{
	EXPECT_EQ(unavailable("gpio:GPIO99", chips_),
		  "no GPIO line named GPIO99 on any chip (chips here: gpiochip0 [pinctrl-bcm2711], gpiochip1 "
		  "[raspberrypi-exp-gpio])");
	EXPECT_EQ(unavailable("gpio:GPIO17", chips_, "pinctrl-rp1"),
		  "no GPIO chip labelled pinctrl-rp1 to look for line GPIO17 (chips here: gpiochip0 [pinctrl-bcm2711], "
		  "gpiochip1 [raspberrypi-exp-gpio])");
	EXPECT_EQ(unavailable("gpio:BT_ON", chips_, "pinctrl-bcm2711"),
		  "no GPIO line named BT_ON on the pinctrl-bcm2711 chip (chips here: gpiochip0 [pinctrl-bcm2711], "
		  "gpiochip1 [raspberrypi-exp-gpio])");
	EXPECT_EQ(unavailable("gpio:gpiochip7:1", chips_),
		  "no GPIO chip gpiochip7 (chips here: gpiochip0 [pinctrl-bcm2711], gpiochip1 [raspberrypi-exp-gpio])");
	EXPECT_EQ(unavailable("gpio:pinctrl-rp1:17", chips_),
		  "no GPIO chip named or labelled pinctrl-rp1 (chips here: gpiochip0 [pinctrl-bcm2711], gpiochip1 "
		  "[raspberrypi-exp-gpio])");
	EXPECT_EQ(unavailable("gpio:gpiochip1:4", chips_),
		  "gpiochip1 [raspberrypi-exp-gpio] has 4 lines (0-3); no line 4");
	EXPECT_EQ(unavailable("gpio:/dev/null:1", chips_), "cannot open /dev/null: No such file or directory");
	EXPECT_EQ(unavailable("gpio:GPIO17", FakeChips{}), "no GPIO chips on this machine (no /dev/gpiochip*)");
	EXPECT_EQ(unavailable("gpio:gpiochip0:1", FakeChips{}), "no GPIO chips on this machine (no /dev/gpiochip*)");
}

TEST_F(GpioFind, PermissionDeniedIsNamed)
{
	for (auto &[path, chip] : chips_.chips)
		chip.open_errno = EACCES;
	EXPECT_EQ(unavailable("gpio:GPIO17", chips_),
		  "no GPIO chip can be opened to look for line GPIO17; cannot open /dev/gpiochip0: Permission denied; "
		  "cannot open /dev/gpiochip1: Permission denied");
	EXPECT_EQ(unavailable("gpio:gpiochip0:17", chips_), "cannot open /dev/gpiochip0: Permission denied");
	chips_.chips["/dev/gpiochip0"].open_errno = 0;
	EXPECT_EQ(unavailable("gpio:BT_ON", chips_),
		  "no GPIO line named BT_ON on any chip (chips here: gpiochip0 [pinctrl-bcm2711]); cannot open "
		  "/dev/gpiochip1: Permission denied");
}

TEST_F(GpioFind, RequestsTheLineOffFirstAndOffLast)
{
	FakeLine &line = chips_.chips["/dev/gpiochip0"].lines[17];
	{
		auto led = open_gpio_led(spec("gpio:GPIO17"), "pinctrl-bcm2711", "showguard:starcourt", true, chips_);
		EXPECT_EQ(line.consumer, "showguard:starcourt");
		EXPECT_TRUE(line.active_low);
		EXPECT_EQ(led->describe(), "GPIO17 (/dev/gpiochip0 [pinctrl-bcm2711] line 17)");
		led->set(true);
	}
	EXPECT_EQ(line.values, (std::vector<int>{0, 1, 0}));
	EXPECT_TRUE(line.released);
}

TEST_F(GpioFind, ABusyLineNamesItsConsumer)
{
	chips_.chips["/dev/gpiochip0"].lines[17].consumer = "showguard:other";
	try {
		(void)open_gpio_led(spec("gpio:GPIO17"), "", "showguard:starcourt", false, chips_);
		FAIL();
	} catch (const LedUnavailable &e) {
		EXPECT_STREQ(e.what(), "line GPIO17 (/dev/gpiochip0 [pinctrl-bcm2711] line 17) is busy: used by "
				       "'showguard:other'");
	}
}
