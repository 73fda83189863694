// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <string_view>

namespace showguard {

// Sends the default logger to stderr, one write(2) per line. On a terminal
// or pipe lines read "showguard: error: ..."; under systemd, when stderr is
// the journal stream named by $JOURNAL_STREAM, each line carries a "<N>"
// syslog priority prefix instead so the journal files it at the right
// level, and no timestamp (the journal has its own).
void setup_logging();

// trace, debug, info, warn, error or off (already validated).
void set_log_level(std::string_view level);

} // namespace showguard
