// SPDX-License-Identifier: GPL-2.0-or-later
// ProcLocks::parse reads the kernel's /proc/locks, whose format differs
// between kernels (OFDLCK, LEASE, DELEG, "->" waiters, major:minor in hex):
// no line may crash it. The first bytes pick the (dev, ino) to look up.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <sys/sysmacros.h>

#include "fuzz_check.hpp"
#include "showguard/proc_locks.hpp"

using namespace showguard;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	std::uint32_t key[3] = {};
	const std::size_t key_size = std::min(size, sizeof(key));
	std::memcpy(key, data, key_size);
	const std::string_view text(reinterpret_cast<const char *>(data) + key_size, size - key_size);
	const ProcLocks locks = ProcLocks::parse(text);
	if (const auto pid = locks.holder(::makedev(key[0] & 0xfff, key[1] & 0xfffff), key[2]))
		fuzz::check(text.find("FLOCK") != std::string_view::npos, "a holder from text without a FLOCK line");
	if (locks.marked(::makedev(key[0] & 0xfff, key[1] & 0xfffff), key[2]))
		fuzz::check(text.find("OFDLCK") != std::string_view::npos, "a marker from text without an OFDLCK line");
	return 0;
}
