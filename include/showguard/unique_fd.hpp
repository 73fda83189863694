// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <utility>

namespace showguard {

// Sole owner of a file descriptor; closes it when destroyed.
class UniqueFd {
public:
	UniqueFd() noexcept = default;
	explicit UniqueFd(int fd) noexcept : fd_(fd) {}
	UniqueFd(UniqueFd &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
	UniqueFd &operator=(UniqueFd &&other) noexcept
	{
		reset(std::exchange(other.fd_, -1));
		return *this;
	}
	UniqueFd(const UniqueFd &) = delete;
	UniqueFd &operator=(const UniqueFd &) = delete;
	~UniqueFd() { reset(); }

	[[nodiscard]] int get() const noexcept { return fd_; }
	[[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
	explicit operator bool() const noexcept { return valid(); }

	// Gives up ownership without closing.
	[[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

	// Closes the current descriptor (logging a failed close) and takes fd.
	void reset(int fd = -1) noexcept;

private:
	int fd_ = -1;
};

} // namespace showguard
