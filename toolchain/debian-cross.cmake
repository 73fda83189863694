# Shared part of the toolchain files: Debian's cross compilers, multiarch or sysroot libraries,
# the target's pkg-config, and qemu-user as the emulator for ctest and gtest_discover_tests.
# Included by toolchain/<triplet>.cmake, which sets SHOWGUARD_TARGET_TRIPLET,
# SHOWGUARD_TARGET_PROCESSOR and SHOWGUARD_TARGET_QEMU.
#
# SHOWGUARD_SYSROOT (cache variable or environment variable): root file system of the target,
# e.g. a mounted Raspberry Pi OS image or scripts/make-target-sysroot.sh's output. Unset: the
# multiarch packages installed on this machine (/usr/lib/<triplet>, /usr/include/<triplet>).
#
# With a sysroot, Debian's cross gcc still puts its own cross libc first: crt files, libc.so and
# the libc headers come from /usr/<triplet> (libc6-dev-<arch>-cross, glibc 2.36 on bookworm),
# the other libraries and headers from the sysroot. Fine for a bookworm-based Raspberry Pi OS
# (also glibc 2.36); binaries linked so need GLIBC_2.34 or newer on the target, so an older
# (bullseye, glibc 2.31) image cannot run them.
#
# CMake reads a toolchain file again for every try_compile, in a project of its own; whatever
# this file needs there is forwarded through CMAKE_TRY_COMPILE_PLATFORM_VARIABLES.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR "${SHOWGUARD_TARGET_PROCESSOR}")
set(CMAKE_LIBRARY_ARCHITECTURE "${SHOWGUARD_TARGET_TRIPLET}")

set(CMAKE_C_COMPILER "${SHOWGUARD_TARGET_TRIPLET}-gcc")
set(CMAKE_CXX_COMPILER "${SHOWGUARD_TARGET_TRIPLET}-g++")

if(NOT DEFINED SHOWGUARD_SYSROOT AND DEFINED ENV{SHOWGUARD_SYSROOT})
  set(SHOWGUARD_SYSROOT "$ENV{SHOWGUARD_SYSROOT}")
endif()
set(SHOWGUARD_SYSROOT "${SHOWGUARD_SYSROOT}" CACHE PATH
    "Root file system of the target (a mounted Raspberry Pi OS image); empty: multiarch packages")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SHOWGUARD_SYSROOT)

# Host tools (code generators, the emulator) are always host programs.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

if(SHOWGUARD_SYSROOT)
  if(NOT IS_DIRECTORY "${SHOWGUARD_SYSROOT}/usr/lib/${SHOWGUARD_TARGET_TRIPLET}")
    message(FATAL_ERROR "SHOWGUARD_SYSROOT=${SHOWGUARD_SYSROOT} has no "
                        "usr/lib/${SHOWGUARD_TARGET_TRIPLET}: not a ${SHOWGUARD_TARGET_TRIPLET} root")
  endif()
  set(CMAKE_SYSROOT "${SHOWGUARD_SYSROOT}")
  set(CMAKE_FIND_ROOT_PATH "${SHOWGUARD_SYSROOT}")
  # Headers, libraries and CMake packages of the target only: never the host's.
  set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
  set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
  set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
  # pkg-config: the target's .pc files only, their paths prefixed with the sysroot.
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${SHOWGUARD_SYSROOT}")
  set(ENV{PKG_CONFIG_LIBDIR}
      "${SHOWGUARD_SYSROOT}/usr/lib/${SHOWGUARD_TARGET_TRIPLET}/pkgconfig:${SHOWGUARD_SYSROOT}/usr/lib/pkgconfig:${SHOWGUARD_SYSROOT}/usr/share/pkgconfig")
  # The target's dynamic loader and libraries, all inside the sysroot.
  set(_showguard_qemu_root "${SHOWGUARD_SYSROOT}")
else()
  # Debian multiarch: the target's libraries live on this machine in /usr/lib/<triplet> and its
  # CMake packages in /usr/lib/<triplet>/cmake, next to the host's; CMAKE_LIBRARY_ARCHITECTURE
  # steers every search there. The cross libc lives in /usr/<triplet>. BOTH, not ONLY: ONLY
  # would re-root /usr/lib/<triplet> below /usr/<triplet> and miss the multiarch packages.
  set(CMAKE_FIND_ROOT_PATH "/usr/${SHOWGUARD_TARGET_TRIPLET}")
  set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
  set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
  set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
  # qemu's -L root: the target's own libc6:<arch> (multiarch, loader in /lib) when installed,
  # else the cross toolchain's copy in /usr/<triplet>. The first matters: a dynamically linked
  # program that forks hangs in the child under qemu-user 7.2 with the cross copy
  # (libc6-arm64-cross 2.36-8cross1), and runs with Debian's libc6:arm64 2.36-9+deb12u14.
  if(EXISTS "/lib/${SHOWGUARD_TARGET_LOADER}")
    set(_showguard_qemu_root "/")
  else()
    set(_showguard_qemu_root "/usr/${SHOWGUARD_TARGET_TRIPLET}")
  endif()
endif()

# pkgconf:<arch> ships <triplet>-pkg-config, whose search path is the target's pkgconfig
# directories only (the plain pkg-config would hand out the host's amd64 libraries).
# PKG_CONFIG_LIBDIR and PKG_CONFIG_SYSROOT_DIR from the environment override it.
find_program(SHOWGUARD_TARGET_PKG_CONFIG NAMES "${SHOWGUARD_TARGET_TRIPLET}-pkg-config")
if(SHOWGUARD_TARGET_PKG_CONFIG)
  set(PKG_CONFIG_EXECUTABLE "${SHOWGUARD_TARGET_PKG_CONFIG}" CACHE FILEPATH "pkg-config for the target")
elseif(SHOWGUARD_SYSROOT)
  # Safe with the sysroot: PKG_CONFIG_LIBDIR above restricts the search to the target.
  find_program(PKG_CONFIG_EXECUTABLE NAMES pkgconf pkg-config)
else()
  message(WARNING "${SHOWGUARD_TARGET_TRIPLET}-pkg-config not found (install pkgconf:<arch>); "
                  "pkg-config lookups would find the host's libraries")
endif()

# Run target binaries (ctest, gtest_discover_tests) through qemu-user: binfmt_misc is not
# relied upon (it is often not mounted in containers and CI). -L points qemu at the target's
# dynamic loader; libraries it does not find below that prefix are looked up at the same path
# on the host, which is where multiarch installs them.
find_program(SHOWGUARD_QEMU NAMES "${SHOWGUARD_TARGET_QEMU}")
if(SHOWGUARD_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${SHOWGUARD_QEMU};-L;${_showguard_qemu_root}")
else()
  message(WARNING "${SHOWGUARD_TARGET_QEMU} not found (install qemu-user): tests cannot run")
endif()
unset(_showguard_qemu_root)
