// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

#include "showguard/exit_code.hpp"

namespace showguard {

// A failure of the guard itself, carrying the exit status it maps to.
// The message names the object (show, path, pid, option) and says what is
// wrong; main() prints it once, on one line.
class Error : public std::runtime_error {
public:
	Error(ExitCode code, const std::string &message)
		: std::runtime_error(message), code_(code) {}

	[[nodiscard]] ExitCode code() const noexcept { return code_; }

private:
	ExitCode code_;
};

// Error for a failed system call: "what: strerror(err)".
class SystemError : public Error {
public:
	SystemError(ExitCode code, int err, const std::string &what)
		: Error(code, what + ": " + std::generic_category().message(err)), errno_(err) {}

	[[nodiscard]] int error_number() const noexcept { return errno_; }

private:
	int errno_;
};

[[noreturn]] inline void throw_errno(ExitCode code, const std::string &what)
{
	throw SystemError(code, errno, what);
}

} // namespace showguard
