# Run by cpack (CPACK_PROJECT_CONFIG_FILE): computes the package's Depends
# from the NEEDED entries of the built binary, for whatever architecture it
# was built: each shared library maps to the Debian package that ships it,
# at least at the version this build was linked against (dpkg-query for the
# target architecture when the multiarch package is installed, else the
# sysroot's status file), so Depends follow the linking choices.
if(NOT CPACK_GENERATOR STREQUAL "DEB" OR NOT EXISTS "${SHOWGUARD_BINARY}")
  return()
endif()

find_program(_readelf NAMES readelf REQUIRED)
execute_process(COMMAND ${_readelf} -d "${SHOWGUARD_BINARY}" OUTPUT_VARIABLE _dynamic COMMAND_ERROR_IS_FATAL ANY)
string(REGEX MATCHALL "Shared library: \\[[^]]+\\]" _needed "${_dynamic}")

# soname -> package in Debian bookworm and Raspberry Pi OS bookworm.
set(_package_libgpiod.so.2 libgpiod2)
set(_package_libgpiodcxx.so.1 libgpiodcxx1)
set(_package_libgpiod.so.3 libgpiod3)
set(_package_libgpiodcxx.so.2 libgpiod3)
set(_package_libboost_program_options.so.1.74.0 libboost-program-options1.74.0)
set(_package_libspdlog.so.1.10 libspdlog1.10)
set(_package_libfmt.so.9 libfmt9)
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
