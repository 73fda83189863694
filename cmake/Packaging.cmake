# Install rules and the Debian package (CPack DEB generator).
#
#   cmake -S . -B build -DCMAKE_INSTALL_PREFIX=/usr && cmake --build build
#   cpack --config build/CPackConfig.cmake -B build/packages
#
# gives build/packages/showguard_VERSION_ARCH.deb for the architecture the
# build targets (amd64, arm64 or armhf), with Depends computed at packaging
# time from the binary's NEEDED libraries (cmake/DebDepends.cmake).
include(GNUInstallDirs)

# Units under /usr/lib/systemd/system: where Debian 13 (trixie) puts them and
# lintian there expects them, and on Debian 12 (bookworm) /lib is /usr/lib
# (every bookworm system has merged /usr: init-system-helpers requires it) and
# systemd 252 searches /usr/lib/systemd/system anyway. tmpfiles under
# /usr/lib/tmpfiles.d on both.
set(SHOWGUARD_SYSTEMD_UNIT_DIR "/usr/lib/systemd/system" CACHE PATH "Where the systemd unit is installed")
set(SHOWGUARD_TMPFILES_DIR "/usr/lib/tmpfiles.d" CACHE PATH "Where the tmpfiles.d snippet is installed")

install(FILES ${PROJECT_SOURCE_DIR}/systemd/showguard@.service DESTINATION ${SHOWGUARD_SYSTEMD_UNIT_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/systemd/showguard.tmpfiles DESTINATION ${SHOWGUARD_TMPFILES_DIR}
        RENAME showguard.conf)
install(FILES ${PROJECT_SOURCE_DIR}/config/showguard.conf DESTINATION /etc/showguard)
install(FILES ${PROJECT_SOURCE_DIR}/config/shows/example.conf DESTINATION /etc/showguard/shows)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/showguard.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME showguard)

# Compressed man page and Debian changelog, reproducibly (gzip -n).
find_program(SHOWGUARD_GZIP gzip REQUIRED)
set(_doc ${CMAKE_CURRENT_BINARY_DIR}/doc)
configure_file(${PROJECT_SOURCE_DIR}/packaging/changelog.in ${_doc}/changelog.Debian @ONLY)
add_custom_command(OUTPUT ${_doc}/showguard.1.gz ${_doc}/changelog.gz
  COMMAND ${SHOWGUARD_GZIP} -9nc ${PROJECT_SOURCE_DIR}/docs/showguard.1 > ${_doc}/showguard.1.gz
  COMMAND ${SHOWGUARD_GZIP} -9nc ${_doc}/changelog.Debian > ${_doc}/changelog.gz
  DEPENDS ${PROJECT_SOURCE_DIR}/docs/showguard.1 ${_doc}/changelog.Debian
  VERBATIM)
add_custom_target(showguard_docs ALL DEPENDS ${_doc}/showguard.1.gz ${_doc}/changelog.gz)
install(FILES ${_doc}/showguard.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${_doc}/changelog.gz ${PROJECT_SOURCE_DIR}/packaging/copyright
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/showguard)

# The Debian architecture of the build.
if(CMAKE_LIBRARY_ARCHITECTURE MATCHES "^aarch64")
  set(SHOWGUARD_DEB_ARCH arm64)
elseif(CMAKE_LIBRARY_ARCHITECTURE MATCHES "^arm-linux-gnueabihf")
  set(SHOWGUARD_DEB_ARCH armhf)
elseif(CMAKE_LIBRARY_ARCHITECTURE MATCHES "^arm-linux-gnueabi" AND SHOWGUARD_FULLY_STATIC)
  # The static ARMv6 build is the armhf package: it runs on every 32-bit Raspberry Pi OS.
  set(SHOWGUARD_DEB_ARCH armhf)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(SHOWGUARD_DEB_ARCH amd64)
else()
  set(SHOWGUARD_DEB_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME showguard)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "showguard developers <dev@showguard.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "process guard for light shows")
# CPack puts the summary first and indents these lines under it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "showguard runs a light show only while it holds the show's kernel lock, so
two copies of one show never drive the same lights and audio. It lights a
status LED over GPIO, stops the show and whatever it left behind cleanly,
restarts it by policy, and starts shows at boot from showguard@NAME.service.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${SHOWGUARD_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The etcd backend dlopen()s libcurl (src/libcurl.hpp), so it is no NEEDED
# entry and no Depends: a controller that only takes local locks needs none
# of it. 7.85 for CURLOPT_PROTOCOLS_STR. Debian 13 renamed the package
# libcurl4t64 (same libcurl.so.4; on armhf it provides no libcurl4), so the
# alternative keeps the Recommends satisfiable on both releases.
if(NOT SHOWGUARD_FULLY_STATIC) # which has no etcd backend (src/etcd_client_static.cpp)
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libcurl4 (>= 7.85.0) | libcurl4t64")
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

# Maintainer scripts and the conffiles list (files under /etc).
set(_ctl ${CMAKE_CURRENT_BINARY_DIR}/debian-control)
file(MAKE_DIRECTORY ${_ctl})
file(WRITE ${_ctl}/conffiles "/etc/showguard/showguard.conf\n/etc/showguard/shows/example.conf\n")
foreach(script postinst prerm postrm)
  file(COPY ${PROJECT_SOURCE_DIR}/packaging/${script} DESTINATION ${_ctl}
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${_ctl}/conffiles ${_ctl}/postinst ${_ctl}/prerm ${_ctl}/postrm)
if(SHOWGUARD_FULLY_STATIC)
  # Refuses to install where the static ARMv6 binary cannot run, naming the CPU and the right package.
  set(VERSION ${PROJECT_VERSION})
  configure_file(${PROJECT_SOURCE_DIR}/packaging/preinst.armv6.in ${_ctl}/preinst @ONLY
                 FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  list(APPEND CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${_ctl}/preinst)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/lintian-overrides.armv6
          DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME showguard)
endif()

# Depends are computed when cpack runs, from the built binary.
set(SHOWGUARD_PACKAGED_BINARY $<TARGET_FILE:showguard>)
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_BINARY_DIR}/CPackProjectConfig.cmake)
file(GENERATE OUTPUT ${CPACK_PROJECT_CONFIG_FILE} CONTENT
"set(SHOWGUARD_BINARY \"$<TARGET_FILE:showguard>\")
set(SHOWGUARD_DEB_ARCH \"${SHOWGUARD_DEB_ARCH}\")
set(SHOWGUARD_SYSROOT \"${SHOWGUARD_SYSROOT}\")
set(SHOWGUARD_LIBRARY_ARCHITECTURE \"${CMAKE_LIBRARY_ARCHITECTURE}\")
include(\"${PROJECT_SOURCE_DIR}/cmake/DebDepends.cmake\")
")
include(CPack)
