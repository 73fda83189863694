// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <curl/curl.h>

namespace showguard {

// libcurl, loaded the first time the etcd backend needs it. Linking it would
// make every guard, local ones too, map libcurl and the thirty libraries it
// pulls in (two TLS stacks, Kerberos, LDAP, SSH...) at every start: three
// times the RSS and the start time of a guard that never talks to etcd.
// The types come from <curl/curl.h>; the calls go through these pointers.
// One soname on every release: Debian 13's libcurl4t64 keeps libcurl.so.4. On
// armhf its ABI changed with the 64-bit time_t, but only where time_t or a
// struct holding one crosses it (curl_getdate, CURLINFO_FILETIME's long form,
// struct curl_fileinfo): the etcd backend passes only longs, strings, pointers,
// callbacks taking longs and sockets, so this build, whose own time_t is 64-bit,
// works with Debian 12's libcurl4 and Debian 13's libcurl4t64 alike. A new
// option or call that involves time_t must be checked against both.
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
