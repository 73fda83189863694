// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/etcd_status.hpp"

#include <algorithm>

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
