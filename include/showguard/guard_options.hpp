// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "showguard/button.hpp"
#include "showguard/duration.hpp"

namespace showguard {

enum class RestartPolicy { no, on_failure, always };

// Where the show's lock lives: this machine's lock dir only, or also etcd,
// so that of several controllers exactly one runs the show.
enum class LockBackend { local, etcd };

// Why this build has no etcd backend (the fully static build cannot load
// libcurl: src/etcd_client_static.cpp), or nullptr when it has one.
[[nodiscard]] const char *etcd_backend_missing() noexcept;

// Everything that says how one show is guarded, after the command line
// (and configuration files) have been read and checked.
struct GuardOptions {
	std::string show;
	std::filesystem::path lock_dir;
	// Unset: a busy show is refused at once. Set: wait at most this long
	// (max_duration stands for "wait as long as it takes").
	std::optional<Duration> wait;
	int conflict_exit_code = 75;
	Duration kill_timeout = std::chrono::seconds(10);
	bool kill_timeout_given = false; // set explicitly (else the etcd backend derives it)
	RestartPolicy restart = RestartPolicy::no;
	Duration restart_delay = std::chrono::seconds(1);
	unsigned restart_limit = 5;
	std::vector<std::string> resources;
	std::optional<std::string> user;
	std::optional<std::string> group;
	std::string working_directory;        // empty: the guard's own
	std::vector<std::string> environment; // "KEY=VALUE", added for the show
	std::string log_level = "info";
	// The status LED; resolve_led() (led_setup.hpp) reads the board file.
	std::string led;                    // --led SPEC; empty: the board's LED, else none
	std::optional<bool> led_active_low; // unset: the board's setting, else no
	bool led_required = false;          // an LED that cannot be driven stops the show (69)
	std::string board;                  // --board NAME: boards/NAME.conf
	std::filesystem::path board_file;   // --board-file PATH; wins over board
	// The show button (show_button.hpp): --button SPEC; empty: the board's, else none.
	std::string button;
	bool button_active_high = false; // default: active-low, wired to ground with a pull-up
	ButtonAction button_action = ButtonAction::toggle;
	Duration button_hold = default_button_hold; // a press this long: stop and exit
	bool button_required = false;    // a button line that cannot be requested stops the guard (69)
	// The lock backend; for etcd, the cluster and the lease (see check_lock_backend()).
	LockBackend lock_backend = LockBackend::local;
	std::vector<std::string> etcd_endpoints; // URLs
	Duration lease_ttl = std::chrono::seconds(10);
	// The cluster's raft timing as configured on its members (etcd's
	// defaults): only for the warning when the TTL cannot ride out an election.
	Duration etcd_election_timeout = std::chrono::seconds(1);
	Duration etcd_heartbeat_interval = std::chrono::milliseconds(100);
	std::string etcd_cacert, etcd_cert, etcd_key, etcd_user;
	std::filesystem::path etcd_password_file; // never the password itself: ps shows a command line
	// The show's program and arguments: as given after "--", or split from
	// the config's "command" key.
	std::vector<std::string> command;
};

// Window in which --restart-limit restarts are counted.
inline constexpr Duration restart_window = std::chrono::seconds(60);

// The lock dir used when none is given: /run/showguard for root, else
// $XDG_RUNTIME_DIR/showguard, else /tmp/showguard-$UID.
[[nodiscard]] std::filesystem::path default_lock_dir();

[[nodiscard]] const char *to_string(RestartPolicy policy) noexcept;

} // namespace showguard
