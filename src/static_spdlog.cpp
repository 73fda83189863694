// SPDX-License-Identifier: GPL-2.0-or-later
// spdlog and fmt compiled into showguard (SHOWGUARD_STATIC_DEPS). Debian ships
// both only as shared libraries or as headers. Header-only, every file that
// logs would compile all of spdlog again (about 2.5x its compile time), so the
// rest of the program includes the headers in spdlog's compiled-library mode
// (SPDLOG_COMPILED_LIB) and this one file supplies their definitions, once.
#include <mutex>

#include <fmt/format-inl.h>

#include <spdlog/common-inl.h>
#include <spdlog/details/backtracer-inl.h>
#include <spdlog/details/log_msg-inl.h>
#include <spdlog/details/log_msg_buffer-inl.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/details/os-inl.h>
#include <spdlog/details/periodic_worker-inl.h>
#include <spdlog/details/registry-inl.h>
#include <spdlog/logger-inl.h>
#include <spdlog/pattern_formatter-inl.h>
#include <spdlog/sinks/ansicolor_sink-inl.h>
#include <spdlog/sinks/base_sink-inl.h>
#include <spdlog/sinks/sink-inl.h>
#include <spdlog/spdlog-inl.h>

// The templates the headers declare but do not define in this mode: fmt's
// locale helpers, the sink base showguard's own sink derives from, and the
// console sink of spdlog's default logger (in place until setup_logging()).
template auto fmt::detail::thousands_sep_impl<char>(locale_ref) -> thousands_sep_result<char>;
template auto fmt::detail::decimal_point_impl<char>(locale_ref) -> char;
template class spdlog::sinks::base_sink<spdlog::details::null_mutex>;
template class spdlog::sinks::base_sink<std::mutex>;
template class spdlog::sinks::ansicolor_sink<spdlog::details::console_mutex>;
template class spdlog::sinks::ansicolor_stdout_sink<spdlog::details::console_mutex>;
