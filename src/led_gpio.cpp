// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/led_gpio.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>

#include <sys/stat.h>

#include "showguard/show_name.hpp"

namespace showguard {

namespace {

constexpr const char *dev_dir = "/dev";

// The N of "gpiochipN", or nothing.
std::optional<unsigned> chip_number(std::string_view name)
{
	if (!name.starts_with("gpiochip"))
		return std::nullopt;
	name.remove_prefix(8);
	unsigned n = 0;
	auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
	if (name.empty() || ec != std::errc{} || p != name.data() + name.size())
		return std::nullopt;
	return n;
}

class DevGpioChips final : public GpioChipSource {
public:
	std::vector<std::filesystem::path> paths() const override
	{
		std::vector<std::pair<unsigned, std::filesystem::path>> found;
		std::error_code ec;
		for (const auto &entry : std::filesystem::directory_iterator(dev_dir, ec)) {
			const auto n = chip_number(entry.path().filename().string());
			struct stat st;
			if (n && ::stat(entry.path().c_str(), &st) == 0 && S_ISCHR(st.st_mode))
				found.emplace_back(*n, entry.path());
		}
		std::sort(found.begin(), found.end());
		std::vector<std::filesystem::path> paths;
		for (auto &[n, path] : found)
			paths.push_back(std::move(path));
		return paths;
	}

	std::unique_ptr<GpioChip> open(const std::filesystem::path &path) const override
	{
		return open_gpio_chip(path);
	}
};

std::string chip_title(const GpioChip &chip)
{
	return chip.name() + " [" + chip.label() + "]";
}

// The chips a search looked at, for "not found" messages.
struct Survey {
	std::vector<std::string> seen;     // "gpiochip0 [pinctrl-bcm2711]"
	std::vector<std::string> failures; // "cannot open /dev/gpiochip1: Permission denied"

