// SPDX-License-Identifier: GPL-2.0-or-later
// The show button through libgpiod 1.x: its uAPI has no debounce, so the
// guard debounces from the events' kernel timestamps (ButtonDebouncer).
#include <cerrno>
#include <memory>

#include <fcntl.h>
#include <gpiod.h>

#include "showguard/button_line.hpp"
#include "showguard/error.hpp"

namespace showguard {

namespace {

struct ChipCloser {
	void operator()(gpiod_chip *chip) const noexcept { ::gpiod_chip_close(chip); }
};
using ChipHandle = std::unique_ptr<gpiod_chip, ChipCloser>;

// The line object belongs to the chip, so the chip stays open for as long
// as the line is held.
class GpiodV1Button final : public ButtonLine {
public:
	GpiodV1Button(ChipHandle chip, gpiod_line *line, std::string description)
		: chip_(std::move(chip)), line_(line), description_(std::move(description))
	{
	}

	~GpiodV1Button() override { ::gpiod_line_release(line_); }

	int fd() const override { return ::gpiod_line_event_get_fd(line_); }

	bool pressed() override
	{
		const int v = ::gpiod_line_get_value(line_);
		if (v < 0)
			throw_errno(ExitCode::os_error, "cannot read line " + description_);
		return v == 1;
	}

	std::vector<ButtonEdge> read_edges() override
	{
		gpiod_line_event events[16];
		const int n = ::gpiod_line_event_read_multiple(line_, events, 16);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return {};
			throw_errno(ExitCode::os_error, "cannot read the edges of line " + description_);
		}
		std::vector<ButtonEdge> edges;
		for (int i = 0; i < n; ++i) {
			// The kernel reports the edges of the logical (active-low
			// inverted) value: rising is a press either way.
			const auto ns = std::chrono::seconds(events[i].ts.tv_sec) + std::chrono::nanoseconds(events[i].ts.tv_nsec);
			edges.push_back({events[i].event_type == GPIOD_LINE_EVENT_RISING_EDGE,
					 ButtonTime(std::chrono::duration_cast<ButtonClock::duration>(ns))});
		}
		return edges;
	}

	bool kernel_debounced() const override { return false; }
	std::string describe() const override { return description_; }

private:
	ChipHandle chip_;
	gpiod_line *line_;
	std::string description_;
};

} // namespace

std::unique_ptr<ButtonLine> request_button_line(const std::filesystem::path &path, unsigned offset,
						const std::string &consumer, bool active_low, std::string description)
{
	ChipHandle chip(::gpiod_chip_open(path.c_str()));
	if (!chip)
		throw_errno(ExitCode::os_error, "cannot open " + path.string());
	gpiod_line *line = ::gpiod_chip_get_line(chip.get(), offset);
	if (!line)
		throw_errno(ExitCode::os_error, "cannot get line " + description);
	const int flags = active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
	const int bias = active_low ? GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP : GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
	// A kernel without bias support (before 5.5) refuses the flag: then
	// the board's own pull resistor it is.
	if (::gpiod_line_request_both_edges_events_flags(line, consumer.c_str(), flags | bias) < 0) {
		if (errno != EINVAL && errno != EOPNOTSUPP)
			throw_errno(ExitCode::os_error, "cannot request line " + description);
		if (::gpiod_line_request_both_edges_events_flags(line, consumer.c_str(), flags) < 0)
			throw_errno(ExitCode::os_error, "cannot request line " + description);
	}
	// Read only when poll() says so; never block the loop on a spurious wake-up.
	const int fd = ::gpiod_line_event_get_fd(line);
	if (fd >= 0)
		(void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
	return std::make_unique<GpiodV1Button>(std::move(chip), line, std::move(description));
}

} // namespace showguard
