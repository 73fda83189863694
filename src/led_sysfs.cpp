// SPDX-License-Identifier: GPL-2.0-or-later
#include <cerrno>
#include <charconv>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "led_backends.hpp"
#include "showguard/show_name.hpp"
#include "showguard/unique_fd.hpp"

namespace showguard {

namespace {

constexpr std::size_t max_attribute_size = 4096;

std::string trim(std::string text)
{
	while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
		text.pop_back();
	return text;
}

// Attributes are opened relative to the directory, never following a
// symlink: only the class link itself (/sys/class/leds/X -> the device) is
// followed, when the directory is opened. O_NONBLOCK keeps a FIFO planted in
// a fake directory from hanging the guard; it is refused right after.
UniqueFd open_attribute(int dir_fd, const std::filesystem::path &dir, const char *name, int flags)
{
	UniqueFd fd(::openat(dir_fd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
	if (!fd) {
		if (errno == ELOOP)
			throw SystemError(ExitCode::os_error, errno, (dir / name).string() + " is a symlink");
		throw_errno(ExitCode::os_error, "cannot open " + (dir / name).string());
	}
	struct stat st;
	if (::fstat(fd.get(), &st) < 0)
		throw_errno(ExitCode::os_error, "cannot stat " + (dir / name).string());
	if (!S_ISREG(st.st_mode))
		throw Error(ExitCode::os_error, (dir / name).string() + " is not a regular file");
	return fd;
}

std::string read_attribute(int dir_fd, const std::filesystem::path &dir, const char *name)
{
	const UniqueFd fd = open_attribute(dir_fd, dir, name, O_RDONLY);
	std::string text(max_attribute_size, '\0');
	ssize_t n;
	while ((n = ::read(fd.get(), text.data(), text.size())) < 0 && errno == EINTR) {
	}
	if (n < 0)
		throw_errno(ExitCode::os_error, "cannot read " + (dir / name).string());
	text.resize(static_cast<std::size_t>(n));
	return trim(std::move(text));
}

// One open(O_TRUNC) and one write per value, as `echo 0 > brightness` does:
// sysfs takes each write whole, and a regular file in a test directory then
// holds exactly the last value.
void write_attribute(int dir_fd, const std::filesystem::path &dir, const char *name, const std::string &value)
{
	const UniqueFd fd = open_attribute(dir_fd, dir, name, O_WRONLY | O_TRUNC);
	const std::string line = value + "\n";
	ssize_t n;
	while ((n = ::write(fd.get(), line.data(), line.size())) < 0 && errno == EINTR) {
	}
	if (n < 0)
		throw_errno(ExitCode::os_error, "cannot write '" + value + "' to " + (dir / name).string());
}

// The active trigger: the word in brackets ("none [mmc0] timer"), or the
// whole text if there are no brackets.
std::string active_trigger(const std::string &text)
{
	const auto open = text.find('[');
	const auto close = text.find(']', open);
	if (open == std::string::npos || close == std::string::npos)
		return text;
	return text.substr(open + 1, close - open - 1);
}

UniqueFd open_led_dir(const std::filesystem::path &dir)
{
	UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!fd) {
		if (errno == ENOENT)
			throw LedUnavailable("no LED-class device " + dir.string() + " (see /sys/class/leds)");
		if (errno == ENOTDIR)
			throw LedUnavailable(dir.string() + " is not a directory; an LED-class device is one, "
							    "e.g. /sys/class/leds/ACT");
		throw LedUnavailable("cannot open " + dir.string() + ": " + std::generic_category().message(errno));
	}
	return fd;
}

unsigned parse_max_brightness(const std::filesystem::path &dir, const std::string &text)
{
	unsigned max = 0;
	auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), max);
	if (text.empty() || ec != std::errc{} || p != text.data() + text.size() || max == 0)
		throw LedUnavailable((dir / "max_brightness").string() + " holds '" + printable(text) +
				     "', not a brightness above 0");
	return max;
}

class SysfsLed final : public LedDriver {
public:
	SysfsLed(UniqueFd dir_fd, std::filesystem::path dir, unsigned max_brightness, bool active_low)
		: dir_fd_(std::move(dir_fd)), dir_(std::move(dir)), max_(max_brightness), active_low_(active_low)
	{
	}

	~SysfsLed() override
	{
		try {
			set(false);
		} catch (const std::exception &e) {
			try {
				spdlog::warn("LED {}: cannot turn it off: {}", dir_.string(), e.what());
			} catch (...) {
			}
		}
	}

	void set(bool lit) override
	{
		write_attribute(dir_fd_.get(), dir_, "brightness", lit != active_low_ ? std::to_string(max_) : "0");
	}

	std::string describe() const override { return dir_.string(); }

private:
	UniqueFd dir_fd_;
	std::filesystem::path dir_;
	unsigned max_;
	bool active_low_;
};

} // namespace

std::unique_ptr<LedDriver> open_sysfs_led(const std::filesystem::path &dir, bool active_low)
{
	UniqueFd fd = open_led_dir(dir);
	try {
		const unsigned max = parse_max_brightness(dir, read_attribute(fd.get(), dir, "max_brightness"));
		// A kernel trigger (mmc0, heartbeat, timer) would keep driving the LED
		// behind our back; with none, brightness is ours alone.
		if (active_trigger(read_attribute(fd.get(), dir, "trigger")) != "none")
			write_attribute(fd.get(), dir, "trigger", "none");
		auto led = std::make_unique<SysfsLed>(std::move(fd), dir, max, active_low);
		led->set(false);
		return led;
	} catch (const LedUnavailable &) {
		throw;
	} catch (const Error &e) {
		throw LedUnavailable(e.what());
	}
}

std::string probe_sysfs_led(const std::filesystem::path &dir)
{
	UniqueFd fd = open_led_dir(dir);
	std::string text = "LED-class device " + dir.string();
	std::error_code ec;
	const auto real = std::filesystem::canonical(dir, ec);
	if (!ec && real != dir)
		text += " (" + real.string() + ")";
	for (const char *name : {"max_brightness", "brightness", "trigger"}) {
		try {
			std::string value = read_attribute(fd.get(), dir, name);
			if (std::string_view(name) == "trigger")
				value = active_trigger(value);
			text += std::string(", ") + name + " " + printable(value);
		} catch (const Error &e) {
			text += std::string(", ") + name + ": " + e.what();
		}
	}
	return text;
}

} // namespace showguard
