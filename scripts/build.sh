#!/usr/bin/env bash
# Configures and builds showguard into build/ (or $1) with the host toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
cmake -S . -B "$build" -G Ninja -DSHOWGUARD_WARNINGS_AS_ERRORS=ON "$@"
cmake --build "$build"
