#!/usr/bin/env bash
# The main job, on a fresh Debian 12 as root: installs what is needed,
# builds showguard and runs a demo show under the guard.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build >/dev/null
exec bash examples/demo.sh build/src/showguard
