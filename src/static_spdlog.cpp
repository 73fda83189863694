// SPDX-License-Identifier: GPL-2.0-or-later
// spdlog compiled into showguard (SHOWGUARD_STATIC_DEPS). Debian ships it
// only as a shared library or as headers. Header-only, every file that logs
// would compile all of spdlog again (about 2.5x its compile time), so the rest
// of the program includes the headers in spdlog's compiled-library mode
// (SPDLOG_COMPILED_LIB) and this one file supplies their definitions, once.
// fmt is used header-only (FMT_HEADER_ONLY, src/CMakeLists.txt): which of its
// templates fmt's own library instantiates changes between versions (fmt 10
// declares vformat_to extern), so naming them here would tie the build to one
// fmt release; header-only, each is instantiated where it is used.
#include <mutex>

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

// The templates spdlog's headers declare but do not define in this mode (its
// own sources instantiate the same ones): the sink base showguard's own sink
// derives from, and the console sink of spdlog's default logger (in place
// until setup_logging()).
template class spdlog::sinks::base_sink<spdlog::details::null_mutex>;
template class spdlog::sinks::base_sink<std::mutex>;
template class spdlog::sinks::ansicolor_sink<spdlog::details::console_mutex>;
template class spdlog::sinks::ansicolor_stdout_sink<spdlog::details::console_mutex>;
