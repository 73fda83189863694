// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/etcd_protocol.hpp"

#include <array>
#include <charconv>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace showguard {

using nlohmann::json;

namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The gateway writes int64 as a string; accept a number too.
std::int64_t int_field(const json &object, const char *name)
{
	const auto it = object.find(name);
	if (it == object.end())
		return 0;
	if (it->is_number_integer())
		return it->get<std::int64_t>();
	if (!it->is_string())
		return 0;
	const std::string &s = it->get_ref<const std::string &>();
	std::int64_t value = 0;
	std::from_chars(s.data(), s.data() + s.size(), value);
	return value;
}

std::optional<json> parse(std::string_view body)
{
	json doc = json::parse(body, nullptr, false);
	if (doc.is_discarded() || !doc.is_object())
		return std::nullopt;
	return doc;
}

// An answer to a KV request: it always has a header.
std::optional<json> parse_kv_answer(std::string_view body)
{
	auto doc = parse(body);
	if (!doc || !doc->contains("header"))
		return std::nullopt;
	return doc;
}

std::string decoded(const json &object, const char *name)
{
	const auto it = object.find(name);
	if (it == object.end() || !it->is_string())
		return {};
	return base64_decode(it->get_ref<const std::string &>()).value_or("");
}

KeyValue key_value(const json &kv)
{
	return {decoded(kv, "key"), decoded(kv, "value"), int_field(kv, "create_revision"),
		int_field(kv, "mod_revision"), int_field(kv, "lease")};
}

std::int64_t header_revision(const json &doc)
{
	const auto it = doc.find("header");
	return it != doc.end() && it->is_object() ? int_field(*it, "revision") : 0;
}

} // namespace

std::string base64_encode(std::string_view bytes)
{
	std::string out;
	out.reserve((bytes.size() + 2) / 3 * 4);
	for (std::size_t i = 0; i < bytes.size(); i += 3) {
		const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
		std::uint32_t chunk = 0;
		for (std::size_t j = 0; j < 3; ++j)
			chunk = (chunk << 8) | (j < n ? static_cast<unsigned char>(bytes[i + j]) : 0u);
		for (std::size_t j = 0; j < 4; ++j)
			out += j <= n ? alphabet[(chunk >> (18 - 6 * j)) & 63] : '=';
	}
	return out;
}

std::optional<std::string> base64_decode(std::string_view text)
{
	if (text.size() % 4 != 0)
		return std::nullopt;
	std::string out;
	out.reserve(text.size() / 4 * 3);
	for (std::size_t i = 0; i < text.size(); i += 4) {
		std::uint32_t chunk = 0;
		int padding = 0;
		for (std::size_t j = 0; j < 4; ++j) {
			const char c = text[i + j];
			std::uint32_t bits = 0;
			if (c == '=' && i + 4 == text.size() && j >= 2) {
				++padding;
			} else if (const auto pos = alphabet.find(c); pos != std::string_view::npos && padding == 0) {
				bits = static_cast<std::uint32_t>(pos);
			} else {
				return std::nullopt;
			}
			chunk = (chunk << 6) | bits;
		}
		for (int j = 0; j < 3 - padding; ++j)
			out += static_cast<char>((chunk >> (16 - 8 * j)) & 0xff);
	}
	return out;
}

std::string prefix_range_end(std::string_view prefix)
{
	std::string end(prefix);
	while (!end.empty()) {
		if (static_cast<unsigned char>(end.back()) < 0xff) {
			end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
			return end;
		}
		end.pop_back();
	}
	return std::string(1, '\0'); // every key
}

std::string lock_prefix(std::string_view show)
{
	return std::string(lock_root) + std::string(show) + "/";
}

std::string lock_key(std::string_view show, std::int64_t lease)
{
	char hex[17];
	std::snprintf(hex, sizeof(hex), "%llx", static_cast<unsigned long long>(lease));
	return lock_prefix(show) + hex;
}

std::string show_of_key(std::string_view key)
{
	if (key.substr(0, lock_root.size()) != lock_root)
		return {};
	key.remove_prefix(lock_root.size());
	const auto slash = key.find('/');
	return slash == std::string_view::npos || slash == 0 ? std::string() : std::string(key.substr(0, slash));
}

std::string format_holder(const HolderRecord &record)
{
	return json{{"show", record.show},
		    {"host", record.host},
		    {"guard_pid", record.guard_pid},
		    {"show_pid", record.show_pid},
		    {"since_ms", record.since_ms}}
		.dump();
}

std::optional<HolderRecord> parse_holder(std::string_view value)
{
	const auto doc = parse(value);
	if (!doc)
		return std::nullopt;
	HolderRecord record;
	const auto show = doc->find("show");
	const auto host = doc->find("host");
	if (show == doc->end() || !show->is_string() || host == doc->end() || !host->is_string())
		return std::nullopt;
	record.show = show->get<std::string>().substr(0, 256);
	record.host = host->get<std::string>().substr(0, 256);
	// Anyone who may write the prefix writes these: bound them to pids.
	auto pid = [&](const char *name) {
		const std::int64_t n = int_field(*doc, name);
		return n > 0 && n <= 0x3fffffff ? static_cast<pid_t>(n) : pid_t{0};
	};
	record.guard_pid = pid("guard_pid");
	record.show_pid = pid("show_pid");
	record.since_ms = int_field(*doc, "since_ms");
	return record;
}

std::string grant_request(std::int64_t ttl_seconds)
{
	return json{{"TTL", std::to_string(ttl_seconds)}}.dump();
}

std::string lease_request(std::int64_t lease)
{
	return json{{"ID", std::to_string(lease)}}.dump();
}

