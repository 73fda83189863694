// SPDX-License-Identifier: GPL-2.0-or-later
// showguard: runs a show only while it holds the show's lock.
// All logic lives in the library; main parses, calls in and maps errors
// to the documented exit codes.
#include <cstdio>
#include <chrono>
#include <ctime>
#include <exception>
#include <system_error>

#include <sys/types.h>

#include <spdlog/spdlog.h>

#include "showguard/button_commands.hpp"
#include "showguard/check_config.hpp"
#include "showguard/command_line.hpp"
#include "showguard/error.hpp"
#include "showguard/guard.hpp"
#include "showguard/led_commands.hpp"
#include "showguard/logging.hpp"
#include "showguard/show_status.hpp"
#include "showguard/show_stop.hpp"
#include "showguard/version.hpp"

// Times and file offsets past 32 bits on 32-bit ARM too: records and leases
// beyond 2038, large inode numbers in the lock dir. _TIME_BITS=64 needs
// glibc 2.34 or later, and _FILE_OFFSET_BITS=64 with it.
#if defined(_TIME_BITS) && _TIME_BITS == 64
static_assert(sizeof(time_t) == 8, "_TIME_BITS=64 without a 64-bit time_t: glibc older than 2.34?");
#endif
#if defined(_FILE_OFFSET_BITS) && _FILE_OFFSET_BITS == 64
static_assert(sizeof(off_t) == 8 && sizeof(ino_t) == 8, "_FILE_OFFSET_BITS=64 without a 64-bit off_t");
#endif

namespace {

int run(int argc, char *argv[])
{
	using namespace showguard;
	try {
		const CommandLine cl = parse_command_line(argc, argv);
		switch (cl.verb) {
		case Verb::help:
			std::fputs(cl.help.c_str(), stdout);
			return 0;
		case Verb::version:
			std::printf("showguard %s\n", version);
			return 0;
		case Verb::status:
			return run_status(cl);
		case Verb::stop:
			return run_stop(cl);
		case Verb::check_config:
			return run_check_config(cl);
		case Verb::boards:
			return run_boards(cl);
		case Verb::led_test:
			return run_led_test(cl);
		case Verb::led_reset:
			return run_led_reset(cl);
		case Verb::button_test:
			return run_button_test(cl);
		case Verb::run:
			break;
		}
		const GuardOptions options = load_guard_options(cl);
		set_log_level(options.log_level);
		return run_guard(options);
	} catch (const Error &e) {
		spdlog::error("{}", e.what());
		return to_int(e.code());
	} catch (const std::system_error &e) {
		// The system refused a resource (a thread, memory for one): 71.
		spdlog::error("{}", e.what());
		return to_int(ExitCode::os_error);
	} catch (const std::exception &e) {
		spdlog::error("internal error: {}", e.what());
		return to_int(ExitCode::software);
	}
}

} // namespace

int main(int argc, char *argv[])
{
	showguard::setup_logging();
	const int status = run(argc, argv);
	// Every lock is let go by now: what a stalled stderr could not take is
	// given a short chance, never an unbounded wait.
	showguard::flush_stderr(std::chrono::milliseconds(250));
	return status;
}
