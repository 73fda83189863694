// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <curl/curl.h>

namespace showguard {

// libcurl, loaded the first time the etcd backend needs it. Linking it would
// make every guard, local ones too, map libcurl and the thirty libraries it
// pulls in (two TLS stacks, Kerberos, LDAP, SSH...) at every start: three
// times the RSS and the start time of a guard that never talks to etcd.
// The types come from <curl/curl.h>; the calls go through these pointers.
struct Libcurl {
	decltype(&::curl_global_init) global_init;
	decltype(&::curl_easy_init) easy_init;
	decltype(&::curl_easy_setopt) easy_setopt;
	decltype(&::curl_easy_getinfo) easy_getinfo;
	decltype(&::curl_easy_cleanup) easy_cleanup;
	decltype(&::curl_easy_strerror) easy_strerror;
	decltype(&::curl_multi_init) multi_init;
	decltype(&::curl_multi_setopt) multi_setopt;
	decltype(&::curl_multi_add_handle) multi_add_handle;
	decltype(&::curl_multi_remove_handle) multi_remove_handle;
	decltype(&::curl_multi_socket_action) multi_socket_action;
	decltype(&::curl_multi_info_read) multi_info_read;
	decltype(&::curl_multi_cleanup) multi_cleanup;
	decltype(&::curl_slist_append) slist_append;
	decltype(&::curl_slist_free_all) slist_free_all;

	// Loads libcurl.so.4 and curl_global_init()s it, once per process.
	// Throws Error(unavailable) naming the library and the package to
	// install when it cannot; later calls then throw the same again.
	[[nodiscard]] static const Libcurl &get();
};

} // namespace showguard
