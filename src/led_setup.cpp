// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/led_setup.hpp"

#include <spdlog/spdlog.h>

#include "led_backends.hpp"
#include "showguard/error.hpp"
#include "showguard/led_gpio.hpp"
#include "showguard/show_name.hpp"

namespace showguard {

std::string LedSetup::describe() const
{
	std::string text = to_string(spec);
	if (board && spec == board->led)
		text += " (board " + board->name + ")";
	if (active_low)
		text += ", active-low";
	return text;
}

LedSetup resolve_led(const GuardOptions &options)
{
	LedSetup setup;
	setup.required = options.led_required;
	if (!options.board_file.empty())
		setup.board = read_board_file(options.board_file);
	else if (!options.board.empty())
		setup.board = find_board(options.board);

	if (!options.led.empty()) {
		std::string error;
		auto spec = parse_led_spec(options.led, error);
		if (!spec) // apply_setting checked it already
			throw Error(ExitCode::usage, "invalid LED '" + printable(options.led) + "': " + error);
		setup.spec = *spec;
	} else if (setup.board) {
		setup.spec = setup.board->led;
		setup.chip_label = setup.board->gpio_chip;
	}
	setup.active_low = options.led_active_low.value_or(setup.board && setup.board->led_active_low);
	return setup;
}

std::string led_consumer(const std::string &show)
{
	return "showguard:" + show;
}

std::unique_ptr<LedDriver> open_led(const LedSetup &setup, const std::string &consumer_show)
{
	try {
		switch (setup.spec.kind) {
		case LedKind::none:
			return nullptr;
		case LedKind::term:
			return open_term_led(consumer_show);
		case LedKind::sysfs:
			return open_sysfs_led(setup.spec.path, setup.active_low);
		case LedKind::gpio_name:
		case LedKind::gpio_offset:
			return open_gpio_led(setup.spec, setup.chip_label, led_consumer(consumer_show), setup.active_low,
					     system_gpio_chips());
		}
	} catch (const LedUnavailable &e) {
		throw LedUnavailable("LED " + setup.describe() + " cannot be driven: " + e.what());
	}
	return nullptr;
}

void device_unavailable(const LedUnavailable &e, bool required, const std::string &show)
{
	if (required)
		throw LedUnavailable("show " + show + ": required " + e.what());
	spdlog::warn("show {}: {}; the show runs without it", show, e.what());
}

std::unique_ptr<StatusLed> open_status_led(const LedSetup &setup, const std::string &show)
{
	std::unique_ptr<LedDriver> driver;
	try {
		driver = open_led(setup, show);
	} catch (const LedUnavailable &e) {
		device_unavailable(e, setup.required, show);
		return nullptr;
	}
	if (!driver)
		return nullptr;
	spdlog::debug("show {}: LED {}", show, driver->describe());
	return std::make_unique<StatusLed>(std::move(driver), show);
}

std::string probe_led(const LedSetup &setup)
{
	try {
		switch (setup.spec.kind) {
		case LedKind::none:
			return "no LED";
		case LedKind::term:
			return "the simulated LED: its state is printed on stderr";
		case LedKind::sysfs:
			return probe_sysfs_led(setup.spec.path);
		case LedKind::gpio_name:
		case LedKind::gpio_offset: {
			const GpioLine line = find_gpio_line(setup.spec, setup.chip_label, system_gpio_chips());
			std::string text = "GPIO line " + line.describe();
			try {
				const GpioLineInfo info = line.chip->line_info(line.offset);
				text += info.output ? ", output" : ", input";
				if (info.active_low)
					text += ", active-low";
				text += info.used ? ", used by '" + printable(info.consumer) + "'" : ", unused";
			} catch (const Error &e) {
				text += std::string(", ") + e.what();
			}
			return text + "; " + gpiod_library_version();
		}
		}
	} catch (const LedUnavailable &e) {
		throw LedUnavailable("LED " + setup.describe() + " cannot be driven: " + e.what());
	}
	return {};
}

} // namespace showguard
