// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace showguard {

// The pure part of talking to etcd's v3 JSON gateway (the grpc-gateway in
// front of etcd's gRPC API, served on the client port since etcd 3.4 as
// /v3/...): request bodies, response parsing, the lock's key layout and the
// holder record stored as the key's value. No I/O here, so all of it is unit
// tested. In the gateway's JSON, keys and values are base64 and 64-bit
// numbers are strings; fields with a zero value are left out.

[[nodiscard]] std::string base64_encode(std::string_view bytes);
// Nothing for text that is not base64.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

// The end of the key range holding every key that starts with prefix
// (prefix with its last byte incremented), as etcd's clientv3.GetPrefixRangeEnd.
[[nodiscard]] std::string prefix_range_end(std::string_view prefix);

// Where a show's lock lives: "/showguard/locks/NAME/", and below it one key
// per contender named by its lease in hex, as etcd's concurrency.Mutex does.
inline constexpr std::string_view lock_root = "/showguard/locks/";
[[nodiscard]] std::string lock_prefix(std::string_view show);
[[nodiscard]] std::string lock_key(std::string_view show, std::int64_t lease);
// The show a key under lock_root belongs to; empty if it is not a lock key.
[[nodiscard]] std::string show_of_key(std::string_view key);

// What a holder (or a waiting guard) says about itself in its key's value.
struct HolderRecord {
	std::string show;
	std::string host;
	pid_t guard_pid = 0;
	pid_t show_pid = 0;        // 0 until the show is started
	std::int64_t since_ms = 0; // when the guard joined the lock, Unix epoch ms
};
[[nodiscard]] std::string format_holder(const HolderRecord &record);
// Nothing if value is not a holder record.
[[nodiscard]] std::optional<HolderRecord> parse_holder(std::string_view value);

// One key-value pair of a range or watch response, key and value decoded.
struct KeyValue {
	std::string key;
	std::string value;
	std::int64_t create_revision = 0;
	std::int64_t mod_revision = 0;
	std::int64_t lease = 0;
};

// Request bodies.
[[nodiscard]] std::string grant_request(std::int64_t ttl_seconds);
[[nodiscard]] std::string lease_request(std::int64_t lease); // keepalive, revoke
// Creates key bound to lease if it does not exist yet; either way returns the
// key as it is then (etcd's Mutex: put if create_revision == 0, else get).
[[nodiscard]] std::string create_key_request(const std::string &key, const std::string &value, std::int64_t lease);
// Replaces key's value, only while it is still the key created at revision.
[[nodiscard]] std::string update_key_request(const std::string &key, std::int64_t create_revision,
					     const std::string &value, std::int64_t lease);
// Keys under prefix: all of them oldest first, or (below set) only the one
// created last before below: a waiter's predecessor.
[[nodiscard]] std::string range_request(const std::string &prefix, std::optional<std::int64_t> below = {},
					std::int64_t limit = 0);
// Watches key from revision on for its deletion.
[[nodiscard]] std::string watch_request(const std::string &key, std::int64_t from_revision);
[[nodiscard]] std::string authenticate_request(const std::string &user, const std::string &password);

// Parsed responses. Each returns nothing for a body it cannot make sense of.
struct Grant {
	std::int64_t lease = 0;
	std::int64_t ttl = 0;
};
[[nodiscard]] std::optional<Grant> parse_grant(std::string_view body);
// The lease's remaining TTL in seconds; 0 when etcd no longer knows the lease.
[[nodiscard]] std::optional<std::int64_t> parse_keepalive(std::string_view body);
struct CreatedKey {
	bool created = false;           // false: it existed already
	std::int64_t create_revision = 0;
	std::int64_t revision = 0;      // the store's revision after the request
};
[[nodiscard]] std::optional<CreatedKey> parse_create_key(std::string_view body);
struct Range {
	std::int64_t revision = 0;
	std::vector<KeyValue> kvs;
};
[[nodiscard]] std::optional<Range> parse_range(std::string_view body);
// For update_key_request: true if the key was still ours and got the value.
[[nodiscard]] std::optional<bool> parse_txn_succeeded(std::string_view body);
[[nodiscard]] std::optional<std::string> parse_token(std::string_view body);

// One message of a watch stream.
struct WatchMessage {
	bool created = false;  // the watch is set up
	bool canceled = false; // etcd ended it (compaction, lost leader)
	bool deleted = false;  // a DELETE event came
	std::string cancel_reason;
};
[[nodiscard]] std::optional<WatchMessage> parse_watch_message(std::string_view line);

// etcd's own words from an error body ({"error": ..., "code": N}), or the
// body itself, bounded.
[[nodiscard]] std::string error_message(std::string_view body);

} // namespace showguard
