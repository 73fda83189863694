// SPDX-License-Identifier: GPL-2.0-or-later
// The body of the shows the torture and chaos tiers run under the guard: it
// claims a critical-section marker for its show and for each shared
// resource, holds it for a while, and logs its start and end on the
// monotonic clock (the same clock for every process on the machine, so the
// harness can measure the hand-over from one show to the next).
//
//   critical_section --log FILE --tag TAG [--marker DIR]... [--hold-ms N]
//                    [--term-delay-ms N] [--daemon] [--daemon-hold-ms N] [--exit N]
//
// A marker is a directory; the body enters it by creating an entry
// DIR/PID.NONCE (holding its run: the tag up to any '/') on which it holds a
// kernel flock(2) until it exits, then looks for an entry of another run that
// is still alive: one whose flock cannot be taken. That is an overlap, two
// holders at once. A dead process holds no lock (the kernel drops it with the
// last descriptor, also on SIGKILL; a zombie has closed its descriptors), so
// a stale entry is seen as such and swept. Liveness is the kernel's lock, not
// a pid or a start time read from /proc: qemu-user fakes /proc/PID/stat's
// start time, which made an emulated body take live entries for stale ones.
// Each body looks at its start and again at its end, so of two bodies that
// overlap at least one sees the other unless one of them is killed outright.
//
// --term-delay-ms: on SIGTERM keep going that long (a show winding down), then
// end normally. --daemon: also fork a detached process (setsid) that enters
// the same markers and behaves the same way (holding --daemon-hold-ms if
// given): a show that leaves a daemon.
// Log lines, each one write(2) with O_APPEND:
//   start TAG PID NS | end TAG PID NS | overlap TAG PID MARKER OTHER-ENTRY | error TAG TEXT

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

struct Options {
	std::string log;
	std::string tag = "-";
	std::vector<std::string> markers;
	long hold_ms = 0;
	long term_delay_ms = -1; // -1: SIGTERM ends the body at once (default action)
	bool daemon = false;
	long daemon_hold_ms = -1;
	int exit_code = 0;
};

