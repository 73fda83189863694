// SPDX-License-Identifier: GPL-2.0-or-later
// GPIO LEDs through libgpiod 2.x: its C++ bindings, which report failures
// as std::system_error. 2.x has no search across chips; led_gpio.cpp walks
// /dev/gpiochip* for both generations.
#include <cerrno>
#include <memory>
#include <system_error>

#include <gpiod.hpp>

#include <spdlog/spdlog.h>

#include "showguard/led_gpio.hpp"

namespace showguard {

namespace {

[[noreturn]] void rethrow(const std::system_error &e, const std::string &what)
{
	throw SystemError(ExitCode::os_error, e.code().value(), what);
}

class GpiodV2Led final : public LedDriver {
public:
	GpiodV2Led(gpiod::line_request request, gpiod::line::offset offset, std::string description)
		: request_(std::move(request)), offset_(offset), description_(std::move(description))
	{
	}

	~GpiodV2Led() override
	{
		// Off first, explicitly: a Raspberry Pi kernel keeps a released
		// output at its last level.
		try {
			request_.set_value(offset_, gpiod::line::value::INACTIVE);
		} catch (const std::exception &e) {
			try {
				spdlog::warn("LED {}: cannot turn it off: {}", description_, e.what());
			} catch (...) {
			}
		}
		try {
			request_.release();
		} catch (...) {
		}
	}

	void set(bool lit) override
	{
		// The request carries active_low: ACTIVE is lit either way.
		try {
			request_.set_value(offset_, lit ? gpiod::line::value::ACTIVE : gpiod::line::value::INACTIVE);
		} catch (const std::system_error &e) {
			rethrow(e, "cannot set line " + description_);
		}
	}

	std::string describe() const override { return description_; }

private:
	gpiod::line_request request_;
	gpiod::line::offset offset_;
	std::string description_;
};

class GpiodV2Chip final : public GpioChip {
public:
	GpiodV2Chip(gpiod::chip chip, std::filesystem::path path, gpiod::chip_info info)
		: chip_(std::move(chip)), path_(std::move(path)), info_(std::move(info))
	{
	}

	std::filesystem::path path() const override { return path_; }
	std::string name() const override { return info_.name(); }
	std::string label() const override { return info_.label(); }
	unsigned num_lines() const override { return static_cast<unsigned>(info_.num_lines()); }

	std::optional<unsigned> find_line(const std::string &name) const override
	{
		try {
			const int offset = chip_.get_line_offset_from_name(name);
			if (offset < 0)
				return std::nullopt;
			return static_cast<unsigned>(offset);
		} catch (const std::system_error &e) {
			if (e.code().value() == ENOENT)
				return std::nullopt;
			rethrow(e, "cannot look up line " + name + " on " + path_.string());
		}
	}

	GpioLineInfo line_info(unsigned offset) const override
	{
		try {
			const gpiod::line_info line = chip_.get_line_info(offset);
			GpioLineInfo info;
			info.name = line.name();
			info.used = line.used();
			info.consumer = line.consumer();
			info.output = line.direction() == gpiod::line::direction::OUTPUT;
			info.active_low = line.active_low();
			return info;
		} catch (const std::system_error &e) {
			rethrow(e, "cannot read line " + std::to_string(offset) + " of " + path_.string());
		}
	}

	std::unique_ptr<LedDriver> request_led(unsigned offset, const std::string &consumer, bool active_low,
					       std::string description) override
	{
		gpiod::line_settings settings;
		settings.set_direction(gpiod::line::direction::OUTPUT)
			.set_active_low(active_low)
			// The LED is off from the first moment the line is ours.
			.set_output_value(gpiod::line::value::INACTIVE);
		try {
			gpiod::line_request request = chip_.prepare_request()
							      .set_consumer(consumer)
							      .add_line_settings(offset, settings)
							      .do_request();
			return std::make_unique<GpiodV2Led>(std::move(request), offset, std::move(description));
		} catch (const std::system_error &e) {
			rethrow(e, "cannot request line " + description);
		}
	}

private:
	gpiod::chip chip_;
	std::filesystem::path path_;
	gpiod::chip_info info_;
};

} // namespace

std::unique_ptr<GpioChip> open_gpio_chip(const std::filesystem::path &path)
{
	try {
		gpiod::chip chip(path);
		gpiod::chip_info info = chip.get_info();
		return std::make_unique<GpiodV2Chip>(std::move(chip), path, std::move(info));
	} catch (const std::system_error &e) {
		const int err = e.code().value();
		if (err == ENOTTY || err == ENODEV || err == EINVAL)
			throw SystemError(ExitCode::os_error, err, path.string() + " is not a GPIO chip");
		rethrow(e, "cannot open " + path.string());
	}
}

std::string gpiod_library_version()
{
	return "libgpiod " + gpiod::api_version();
}

} // namespace showguard
