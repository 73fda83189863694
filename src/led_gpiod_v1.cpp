// SPDX-License-Identifier: GPL-2.0-or-later
// GPIO LEDs through libgpiod 1.x (Debian 12's 1.6.3): its C API, which
// reports failures through errno.
#include <cerrno>
#include <memory>

#include <gpiod.h>

#include <spdlog/spdlog.h>

#include "showguard/led_gpio.hpp"

namespace showguard {

namespace {

struct ChipCloser {
	void operator()(gpiod_chip *chip) const noexcept { ::gpiod_chip_close(chip); }
};
using ChipHandle = std::unique_ptr<gpiod_chip, ChipCloser>;

// A requested output line. The line object belongs to the chip, so the chip
// stays open for as long as the line is held.
class GpiodV1Led final : public LedDriver {
public:
	GpiodV1Led(ChipHandle chip, gpiod_line *line, std::string description)
		: chip_(std::move(chip)), line_(line), description_(std::move(description))
	{
	}

	~GpiodV1Led() override
	{
		// Off first, explicitly: a Raspberry Pi kernel keeps a released
		// output at its last level.
		if (::gpiod_line_set_value(line_, 0) < 0) {
			try {
				spdlog::warn("LED {}: cannot turn it off: {}", description_,
					     std::generic_category().message(errno));
			} catch (...) {
			}
		}
		::gpiod_line_release(line_);
	}

	void set(bool lit) override
	{
		// The request carries the active-low flag: 1 is lit either way.
		if (::gpiod_line_set_value(line_, lit ? 1 : 0) < 0)
			throw_errno(ExitCode::os_error, "cannot set line " + description_);
	}

	std::string describe() const override { return description_; }

private:
	ChipHandle chip_;
	gpiod_line *line_;
	std::string description_;
};

class GpiodV1Chip final : public GpioChip {
public:
	GpiodV1Chip(ChipHandle chip, std::filesystem::path path) : chip_(std::move(chip)), path_(std::move(path)) {}

	std::filesystem::path path() const override { return path_; }
	std::string name() const override { return ::gpiod_chip_name(get()); }
	std::string label() const override { return ::gpiod_chip_label(get()); }
	unsigned num_lines() const override { return ::gpiod_chip_num_lines(get()); }

	std::optional<unsigned> find_line(const std::string &name) const override
	{
		gpiod_line *line = ::gpiod_chip_find_line(get(), name.c_str());
		if (!line)
			return std::nullopt;
		return ::gpiod_line_offset(line);
	}

	GpioLineInfo line_info(unsigned offset) const override
	{
		gpiod_line *line = ::gpiod_chip_get_line(get(), offset);
		if (!line || ::gpiod_line_update(line) < 0)
			throw_errno(ExitCode::os_error, "cannot read line " + std::to_string(offset) + " of " + path_.string());
		GpioLineInfo info;
		if (const char *name = ::gpiod_line_name(line))
			info.name = name;
		if (const char *consumer = ::gpiod_line_consumer(line))
			info.consumer = consumer;
		info.used = ::gpiod_line_is_used(line);
		info.output = ::gpiod_line_direction(line) == GPIOD_LINE_DIRECTION_OUTPUT;
		info.active_low = ::gpiod_line_active_state(line) == GPIOD_LINE_ACTIVE_STATE_LOW;
		return info;
	}

	std::unique_ptr<LedDriver> request_led(unsigned offset, const std::string &consumer, bool active_low,
					       std::string description) override
	{
		gpiod_line *line = ::gpiod_chip_get_line(get(), offset);
		if (!line)
			throw_errno(ExitCode::os_error, "cannot get line " + description);
		const int flags = active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
		// Requested with value 0 (inactive): the LED is off from the first moment.
		if (::gpiod_line_request_output_flags(line, consumer.c_str(), flags, 0) < 0)
			throw_errno(ExitCode::os_error, "cannot request line " + description);
		return std::make_unique<GpiodV1Led>(std::move(chip_), line, std::move(description));
	}

private:
	gpiod_chip *get() const
	{
		if (!chip_)
			throw Error(ExitCode::software, "GPIO chip " + path_.string() + " was handed to its LED");
		return chip_.get();
	}

	ChipHandle chip_;
	std::filesystem::path path_;
};

} // namespace

std::unique_ptr<GpioChip> open_gpio_chip(const std::filesystem::path &path)
{
	gpiod_chip *chip = ::gpiod_chip_open(path.c_str());
	if (!chip) {
		if (errno == ENOTTY || errno == ENODEV || errno == EINVAL)
			throw SystemError(ExitCode::os_error, errno, path.string() + " is not a GPIO chip");
		throw_errno(ExitCode::os_error, "cannot open " + path.string());
	}
	return std::make_unique<GpiodV1Chip>(ChipHandle(chip), path);
}

std::string gpiod_library_version()
{
	return std::string("libgpiod ") + ::gpiod_version_string();
}

} // namespace showguard
