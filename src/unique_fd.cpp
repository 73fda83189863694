// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/unique_fd.hpp"

#include <cerrno>
#include <cstring>

#include <unistd.h>

#include <spdlog/spdlog.h>

namespace showguard {

void UniqueFd::reset(int fd) noexcept
{
	const int old = std::exchange(fd_, fd);
	if (old < 0)
		return;
	// Never retry close(): on Linux the descriptor is gone even on EINTR.
	if (::close(old) < 0) {
		try {
			spdlog::warn("closing descriptor {} failed: {}", old, std::strerror(errno));
		} catch (...) {
		}
	}
}

} // namespace showguard
