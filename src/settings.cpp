// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/settings.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

#include "showguard/button.hpp"
#include "showguard/command_split.hpp"
#include "showguard/error.hpp"
#include "showguard/lease_keeper.hpp"
#include "showguard/led_spec.hpp"
#include "showguard/show_name.hpp"

namespace showguard {

namespace {

constexpr std::array repeatable_keys = {"resource", "environment"};

constexpr std::array config_keys = {
	"lock-dir",     "wait",  "conflict-exit-code", "kill-timeout", "restart",           "restart-delay",
	"restart-limit", "resource", "user",           "group",        "log-level",         "command",
	"working-directory", "environment", "led",  "led-active-low",     "led-required", "board",
	"board-file", "lock-backend", "etcd-endpoints", "lease-ttl", "etcd-cacert", "etcd-cert", "etcd-key",
	"etcd-user", "etcd-password-file", "etcd-election-timeout", "etcd-heartbeat-interval", "button",
	"button-active-high", "button-action", "button-hold", "button-required",
};

// The one place a bad value becomes an error: a usage error on the command
// line, a configuration error naming file and line in a config file.
[[noreturn]] void bad_value(const std::string &key, const SettingValue &v, const std::string &expected)
{
	if (v.origin.empty())
		throw Error(ExitCode::usage, "invalid value '" + printable(v.value) + "' for --" + key + "; " + expected +
						     " (see 'showguard --help')");
	throw Error(ExitCode::config,
		    v.origin + ": invalid value '" + printable(v.value) + "' for " + key + "; " + expected);
}

Duration duration_value(const std::string &key, const SettingValue &v)
{
	if (auto d = parse_duration(v.value))
		return *d;
	bad_value(key, v, "use a number of seconds or 250ms, 30s, 5m, 1h");
}

unsigned number_value(const std::string &key, const SettingValue &v, unsigned max)
{
	unsigned n = 0;
	auto [p, ec] = std::from_chars(v.value.data(), v.value.data() + v.value.size(), n);
	if (v.value.empty() || ec != std::errc{} || p != v.value.data() + v.value.size() || n > max)
		bad_value(key, v, "expected a whole number from 0 to " + std::to_string(max));
	return n;
}

bool bool_value(const std::string &key, const SettingValue &v)
{
	if (auto yes = parse_bool(v.value))
		return *yes;
	bad_value(key, v, "use yes or no");
}

std::string nonempty_value(const std::string &key, const SettingValue &v)
{
	if (v.value.empty())
		bad_value(key, v, "it must not be empty");
	return v.value;
}

bool valid_environment_key(std::string_view key)
{
	if (key.empty() || (key[0] >= '0' && key[0] <= '9'))
		return false;
	return std::all_of(key.begin(), key.end(), [](char c) {
		return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
	});
}

} // namespace

bool is_repeatable(const std::string &key)
{
	return std::find(repeatable_keys.begin(), repeatable_keys.end(), key) != repeatable_keys.end();
}

bool is_config_key(const std::string &key)
{
	return std::find(config_keys.begin(), config_keys.end(), key) != config_keys.end();
}

void overlay(Settings &lower, const Settings &higher)
{
	for (const auto &[key, values] : higher)
		lower[key] = values;
}

void apply_setting(const std::string &key, const std::vector<SettingValue> &values, GuardOptions &g)
{
	if (values.empty())
		return;
	const SettingValue &v = values.back();

	if (key == "lock-dir") {
		g.lock_dir = nonempty_value(key, v);
	} else if (key == "wait") {
		if (v.value.empty() || v.value == "forever" || v.value == "yes" || v.value == "true")
			g.wait = max_duration;
		else if (v.value == "no" || v.value == "false")
			g.wait.reset();
		else
			g.wait = duration_value(key, v);
	} else if (key == "conflict-exit-code") {
		g.conflict_exit_code = static_cast<int>(number_value(key, v, 255));
	} else if (key == "kill-timeout") {
		g.kill_timeout = duration_value(key, v);
		g.kill_timeout_given = true;
	} else if (key == "lock-backend") {
		if (v.value == "local")
			g.lock_backend = LockBackend::local;
		else if (v.value == "etcd")
			g.lock_backend = LockBackend::etcd;
		else
			bad_value(key, v, "use local or etcd");
	} else if (key == "etcd-endpoints") {
		g.etcd_endpoints.clear();
		std::string_view rest = v.value;
		for (bool more = true; more;) {
			const auto comma = rest.find(',');
			const std::string url(rest.substr(0, comma));
			more = comma != std::string_view::npos;
			rest = more ? rest.substr(comma + 1) : std::string_view();
			const auto scheme = url.find("://");
			if ((url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) || url.size() <= scheme + 3 ||
			    url.find_first_of(" \t/", scheme + 3) != std::string::npos)
				bad_value(key, v, "use http://HOST:PORT or https://HOST:PORT, separated by commas");
			g.etcd_endpoints.push_back(url);
		}
	} else if (key == "lease-ttl") {
		const Duration ttl = duration_value(key, v);
		if (ttl < std::chrono::seconds(2) || ttl > std::chrono::hours(1) || ttl % std::chrono::seconds(1) != Duration::zero())
			bad_value(key, v, "use whole seconds from 2s to 1h (etcd counts leases in seconds)");
		g.lease_ttl = ttl;
	} else if (key == "etcd-election-timeout" || key == "etcd-heartbeat-interval") {
		const Duration d = duration_value(key, v);
		if (d <= Duration::zero() || d > std::chrono::minutes(1))
			bad_value(key, v, "use a duration above 0 and up to 1m, as the etcd members were started with");
		(key == "etcd-election-timeout" ? g.etcd_election_timeout : g.etcd_heartbeat_interval) = d;
	} else if (key == "etcd-cacert") {
		g.etcd_cacert = nonempty_value(key, v);
	} else if (key == "etcd-cert") {
		g.etcd_cert = nonempty_value(key, v);
	} else if (key == "etcd-key") {
		g.etcd_key = nonempty_value(key, v);
	} else if (key == "etcd-user") {
		g.etcd_user = nonempty_value(key, v);
	} else if (key == "etcd-password-file") {
		g.etcd_password_file = nonempty_value(key, v);
	} else if (key == "restart") {
		if (v.value == "no")
			g.restart = RestartPolicy::no;
		else if (v.value == "on-failure")
			g.restart = RestartPolicy::on_failure;
		else if (v.value == "always")
			g.restart = RestartPolicy::always;
		else
			bad_value(key, v, "use no, on-failure or always");
	} else if (key == "restart-delay") {
		g.restart_delay = duration_value(key, v);
	} else if (key == "restart-limit") {
		g.restart_limit = number_value(key, v, 1'000'000);
	} else if (key == "resource") {
		g.resources.clear();
		for (const auto &r : values) {
			const std::string problem = name_problem(r.value);
			if (!problem.empty())
				bad_value(key, r, "a resource name " + problem);
			g.resources.push_back(r.value);
		}
	} else if (key == "user") {
		g.user = nonempty_value(key, v);
	} else if (key == "group") {
		g.group = nonempty_value(key, v);
	} else if (key == "log-level") {
		constexpr std::array levels = {"trace", "debug", "info", "warn", "error", "off"};
		if (std::find(levels.begin(), levels.end(), v.value) == levels.end())
			bad_value(key, v, "use trace, debug, info, warn, error or off");
		g.log_level = v.value;
	} else if (key == "working-directory") {
		g.working_directory = nonempty_value(key, v);
	} else if (key == "environment") {
		g.environment.clear();
		for (const auto &e : values) {
			const auto eq = e.value.find('=');
			if (eq == std::string::npos || !valid_environment_key(std::string_view(e.value).substr(0, eq)))
				bad_value(key, e, "use KEY=VALUE with a KEY of letters, digits and '_'");
			g.environment.push_back(e.value);
		}
	} else if (key == "led") {
		std::string error;
		if (!parse_led_spec(v.value, error))
			bad_value(key, v, error);
		g.led = v.value;
	} else if (key == "led-active-low") {
		g.led_active_low = bool_value(key, v);
	} else if (key == "led-required") {
		g.led_required = bool_value(key, v);
	} else if (key == "button") {
		std::string error;
		if (!parse_button_spec(v.value, error))
			bad_value(key, v, error);
		g.button = v.value;
	} else if (key == "button-active-high") {
		g.button_active_high = bool_value(key, v);
	} else if (key == "button-action") {
		const auto action = parse_button_action(v.value);
		if (!action)
			bad_value(key, v, "use toggle, stop or restart");
		g.button_action = *action;
	} else if (key == "button-hold") {
		const Duration hold = duration_value(key, v);
		if (hold < std::chrono::milliseconds(500))
			bad_value(key, v, "use at least 500ms (a long press must outlast a press)");
		g.button_hold = hold;
	} else if (key == "button-required") {
		g.button_required = bool_value(key, v);
	} else if (key == "board") {
		const std::string problem = name_problem(v.value);
		if (!problem.empty())
			bad_value(key, v, "a board name " + problem + "; 'showguard boards' lists them");
		g.board = v.value;
	} else if (key == "board-file") {
		g.board_file = nonempty_value(key, v);
	} else if (key == "command") {
		std::string error;
		auto words = split_command(v.value, error);
		if (!words)
			bad_value(key, v, error);
		// `command = ""` splits into one empty word: no program either, and
		// the error belongs to the file's line, not to exec().
		if (words->empty() || words->front().empty())
			bad_value(key, v, "it names no program");
		g.command = std::move(*words);
	}
}

void check_lock_backend(const Settings &settings, GuardOptions &g)
{
	if (g.lock_backend != LockBackend::etcd)
		return;
	// Before any of the cluster's options: fixing them would not help.
	if (const char *missing = etcd_backend_missing())
		throw Error(ExitCode::unavailable, missing);
	// One error naming every option involved, from the file that set the
	// last of them (a config error, 78), or a usage error (64) when all came
	// from the command line.
	auto origin_of = [&](std::initializer_list<const char *> keys) {
		std::string origin;
		for (const char *key : keys)
			if (auto it = settings.find(key); it != settings.end() && !it->second.empty() &&
							   !it->second.back().origin.empty())
				origin = it->second.back().origin;
		return origin;
	};
	auto fail = [&](std::initializer_list<const char *> keys, const std::string &message) {
		const std::string origin = origin_of(keys);
		if (origin.empty())
			throw Error(ExitCode::usage, message + " (see 'showguard --help')");
		throw Error(ExitCode::config, origin + ": " + message);
	};
	if (g.etcd_endpoints.empty())
		fail({"lock-backend"}, "lock-backend etcd needs etcd-endpoints (--etcd-endpoints URL[,URL...])");
	if (g.etcd_cert.empty() != g.etcd_key.empty())
		fail({"etcd-cert", "etcd-key"}, "etcd-cert and etcd-key go together (a client certificate and its key)");
	if (!g.etcd_password_file.empty() && g.etcd_user.empty())
		fail({"etcd-password-file"}, "etcd-password-file needs etcd-user");
	if (!g.kill_timeout_given)
		g.kill_timeout = default_etcd_kill_timeout(g.lease_ttl);
	if (const std::string problem = kill_timeout_problem(g.lease_ttl, g.kill_timeout); !problem.empty())
		fail({"lock-backend", "lease-ttl", "kill-timeout"}, "kill-timeout and lease-ttl: " + problem);
}

std::string lease_ttl_warning(const GuardOptions &g)
{
	if (g.lock_backend != LockBackend::etcd)
		return {};
	const std::string problem = election_problem(g.lease_ttl, g.kill_timeout, g.kill_timeout_given,
						     {g.etcd_election_timeout, g.etcd_heartbeat_interval});
	return problem.empty() ? problem : "lease-ttl: " + problem;
}

void apply_settings(const Settings &settings, GuardOptions &options)
{
	for (const auto &[key, values] : settings)
		apply_setting(key, values, options);
}

} // namespace showguard
