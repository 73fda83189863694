// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <map>
#include <string>
#include <vector>

#include "showguard/guard_options.hpp"

namespace showguard {

// One value of one setting and where it came from: "FILE:LINE" for a config
// file, empty for the command line. Errors name the origin, so a bad value
// in a file reads "/etc/showguard/shows/x.conf:4: invalid value ..." (exit
// 78) and on the command line "invalid value ... for --restart" (exit 64).
struct SettingValue {
	std::string value;
	std::string origin;
};

// Settings by key (the long option name without "--"). Repeatable keys
// (resource, environment) hold several values; others hold one.
using Settings = std::map<std::string, std::vector<SettingValue>>;

// True for keys that may be given more than once.
[[nodiscard]] bool is_repeatable(const std::string &key);

// True for keys valid in config files ("any long option", plus command,
// working-directory and environment; not show, config or config-dir).
[[nodiscard]] bool is_config_key(const std::string &key);

// Layers settings: each key of higher replaces the whole of lower's values
// for that key, so a show file's resource list replaces the global one.
void overlay(Settings &lower, const Settings &higher);

// Turns merged settings into options for show `show`, checking every
// value. Throws Error(usage) for a command-line value and Error(config)
// for a file value, naming the key, the value and the file and line.
void apply_settings(const Settings &settings, GuardOptions &options);

// With lock-backend etcd: checks what only the options together can say
// (endpoints given, the kill timeout fits inside the lease) and derives the
// kill timeout when none was given. Call after apply_settings.
void check_lock_backend(const Settings &settings, GuardOptions &options);

// With lock-backend etcd, after check_lock_backend: a warning when the lease
// TTL cannot ride out a leader election of the cluster (election_problem()),
// else empty. A warning, not an error: the show still runs, fenced as ever,
// but a leader's death may stop it.
[[nodiscard]] std::string lease_ttl_warning(const GuardOptions &options);

// Applies one key; for check-config, which reports every problem.
void apply_setting(const std::string &key, const std::vector<SettingValue> &values, GuardOptions &options);

} // namespace showguard
