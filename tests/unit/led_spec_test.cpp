// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include "showguard/led_spec.hpp"

using namespace showguard;

namespace {

LedSpec parse(std::string_view text)
{
	std::string error;
	auto spec = parse_led_spec(text, error);
	EXPECT_TRUE(spec) << text << ": " << error;
	return spec.value_or(LedSpec{});
}

std::string error_of(std::string_view text)
{
	std::string error;
	EXPECT_FALSE(parse_led_spec(text, error)) << text;
	return error;
}

} // namespace

TEST(LedSpec, NoneAndTerm)
{
	EXPECT_EQ(parse("none").kind, LedKind::none);
	EXPECT_EQ(parse("term").kind, LedKind::term);
}

TEST(LedSpec, GpioByLineName)
{
	const LedSpec spec = parse("gpio:GPIO17");
	EXPECT_EQ(spec.kind, LedKind::gpio_name);
	EXPECT_EQ(spec.line_name, "GPIO17");
	EXPECT_EQ(parse("gpio:STATUS LED").line_name, "STATUS LED");
}

TEST(LedSpec, GpioByChipAndOffset)
{
	for (const char *chip : {"gpiochip0", "/dev/gpiochip4", "pinctrl-rp1", "0"}) {
		const LedSpec spec = parse(std::string("gpio:") + chip + ":17");
		EXPECT_EQ(spec.kind, LedKind::gpio_offset);
		EXPECT_EQ(spec.chip, chip);
		EXPECT_EQ(spec.offset, 17u);
	}
	EXPECT_EQ(parse("gpio:gpiochip0:0").offset, 0u);
	EXPECT_EQ(parse("gpio:gpiochip0:65535").offset, 65535u);
}

TEST(LedSpec, Sysfs)
{
	const LedSpec spec = parse("sysfs:/sys/class/leds/ACT");
	EXPECT_EQ(spec.kind, LedKind::sysfs);
	EXPECT_EQ(spec.path, "/sys/class/leds/ACT");
	EXPECT_EQ(parse("sysfs:/sys/class/leds//led0/").path, "/sys/class/leds/led0/");
}

TEST(LedSpec, RoundTrips)
{
	for (const char *text : {"none", "term", "gpio:GPIO17", "gpio:pinctrl-bcm2711:17", "gpio:/dev/gpiochip0:3",
				 "sysfs:/sys/class/leds/ACT"})
		EXPECT_EQ(to_string(parse(text)), text);
}

TEST(LedSpec, Errors)
{
	EXPECT_EQ(error_of(""), led_spec_forms);
	EXPECT_EQ(error_of("GPIO17"), led_spec_forms);
	EXPECT_EQ(error_of("Term"), led_spec_forms);
	EXPECT_NE(error_of("gpio:").find("needs a line"), std::string::npos);
	EXPECT_NE(error_of("gpio::17").find("names no chip"), std::string::npos);
	EXPECT_NE(error_of("gpio:gpiochip0:x").find("offset 'x'"), std::string::npos);
	EXPECT_NE(error_of("gpio:gpiochip0:").find("offset ''"), std::string::npos);
	EXPECT_NE(error_of("gpio:gpiochip0:-1").find("not a whole number"), std::string::npos);
	EXPECT_NE(error_of("gpio:gpiochip0:65536").find("0 to 65535"), std::string::npos);
	EXPECT_NE(error_of("gpio:GPIO\n17").find("control characters"), std::string::npos);
	EXPECT_NE(error_of("sysfs:").find("absolute path"), std::string::npos);
	EXPECT_NE(error_of("sysfs:leds/ACT").find("absolute path"), std::string::npos);
}

TEST(LedSpec, Booleans)
{
	for (const char *yes : {"yes", "true", "on", "1"})
		EXPECT_EQ(parse_bool(yes), true) << yes;
	for (const char *no : {"no", "false", "off", "0"})
		EXPECT_EQ(parse_bool(no), false) << no;
	for (const char *bad : {"", "Yes", "y", "2"})
		EXPECT_FALSE(parse_bool(bad)) << bad;
}
