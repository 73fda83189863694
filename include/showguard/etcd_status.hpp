// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "showguard/etcd_lock.hpp"

namespace showguard {

// `showguard status` with the etcd backend: who holds each show's lock in
// the cluster, on whichever controller, and how many wait behind it.
[[nodiscard]] std::string format_etcd_table(const std::vector<EtcdLockEntry> &entries, std::int64_t now_ms);
// The same as the "etcd" member of status's JSON: appended to its object.
void append_etcd_json(std::string &status_json, const std::vector<EtcdLockEntry> &entries, std::int64_t now_ms);

// The same as Prometheus metrics, named like the local ones:
// showguard_etcd_show_holder{show,host} 1, showguard_etcd_show_fencing_token,
// showguard_etcd_show_waiting and showguard_etcd_show_since_seconds (label show).
[[nodiscard]] std::string format_etcd_prometheus(const std::vector<EtcdLockEntry> &entries);

} // namespace showguard
