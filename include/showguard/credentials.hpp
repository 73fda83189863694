// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace showguard {

// The identity the show runs with, resolved before anything is locked so an
// unknown user or group fails early (ExitCode::no_user) and leaves nothing.
struct Credentials {
	bool change_user = false;
	bool change_group = false;
	uid_t uid = 0;
	gid_t gid = 0;
	std::vector<gid_t> groups; // supplementary groups
	std::string user_name;
	std::string home;
};

// Resolves --user and --group (names or numeric ids). With --user alone
// the user's primary group and supplementary groups are used. Throws
// Error(no_user) naming the unknown user or group.
[[nodiscard]] Credentials resolve_credentials(const std::optional<std::string> &user,
					      const std::optional<std::string> &group);

// The name of the effective user, for records and messages.
[[nodiscard]] std::string current_user_name();

} // namespace showguard
