# Run by cpack (CPACK_PROJECT_CONFIG_FILE): computes the package's Depends
# from the NEEDED entries of the built binary, for whatever architecture it
# was built, so Depends follow the linking choices.
#
# First choice: dpkg-shlibdeps, as Debian's own packages do. It finds each
# library of the binary's architecture (multiarch packages of a cross build
# included), the package that ships it, and from that package's symbols file
# the oldest version that has every symbol the binary uses, so a package built
# on Debian 12 asks for libc6 (>= 2.34), not for the build machine's 2.36.
# Fallback (no dpkg-shlibdeps, or a library only a sysroot has): each soname
# maps to its package through the sysroot's dpkg database or the table below,
# at least at the version this build was linked against.
if(NOT CPACK_GENERATOR STREQUAL "DEB" OR NOT EXISTS "${SHOWGUARD_BINARY}")
  return()
endif()

find_program(_dpkg_shlibdeps dpkg-shlibdeps)
if(_dpkg_shlibdeps)
  # dpkg-shlibdeps wants a source tree: a debian/control naming one package.
  set(_shlibdeps_dir "${CPACK_TOPLEVEL_DIRECTORY}/shlibdeps")
  file(MAKE_DIRECTORY "${_shlibdeps_dir}/debian")
  file(WRITE "${_shlibdeps_dir}/debian/control" "Source: showguard\n\nPackage: showguard\nArchitecture: any\n")
  execute_process(COMMAND ${_dpkg_shlibdeps} -O "-e${SHOWGUARD_BINARY}"
                  WORKING_DIRECTORY "${_shlibdeps_dir}"
                  OUTPUT_VARIABLE _shlibdeps ERROR_VARIABLE _shlibdeps_errors RESULT_VARIABLE _rc)
  file(REMOVE_RECURSE "${_shlibdeps_dir}")
  if(_rc EQUAL 0 AND _shlibdeps MATCHES "shlibs:Depends=([^\n]*)")
    set(CPACK_DEBIAN_PACKAGE_DEPENDS "${CMAKE_MATCH_1}")
    message(STATUS "DebDepends (dpkg-shlibdeps): ${CPACK_DEBIAN_PACKAGE_DEPENDS}")
    return()
  endif()
  string(STRIP "${_shlibdeps_errors}" _shlibdeps_errors)
  message(STATUS "DebDepends: dpkg-shlibdeps could not tell (${_shlibdeps_errors}); using the soname table")
endif()

find_program(_readelf NAMES readelf REQUIRED)
execute_process(COMMAND ${_readelf} -d "${SHOWGUARD_BINARY}" OUTPUT_VARIABLE _dynamic COMMAND_ERROR_IS_FATAL ANY)
string(REGEX MATCHALL "Shared library: \\[[^]]+\\]" _needed "${_dynamic}")

# soname -> package in Debian 12 and 13 and Raspberry Pi OS bookworm and trixie
# (the 64-bit time_t transition renamed some on armhf; see the sysroot lookup below).
set(_package_libgpiod.so.2 libgpiod2)
set(_package_libgpiodcxx.so.1 libgpiodcxx1)
set(_package_libgpiod.so.3 libgpiod3)
set(_package_libgpiodcxx.so.2 libgpiod3)
set(_package_libboost_program_options.so.1.74.0 libboost-program-options1.74.0)
set(_package_libboost_program_options.so.1.83.0 libboost-program-options1.83.0)
set(_package_libspdlog.so.1.10 libspdlog1.10)
set(_package_libspdlog.so.1.15 libspdlog1.15)
set(_package_libfmt.so.9 libfmt9)
set(_package_libfmt.so.10 libfmt10)
set(_package_libcurl.so.4 libcurl4)
set(_package_libstdc++.so.6 libstdc++6)
set(_package_libgcc_s.so.1 libgcc-s1)
set(_package_libc.so.6 libc6)
set(_package_libm.so.6 libc6)

set(_depends "")
foreach(_entry IN LISTS _needed)
  string(REGEX REPLACE "Shared library: \\[([^]]+)\\]" "\\1" _soname "${_entry}")
  if(_soname MATCHES "^ld-linux")
    continue()
  endif()
  set(_package "${_package_${_soname}}")
  # A sysroot's own dpkg database knows which package ships the library.
  if(SHOWGUARD_SYSROOT AND EXISTS "${SHOWGUARD_SYSROOT}/var/lib/dpkg/status")
    foreach(_dir IN ITEMS "/usr/lib/${SHOWGUARD_LIBRARY_ARCHITECTURE}" "/lib/${SHOWGUARD_LIBRARY_ARCHITECTURE}")
      execute_process(COMMAND dpkg-query --admindir=${SHOWGUARD_SYSROOT}/var/lib/dpkg -S "${_dir}/${_soname}"
                      OUTPUT_VARIABLE _owner ERROR_QUIET RESULT_VARIABLE _rc)
      if(_rc EQUAL 0 AND _owner MATCHES "^([^:, ]+)")
        set(_package "${CMAKE_MATCH_1}")
        break()
      endif()
    endforeach()
  endif()
  if(NOT _package)
    message(FATAL_ERROR "DebDepends: no Debian package known for ${_soname}; add it to cmake/DebDepends.cmake")
  endif()
  list(FIND _seen "${_package}" _index)
  if(NOT _index EQUAL -1)
    continue()
  endif()
  list(APPEND _seen "${_package}")

  set(_version "")
  execute_process(COMMAND dpkg-query -W -f=\${Version} "${_package}:${SHOWGUARD_DEB_ARCH}"
                  OUTPUT_VARIABLE _version ERROR_QUIET RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0 AND SHOWGUARD_SYSROOT AND EXISTS "${SHOWGUARD_SYSROOT}/var/lib/dpkg/status")
    execute_process(COMMAND dpkg-query --admindir=${SHOWGUARD_SYSROOT}/var/lib/dpkg -W -f=\${Version} "${_package}"
                    OUTPUT_VARIABLE _version ERROR_QUIET RESULT_VARIABLE _rc)
  endif()
  if(NOT (_rc EQUAL 0 AND _version) AND _package STREQUAL "libc6")
    # No package database to ask (a sysroot made from unpacked packages): the newest glibc
    # symbol version the binary needs is the oldest libc6 that has them all.
    execute_process(COMMAND ${_readelf} -V --wide "${SHOWGUARD_BINARY}" OUTPUT_VARIABLE _symbol_versions)
    string(REGEX MATCHALL "GLIBC_[0-9]+\\.[0-9]+" _glibc "${_symbol_versions}")
    set(_version "")
    foreach(_v IN LISTS _glibc)
      string(REPLACE "GLIBC_" "" _v "${_v}")
      if(_v VERSION_GREATER _version)
        set(_version "${_v}")
      endif()
    endforeach()
    set(_rc 0)
  endif()
  if(_rc EQUAL 0 AND _version)
    # Upstream version only: any Debian revision of it will do.
    string(REGEX REPLACE "-[^-]*$" "" _version "${_version}")
    list(APPEND _depends "${_package} (>= ${_version})")
  else()
    list(APPEND _depends "${_package}")
  endif()
endforeach()
list(JOIN _depends ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
message(STATUS "DebDepends: ${CPACK_DEBIAN_PACKAGE_DEPENDS}")
