// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/logging.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace showguard {

namespace {

// True if stderr is the stream systemd connected to the journal.
bool stderr_is_journal()
{
	const char *stream = std::getenv("JOURNAL_STREAM");
	if (!stream)
		return false;
	unsigned long long dev = 0;
	unsigned long long ino = 0;
	if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2)
		return false;
	struct stat st;
	return ::fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

// The guard's stderr, written without ever blocking.
//
// The descriptor is shared with the show, which inherits the guard's
// stderr, so O_NONBLOCK is never set on it: that flag belongs to the open
// file description, and the show's own writes would start failing with
// EAGAIN (most programs then lose output or die). Instead, by what stderr is:
// - a socket (the journal's stream, a socketpair): send(MSG_DONTWAIT), a
//   flag of the call, not of the description;
// - a pipe, FIFO or terminal: opened anew through /proc/self/fd/2, which
//   gives the guard a description of its own on the same pipe or tty, set
//   O_NONBLOCK (Ctrl-S then answers EAGAIN too). A non-blocking pipe write
//   of at most PIPE_BUF bytes is all or nothing, so the show's output never
//   splits a line;
// - if that open is refused (no /proc, a pipe of another user):
//   pwritev2(RWF_NOWAIT), which pipes honour on recent kernels, and where it
//   is not supported, poll(POLLOUT) with a zero timeout before each write.
//   That last resort can still block if the show fills the pipe between
//   the two calls; it is only reached when neither of the above works;
// - a regular file or a block device has no reader to wait for: write().
// A line that cannot be written now waits in a queue of at most 64 KiB,
// written in order as POLLOUT comes (the supervisor's loop polls
// stderr_backlog_fd()) or before the next line; a line that does not fit
// is dropped and counted, and a warning reports the count once the queue
// has drained.
class StderrWriter {
public:
	StderrWriter()
	{
		struct stat st;
		if (::fstat(STDERR_FILENO, &st) < 0 || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
			return;
		if (S_ISSOCK(st.st_mode)) {
			method_ = Method::send_dontwait;
			return;
		}
		method_ = Method::write_nowait;
		const int fd = ::open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			return;
		struct stat own;
		if (::fstat(fd, &own) == 0 && own.st_dev == st.st_dev && own.st_ino == st.st_ino) {
			fd_ = fd;
			method_ = Method::own_description;
		} else {
			::close(fd);
		}
	}

	void set_journal(bool journal) noexcept { journal_ = journal; }
	[[nodiscard]] bool journal() const noexcept { return journal_; }

	void write_line(std::string_view line) noexcept
	{
		drain();
		if (queue_.empty()) {
			const ssize_t n = write_some(line);
			if (n < 0 && errno != EAGAIN)
				return; // no reader any more (EPIPE), or no stderr at all
			line.remove_prefix(static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
			if (line.empty())
				return;
		}
		enqueue(line);
	}

	[[nodiscard]] int backlog_fd() const noexcept { return queue_.empty() && dropped_ == 0 ? -1 : fd_; }

	void drain() noexcept
	{
		while (!queue_.empty()) {
			std::string &front = queue_.front();
			const ssize_t n = write_some(front);
			if (n < 0 && errno == EAGAIN)
				return;
			if (n < 0) { // the reader is gone: nothing queued can be written
				queue_.clear();
				queued_bytes_ = 0;
				dropped_ = 0;
				return;
			}
			queued_bytes_ -= static_cast<std::size_t>(n);
			if (static_cast<std::size_t>(n) < front.size()) {
				front.erase(0, static_cast<std::size_t>(n));
				continue;
			}
			queue_.pop_front();
		}
		if (dropped_) {
			const std::size_t dropped = std::exchange(dropped_, 0);
			write_line(std::string(journal_ ? "<4>" : "showguard: warning: ") + std::to_string(dropped) +
				   " log line(s) dropped while stderr was not being read\n");
		}
	}

	void flush(std::chrono::milliseconds patience) noexcept
	{
		drain();
		while (!queue_.empty()) {
			pollfd p{fd_, POLLOUT, 0};
			const int n = ::poll(&p, 1, static_cast<int>(patience.count()));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return;
			const std::size_t before = queued_bytes_;
			drain();
			if (queued_bytes_ == before && !queue_.empty())
				return;
		}
	}

private:
	enum class Method { write, send_dontwait, own_description, write_nowait, poll_then_write };
	static constexpr std::size_t max_queued_bytes = 64 * 1024;

	// Bytes written, or -1 with errno (EAGAIN: it would have blocked).
	ssize_t write_some(std::string_view data) noexcept
	{
		for (;;) {
			ssize_t n = -1;
			switch (method_) {
			case Method::write:
			case Method::own_description:
				n = ::write(fd_, data.data(), data.size());
				break;
			case Method::send_dontwait:
				n = ::send(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
				break;
			case Method::write_nowait: {
				iovec iov{const_cast<char *>(data.data()), data.size()};
				n = ::pwritev2(fd_, &iov, 1, -1, RWF_NOWAIT);
				if (n < 0 && errno == EOPNOTSUPP) {
					method_ = Method::poll_then_write;
					continue;
				}
				break;
			}
			case Method::poll_then_write: {
				pollfd p{fd_, POLLOUT, 0};
				const int ready = ::poll(&p, 1, 0);
				if (ready == 0) {
					errno = EAGAIN;
					return -1;
				}
				n = ::write(fd_, data.data(), data.size());
				break;
			}
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EWOULDBLOCK)
				errno = EAGAIN;
			return n;
		}
	}

	void enqueue(std::string_view line) noexcept
	{
		if (queued_bytes_ + line.size() > max_queued_bytes) {
			++dropped_;
			return;
		}
		try {
			queue_.emplace_back(line);
			queued_bytes_ += line.size();
		} catch (...) {
			++dropped_;
		}
	}

	Method method_ = Method::write;
	int fd_ = STDERR_FILENO; // our own description (never closed), or stderr itself
	bool journal_ = false;
	std::deque<std::string> queue_;
	std::size_t queued_bytes_ = 0;
	std::size_t dropped_ = 0;
};

StderrWriter &stderr_writer() noexcept
{
	static StderrWriter writer;
	return writer;
}

class StderrSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
public:
	explicit StderrSink(bool journal) : journal_(journal) {}

protected:
	void sink_it_(const spdlog::details::log_msg &msg) override
	{
		std::string line;
		line.reserve(msg.payload.size() + 24);
		if (journal_) {
			line += priority_prefix(msg.level);
		} else {
			line += "showguard: ";
			line += level_prefix(msg.level);
		}
		line.append(msg.payload.data(), msg.payload.size());
		line += '\n';
		// One write per line so a line is never split by the show's output.
		stderr_writer().write_line(line);
	}
	void flush_() override {}

private:
	static const char *priority_prefix(spdlog::level::level_enum level)
	{
		switch (level) {
		case spdlog::level::critical:
			return "<2>";
		case spdlog::level::err:
			return "<3>";
		case spdlog::level::warn:
			return "<4>";
		case spdlog::level::info:
			return "<6>";
		default:
			return "<7>";
		}
	}
	static const char *level_prefix(spdlog::level::level_enum level)
	{
		switch (level) {
		case spdlog::level::critical:
		case spdlog::level::err:
			return "error: ";
		case spdlog::level::warn:
			return "warning: ";
		case spdlog::level::debug:
		case spdlog::level::trace:
			return "debug: ";
		default:
			return "";
		}
	}

	bool journal_;
};

} // namespace

void setup_logging()
{
	const bool journal = stderr_is_journal();
	stderr_writer().set_journal(journal);
	auto logger = std::make_shared<spdlog::logger>("showguard", std::make_shared<StderrSink>(journal));
	logger->set_level(spdlog::level::info);
	spdlog::set_default_logger(std::move(logger));
}

void set_log_level(std::string_view level)
{
	spdlog::set_level(spdlog::level::from_str(std::string(level)));
}

void write_stderr_line(std::string_view line) noexcept
{
	stderr_writer().write_line(line);
}

int stderr_backlog_fd() noexcept
{
	return stderr_writer().backlog_fd();
}

void drain_stderr() noexcept
{
	stderr_writer().drain();
}

void flush_stderr(std::chrono::milliseconds patience) noexcept
{
	stderr_writer().flush(patience);
}

} // namespace showguard
