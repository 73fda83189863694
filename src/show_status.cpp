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
#include "showguard/etcd_status.hpp"
#include "showguard/proc_locks.hpp"
#include "showguard/show_lock.hpp"
#include "showguard/show_name.hpp"
#include "showguard/terminal_text.hpp"
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
	bool held_elsewhere = false; // by a guard outside this PID namespace
	struct stat st;
	const std::string lock_file = lock_file_name(name);
	if (::fstatat(dir.fd(), lock_file.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
		s.known = true;
		if (S_ISREG(st.st_mode)) {
			holder = locks.holder(st.st_dev, st.st_ino);
			held_elsewhere = !holder && locks.marked(st.st_dev, st.st_ino);
		}
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
	s.running = holder.has_value() || held_elsewhere;
	if (held_elsewhere) {
		// Its pids are another namespace's: none is named. The record can
		// only be taken at its word.
		s.phase = record && record->state != "free" ? record->state : "running";
		if (record && record->state != "free") {
			s.since_ms = record->since_ms;
			if (record->since_boot_ms > 0)
				s.uptime_ms = std::max<std::int64_t>(now_boot_ms() - record->since_boot_ms, 0);
			s.restarts = record->restarts;
		}
		return s;
	}

	// The record speaks for the holder only if the kernel names the same
	// guard (flock's pid is the guard's); otherwise it is stale.
	const bool current = record && holder && record->guard_pid == *holder && record->state != "free";
	if (s.running) {
		s.guard_pid = guard_gone ? 0 : *holder;
		if (current) {
			s.phase = guard_gone ? "stopping" : record->state;
			s.show_pid = !guard_gone || has_file_open(record->show_pid, st.st_dev, st.st_ino) ? record->show_pid : 0;
			s.since_ms = record->since_ms;
			// The wall clock may have been stepped since (NTP on a Pi
			// without an RTC): measure on the clock that never jumps.
			if (record->since_boot_ms > 0)
				s.uptime_ms = std::max<std::int64_t>(now_boot_ms() - record->since_boot_ms, 0);
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

// Appends text to out as a JSON string. Appending (rather than returning
// strings to concatenate) keeps `status --json` over thousands of shows
// from spending its time on temporaries.
void append_json_string(std::string &out, std::string_view text)
{
	out += '"';
	std::size_t plain = 0; // start of the run of characters that need no escape
	for (std::size_t i = 0; i < text.size(); ++i) {
		const char c = text[i];
		const auto byte = static_cast<unsigned char>(c);
		if (c != '"' && c != '\\' && byte >= 0x20)
			continue;
		out.append(text, plain, i - plain);
		plain = i + 1;
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
		default: {
			char buf[8];
			std::snprintf(buf, sizeof(buf), "\\u%04x", byte);
			out += buf;
		}
		}
	}
	out.append(text, plain);
	out += '"';
}

// Measured at collection on CLOCK_BOOTTIME, or else (a record of an older
// guard) by the wall clock, never negative.
std::int64_t uptime_of(const ShowStatus &s, std::int64_t now_ms)
{
	return s.uptime_ms ? *s.uptime_ms : std::max<std::int64_t>(now_ms - s.since_ms, 0);
}

std::string state_word(const ShowStatus &s)
{
	if (!s.known)
		return "unknown";
	return s.running ? "running" : "free";
}


// The global config's lock backend and cluster: only those keys, so that
// status works whatever else the file says.
GuardOptions cluster_options(const CommandLine &cl)
{
	GuardOptions options;
	for (const auto &[key, values] : load_global_settings(cl))
		if (key == "lock-backend" || key.rfind("etcd-", 0) == 0)
			apply_setting(key, values, options);
	return options;
}

std::string join_endpoints(const GuardOptions &options)
{
	std::string out;
	for (const auto &url : options.etcd_endpoints)
		out += (out.empty() ? "" : ",") + url;
	return out;
}

} // namespace

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

std::string align_columns(const std::vector<std::vector<std::string>> &raw_rows)
{
	// Every cell may hold what another process wrote (a command line, a host
	// name from etcd): escaped, none can forge a row or drive the terminal.
	std::vector<std::vector<std::string>> rows;
	rows.reserve(raw_rows.size());
	for (const auto &raw : raw_rows) {
		auto &row = rows.emplace_back();
		for (const auto &cell : raw)
			row.push_back(terminal_safe(cell));
	}
	std::vector<std::size_t> width;
	for (const auto &row : rows) {
		width.resize(std::max(width.size(), row.size()), 0);
		for (std::size_t i = 0; i < row.size(); ++i)
			width[i] = std::max(width[i], row[i].size());
	}
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
				s.running && s.since_ms ? format_uptime(uptime_of(s, now_ms)) : "-",
				s.running ? std::to_string(s.restarts) : "-", last, command.empty() ? "-" : command});
	}
	return align_columns(rows);
}

