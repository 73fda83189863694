# Cross-compile showguard for 32-bit Raspberry Pi OS on ARMv7 and later boards (Pi 2, 3, 4, 5,
# Zero 2 W) with Debian's arm-linux-gnueabihf-g++ (package g++-arm-linux-gnueabihf).
#
#   cmake -S . -B build-armhf --toolchain toolchain/arm-linux-gnueabihf.cmake
#   cmake -S . -B build-armhf --toolchain toolchain/arm-linux-gnueabihf.cmake \
#         -DSHOWGUARD_SYSROOT=/var/cache/showguard/sysroot-armhf
#
# Debian's armhf is ARMv7 with Thumb-2: its compiler, crt files and libstdc++ cannot make
# binaries for the ARMv6 boards (Pi 1, Zero, Zero W), even against a Raspberry Pi OS sysroot.
# Tests run through qemu-arm.
set(SHOWGUARD_TARGET_TRIPLET arm-linux-gnueabihf)
set(SHOWGUARD_TARGET_PROCESSOR arm)
set(SHOWGUARD_TARGET_QEMU qemu-arm)
set(SHOWGUARD_TARGET_LOADER ld-linux-armhf.so.3)
include("${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake")