	[[nodiscard]] std::string chips_here() const
	{
		std::string text;
		for (const auto &s : seen)
			text += (text.empty() ? "" : ", ") + s;
		return text.empty() ? "none could be opened" : text;
	}
	[[nodiscard]] std::string failure_note() const
	{
		std::string text;
		for (const auto &f : failures)
			text += "; " + f;
		return text;
	}
};

std::unique_ptr<GpioChip> try_open(const GpioChipSource &chips, const std::filesystem::path &path, Survey &survey)
{
	try {
		auto chip = chips.open(path);
		survey.seen.push_back(chip_title(*chip));
		return chip;
	} catch (const Error &e) {
		survey.failures.push_back(e.what());
		return nullptr;
	}
}

[[noreturn]] void no_chips()
{
	throw LedUnavailable("no GPIO chips on this machine (no /dev/gpiochip*)");
}

GpioLine find_by_name(const LedSpec &spec, const std::string &chip_label, const GpioChipSource &chips)
{
	const auto paths = chips.paths();
	if (paths.empty())
		no_chips();
	Survey survey;
	bool label_seen = false;
	for (const auto &path : paths) {
		auto chip = try_open(chips, path, survey);
		if (!chip)
			continue;
		if (!chip_label.empty() && chip->label() != chip_label)
			continue;
		label_seen = true;
		if (const auto offset = chip->find_line(spec.line_name))
			return {std::move(chip), *offset, spec.line_name};
	}
	if (survey.seen.empty() && !survey.failures.empty())
		throw LedUnavailable("no GPIO chip can be opened to look for line " + spec.line_name +
				     survey.failure_note());
	if (!chip_label.empty() && !label_seen)
		throw LedUnavailable("no GPIO chip labelled " + chip_label + " to look for line " + spec.line_name +
				     " (chips here: " + survey.chips_here() + ")" + survey.failure_note());
	throw LedUnavailable("no GPIO line named " + spec.line_name +
			     (chip_label.empty() ? " on any chip" : " on the " + chip_label + " chip") +
			     " (chips here: " + survey.chips_here() + ")" + survey.failure_note());
}

GpioLine find_by_offset(const LedSpec &spec, const GpioChipSource &chips)
{
	std::unique_ptr<GpioChip> chip;
	Survey survey;
	auto open_path = [&](const std::filesystem::path &path) {
		try {
			return chips.open(path);
		} catch (const Error &e) {
			throw LedUnavailable(e.what());
		}
	};

	std::optional<unsigned> number = chip_number(spec.chip);
	if (!number && !spec.chip.empty() && std::all_of(spec.chip.begin(), spec.chip.end(), [](char c) { return c >= '0' && c <= '9'; }))
		number = chip_number("gpiochip" + spec.chip);
	if (spec.chip.front() == '/') {
		chip = open_path(spec.chip);
	} else if (number) {
		const auto paths = chips.paths();
		const std::string wanted = "gpiochip" + std::to_string(*number);
		auto it = std::find_if(paths.begin(), paths.end(),
				       [&](const auto &p) { return p.filename() == wanted; });
		if (it == paths.end()) {
			for (const auto &path : paths)
				(void)try_open(chips, path, survey);
			if (paths.empty())
				no_chips();
			throw LedUnavailable("no GPIO chip " + wanted + " (chips here: " + survey.chips_here() + ")" +
					     survey.failure_note());
		}
		chip = open_path(*it);
	} else {
		const auto paths = chips.paths();
		if (paths.empty())
			no_chips();
		for (const auto &path : paths) {
			auto candidate = try_open(chips, path, survey);
			if (candidate && candidate->label() == spec.chip) {
				chip = std::move(candidate);
				break;
			}
		}
		if (!chip)
			throw LedUnavailable("no GPIO chip named or labelled " + printable(spec.chip) +
					     " (chips here: " + survey.chips_here() + ")" + survey.failure_note());
	}

	const unsigned lines = chip->num_lines();
	if (spec.offset >= lines)
		throw LedUnavailable(chip_title(*chip) + " has " + std::to_string(lines) + " lines (0-" +
				     std::to_string(lines ? lines - 1 : 0) + "); no line " + std::to_string(spec.offset));
	std::string name;
	try {
		name = chip->line_info(spec.offset).name;
	} catch (const Error &) {
	}
	return {std::move(chip), spec.offset, name};
}

} // namespace

const GpioChipSource &system_gpio_chips()
{
	static const DevGpioChips chips;
	return chips;
}

std::string GpioLine::describe() const
{
	std::string text = name.empty() ? "line " + std::to_string(offset) : name;
	if (chip)
		text += " (" + chip->path().string() + " [" + chip->label() + "] line " + std::to_string(offset) + ")";
	return text;
}

GpioLine find_gpio_line(const LedSpec &spec, const std::string &chip_label, const GpioChipSource &chips)
{
	if (spec.kind == LedKind::gpio_name)
		return find_by_name(spec, chip_label, chips);
	return find_by_offset(spec, chips);
}

std::unique_ptr<LedDriver> open_gpio_led(const LedSpec &spec, const std::string &chip_label,
					 const std::string &consumer, bool active_low, const GpioChipSource &chips)
{
	GpioLine line = find_gpio_line(spec, chip_label, chips);
	const std::string description = line.describe();
	try {
		return line.chip->request_led(line.offset, consumer, active_low, description);
	} catch (const SystemError &e) {
		if (e.error_number() == EBUSY) {
			std::string holder;
			try {
				const GpioLineInfo info = line.chip->line_info(line.offset);
				if (!info.consumer.empty())
					holder = ": used by '" + printable(info.consumer) + "'";
			} catch (const Error &) {
			}
			throw LedUnavailable("line " + description + " is busy" +
					     (holder.empty() ? ": used by another consumer" : holder));
		}
		throw LedUnavailable("cannot request line " + description + ": " +
				     std::generic_category().message(e.error_number()));
	}
}

} // namespace showguard
