// SPDX-License-Identifier: GPL-2.0-or-later
// The show button through libgpiod 2.x: edge events debounced by the kernel
// (debounce_period; gpiolib-cdev debounces in software where the GPIO
// driver cannot).
#include <cerrno>
#include <memory>
#include <system_error>

#include <gpiod.hpp>

#include "showguard/button_line.hpp"
#include "showguard/error.hpp"

namespace showguard {

namespace {

class GpiodV2Button final : public ButtonLine {
public:
	GpiodV2Button(gpiod::line_request request, gpiod::line::offset offset, bool debounced, std::string description)
		: request_(std::move(request)), offset_(offset), debounced_(debounced), description_(std::move(description))
	{
	}

	~GpiodV2Button() override
	{
		try {
			request_.release();
		} catch (...) {
		}
	}

	int fd() const override { return request_.fd(); }

	bool pressed() override
	{
		try {
			return request_.get_value(offset_) == gpiod::line::value::ACTIVE;
		} catch (const std::system_error &e) {
			throw SystemError(ExitCode::os_error, e.code().value(), "cannot read line " + description_);
		}
	}

	std::vector<ButtonEdge> read_edges() override
	{
		std::vector<ButtonEdge> edges;
		try {
			const std::size_t n = request_.read_edge_events(buffer_);
			for (unsigned i = 0; i < n; ++i) {
				const gpiod::edge_event &e = buffer_.get_event(i);
				// The request carries active_low: a rising edge is a press either way.
				edges.push_back({e.type() == gpiod::edge_event::event_type::RISING_EDGE,
						 ButtonTime(std::chrono::nanoseconds(e.timestamp_ns().ns()))});
			}
		} catch (const std::system_error &e) {
			throw SystemError(ExitCode::os_error, e.code().value(), "cannot read the edges of line " + description_);
		}
		return edges;
	}

	bool kernel_debounced() const override { return debounced_; }
	std::string describe() const override { return description_; }

private:
	gpiod::line_request request_;
	gpiod::line::offset offset_;
	bool debounced_;
	std::string description_;
	gpiod::edge_event_buffer buffer_{16};
};

gpiod::line_request request(gpiod::chip &chip, unsigned offset, const std::string &consumer, bool active_low,
			    bool bias, bool debounce)
{
	gpiod::line_settings settings;
	settings.set_direction(gpiod::line::direction::INPUT)
		.set_edge_detection(gpiod::line::edge::BOTH)
		.set_active_low(active_low);
	if (bias)
		settings.set_bias(active_low ? gpiod::line::bias::PULL_UP : gpiod::line::bias::PULL_DOWN);
	if (debounce)
		settings.set_debounce_period(std::chrono::duration_cast<std::chrono::microseconds>(button_debounce));
	return chip.prepare_request().set_consumer(consumer).add_line_settings(offset, settings).do_request();
}

} // namespace

std::unique_ptr<ButtonLine> request_button_line(const std::filesystem::path &path, unsigned offset,
						const std::string &consumer, bool active_low, std::string description)
{
	try {
		gpiod::chip chip(path);
		// Kernels or drivers without bias or debounce refuse the whole
		// request (EINVAL, ENOTSUPP): fall back to a plain input, the
		// board's own pull resistor, and the guard's debounce.
		for (const auto &[bias, debounce] : {std::pair{true, true}, {false, true}, {false, false}}) {
			try {
				return std::make_unique<GpiodV2Button>(
					request(chip, offset, consumer, active_low, bias, debounce), offset, debounce,
					description);
			} catch (const std::system_error &e) {
				const int err = e.code().value();
				if ((err != EINVAL && err != ENOTSUP && err != EOPNOTSUPP && err != 524) || (!bias && !debounce))
					throw;
			}
		}
	} catch (const std::system_error &e) {
		throw SystemError(ExitCode::os_error, e.code().value(), "cannot request line " + description);
	}
	throw SystemError(ExitCode::os_error, EINVAL, "cannot request line " + description);
}

} // namespace showguard
