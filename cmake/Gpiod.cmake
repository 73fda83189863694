# libgpiod (C library and C++ bindings), either generation, found through pkg-config.
#
#   include(cmake/Gpiod.cmake)
#   target_link_libraries(showguard_core PRIVATE showguard::gpiod)
#
# Provides
#   showguard::gpiod       INTERFACE IMPORTED target: headers, libgpiodcxx and libgpiod, and the
#                          compile definition SHOWGUARD_GPIOD_API=1 or 2.
#   SHOWGUARD_GPIOD_API    1 (libgpiod 1.x) or 2 (libgpiod 2.x), from the pkg-config version.
#   SHOWGUARD_GPIOD_VERSION  the pkg-config version, e.g. 1.6.3 or 2.1.3.
# Options
#   SHOWGUARD_GPIOD_STATIC  link libgpiodcxx.a and libgpiod.a. Needed for the private 2.x prefix
#                           of scripts/install-libgpiod2.sh, whose runtime (libgpiod.so.3) is not
#                           installed on the machine that runs the program.
#
# Which libgpiod is found is pkg-config's choice: PKG_CONFIG_PATH (environment), or the
# toolchain file's target pkg-config. Changing PKG_CONFIG_PATH in an existing build directory is
# noticed and the search done again.
#
# Quirks handled here
# - libgpiodcxx.pc does not name libgpiod (neither in 1.6.3 nor in 2.1.3): both modules are
#   asked for, and the C library is linked after the C++ one (order matters for static links).
# - The 2.x C++ headers need C++17: the target requires cxx_std_17 then.
# - A .pc file whose prefix= still says /usr in a private prefix reports 2.x while handing out the
#   1.6.3 headers and library: a configure-time link check catches that mismatch.

include_guard(GLOBAL)
include(CheckCXXSourceCompiles)
include(CMakePushCheckState)
find_package(PkgConfig REQUIRED)

option(SHOWGUARD_GPIOD_STATIC "Link libgpiod and its C++ bindings statically" OFF)

# FindPkgConfig caches its answers by module list; a different PKG_CONFIG_PATH (e.g. switching
# to the 2.x prefix) would otherwise keep the libraries found before.
set(_showguard_gpiod_key "$ENV{PKG_CONFIG_PATH}|$ENV{PKG_CONFIG_LIBDIR}|$ENV{PKG_CONFIG_SYSROOT_DIR}|${PKG_CONFIG_EXECUTABLE}|${SHOWGUARD_GPIOD_STATIC}")
if(DEFINED CACHE{_SHOWGUARD_GPIOD_KEY} AND NOT _SHOWGUARD_GPIOD_KEY STREQUAL _showguard_gpiod_key)
  message(STATUS "libgpiod: pkg-config environment changed, searching again")
  foreach(_prefix IN ITEMS _SHOWGUARD_GPIODCXX _SHOWGUARD_GPIODC)
    unset(__pkg_config_checked_${_prefix} CACHE)
  endforeach()
  unset(pkgcfg_lib__SHOWGUARD_GPIODCXX_gpiodcxx CACHE)
  unset(pkgcfg_lib__SHOWGUARD_GPIODC_gpiod CACHE)
  unset(SHOWGUARD_GPIODCXX_STATIC_LIBRARY CACHE)
  unset(SHOWGUARD_GPIOD_STATIC_LIBRARY CACHE)
  unset(SHOWGUARD_GPIOD_LINKS CACHE)
endif()
set(_SHOWGUARD_GPIOD_KEY "${_showguard_gpiod_key}" CACHE INTERNAL "")

pkg_check_modules(_SHOWGUARD_GPIODCXX REQUIRED QUIET IMPORTED_TARGET libgpiodcxx)
pkg_check_modules(_SHOWGUARD_GPIODC REQUIRED QUIET IMPORTED_TARGET libgpiod)

set(SHOWGUARD_GPIOD_VERSION "${_SHOWGUARD_GPIODCXX_VERSION}")
string(REGEX MATCH "^[0-9]+" _showguard_gpiod_major "${_SHOWGUARD_GPIODCXX_VERSION}")
string(REGEX MATCH "^[0-9]+" _showguard_gpiodc_major "${_SHOWGUARD_GPIODC_VERSION}")
if(NOT _showguard_gpiod_major STREQUAL _showguard_gpiodc_major)
  message(FATAL_ERROR "libgpiodcxx ${_SHOWGUARD_GPIODCXX_VERSION} and libgpiod "
                      "${_SHOWGUARD_GPIODC_VERSION} come from different generations: check PKG_CONFIG_PATH")
endif()
if(_showguard_gpiod_major EQUAL 1)
  set(SHOWGUARD_GPIOD_API 1)
elseif(_showguard_gpiod_major EQUAL 2)
  set(SHOWGUARD_GPIOD_API 2)
else()
  message(FATAL_ERROR "libgpiod ${SHOWGUARD_GPIOD_VERSION}: only the 1.x and 2.x APIs are supported")
endif()

add_library(showguard::gpiod INTERFACE IMPORTED)
target_compile_definitions(showguard::gpiod INTERFACE SHOWGUARD_GPIOD_API=${SHOWGUARD_GPIOD_API})
if(SHOWGUARD_GPIOD_API EQUAL 2)
  target_compile_features(showguard::gpiod INTERFACE cxx_std_17)
endif()

if(NOT SHOWGUARD_GPIOD_STATIC)
  target_link_libraries(showguard::gpiod INTERFACE
    PkgConfig::_SHOWGUARD_GPIODCXX PkgConfig::_SHOWGUARD_GPIODC)
