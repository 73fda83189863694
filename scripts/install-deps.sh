#!/usr/bin/env bash
# Installs what building and testing showguard on Debian 12 needs, and the
# extra packages a tier names as arguments (scripts/test-fuzz.sh: clang ...). Idempotent.
set -euo pipefail

packages=(
	g++ cmake ninja-build pkgconf
	libgpiod-dev gpiod libboost-program-options-dev libspdlog-dev libfmt-dev libgtest-dev
	libcurl4-openssl-dev nlohmann-json3-dev
	python3 util-linux procps bash
	strace
	"$@"
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# A transient index mismatch of a foreign architecture can fail the
	# update; the install below is the real check.
	apt-get update -q || echo "install-deps: apt-get update reported an error; trying the install anyway"
	apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"
fi
