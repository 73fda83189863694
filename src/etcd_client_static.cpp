// SPDX-License-Identifier: GPL-2.0-or-later
// The etcd client of the fully static build (toolchain/armv6-static.cmake),
// compiled instead of etcd_client.cpp and libcurl.cpp: the backend talks
// HTTP through libcurl, loaded with dlopen(), which a static binary cannot
// do (static glibc's dlopen needs the shared glibc of the very same version
// on the target, and libcurl would bring a second libc). Linking libcurl and
// its TLS stacks statically would make every guard carry them. So this build
// has no etcd backend, and says so: check_lock_backend() refuses
// lock-backend etcd before anything is locked, and a client that is built
// anyway (status with a global etcd config) fails with the same message.
#include "showguard/error.hpp"
#include "showguard/etcd_client.hpp"
#include "showguard/guard_options.hpp"

namespace showguard {

const char *etcd_backend_missing() noexcept
{
	return "lock-backend etcd: this build of showguard (static, for every 32-bit Raspberry Pi) has no etcd "
	       "backend, since a static binary cannot load libcurl; use lock-backend local, or on a Pi with a "
	       "64-bit Raspberry Pi OS the arm64 package";
}

struct EtcdClient::Request {};

EtcdClient::EtcdClient(EtcdConnection connection) : connection_(std::move(connection))
{
	throw Error(ExitCode::unavailable, etcd_backend_missing());
}

EtcdClient::~EtcdClient() = default;

// Unreachable: no client is ever constructed.
const std::string &EtcdClient::endpoint() const noexcept { return connection_.endpoints[current_]; }
void EtcdClient::next_endpoint() noexcept {}
EtcdClient::RequestId EtcdClient::post(const std::string &, std::string, Duration, Handler, LineHandler, unsigned)
{
	throw Error(ExitCode::unavailable, etcd_backend_missing());
}
EtcdClient::RequestId EtcdClient::post_to(std::size_t, const std::string &, std::string, Duration, Handler)
{
	throw Error(ExitCode::unavailable, etcd_backend_missing());
}
void EtcdClient::cancel(RequestId) noexcept {}
void EtcdClient::add_poll_fds(std::vector<pollfd> &) const {}
void EtcdClient::handle_poll(std::span<const pollfd>) {}

} // namespace showguard
