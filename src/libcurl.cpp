// SPDX-License-Identifier: GPL-2.0-or-later
#include "libcurl.hpp"

#include <dlfcn.h>

#include <string>

#include "showguard/error.hpp"

namespace showguard {

namespace {

constexpr const char *library = "libcurl.so.4";

template <typename Function> void resolve(void *handle, Function &function, const char *name)
{
	function = reinterpret_cast<Function>(::dlsym(handle, name));
	if (!function)
		throw Error(ExitCode::unavailable, std::string("the etcd backend needs ") + library + ", which has no " +
							   name + ": install a libcurl4 of 7.73 or later");
}

Libcurl load()
{
	// RTLD_NOW: a missing symbol fails here, at start, not in the middle
	// of a lease renewal. Never unloaded: libcurl keeps global state.
	void *handle = ::dlopen(library, RTLD_NOW | RTLD_LOCAL);
	if (!handle)
		throw Error(ExitCode::unavailable, std::string("the etcd backend needs ") + library + " (" +
							   ::dlerror() + "): install the libcurl4 package (libcurl4t64 on Debian 13)");
	Libcurl c{};
	resolve(handle, c.global_init, "curl_global_init");
	resolve(handle, c.easy_init, "curl_easy_init");
	resolve(handle, c.easy_setopt, "curl_easy_setopt");
	resolve(handle, c.easy_getinfo, "curl_easy_getinfo");
	resolve(handle, c.easy_cleanup, "curl_easy_cleanup");
	resolve(handle, c.easy_strerror, "curl_easy_strerror");
	resolve(handle, c.multi_init, "curl_multi_init");
	resolve(handle, c.multi_setopt, "curl_multi_setopt");
	resolve(handle, c.multi_add_handle, "curl_multi_add_handle");
	resolve(handle, c.multi_remove_handle, "curl_multi_remove_handle");
	resolve(handle, c.multi_socket_action, "curl_multi_socket_action");
	resolve(handle, c.multi_info_read, "curl_multi_info_read");
	resolve(handle, c.multi_cleanup, "curl_multi_cleanup");
	resolve(handle, c.slist_append, "curl_slist_append");
	resolve(handle, c.slist_free_all, "curl_slist_free_all");
	if (const CURLcode code = c.global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK)
		throw Error(ExitCode::os_error, std::string("cannot initialise libcurl: ") + c.easy_strerror(code));
	return c;
}

} // namespace

const Libcurl &Libcurl::get()
{
	// A throw leaves it uninitialised, so the next call tries (and
	// explains) again.
	static const Libcurl curl = load();
	return curl;
}

} // namespace showguard
