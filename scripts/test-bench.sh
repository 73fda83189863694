#!/usr/bin/env bash
# The benchmark harness's smoke run for the extra tier: every section of
# bench/run.sh once, briefly (--quick, under a minute). It proves the harness
# works: that each section ran, its figures parsed, and that no hand-over let
# two shows overlap. It prints "N passed, M failed" for those checks only;
# timing targets are reported, never failed on (bench/README.md has the full
# run's figures).
set -euo pipefail
cd "$(dirname "$0")/.."
bash bench/run.sh --quick
