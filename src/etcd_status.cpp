// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/etcd_status.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>

#include <nlohmann/json.hpp>

#include "showguard/lock_record.hpp"
#include "showguard/show_status.hpp"

namespace showguard {

namespace {

// The holder's since is its own wall clock; now is this controller's. The
// difference is off by the skew between the two clocks (NTP keeps it to
// milliseconds; a controller without a synchronised clock can be hours
// off), so it is only a description, never negative. No decision of the
// lock depends on it: the fence runs on each guard's monotonic clock.
std::int64_t uptime_across(std::int64_t now_ms, std::int64_t since_ms)
{
	return std::max<std::int64_t>(now_ms - since_ms, 0);
}

} // namespace

std::string format_etcd_table(const std::vector<EtcdLockEntry> &entries, std::int64_t now_ms)
{
	std::vector<std::vector<std::string>> rows = {
		{"NAME", "STATE", "HOST", "GUARD", "PID", "SINCE", "UPTIME", "WAITING", "FENCING TOKEN"}};
	for (const auto &e : entries) {
		const HolderRecord h = e.holder.value_or(HolderRecord{});
		auto number = [](std::int64_t n) { return n > 0 ? std::to_string(n) : std::string("-"); };
		rows.push_back({e.show, "running", h.host.empty() ? "-" : h.host, number(h.guard_pid), number(h.show_pid),
				h.since_ms ? format_iso8601(h.since_ms) : "-",
				h.since_ms ? format_uptime(uptime_across(now_ms, h.since_ms)) : "-", std::to_string(e.waiting),
				std::to_string(e.revision)});
	}
	return align_columns(rows);
}

std::string format_etcd_prometheus(const std::vector<EtcdLockEntry> &entries)
{
	std::string out;
	auto metric = [&](const char *name, const char *help, auto &&line_of) {
		out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n";
		for (const auto &e : entries)
			if (const std::optional<std::string> line = line_of(e))
				out += std::string(name) + *line + "\n";
	};
	auto show = [](const EtcdLockEntry &e) { return "{show=\"" + prometheus_label(e.show) + "\"}"; };
	metric("showguard_etcd_show_holder", "The controller whose guard holds the show's etcd lock (label host).",
	       [](const EtcdLockEntry &e) {
		       return std::optional<std::string>("{show=\"" + prometheus_label(e.show) + "\",host=\"" +
							 prometheus_label(e.holder ? e.holder->host : std::string()) + "\"} 1");
	       });
	metric("showguard_etcd_show_fencing_token", "The etcd lock's create revision, handed to the show; grows with every holder.",
	       [&](const EtcdLockEntry &e) { return std::optional<std::string>(show(e) + " " + std::to_string(e.revision)); });
	metric("showguard_etcd_show_waiting", "Guards queued behind the holder of the show's etcd lock.",
	       [&](const EtcdLockEntry &e) { return std::optional<std::string>(show(e) + " " + std::to_string(e.waiting)); });
	metric("showguard_etcd_show_since_seconds", "When the holder joined the etcd lock, Unix time on its own clock.",
	       [&](const EtcdLockEntry &e) -> std::optional<std::string> {
		       if (!e.holder || !e.holder->since_ms)
			       return std::nullopt;
		       char buf[32];
		       std::snprintf(buf, sizeof(buf), "%lld.%03lld", static_cast<long long>(e.holder->since_ms / 1000),
				     static_cast<long long>(e.holder->since_ms % 1000));
		       return show(e) + " " + buf;
	       });
	return out;
}

void append_etcd_json(std::string &status_json, const std::vector<EtcdLockEntry> &entries, std::int64_t now_ms)
{
	nlohmann::json list = nlohmann::json::array();
	for (const auto &e : entries) {
		nlohmann::json entry{{"name", e.show}, {"key", e.key}, {"fencing_token", e.revision},
				     {"waiting", e.waiting}};
		if (e.holder) {
			entry["host"] = e.holder->host;
			entry["guard_pid"] = e.holder->guard_pid;
			entry["show_pid"] = e.holder->show_pid > 0 ? nlohmann::json(e.holder->show_pid) : nullptr;
			entry["since"] = format_iso8601(e.holder->since_ms);
			entry["uptime_seconds"] = uptime_across(now_ms, e.holder->since_ms) / 1000;
		}
		list.push_back(std::move(entry));
	}
	// {"shows": [...]}\n  ->  {"shows": [...], "etcd": [...]}\n
	const auto close = status_json.rfind('}');
	if (close == std::string::npos)
		return;
	status_json.erase(close);
	status_json += ", \"etcd\": " + list.dump() + "}\n";
}

} // namespace showguard
