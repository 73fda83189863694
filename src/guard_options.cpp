// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/guard_options.hpp"

#include <cstdlib>
#include <string>

#include <unistd.h>

namespace showguard {

std::filesystem::path default_lock_dir()
{
	if (geteuid() == 0)
		return "/run/showguard";
	if (const char *runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && runtime[0] == '/')
		return std::filesystem::path(runtime) / "showguard";
	return "/tmp/showguard-" + std::to_string(geteuid());
}

const char *to_string(RestartPolicy policy) noexcept
{
	switch (policy) {
	case RestartPolicy::no:
		return "no";
	case RestartPolicy::on_failure:
		return "on-failure";
	case RestartPolicy::always:
		return "always";
	}
	return "?";
}

} // namespace showguard
