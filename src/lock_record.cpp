// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/lock_record.hpp"

#include <cerrno>
#include <climits>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <ctime>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "showguard/error.hpp"
#include "showguard/show_name.hpp"

// Records, uptimes and deadlines must stay right past 2038 on a 32-bit Pi:
// src/CMakeLists.txt builds with _TIME_BITS=64 (glibc 2.34 and later).
static_assert(sizeof(std::time_t) == 8, "a 32-bit time_t: build with -D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64");

namespace showguard {

namespace {

constexpr std::size_t max_record_size = 64 * 1024;

std::string escape(std::string_view value)
{
	std::string out;
	out.reserve(value.size());
	for (char c : value) {
		if (c == '\\')
			out += "\\\\";
		else if (c == '\n')
			out += "\\n";
		else
			out += c;
	}
	return out;
}

std::string unescape(std::string_view value)
{
	std::string out;
	out.reserve(value.size());
	for (std::size_t i = 0; i < value.size(); ++i) {
		if (value[i] == '\\' && i + 1 < value.size()) {
			++i;
			out += value[i] == 'n' ? '\n' : value[i];
		} else {
			out += value[i];
		}
	}
	return out;
}

template <typename T>
bool parse_number(std::string_view text, T &out)
{
	auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
	return ec == std::errc{} && p == text.data() + text.size();
}

std::vector<std::string> split_names(std::string_view text)
{
	std::vector<std::string> names;
	while (!text.empty()) {
		const auto comma = text.find(',');
		const std::string_view name = text.substr(0, comma);
		if (is_valid_name(name))
			names.emplace_back(name);
		if (comma == std::string_view::npos)
			break;
		text.remove_prefix(comma + 1);
	}
	return names;
}

} // namespace

std::string format_record(const LockRecord &r)
{
	std::string out;
	auto line = [&out](std::string_view key, std::string_view value) {
		out.append(key).append("=").append(escape(value)).append("\n");
	};
	line("name", r.name);
	line("kind", to_string(r.kind));
	line("state", r.state);
	line("guard_pid", std::to_string(r.guard_pid));
	line("show_pid", std::to_string(r.show_pid));
	line("since_ms", std::to_string(r.since_ms));
	line("since_boot_ms", std::to_string(r.since_boot_ms));
	line("host", r.host);
	line("user", r.user);
	line("command", r.command);
	line("restarts", std::to_string(r.restarts));
	line("kill_timeout_ms", std::to_string(r.kill_timeout_ms));
	std::string resources;
	for (const auto &res : r.resources)
		resources += (resources.empty() ? "" : ",") + res;
	line("resources", resources);
	line("held_by", r.held_by);
	if (r.last_exit) {
		line("last_exit", std::to_string(*r.last_exit));
		line("last_exit_reason", r.last_exit_reason);
		line("last_exit_ms", std::to_string(r.last_exit_ms));
	}
	return out;
}

std::optional<LockRecord> parse_record(std::string_view text)
{
	if (text.size() > max_record_size)
		return std::nullopt;
	LockRecord r;
	bool named = false;
	while (!text.empty()) {
		const auto eol = text.find('\n');
		const std::string_view line = text.substr(0, eol);
		text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
		const auto eq = line.find('=');
		if (eq == std::string_view::npos)
			continue;
		const std::string_view key = line.substr(0, eq);
		const std::string_view raw = line.substr(eq + 1);
		bool ok = true;
		if (key == "name") {
			r.name = unescape(raw);
			named = is_valid_name(r.name);
			ok = named;
		} else if (key == "kind") {
			r.kind = raw == "resource" ? LockKind::resource : LockKind::show;
		} else if (key == "state") {
			r.state = unescape(raw);
		} else if (key == "guard_pid") {
			ok = parse_number(raw, r.guard_pid) && r.guard_pid >= 0;
		} else if (key == "show_pid") {
			ok = parse_number(raw, r.show_pid) && r.show_pid >= 0;
		} else if (key == "since_ms") {
			ok = parse_number(raw, r.since_ms);
		} else if (key == "since_boot_ms") {
			ok = parse_number(raw, r.since_boot_ms) && r.since_boot_ms >= 0;
		} else if (key == "host") {
			r.host = unescape(raw);
		} else if (key == "user") {
			r.user = unescape(raw);
		} else if (key == "command") {
			r.command = unescape(raw);
		} else if (key == "restarts") {
			ok = parse_number(raw, r.restarts);
		} else if (key == "kill_timeout_ms") {
			ok = parse_number(raw, r.kill_timeout_ms) && r.kill_timeout_ms >= 0;
		} else if (key == "resources") {
			r.resources = split_names(raw);
		} else if (key == "held_by") {
			r.held_by = unescape(raw);
		} else if (key == "last_exit") {
			int status = 0;
			ok = parse_number(raw, status);
			if (ok)
				r.last_exit = status;
		} else if (key == "last_exit_reason") {
			r.last_exit_reason = unescape(raw);
		} else if (key == "last_exit_ms") {
			ok = parse_number(raw, r.last_exit_ms);
		}
		if (!ok)
			return std::nullopt;
	}
	if (!named)
		return std::nullopt;
	return r;
}

void write_record(const LockDir &dir, const LockRecord &record)
{
	const std::string final_name = record_file_name(record.name);
	// Hidden, so it can never collide with a record: names cannot start
	// with '.'. Only the lock holder writes, so one temporary name is enough.
	const std::string temp_name = "." + final_name + ".tmp";
	const std::string text = format_record(record);
	auto fail = [&](const std::string &what) {
		throw SystemError(ExitCode::os_error, errno, what + " " + (dir.path() / final_name).string());
	};

	// A temporary file left by a guard that died mid-write is stale.
	if (::unlinkat(dir.fd(), temp_name.c_str(), 0) < 0 && errno != ENOENT)
		fail("cannot replace status record");
	UniqueFd fd(::openat(dir.fd(), temp_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			     0644));
	if (!fd)
		fail("cannot write status record");
	// Honour 0644 whatever the umask: the record is for every user to read.
	(void)::fchmod(fd.get(), 0644);
	std::string_view rest = text;
	while (!rest.empty()) {
		const ssize_t n = ::write(fd.get(), rest.data(), rest.size());
		if (n < 0) {
			if (errno == EINTR)
				continue;
			const int err = errno;
			(void)::unlinkat(dir.fd(), temp_name.c_str(), 0);
			errno = err;
			fail("cannot write status record");
		}
		rest.remove_prefix(static_cast<std::size_t>(n));
	}
	// No fsync: the records live on tmpfs and describe this boot only.
	fd.reset();
	if (::renameat(dir.fd(), temp_name.c_str(), dir.fd(), final_name.c_str()) < 0) {
		const int err = errno;
		(void)::unlinkat(dir.fd(), temp_name.c_str(), 0);
		errno = err;
		fail("cannot replace status record");
	}
}

std::optional<LockRecord> read_record(const LockDir &dir, const std::string &name)
{
	const std::string file = record_file_name(name);
	UniqueFd fd(::openat(dir.fd(), file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
	if (!fd)
		return std::nullopt;
	struct stat st;
	if (::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode))
		return std::nullopt;
	// A record is replaced by rename(), never rewritten in place, so the open
	// file's size is all there is: read exactly that (a buffer of the largest
	// allowed record, zeroed for every record, was most of the time `status`
	// took over many shows).
	if (st.st_size <= 0 || static_cast<std::uint64_t>(st.st_size) > max_record_size)
		return std::nullopt;
	std::string text(static_cast<std::size_t>(st.st_size), '\0');
	std::size_t size = 0;
	while (size < text.size()) {
		const ssize_t n = ::read(fd.get(), text.data() + size, text.size() - size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size += static_cast<std::size_t>(n);
	}
	text.resize(size);
	auto record = parse_record(text);
	if (record && record->name != name)
		return std::nullopt;
	return record;
}

std::string host_name()
{
	char name[HOST_NAME_MAX + 1] = {};
	if (::gethostname(name, sizeof(name) - 1) < 0)
		return {};
	return name;
}

std::string format_iso8601(std::int64_t epoch_ms)
{
	const std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
	std::tm tm{};
	::localtime_r(&seconds, &tm);
	char buf[64];
	std::size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", &tm);
	std::string out(buf, n);
	// strftime gives "+0100"; ISO 8601 extended format wants "+01:00".
	if (out.size() >= 5)
		out.insert(out.size() - 2, ":");
	return out;
}

std::int64_t now_epoch_ms()
{
	// clock_gettime() compiled here, not system_clock::now(): the static 32-bit
	// build links Debian 12's armel libstdc++.a, built with a 32-bit time_t,
	// whose now() fails after 2038 while this code has a 64-bit one.
	struct timespec now{};
	::clock_gettime(CLOCK_REALTIME, &now);
	return static_cast<std::int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

std::int64_t now_boot_ms()
{
	timespec ts{};
	(void)::clock_gettime(CLOCK_BOOTTIME, &ts);
	return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

} // namespace showguard
