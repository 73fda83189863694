// SPDX-License-Identifier: GPL-2.0-or-later
// parse_record reads DIR/NAME.state, which any process of the holder's user
// can scribble on: it must never crash, and a record it accepts must survive
// format_record and parse_record unchanged (what status shows is what the
// guard wrote).
#include <cstddef>
#include <cstdint>

#include "fuzz_check.hpp"
#include "showguard/lock_record.hpp"
#include "showguard/show_name.hpp"

using namespace showguard;

namespace {

bool same(const LockRecord &a, const LockRecord &b)
{
	return a.name == b.name && a.kind == b.kind && a.state == b.state && a.guard_pid == b.guard_pid &&
	       a.show_pid == b.show_pid && a.since_ms == b.since_ms && a.host == b.host && a.user == b.user &&
	       a.command == b.command && a.restarts == b.restarts && a.kill_timeout_ms == b.kill_timeout_ms &&
	       a.resources == b.resources && a.held_by == b.held_by && a.last_exit == b.last_exit &&
	       (!a.last_exit || (a.last_exit_reason == b.last_exit_reason && a.last_exit_ms == b.last_exit_ms));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	const std::string_view text(reinterpret_cast<const char *>(data), size);
	const auto record = parse_record(text);
	if (!record)
		return 0;
	fuzz::check(is_valid_name(record->name), "accepted the invalid name '" + printable(record->name) + "'");
	fuzz::check(record->guard_pid >= 0 && record->show_pid >= 0, "accepted a negative pid");
	for (const auto &r : record->resources)
		fuzz::check(is_valid_name(r), "accepted the invalid resource name '" + printable(r) + "'");
	const std::string formatted = format_record(*record);
	const auto again = parse_record(formatted);
	fuzz::check(again.has_value(), "its own output is not a record:\n" + formatted);
	fuzz::check(same(*record, *again), "changed on a round trip:\n" + formatted);
	(void)format_iso8601(record->since_ms);
	return 0;
}
