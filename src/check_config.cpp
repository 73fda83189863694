// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/check_config.hpp"

#include <cstdio>
#include <cstring>
#include <set>

#include <unistd.h>

#include "showguard/config_file.hpp"
#include "showguard/credentials.hpp"
#include "showguard/error.hpp"
#include "showguard/led_setup.hpp"
#include "showguard/show_name.hpp"
#include "showguard/show_process.hpp"

extern char **environ;

namespace showguard {

namespace {

// Reads and checks one file; returns its settings and appends problems.
// A file found in config_dir must not be a symlink out of it.
Settings check_file(const std::filesystem::path &path, const std::optional<std::filesystem::path> &config_dir,
		    std::vector<std::string> &problems)
{
	if (config_dir) {
		try {
			refuse_symlink_out_of(path, *config_dir);
		} catch (const Error &e) {
			problems.push_back(e.what());
			return {};
		}
	}
	// The guard's own reader: a FIFO, a device or a huge file is a problem
	// of that file, not a hang or an exhausted memory.
	Settings settings = read_config_file(path, problems);
	GuardOptions scratch;
	for (const auto &[key, values] : settings) {
		try {
			apply_setting(key, values, scratch);
		} catch (const Error &e) {
			problems.push_back(e.what());
		}
	}
	return settings;
}

std::string origin_of(const Settings &settings, const std::string &key, const std::string &fallback)
{
	auto it = settings.find(key);
	return it == settings.end() || it->second.empty() ? fallback : it->second.back().origin;
}

// Checks what a show file needs beyond valid lines: a command whose
// program exists, and users and groups that exist.
void check_show(const std::string &show, const std::filesystem::path &path, const Settings &global,
		const Settings &own, std::vector<std::string> &problems, std::vector<std::string> &warnings)
{
	Settings merged = global;
	overlay(merged, own);
	GuardOptions options;
	options.show = show;
	try {
		apply_settings(merged, options);
	} catch (const Error &) {
		return; // already reported line by line
	}
	try {
		check_lock_backend(merged, options);
	} catch (const Error &e) {
		// A config error names its file and line; the rest (the built-in
		// defaults did not fit) belongs to the show file.
		problems.push_back(e.code() == ExitCode::config ? e.what() : path.string() + ": " + e.what());
	}
	if (const std::string warning = lease_ttl_warning(options); !warning.empty())
		warnings.push_back(origin_of(merged, "lease-ttl", path.string()) + ": warning: " + warning);
	if (options.lock_backend == LockBackend::etcd) {
		// The cluster's files must be readable where the guard runs.
		for (const char *key : {"etcd-cacert", "etcd-cert", "etcd-key", "etcd-password-file"}) {
			const auto it = merged.find(key);
			if (it != merged.end() && !it->second.empty() && ::access(it->second.back().value.c_str(), R_OK) != 0)
				problems.push_back(origin_of(merged, key, path.string()) + ": cannot read " + key + " " +
						   it->second.back().value + ": " + std::strerror(errno));
		}
	}
	if (options.command.empty()) {
		problems.push_back(path.string() + ": no 'command' for show " + show);
		return;
	}
	try {
		// A board that is named must exist and parse; whether its LED can be
		// driven is for the guard (or led-test) to find out on the controller.
		(void)resolve_led(options);
	} catch (const Error &e) {
		const std::string key = options.board_file.empty() ? "board" : "board-file";
		// A board file's own FILE:LINE error names itself; others get the
		// line that named the board.
		const std::string what = e.what();
		problems.push_back(what.front() == '/' ? what : origin_of(merged, key, path.string()) + ": " + what);
	}
	try {
		const Credentials creds = resolve_credentials(options.user, options.group);
		const char *search_path = std::getenv("PATH");
		(void)resolve_program(options.command.front(), {"PATH=" + std::string(search_path ? search_path : "")},
				      !creds.change_user);
	} catch (const Error &e) {
		const std::string key = e.code() == ExitCode::no_user ? (options.group ? "group" : "user") : "command";
		problems.push_back(origin_of(merged, key, path.string()) + ": " + e.what());
	}
}

} // namespace

int run_check_config(const CommandLine &cl)
{
	std::vector<std::string> problems;
	// Warnings are printed but leave the exit status alone.
	std::vector<std::string> warnings;
	auto report = [&](const std::filesystem::path &path, std::size_t before) {
		if (problems.size() == before)
			std::printf("%s: ok\n", path.c_str());
		for (std::size_t i = before; i < problems.size(); ++i)
			std::printf("%s\n", problems[i].c_str());
		for (const auto &w : warnings)
			std::printf("%s\n", w.c_str());
		warnings.clear();
	};

	Settings global;
	std::optional<std::filesystem::path> global_path = cl.config_file;
	std::optional<std::filesystem::path> global_dir;
	if (!global_path && ::access(default_config_file, F_OK) == 0) {
		global_path = default_config_file;
		global_dir = default_config_dir;
	}
	if (global_path) {
		const std::size_t before = problems.size();
		global = check_file(*global_path, global_dir, problems);
		report(*global_path, before);
	}

	const std::filesystem::path dir = cl.config_dir.value_or(default_config_dir) / "shows";
	std::set<std::string> shows(cl.names.begin(), cl.names.end());
	if (cl.names.empty()) {
		std::error_code ec;
		for (const auto &entry : std::filesystem::directory_iterator(dir, ec)) {
			if (entry.path().extension() != ".conf")
				continue;
			const std::string stem = entry.path().stem().string();
			if (!is_valid_name(stem)) {
				problems.push_back(entry.path().string() + ": '" + printable(stem) +
						   "' is not a valid show name: " + name_problem(stem));
				report(entry.path(), problems.size() - 1);
				continue;
			}
			shows.insert(stem);
		}
	}
	const std::filesystem::path config_dir = cl.config_dir.value_or(default_config_dir);
	for (const auto &show : shows) {
		const std::filesystem::path path = show_config_path(config_dir, show);
		const std::size_t before = problems.size();
		if (::access(path.c_str(), F_OK) != 0) {
			problems.push_back(path.string() + ": no such show file");
		} else {
			const Settings own = check_file(path, config_dir, problems);
			if (problems.size() == before)
				check_show(show, path, global, own, problems, warnings);
		}
		report(path, before);
	}
	if (!global_path && shows.empty())
		std::printf("no configuration found (%s, %s)\n", default_config_file, dir.c_str());
	return problems.empty() ? 0 : 1;
}

} // namespace showguard
