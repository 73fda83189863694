// SPDX-License-Identifier: GPL-2.0-or-later
#include "showguard/record_writer.hpp"

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "showguard/error.hpp"

namespace showguard {

namespace {

std::string join_command(const std::vector<std::string> &argv)
{
	std::string out;
	for (const auto &arg : argv)
		out += (out.empty() ? "" : " ") + arg;
	return out;
}

} // namespace

RecordWriter::RecordWriter(const LockSet &locks, const GuardOptions &options, const Credentials &credentials)
	: locks_(locks)
{
	show_.name = options.show;
	show_.kind = LockKind::show;
	show_.state = to_string(ShowState::starting);
	show_.guard_pid = ::getpid();
	show_.host = host_name();
	show_.user = credentials.change_user ? credentials.user_name : current_user_name();
	show_.command = join_command(options.command);
	show_.resources = locks.resource_names();
	show_.kill_timeout_ms = options.kill_timeout.count();
}

void RecordWriter::write(const LockDir &dir, const LockRecord &record)
{
	try {
		write_record(dir, record);
	} catch (const Error &e) {
		spdlog::warn("{}", e.what());
	}
}

void RecordWriter::waiting()
{
	if (!before_) {
		before_ = read_record(locks_.show_dir(), show_.name).value_or(LockRecord{});
		if (before_->last_exit) {
			show_.last_exit = before_->last_exit;
			show_.last_exit_reason = before_->last_exit_reason;
			show_.last_exit_ms = before_->last_exit_ms;
		}
		show_.since_ms = now_epoch_ms();
		show_.since_boot_ms = now_boot_ms();
	}
	show_.state = "waiting";
	write(locks_.show_dir(), show_);
}

void RecordWriter::gave_up()
{
	if (!before_)
		return;
	if (before_->name.empty()) {
		// No record before this guard's wait: remove the one it wrote.
		(void)::unlinkat(locks_.show_dir().fd(), record_file_name(show_.name).c_str(), 0);
		return;
	}
	write(locks_.show_dir(), *before_);
}

void RecordWriter::show_changed(const ShowEvent &event)
{
	// The first event comes right after the show is started, with every
	// lock just taken: that is when this holder's run began.
	if (!started_) {
		started_ = true;
		show_.since_ms = now_epoch_ms();
		show_.since_boot_ms = now_boot_ms();
	}
	show_.state = event.state == ShowState::finished ? "free" : to_string(event.state);
	show_.show_pid = event.show_pid;
	show_.restarts = event.restarts;
	if (event.last_exit && (event.state == ShowState::restart_wait || event.state == ShowState::armed ||
				 event.state == ShowState::finished)) {
		show_.last_exit = event.last_exit->as_exit_code();
		show_.last_exit_reason = event.last_exit->describe();
		show_.last_exit_ms = now_epoch_ms();
	}
	write(locks_.show_dir(), show_);

	for (const auto &lock : locks_.locks()) {
		if (lock.kind() != LockKind::resource)
			continue;
		LockRecord r = show_;
		r.name = lock.name();
		r.kind = LockKind::resource;
		r.resources.clear();
		r.held_by = show_.name;
		write(locks_.dir_of(lock), r);
	}
}

} // namespace showguard
