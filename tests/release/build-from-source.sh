#!/usr/bin/env bash
# The trixie tier: showguard built from source in a minimal Debian root of SUITE (default
# trixie: g++ 14, CMake 3.31, libgpiod 2.2, Boost 1.83, spdlog 1.15, fmt 10), with that
# release's own packages, its unit and integration tests run there (on this machine's kernel),
# and the package cpack makes there checked: Depends on that release's packages, no path of
# the tree it was built in.
#
#   bash tests/release/build-from-source.sh [--prepare] [SUITE]
#
# --prepare only makes the cached root (scripts/test.sh does that ahead, in the background).
#
# The root with the build dependencies is cached as a tarball (tests/release/lib.sh); each run
# builds in a fresh copy, from the files git knows of in this tree (or all but build*/). Prints ctest's summary and
# "N passed, M failed" for the package checks. RELEASE_KEEP=DIR keeps the built package there.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
prepare=0
[[ ${1:-} != --prepare ]] || { prepare=1; shift; }
suite=${1:-trixie}
arch=$(dpkg --print-architecture)

build_packages=(
	g++ cmake ninja-build pkgconf
	libgpiod-dev gpiod libboost-program-options-dev libspdlog-dev libfmt-dev libgtest-dev
	libcurl4-openssl-dev nlohmann-json3-dev
	python3 util-linux procps bash dpkg-dev strace
)

work=$(mktemp -d "${TMPDIR:-/tmp}/showguard-$suite.XXXXXX")
trap 'release_cleanup "$work/root"; rm -rf "$work"' EXIT

started=$(date +%s)
base=$(release_root "$suite" "$arch")
tarball=$(release_derive "$base" "$suite-$arch-build" "${build_packages[@]}")
((prepare == 0)) || exit 0
release_unpack "$tarball" "$work/root"
echo "root ready: $(($(date +%s) - started))s"

# The source at a path no release binary may mention.
src=/root/showguard-source-tree
mkdir -p "$work/root$src"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		(cd "$top" && tar --null -T - -cf -) | tar -C "$work/root$src" -xf -
else
	# Not a git checkout: everything but build directories and logs.
	tar -C "$top" --exclude='./build*' --exclude='./.git' -cf - . | tar -C "$work/root$src" -xf -
fi

release_chroot "$work/root" sh -c 'g++ --version | head -n 1; cmake --version | head -n 1; dpkg-query -W libgpiod-dev libfmt-dev libspdlog-dev libboost-program-options-dev'
rc=0
release_chroot "$work/root" bash -c "
	set -e
	cd $src
	cmake -S . -B build -G Ninja -DSHOWGUARD_WARNINGS_AS_ERRORS=ON -DCMAKE_INSTALL_PREFIX=/usr -Wdev 2>&1 | tee configure.log
	! grep -n 'CMake Warning\|CMake Deprecation Warning' configure.log
	cmake --build build -j2
	r=0
	ctest --test-dir build -L '^(unit|integration)\$' -j2 --output-on-failure || r=\$?
	python3 scripts/ctest-tally.py build $suite || true
	exit \$r
" || rc=$?
echo "build and tests in $suite: $(($(date +%s) - started))s"
((rc == 0)) || exit $rc

# The package made in this release.
passed=0
failed=0
check() {
	local name=$1
	shift
	if "$@"; then echo "ok   $name"; passed=$((passed + 1)); else echo "FAIL $name"; failed=$((failed + 1)); fi
}
release_chroot "$work/root" sh -c "cd $src/build && cpack -B packages >/dev/null"
deb=$(ls "$work/root$src/build/packages/"showguard_*.deb)
dpkg-deb -f "$deb" Package Version Architecture Depends Recommends
dpkg-deb -x "$deb" "$work/pkg"
check "package has /usr/bin/showguard" test -x "$work/pkg/usr/bin/showguard"
check "package has the unit in /usr/lib/systemd/system" test -f "$work/pkg/usr/lib/systemd/system/showguard@.service"
check "package has the boards" test -f "$work/pkg/usr/share/showguard/boards/pi4b.conf"
check "the binary names no path of the build tree" bash -c '! grep -rqa "$0" "$1"' "$src" "$work/pkg"
check "Depends computed (libc6 with a version)" bash -c 'dpkg-deb -f "$0" Depends | grep -q "libc6 (>= "' "$deb"
check "Recommends libcurl4 | libcurl4t64" bash -c 'dpkg-deb -f "$0" Recommends | grep -q "libcurl4t64"' "$deb"
[[ -n ${RELEASE_KEEP:-} ]] && mkdir -p "$RELEASE_KEEP" && cp "$deb" "$RELEASE_KEEP/"
echo "$passed passed, $failed failed"
echo "tally: $suite package: $passed passed, $failed failed, 0 skipped"
((failed == 0))
