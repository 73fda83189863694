// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <optional>

#include "showguard/credentials.hpp"
#include "showguard/guard_options.hpp"
#include "showguard/lock_record.hpp"
#include "showguard/lock_set.hpp"
#include "showguard/supervisor.hpp"

namespace showguard {

// Keeps the status records of a held show and its resources current, for
// `showguard status` and for the message a refused guard prints. A record
// that cannot be written is a warning: it describes the show, it does not
// guard it.
class RecordWriter final : public ShowListener {
public:
	RecordWriter(const LockSet &locks, const GuardOptions &options, const Credentials &credentials);

	void show_changed(const ShowEvent &event) override;

	// The guard holds the show's lock and waits for another (a resource, the
	// etcd lock): phase "waiting", no show pid. How the previous holder's
	// last run ended is kept.
	void waiting();
	// The guard gives up that wait: the record is the previous holder's
	// "free" one again. Call while the show's lock is still held.
	void gave_up();

private:
	void write(const LockDir &dir, const LockRecord &record);

	const LockSet &locks_;
	LockRecord show_;
	std::optional<LockRecord> before_; // the record found when the wait began
	bool started_ = false;             // the supervisor has reported the show
};

} // namespace showguard