std::string create_key_request(const std::string &key, const std::string &value, std::int64_t lease)
{
	const std::string k = base64_encode(key);
	return json{{"compare", {{{"target", "CREATE"}, {"key", k}, {"result", "EQUAL"}, {"create_revision", "0"}}}},
		    {"success",
		     {{{"request_put", {{"key", k}, {"value", base64_encode(value)}, {"lease", std::to_string(lease)}}}}}},
		    {"failure", {{{"request_range", {{"key", k}}}}}}}
		.dump();
}

std::string update_key_request(const std::string &key, std::int64_t create_revision, const std::string &value,
			       std::int64_t lease)
{
	const std::string k = base64_encode(key);
	return json{{"compare",
		     {{{"target", "CREATE"},
		       {"key", k},
		       {"result", "EQUAL"},
		       {"create_revision", std::to_string(create_revision)}}}},
		    {"success",
		     {{{"request_put", {{"key", k}, {"value", base64_encode(value)}, {"lease", std::to_string(lease)}}}}}}}
		.dump();
}

std::string range_request(const std::string &prefix, std::optional<std::int64_t> below, std::int64_t limit)
{
	json request{{"key", base64_encode(prefix)},
		     {"range_end", base64_encode(prefix_range_end(prefix))},
		     {"sort_target", "CREATE"},
		     {"sort_order", below ? "DESCEND" : "ASCEND"}};
	if (below) {
		request["max_create_revision"] = std::to_string(*below - 1);
		limit = 1;
	}
	if (limit > 0)
		request["limit"] = std::to_string(limit);
	return request.dump();
}

std::string watch_request(const std::string &key, std::int64_t from_revision)
{
	return json{{"create_request",
		     {{"key", base64_encode(key)}, {"start_revision", std::to_string(from_revision)}, {"filters", {"NOPUT"}}}}}
		.dump();
}

std::string authenticate_request(const std::string &user, const std::string &password)
{
	return json{{"name", user}, {"password", password}}.dump();
}

std::optional<Grant> parse_grant(std::string_view body)
{
	const auto doc = parse(body);
	if (!doc || !doc->contains("ID"))
		return std::nullopt;
	Grant grant{int_field(*doc, "ID"), int_field(*doc, "TTL")};
	if (grant.lease == 0 || grant.ttl <= 0)
		return std::nullopt;
	return grant;
}

std::optional<std::int64_t> parse_keepalive(std::string_view body)
{
	const auto doc = parse(body);
	if (!doc)
		return std::nullopt;
	const auto result = doc->find("result");
	if (result == doc->end() || !result->is_object())
		return std::nullopt;
	return int_field(*result, "TTL"); // left out (0) when the lease is gone
}

std::optional<CreatedKey> parse_create_key(std::string_view body)
{
	const auto doc = parse_kv_answer(body);
	if (!doc)
		return std::nullopt;
	CreatedKey out;
	out.revision = header_revision(*doc);
	out.created = doc->value("succeeded", false);
	if (out.created) {
		out.create_revision = out.revision;
		return out;
	}
	// Not created: the failure branch's range says what is there.
	const auto responses = doc->find("responses");
	if (responses == doc->end() || !responses->is_array() || responses->empty())
		return std::nullopt;
	const json &range = (*responses)[0].value("response_range", json::object());
	const auto kvs = range.find("kvs");
	if (kvs == range.end() || !kvs->is_array() || kvs->empty())
		return std::nullopt;
	out.create_revision = int_field((*kvs)[0], "create_revision");
	return out;
}

std::optional<Range> parse_range(std::string_view body)
{
	const auto doc = parse_kv_answer(body);
	if (!doc)
		return std::nullopt;
	Range range;
	range.revision = header_revision(*doc);
	if (const auto kvs = doc->find("kvs"); kvs != doc->end() && kvs->is_array())
		for (const auto &kv : *kvs)
			range.kvs.push_back(key_value(kv));
	return range;
}

std::optional<bool> parse_txn_succeeded(std::string_view body)
{
	const auto doc = parse_kv_answer(body);
	if (!doc)
		return std::nullopt;
	return doc->value("succeeded", false);
}

std::optional<std::string> parse_token(std::string_view body)
{
	const auto doc = parse(body);
	if (!doc)
		return std::nullopt;
	const auto token = doc->find("token");
	if (token == doc->end() || !token->is_string() || token->get_ref<const std::string &>().empty())
		return std::nullopt;
	return token->get<std::string>();
}

std::optional<WatchMessage> parse_watch_message(std::string_view line)
{
	const auto doc = parse(line);
	if (!doc)
		return std::nullopt;
	const auto result = doc->find("result");
	if (result == doc->end() || !result->is_object())
		return std::nullopt;
	WatchMessage message;
	message.created = result->value("created", false);
	message.canceled = result->value("canceled", false);
	message.cancel_reason = result->value("cancel_reason", "");
	if (const auto events = result->find("events"); events != result->end() && events->is_array())
		for (const auto &event : *events)
			if (event.value("type", "") == "DELETE")
				message.deleted = true;
	return message;
}

std::string error_message(std::string_view body)
{
	if (const auto doc = parse(body)) {
		for (const char *field : {"message", "error"})
			if (const auto it = doc->find(field); it != doc->end() && it->is_string())
				return it->get<std::string>().substr(0, 300);
		if (const auto it = doc->find("error"); it != doc->end() && it->is_object())
			return it->value("message", std::string("error")).substr(0, 300);
	}
	std::string text(body.substr(0, 300));
	while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
		text.pop_back();
	return text.empty() ? "empty answer" : text;
}

} // namespace showguard
