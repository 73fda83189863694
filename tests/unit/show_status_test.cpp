// SPDX-License-Identifier: GPL-2.0-or-later
// `status --json`: the exact text, so that formatting it faster (in place,
// without temporaries) cannot change what scripts parse.
#include <algorithm>
#include <cstdlib>
#include <ctime>

#include <gtest/gtest.h>

#include "showguard/show_status.hpp"

using namespace showguard;

namespace {

class StatusJson : public ::testing::Test {
protected:
	void SetUp() override
	{
		::setenv("TZ", "UTC", 1);
		::tzset();
	}
};

} // namespace

TEST_F(StatusJson, NoShows)
{
	EXPECT_EQ(format_status_json({}, 0), "{\"shows\": []}\n");
}

TEST_F(StatusJson, RunningShowWithEveryFieldAndEscapes)
{
	ShowStatus s;
	s.name = "starcourt";
	s.known = true;
	s.running = true;
	s.phase = "restarting";
	s.guard_pid = 812;
	s.show_pid = 815;
	s.since_ms = 1000;
	s.host = "pi";
	s.user = "show";
	s.command = "/opt/run --title=\"Star\\Court\"\n\t\x01 end";
	s.restarts = 2;
	s.resources = {"audio", "dmx1"};
	EXPECT_EQ(format_status_json({s}, 61'500),
		  R"j({"shows": [
  {"name": "starcourt", "kind": "show", "state": "running", "phase": "restarting", "guard_pid": 812, )j"
		  R"j("show_pid": 815, "since": "1970-01-01T00:00:01+00:00", "uptime_seconds": 60, "host": "pi", )j"
		  R"j("user": "show", "command": "/opt/run --title=\"Star\\Court\"\n\t\u0001 end", "restarts": 2, )j"
		  R"j("resources": ["audio", "dmx1"], "held_by": null, "last_exit": null}
]}
)j");
}

TEST_F(StatusJson, FreeShowsAndAResource)
{
	ShowStatus ended;
	ended.name = "old";
	ended.known = true;
	ended.last_exit = 3;
	ended.last_exit_reason = "exited with status 3";
	ended.last_exit_ms = 2000;

	ShowStatus crashed;
	crashed.name = "gone";
	crashed.known = true;
	crashed.last_exit_reason = "guard ended without recording how (killed?)";

	ShowStatus resource;
	resource.name = "dmx1";
	resource.kind = LockKind::resource;
	resource.known = true;
	resource.running = true;
	resource.phase = "running";
	resource.guard_pid = 9;
	resource.held_by = "starcourt";

	ShowStatus unknown;
	unknown.name = "never";

	EXPECT_EQ(format_status_json({ended, crashed, resource, unknown}, 5000),
		  R"j({"shows": [
  {"name": "old", "kind": "show", "state": "free", "phase": null, "guard_pid": null, "show_pid": null, )j"
		  R"j("since": null, "uptime_seconds": null, "host": null, "user": null, "command": null, "restarts": null, )j"
		  R"j("resources": [], "held_by": null, "last_exit": {"status": 3, "reason": "exited with status 3", )j"
		  R"j("at": "1970-01-01T00:00:02+00:00"}},
  {"name": "gone", "kind": "show", "state": "free", "phase": null, "guard_pid": null, "show_pid": null, )j"
		  R"j("since": null, "uptime_seconds": null, "host": null, "user": null, "command": null, "restarts": null, )j"
		  R"j("resources": [], "held_by": null, "last_exit": {"status": null, )j"
		  R"j("reason": "guard ended without recording how (killed?)", "at": null}},
  {"name": "dmx1", "kind": "resource", "state": "running", "phase": "running", "guard_pid": 9, )j"
		  R"j("show_pid": null, "since": null, "uptime_seconds": null, "host": null, "user": null, "command": null, )j"
		  R"j("restarts": 0, "resources": [], "held_by": "starcourt", "last_exit": null},
  {"name": "never", "kind": "show", "state": "unknown", "phase": null, "guard_pid": null, "show_pid": null, )j"
		  R"j("since": null, "uptime_seconds": null, "host": null, "user": null, "command": null, "restarts": null, )j"
		  R"j("resources": [], "held_by": null, "last_exit": null}
]}
)j");
}

TEST_F(StatusJson, TheTableEscapesEveryField)
{
	// A record is written by whoever held the lock: its command line, user
	// and host must not forge a row or reach the operator's terminal raw.
	ShowStatus s;
	s.name = "starcourt";
	s.known = true;
	s.running = true;
	s.phase = "running";
	s.guard_pid = 812;
	s.since_ms = 1000;
	s.command = "run\nfake      running  1  -  -  -  0  -  evil\r\x1b[31m\x1b[2K";
	s.user = "show\x1b]0;title\x07";
	ShowStatus r;
	r.name = "dmx1";
	r.kind = LockKind::resource;
	r.known = true;
	r.running = true;
	r.phase = "waiting\n";
	r.held_by = "x\ny";
	const std::string table = format_status_table({s, r}, 61'000);
	EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 3) << table;
	for (const char ch : table)
		EXPECT_TRUE(ch == '\n' || (static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f)) << static_cast<int>(ch);
	EXPECT_NE(table.find("run\\nfake"), std::string::npos) << table;
	EXPECT_NE(table.find("evil\\r\\x1b[31m\\x1b[2K"), std::string::npos) << table;
	EXPECT_NE(table.find("(show x\\ny)"), std::string::npos) << table;
}

TEST_F(StatusJson, UptimeIsMeasuredOnTheClockThatNeverJumps)
{
	// since is wall time (here: stepped far behind); the uptime measured on
	// CLOCK_BOOTTIME at collection wins over now - since.
	ShowStatus s;
	s.name = "starcourt";
	s.known = true;
	s.running = true;
	s.phase = "running";
	s.since_ms = 1000;
	s.uptime_ms = 7'500;
	const std::string json = format_status_json({s}, 4 * 3600 * 1000);
	EXPECT_NE(json.find("\"uptime_seconds\": 7,"), std::string::npos) << json;
	EXPECT_NE(format_status_table({s}, 4 * 3600 * 1000).find("  7s  "), std::string::npos);
	EXPECT_NE(format_status_prometheus({s}).find("showguard_show_uptime_seconds{show=\"starcourt\"} 7.500\n"),
		  std::string::npos);
}