long long monotonic_ns()
{
	timespec ts{};
	::clock_gettime(CLOCK_MONOTONIC, &ts);
	return static_cast<long long>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

void log_line(const Options &o, const std::string &line)
{
	const int fd = ::open(o.log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	const std::string text = line + "\n";
	(void)!::write(fd, text.data(), text.size());
	::close(fd);
}

// A name no other entry has: the pid, and the monotonic clock for a pid reused.
std::string own_entry()
{
	return std::to_string(::getpid()) + "." + std::to_string(monotonic_ns());
}

std::string run_of(const std::string &tag)
{
	return tag.substr(0, tag.find('/'));
}

std::string read_file(const std::string &path)
{
	char buf[256] = {};
	const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "";
	const ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
	::close(fd);
	return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
}

// Entries of DIR whose process is alive and belongs to another run; stale
// ones are swept.
std::vector<std::string> live_others(const std::string &dir, const std::string &self, const std::string &run)
{
	std::vector<std::string> others;
	DIR *d = ::opendir(dir.c_str());
	if (!d)
		return others;
	while (const dirent *e = ::readdir(d)) {
		const std::string name = e->d_name;
		const auto dot = name.find('.');
		if (name == self || dot == std::string::npos || dot == 0)
			continue;
		const std::string path = dir + "/" + name;
		const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; // swept or ended meanwhile
		if (::flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
			const std::string other_run = read_file(path);
			if (other_run != run)
				others.push_back(name + " (" + other_run + ")");
		} else {
			(void)::unlink(path.c_str()); // its body is gone
		}
		::close(fd);
	}
	::closedir(d);
	return others;
}

void check(const Options &o, const std::string &self)
{
	for (const auto &dir : o.markers)
		for (const auto &other : live_others(dir, self, run_of(o.tag)))
			log_line(o, "overlap " + o.tag + " " + std::to_string(::getpid()) + " " + dir + " " + other);
}

void sleep_ms(long ms)
{
	timespec ts{ms / 1000, (ms % 1000) * 1'000'000L};
	while (::nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

[[noreturn]] void body(const Options &o)
{
	// SIGTERM is blocked before the start line is logged: a test that
	// signals the body once it has seen that line finds it in its handler
	// (the term delay, then --exit's status), never dead of the default action.
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	if (o.term_delay_ms >= 0)
		(void)::sigprocmask(SIG_BLOCK, &term, nullptr);
	const std::string self = own_entry();
	const long long start = monotonic_ns();
	for (const auto &dir : o.markers) {
		(void)::mkdir(dir.c_str(), 0755);
		// Written and locked under a hidden name, then linked in: link(2) fails
		// if the name exists, as O_EXCL does, and nobody sees an entry that is
		// half written or not yet locked. The descriptor stays open (and the
		// lock held) until the body exits; O_CLOEXEC, and a daemon forks before
		// any entry exists, so no other process shares it.
		const std::string hidden = dir + "/." + self;
		const std::string entry = dir + "/" + self;
		const int fd = ::open(hidden.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		const std::string run = run_of(o.tag);
		const bool written = fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0 &&
				     ::write(fd, run.data(), run.size()) == static_cast<ssize_t>(run.size());
		if (!written || ::link(hidden.c_str(), entry.c_str()) < 0)
			log_line(o, "error " + o.tag + " cannot create " + entry + ": " + std::strerror(errno));
		(void)::unlink(hidden.c_str());
	}
	log_line(o, "start " + o.tag + " " + std::to_string(::getpid()) + " " + std::to_string(start));
	check(o, self);

	if (o.term_delay_ms >= 0) {
		const timespec hold{o.hold_ms / 1000, (o.hold_ms % 1000) * 1'000'000L};
		int got;
		while ((got = ::sigtimedwait(&term, nullptr, &hold)) < 0 && errno == EINTR) {
		}
		if (got == SIGTERM)
			sleep_ms(o.term_delay_ms);
	} else {
		sleep_ms(o.hold_ms);
	}

	check(o, self);
	for (const auto &dir : o.markers)
		(void)::unlink((dir + "/" + self).c_str());
	log_line(o, "end " + o.tag + " " + std::to_string(::getpid()) + " " + std::to_string(monotonic_ns()));
	::_exit(o.exit_code);
}

long number(const char *text)
{
	char *end = nullptr;
	const long n = std::strtol(text, &end, 10);
	if (!*text || *end) {
		std::fprintf(stderr, "critical_section: not a number: %s\n", text);
		std::exit(2);
	}
	return n;
}

} // namespace

int main(int argc, char **argv)
{
	Options o;
	for (int i = 1; i < argc; ++i) {
		const std::string arg = argv[i];
		const bool has_value = i + 1 < argc;
		if (arg == "--daemon")
			o.daemon = true;
		else if (arg == "--log" && has_value)
			o.log = argv[++i];
		else if (arg == "--tag" && has_value)
			o.tag = argv[++i];
		else if (arg == "--marker" && has_value)
			o.markers.emplace_back(argv[++i]);
		else if (arg == "--hold-ms" && has_value)
			o.hold_ms = number(argv[++i]);
		else if (arg == "--daemon-hold-ms" && has_value)
			o.daemon_hold_ms = number(argv[++i]);
		else if (arg == "--term-delay-ms" && has_value)
			o.term_delay_ms = number(argv[++i]);
		else if (arg == "--exit" && has_value)
			o.exit_code = static_cast<int>(number(argv[++i]));
		else {
			std::fprintf(stderr, "critical_section: bad argument %s\n", arg.c_str());
			return 2;
		}
	}
	if (o.log.empty()) {
		std::fprintf(stderr, "critical_section: --log FILE is required\n");
		return 2;
	}
	if (o.daemon) {
		const pid_t pid = ::fork();
		if (pid == 0) {
			// Detached like a real daemon: its own session, its parent gone
			// soon; it keeps the inherited lock descriptor open.
			(void)::setsid();
			Options d = o;
			d.tag = o.tag + "/daemon";
			if (o.daemon_hold_ms >= 0)
				d.hold_ms = o.daemon_hold_ms;
			body(d);
		}
	}
	body(o);
}
