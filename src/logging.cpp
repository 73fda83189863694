// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/logging.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>

#include <sys/stat.h>
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
		std::string_view rest = line;
		while (!rest.empty()) {
			const ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
			if (n <= 0)
				return;
			rest.remove_prefix(static_cast<std::size_t>(n));
		}
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
	auto logger = std::make_shared<spdlog::logger>("showguard", std::make_shared<StderrSink>(stderr_is_journal()));
	logger->set_level(spdlog::level::info);
	spdlog::set_default_logger(std::move(logger));
}

void set_log_level(std::string_view level)
{
	spdlog::set_level(spdlog::level::from_str(std::string(level)));
}

} // namespace showguard
