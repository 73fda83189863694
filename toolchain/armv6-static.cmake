# Cross-compile showguard for every 32-bit Raspberry Pi OS: one fully static ARMv6 binary that
# runs on the ARMv6 boards (Pi 1, Zero, Zero W), on ARMv7 (Pi 2) and on ARMv8 in AArch32
# (Pi 3, 4, 5, Zero 2 W running a 32-bit system), bookworm or trixie.
#
#   scripts/install-cross-deps.sh --arch armel        # g++-arm-linux-gnueabi, the armel sysroot
#   cmake --preset rpi-armv6                          # this file, build-armv6/
#
# Why armel and static: Debian's armhf toolchain and libraries are ARMv7 (Thumb-2, VFPv3), so
# nothing built with them runs on an ARM1176. Debian's armel port (baseline ARMv5TE, ARM mode,
# soft-float calling convention) runs on all of them, but Raspberry Pi OS has no armel
# libraries to link against at run time. Linked fully statically (glibc, libstdc++, Boost,
# libgpiod) the binary needs nothing from the userland, so its float ABI does not matter: it
# talks only to the kernel. What static glibc cannot do, and what this build does instead
# (SHOWGUARD_FULLY_STATIC):
#   - NSS: getpwnam() and friends need the shared libnss_* of the same glibc; --user, --group
#     and the record's user are read from /etc/passwd and /etc/group (src/passwd_file.cpp).
#   - dlopen(): the etcd backend loads libcurl, which a static binary cannot do safely; asking
#     for it is a one-line error naming this build (exit 69), and libcurl is not needed to build.
#
# Code generation: our code for ARMv6 with VFPv2 (the ARM1176JZF-S of the Pi 1 and Zero),
# softfp so it links with the soft-float armel archives; those stay ARMv5TE, which ARMv6 runs.
# Tests run under `qemu-arm -cpu arm1176`, which raises SIGILL on any ARMv7 instruction; the
# CPU is SHOWGUARD_QEMU_CPU (cortex-a7 for the ARMv7 check).
#
# Libraries come from a sysroot of armel packages (scripts/make-target-sysroot.sh armel), not
# from multiarch :armel packages: Debian 12's security archive (LTS) no longer carries armel, so
# armel -dev packages cannot match the host's updated Multi-Arch: same packages.
set(SHOWGUARD_TARGET_TRIPLET arm-linux-gnueabi)
set(SHOWGUARD_TARGET_PROCESSOR arm)
set(SHOWGUARD_TARGET_QEMU qemu-arm)
set(SHOWGUARD_TARGET_LOADER ld-linux.so.3)

if(NOT DEFINED SHOWGUARD_SYSROOT AND NOT DEFINED ENV{SHOWGUARD_SYSROOT})
  if(DEFINED ENV{SHOWGUARD_CACHE})
    set(SHOWGUARD_SYSROOT "$ENV{SHOWGUARD_CACHE}/sysroot-armel")
  else()
    set(SHOWGUARD_SYSROOT "/var/cache/showguard/sysroot-armel")
  endif()
endif()
include("${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake")

# -Wno-psabi: gcc's notes that GCC 7.1 changed how some structs are passed on ARM concern
# mixing objects built by gcc 6 and older; nothing here is.
set(_showguard_armv6_flags "-march=armv6 -mfpu=vfp -mfloat-abi=softfp -marm -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64 -Wno-psabi")
set(CMAKE_C_FLAGS_INIT "${_showguard_armv6_flags}")
set(CMAKE_CXX_FLAGS_INIT "${_showguard_armv6_flags}")
unset(_showguard_armv6_flags)
# Every program, the tests too, so that they prove what the shipped binary does.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(SHOWGUARD_FULLY_STATIC ON CACHE BOOL "Link every program fully statically (no NSS, no dlopen)")

# A static binary needs no -L root for qemu; the CPU is what the tests prove.
set(SHOWGUARD_QEMU_CPU arm1176 CACHE STRING "qemu-arm -cpu for the tests: arm1176 (ARMv6, Pi 1/Zero) or cortex-a7 (ARMv7)")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SHOWGUARD_QEMU_CPU)
if(SHOWGUARD_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${SHOWGUARD_QEMU};-cpu;${SHOWGUARD_QEMU_CPU}")
endif()
