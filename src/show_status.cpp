// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/show_status.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <set>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "showguard/error.hpp"
#include "showguard/proc_locks.hpp"
#include "showguard/show_lock.hpp"
#include "showguard/show_name.hpp"
#include "showguard/unique_fd.hpp"

#include <spdlog/spdlog.h>

namespace showguard {

namespace {

// Names of shows with a lock file or record in the directory.
std::set<std::string> names_in(int dir_fd)
{
	std::set<std::string> names;
	const int fd = ::dup(dir_fd);
	if (fd < 0)
		return names;
	DIR *dir = ::fdopendir(fd);
	if (!dir) {
		::close(fd);
		return names;
	}
	::rewinddir(dir);
	while (const dirent *entry = ::readdir(dir)) {
		const std::string_view file = entry->d_name;
		for (std::string_view suffix : {".lock", ".state"}) {
			if (file.size() > suffix.size() && file.substr(file.size() - suffix.size()) == suffix) {
				const std::string name(file.substr(0, file.size() - suffix.size()));
				if (is_valid_name(name))
					names.insert(name);
			}
		}
	}
	::closedir(dir);
	return names;
}

ShowStatus status_of(const LockDir &dir, LockKind kind, const std::string &name, const ProcLocks &locks)
{
	ShowStatus s;
	s.name = name;
	s.kind = kind;
	const std::optional<LockRecord> record = read_record(dir, name);

	std::optional<pid_t> holder;
	bool guard_gone = false;
	struct stat st;
	const std::string lock_file = lock_file_name(name);
	if (::fstatat(dir.fd(), lock_file.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
		s.known = true;
		if (S_ISREG(st.st_mode))
			holder = locks.holder(st.st_dev, st.st_ino);
		// The kernel keeps naming a guard killed outright while its show's
		// processes, which inherited the lock, wind down (or a daemon the
		// show left keeps it): held, but by nobody who answers to that pid.
		guard_gone = holder && !has_file_open(*holder, st.st_dev, st.st_ino);
	}
	if (record) {
		s.known = true;
		s.host = record->host;
		s.user = record->user;
		s.command = record->command;
		s.resources = record->resources;
		s.held_by = record->held_by;
	}
	s.running = holder.has_value();

	// The record speaks for the holder only if the kernel names the same
	// guard (flock's pid is the guard's); otherwise it is stale.
	const bool current = record && holder && record->guard_pid == *holder && record->state != "free";
	if (s.running) {
		s.guard_pid = guard_gone ? 0 : *holder;
		if (current) {
			s.phase = guard_gone ? "stopping" : record->state;
			s.show_pid = !guard_gone || has_file_open(record->show_pid, st.st_dev, st.st_ino) ? record->show_pid : 0;
			s.since_ms = record->since_ms;
			s.restarts = record->restarts;
		} else {
			s.phase = "running";
			s.host.clear();
			s.user.clear();
			s.command.clear();
			s.resources.clear();
			s.held_by.clear();
		}
	} else if (record) {
		if (record->state == "free") {
			s.last_exit = record->last_exit;
			s.last_exit_reason = record->last_exit_reason;
			s.last_exit_ms = record->last_exit_ms;
		} else {
			// Free, yet the record says running: its guard died without
			// writing how the run ended.
			s.last_exit_reason = "guard ended without recording how (killed?)";
		}
	}
	return s;
}

std::string json_string(std::string_view text)
{
	std::string out = "\"";
	for (char c : text) {
		const auto byte = static_cast<unsigned char>(c);
		switch (c) {
		case '"':
			out += "\\\"";
			break;
		case '\\':
			out += "\\\\";
			break;
		case '\n':
			out += "\\n";
			break;
		case '\t':
			out += "\\t";
			break;
		default:
			if (byte < 0x20) {
				char buf[8];
				std::snprintf(buf, sizeof(buf), "\\u%04x", byte);
				out += buf;
			} else {
				out += c;
			}
		}
	}
	return out + "\"";
}

std::string format_uptime(std::int64_t ms)
{
	std::int64_t s = ms / 1000;
	char buf[64];
	if (s >= 86400)
		std::snprintf(buf, sizeof(buf), "%lldd%02lldh", static_cast<long long>(s / 86400),
			      static_cast<long long>(s % 86400 / 3600));
	else if (s >= 3600)
		std::snprintf(buf, sizeof(buf), "%lldh%02lldm", static_cast<long long>(s / 3600),
			      static_cast<long long>(s % 3600 / 60));
	else if (s >= 60)
		std::snprintf(buf, sizeof(buf), "%lldm%02llds", static_cast<long long>(s / 60),
			      static_cast<long long>(s % 60));
	else
		std::snprintf(buf, sizeof(buf), "%llds", static_cast<long long>(s));
	return buf;
}

std::string state_word(const ShowStatus &s)
{
	if (!s.known)
		return "unknown";
	return s.running ? "running" : "free";
}

std::string prometheus_label(std::string_view text)
{
	std::string out;
	for (char c : text) {
		if (c == '\\' || c == '"')
			out += '\\';
		if (c == '\n') {
			out += "\\n";
			continue;
		}
		out += c;
	}
	return out;
}

} // namespace

std::vector<ShowStatus> collect_status(const std::filesystem::path &lock_dir, const std::vector<std::string> &names)
{
	std::vector<ShowStatus> shows;
	const std::optional<LockDir> dir = LockDir::open_existing(lock_dir);
	if (!dir) {
		for (const auto &name : names) {
			ShowStatus unknown;
			unknown.name = name;
			shows.push_back(unknown);
		}
		return shows;
	}

	const ProcLocks locks = ProcLocks::read();
	if (!names.empty()) {
		for (const auto &name : names)
			shows.push_back(status_of(*dir, LockKind::show, name, locks));
		return shows;
	}
	for (const auto &name : names_in(dir->fd()))
		shows.push_back(status_of(*dir, LockKind::show, name, locks));
	if (::faccessat(dir->fd(), "resources", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		const LockDir resources = dir->resources(false);
		for (const auto &name : names_in(resources.fd()))
			shows.push_back(status_of(resources, LockKind::resource, name, locks));
	}
	return shows;
}

std::string format_status_table(const std::vector<ShowStatus> &shows, std::int64_t now_ms)
{
	const std::vector<std::string> header = {"NAME", "STATE", "GUARD", "PID", "SINCE", "UPTIME", "RESTARTS",
						 "LAST EXIT", "COMMAND"};
	std::vector<std::vector<std::string>> rows = {header};
	for (const auto &s : shows) {
		std::string name = s.kind == LockKind::resource ? "resource:" + s.name : s.name;
		std::string state = state_word(s);
		if (s.running && s.phase != "running")
			state += " (" + s.phase + ")";
		std::string last = "-";
		if (s.last_exit)
			last = std::to_string(*s.last_exit) + " at " + format_iso8601(s.last_exit_ms);
		else if (!s.last_exit_reason.empty())
			last = "unknown";
		std::string command = s.kind == LockKind::resource && !s.held_by.empty() ? "(show " + s.held_by + ")"
											      : s.command;
		rows.push_back({name, state, s.guard_pid ? std::to_string(s.guard_pid) : "-",
				s.show_pid ? std::to_string(s.show_pid) : "-",
				s.running && s.since_ms ? format_iso8601(s.since_ms) : "-",
				s.running && s.since_ms ? format_uptime(now_ms - s.since_ms) : "-",
				s.running ? std::to_string(s.restarts) : "-", last, command.empty() ? "-" : command});
	}
	std::vector<std::size_t> width(header.size(), 0);
	for (const auto &row : rows)
		for (std::size_t i = 0; i < row.size(); ++i)
			width[i] = std::max(width[i], row[i].size());
	std::string out;
	for (const auto &row : rows) {
		std::string line;
		for (std::size_t i = 0; i < row.size(); ++i) {
			line += row[i];
			if (i + 1 < row.size())
				line += std::string(width[i] - row[i].size() + 2, ' ');
		}
		out += line + "\n";
	}
	return out;
}

std::string format_status_json(const std::vector<ShowStatus> &shows, std::int64_t now_ms)
{
	std::string out = "{\"shows\": [";
	bool first = true;
	for (const auto &s : shows) {
		out += first ? "\n  {" : ",\n  {";
		first = false;
		auto field = [&out, started = false](std::string_view key, const std::string &value) mutable {
			out += (started ? ", " : "") + json_string(key) + ": " + value;
			started = true;
		};
		auto number_or_null = [](bool present, std::int64_t n) {
			return present ? std::to_string(n) : std::string("null");
		};
		auto string_or_null = [](const std::string &text) {
			return text.empty() ? std::string("null") : json_string(text);
		};
		field("name", json_string(s.name));
		field("kind", json_string(to_string(s.kind)));
		field("state", json_string(state_word(s)));
		field("phase", s.running ? json_string(s.phase) : "null");
		field("guard_pid", number_or_null(s.guard_pid > 0, s.guard_pid));
		field("show_pid", number_or_null(s.show_pid > 0, s.show_pid));
		field("since", s.running && s.since_ms ? json_string(format_iso8601(s.since_ms)) : "null");
		field("uptime_seconds", number_or_null(s.running && s.since_ms, (now_ms - s.since_ms) / 1000));
		field("host", string_or_null(s.host));
		field("user", string_or_null(s.user));
		field("command", string_or_null(s.command));
		field("restarts", number_or_null(s.running, s.restarts));
		std::string resources = "[";
		for (std::size_t i = 0; i < s.resources.size(); ++i)
			resources += (i ? ", " : "") + json_string(s.resources[i]);
		field("resources", resources + "]");
		field("held_by", string_or_null(s.held_by));
		if (!s.running && (s.last_exit || !s.last_exit_reason.empty()))
			field("last_exit", "{\"status\": " + number_or_null(s.last_exit.has_value(), s.last_exit.value_or(0)) +
						   ", \"reason\": " + json_string(s.last_exit_reason) + ", \"at\": " +
						   (s.last_exit_ms ? json_string(format_iso8601(s.last_exit_ms)) : "null") + "}");
		else
			field("last_exit", "null");
		out += "}";
	}
	out += shows.empty() ? "]}\n" : "\n]}\n";
	return out;
}

std::string format_status_prometheus(const std::vector<ShowStatus> &shows)
{
	struct Metric {
		const char *name;
		const char *help;
	};
	const Metric up{"showguard_show_up", "Whether the show's lock is held (1) or free (0)."};
	const Metric since{"showguard_show_since_seconds", "When the current holder took the lock, Unix time."};
	const Metric restarts{"showguard_show_restarts", "Restarts of the show in the current run."};
	const Metric last_exit{"showguard_show_last_exit_status", "Exit status of the show's last run."};
	const Metric last_exit_time{"showguard_show_last_exit_time_seconds", "When the show's last run ended."};

	std::string out;
	auto metric = [&](const Metric &m, auto &&value_of) {
		out += std::string("# HELP ") + m.name + " " + m.help + "\n# TYPE " + m.name + " gauge\n";
		for (const auto &s : shows) {
			if (!s.known)
				continue;
			const std::optional<std::string> value = value_of(s);
			if (!value)
				continue;
			out += std::string(m.name) + "{" + (s.kind == LockKind::resource ? "resource" : "show") + "=\"" +
			       prometheus_label(s.name) + "\"} " + *value + "\n";
		}
	};
	auto seconds = [](std::int64_t ms) {
		char buf[32];
		std::snprintf(buf, sizeof(buf), "%lld.%03lld", static_cast<long long>(ms / 1000),
			      static_cast<long long>(ms % 1000));
		return std::string(buf);
	};
	metric(up, [](const ShowStatus &s) { return std::optional<std::string>(s.running ? "1" : "0"); });
	metric(since, [&](const ShowStatus &s) {
		return s.running && s.since_ms ? std::optional<std::string>(seconds(s.since_ms)) : std::nullopt;
	});
	metric(restarts, [](const ShowStatus &s) {
		return s.running ? std::optional<std::string>(std::to_string(s.restarts)) : std::nullopt;
	});
	metric(last_exit, [](const ShowStatus &s) {
		return s.last_exit ? std::optional<std::string>(std::to_string(*s.last_exit)) : std::nullopt;
	});
	metric(last_exit_time, [&](const ShowStatus &s) {
		return s.last_exit && s.last_exit_ms ? std::optional<std::string>(seconds(s.last_exit_ms)) : std::nullopt;
	});
	return out;
}

int run_status(const CommandLine &cl)
{
	const std::vector<ShowStatus> shows = collect_status(resolve_lock_dir(cl), cl.names);
	const std::int64_t now = now_epoch_ms();
	std::string text;
	switch (cl.format) {
	case StatusFormat::table:
		text = format_status_table(shows, now);
		break;
	case StatusFormat::json:
		text = format_status_json(shows, now);
		break;
	case StatusFormat::prometheus:
		text = format_status_prometheus(shows);
		break;
	}
	std::fwrite(text.data(), 1, text.size(), stdout);
	const bool unknown = std::any_of(shows.begin(), shows.end(), [](const ShowStatus &s) { return !s.known; });
	for (const auto &s : shows)
		if (!s.known)
			spdlog::error("show {} is unknown: it has never run with lock dir {}", s.name,
				      resolve_lock_dir(cl).string());
	return unknown ? 1 : 0;
}

} // namespace showguard