std::string format_status_json(const std::vector<ShowStatus> &shows, std::int64_t now_ms)
{
	std::string out = "{\"shows\": [";
	bool first = true;
	for (const auto &s : shows) {
		out += first ? "\n  {" : ",\n  {";
		first = false;
		bool started = false;
		auto key = [&](std::string_view name) {
			if (started)
				out += ", ";
			started = true;
			append_json_string(out, name);
			out += ": ";
		};
		auto string_field = [&](std::string_view name, std::string_view text) {
			key(name);
			append_json_string(out, text);
		};
		auto string_or_null = [&](std::string_view name, bool present, std::string_view text) {
			key(name);
			if (present)
				append_json_string(out, text);
			else
				out += "null";
		};
		auto number_or_null = [&](std::string_view name, bool present, std::int64_t n) {
			key(name);
			out += present ? std::to_string(n) : "null";
		};
		string_field("name", s.name);
		string_field("kind", to_string(s.kind));
		string_field("state", state_word(s));
		string_or_null("phase", s.running, s.phase);
		number_or_null("guard_pid", s.guard_pid > 0, s.guard_pid);
		number_or_null("show_pid", s.show_pid > 0, s.show_pid);
		const bool since = s.running && s.since_ms;
		string_or_null("since", since, since ? format_iso8601(s.since_ms) : "");
		number_or_null("uptime_seconds", since, uptime_of(s, now_ms) / 1000);
		string_or_null("host", !s.host.empty(), s.host);
		string_or_null("user", !s.user.empty(), s.user);
		string_or_null("command", !s.command.empty(), s.command);
		number_or_null("restarts", s.running, s.restarts);
		key("resources");
		out += '[';
		for (std::size_t i = 0; i < s.resources.size(); ++i) {
			if (i)
				out += ", ";
			append_json_string(out, s.resources[i]);
		}
		out += ']';
		string_or_null("held_by", !s.held_by.empty(), s.held_by);
		key("last_exit");
		if (!s.running && (s.last_exit || !s.last_exit_reason.empty())) {
			out += "{\"status\": ";
			out += s.last_exit ? std::to_string(*s.last_exit) : "null";
			out += ", \"reason\": ";
			append_json_string(out, s.last_exit_reason);
			out += ", \"at\": ";
			if (s.last_exit_ms)
				append_json_string(out, format_iso8601(s.last_exit_ms));
			else
				out += "null";
			out += '}';
		} else {
			out += "null";
		}
		out += '}';
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
	const Metric uptime{"showguard_show_uptime_seconds",
			    "How long the current holder has held the lock, on a clock that never jumps."};
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
	// The phase of a held lock as a label, the one line of each show set to 1
	// (starting, running, restarting, stopping, or waiting: holding the
	// show's lock while waiting for a resource or the etcd lock).
	out += "# HELP showguard_show_phase What the holder of the lock is doing.\n"
	       "# TYPE showguard_show_phase gauge\n";
	for (const auto &s : shows)
		if (s.known && s.running)
			out += std::string("showguard_show_phase{") + (s.kind == LockKind::resource ? "resource" : "show") +
			       "=\"" + prometheus_label(s.name) + "\",phase=\"" + prometheus_label(s.phase) + "\"} 1\n";
	metric(uptime, [&](const ShowStatus &s) {
		return s.running && s.uptime_ms ? std::optional<std::string>(seconds(*s.uptime_ms)) : std::nullopt;
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
	// With the etcd backend (global config), also the holders across controllers.
	std::optional<std::vector<EtcdLockEntry>> cluster;
	std::optional<Error> cluster_error;
	const GuardOptions global = cluster_options(cl);
	if (global.lock_backend == LockBackend::etcd) {
		try {
			cluster = list_etcd_locks(etcd_connection(global));
			if (!cl.names.empty())
				std::erase_if(*cluster, [&](const EtcdLockEntry &e) {
					return std::find(cl.names.begin(), cl.names.end(), e.show) == cl.names.end();
				});
		} catch (const Error &e) {
			cluster_error = e;
		}
	}
	std::string text;
	switch (cl.format) {
	case StatusFormat::table:
		text = format_status_table(shows, now);
		if (cluster)
			text += "\netcd cluster " + join_endpoints(global) + ":\n" + format_etcd_table(*cluster, now);
		break;
	case StatusFormat::json:
		text = format_status_json(shows, now);
		if (cluster)
			append_etcd_json(text, *cluster, now);
		break;
	case StatusFormat::prometheus:
		text = format_status_prometheus(shows);
		if (cluster)
			text += format_etcd_prometheus(*cluster);
		break;
	}
	std::fwrite(text.data(), 1, text.size(), stdout);
	if (cluster_error)
		throw *cluster_error;
	// Only a show the operator named can be missing. Listing everything, an
	// entry is unknown only because of a stray file that is no record (say,
	// garbage in NAME.state): the table shows it, and that is no failure.
	if (cl.names.empty())
		return 0;
	const bool unknown = std::any_of(shows.begin(), shows.end(), [](const ShowStatus &s) { return !s.known; });
	for (const auto &s : shows)
		if (!s.known)
			spdlog::error("show {} is unknown: it has never run with lock dir {}", s.name,
				      resolve_lock_dir(cl).string());
	return unknown ? 1 : 0;
}

} // namespace showguard
