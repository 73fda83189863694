// SPDX-License-Identifier: GPL-2.0-or-later
// What etcd's gateway answers, and what anyone who may write the lock prefix
// stores as a holder record, comes over the network: every parser must take
// any bytes without crashing or throwing, base64 must round-trip what it
// accepts, and an accepted holder record must survive format and parse.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "showguard/etcd_protocol.hpp"

using namespace showguard;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	const std::string_view text(reinterpret_cast<const char *>(data), size);

	(void)parse_grant(text);
	(void)parse_keepalive(text);
	(void)parse_create_key(text);
	(void)parse_txn_succeeded(text);
	(void)parse_token(text);
	(void)parse_watch_message(text);
	(void)error_message(text);
	(void)show_of_key(text);
	if (const auto range = parse_range(text))
		for (const auto &kv : range->kvs)
			(void)parse_holder(kv.value);

	if (const auto bytes = base64_decode(text))
		fuzz::check(base64_decode(base64_encode(*bytes)) == bytes, "base64 does not round-trip");
	fuzz::check(base64_decode(base64_encode(text)) == std::string(text), "base64 of raw bytes does not round-trip");

	if (const auto holder = parse_holder(text)) {
		fuzz::check(holder->guard_pid >= 0 && holder->show_pid >= 0, "accepted a negative pid");
		const auto again = parse_holder(format_holder(*holder));
		fuzz::check(again && again->show == holder->show && again->host == holder->host &&
				    again->guard_pid == holder->guard_pid && again->show_pid == holder->show_pid &&
				    again->since_ms == holder->since_ms,
			    "a holder record does not survive format and parse");
	}
	return 0;
}