else()
  # Only the libdir pkg-config names: falling back to the default search path could pick the
  # other generation's archive. The -L values are already below PKG_CONFIG_SYSROOT_DIR; the
  # libdir variable is not, and the multiarch default (no -L at all) is the last resort.
  pkg_get_variable(_showguard_gpiodcxx_libdir libgpiodcxx libdir)
  pkg_get_variable(_showguard_gpiodc_libdir libgpiod libdir)
  set(_showguard_gpiod_dirs
    ${_SHOWGUARD_GPIODCXX_STATIC_LIBRARY_DIRS} ${_SHOWGUARD_GPIODC_STATIC_LIBRARY_DIRS})
  foreach(_dir IN ITEMS ${_showguard_gpiodcxx_libdir} ${_showguard_gpiodc_libdir})
    if(CMAKE_SYSROOT AND NOT _dir MATCHES "^${CMAKE_SYSROOT}")
      list(APPEND _showguard_gpiod_dirs "${CMAKE_SYSROOT}${_dir}")
    else()
      list(APPEND _showguard_gpiod_dirs "${_dir}")
    endif()
  endforeach()
  # A private prefix outside the sysroot (scripts/install-libgpiod2.sh) beside a sysroot build:
  # pkg-config puts PKG_CONFIG_SYSROOT_DIR before its paths too, so a path that is only there
  # without the sysroot is taken without it.
  set(_showguard_gpiod_includes
    ${_SHOWGUARD_GPIODCXX_STATIC_INCLUDE_DIRS} ${_SHOWGUARD_GPIODC_STATIC_INCLUDE_DIRS})
  if(CMAKE_SYSROOT)
    foreach(_list IN ITEMS _showguard_gpiod_dirs _showguard_gpiod_includes)
      set(_fixed "")
      foreach(_dir IN LISTS ${_list})
        string(REGEX REPLACE "^${CMAKE_SYSROOT}" "" _outside "${_dir}")
        if(NOT IS_DIRECTORY "${_dir}" AND IS_DIRECTORY "${_outside}")
          set(_dir "${_outside}")
        endif()
        list(APPEND _fixed "${_dir}")
      endforeach()
      set(${_list} ${_fixed})
    endforeach()
  endif()
  find_library(SHOWGUARD_GPIODCXX_STATIC_LIBRARY NAMES libgpiodcxx.a
               PATHS ${_showguard_gpiod_dirs} NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
  find_library(SHOWGUARD_GPIOD_STATIC_LIBRARY NAMES libgpiod.a
               PATHS ${_showguard_gpiod_dirs} NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
  if(NOT SHOWGUARD_GPIODCXX_STATIC_LIBRARY OR NOT SHOWGUARD_GPIOD_STATIC_LIBRARY)
    message(FATAL_ERROR "SHOWGUARD_GPIOD_STATIC: libgpiodcxx.a/libgpiod.a not found in "
                        "'${_showguard_gpiod_dirs}' (libgpiod-dev ships them)")
  endif()
  target_include_directories(showguard::gpiod INTERFACE ${_showguard_gpiod_includes})
  target_compile_options(showguard::gpiod INTERFACE
    ${_SHOWGUARD_GPIODCXX_STATIC_CFLAGS_OTHER} ${_SHOWGUARD_GPIODC_STATIC_CFLAGS_OTHER})
  # C++ bindings first: libgpiodcxx.a refers to libgpiod.a, not the other way round.
  target_link_libraries(showguard::gpiod INTERFACE
    "${SHOWGUARD_GPIODCXX_STATIC_LIBRARY}" "${SHOWGUARD_GPIOD_STATIC_LIBRARY}")
endif()

# Headers and libraries must be of the generation pkg-config reported. Each generation has a
# symbol the other lacks: gpiod_api_version() (2.x), gpiod_version_string() (1.x).
cmake_push_check_state(RESET)
set(CMAKE_REQUIRED_QUIET ON)
set(CMAKE_REQUIRED_LIBRARIES showguard::gpiod)
set(CMAKE_REQUIRED_DEFINITIONS -DSHOWGUARD_GPIOD_API=${SHOWGUARD_GPIOD_API})
set(CMAKE_REQUIRED_FLAGS -std=gnu++17)
check_cxx_source_compiles([=[
#include <gpiod.hpp>
#include <gpiod.h>
#if SHOWGUARD_GPIOD_API == 2
#  if !__has_include(<gpiodcxx/request-builder.hpp>)
#    error "libgpiod 1.x headers"
#  endif
int main() { return gpiod::api_version()[0] + gpiod_api_version()[0]; }
#else
#  if __has_include(<gpiodcxx/request-builder.hpp>)
#    error "libgpiod 2.x headers"
#  endif
int main() { gpiod::chip chip; return static_cast<bool>(chip) + gpiod_version_string()[0]; }
#endif
]=] SHOWGUARD_GPIOD_LINKS)
cmake_pop_check_state()
if(NOT SHOWGUARD_GPIOD_LINKS)
  unset(SHOWGUARD_GPIOD_LINKS CACHE)
  message(FATAL_ERROR
    "libgpiod ${SHOWGUARD_GPIOD_VERSION} from pkg-config, but a program using its API "
    "${SHOWGUARD_GPIOD_API} headers and libraries does not build: a .pc file with a stale "
    "prefix= or a mix of generations? See CMakeFiles/CMakeError.log.")
endif()

if(SHOWGUARD_GPIOD_STATIC)
  set(_showguard_gpiod_how "static: ${SHOWGUARD_GPIODCXX_STATIC_LIBRARY}")
else()
  set(_showguard_gpiod_how "shared: ${pkgcfg_lib__SHOWGUARD_GPIODCXX_gpiodcxx}")
endif()
message(STATUS "libgpiod ${SHOWGUARD_GPIOD_VERSION}: API ${SHOWGUARD_GPIOD_API}, ${_showguard_gpiod_how}")
