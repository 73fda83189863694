# Cross-compile showguard for 64-bit Raspberry Pi OS (Pi 3, 4, 5, Zero 2 W) with Debian's
# aarch64-linux-gnu-g++ (package g++-aarch64-linux-gnu).
#
#   cmake -S . -B build-arm64 --toolchain toolchain/aarch64-linux-gnu.cmake
#   cmake -S . -B build-arm64 --toolchain toolchain/aarch64-linux-gnu.cmake \
#         -DSHOWGUARD_SYSROOT=/mnt/raspios-root
#
# Libraries come from the multiarch :arm64 packages (scripts/install-cross-deps.sh) or, with
# SHOWGUARD_SYSROOT, from a root file system of the target. Tests run through qemu-aarch64.
set(SHOWGUARD_TARGET_TRIPLET aarch64-linux-gnu)
set(SHOWGUARD_TARGET_PROCESSOR aarch64)
set(SHOWGUARD_TARGET_QEMU qemu-aarch64)
set(SHOWGUARD_TARGET_LOADER ld-linux-aarch64.so.1)
include("${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake")
