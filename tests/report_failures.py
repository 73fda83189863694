#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The last test of a ctest run (failures.report, a fixture cleanup every test
requires): prints each failed test and why, as the tests noted them
(harness.record_failure), and fails if there is any, so that ctest prints this
right before its own list of failed tests, on the last lines of the run (of a
`cmake --workflow` test step too), where a user sees the reason without
scrolling back. A GoogleTest case's reason is in its own output above."""

import os
import sys

log = sys.argv[1]
lines = open(log).read().splitlines() if os.path.exists(log) else []
if lines:
    print(f"{len(lines)} failed:")
    for line in lines:
        print(f"  {line}")
sys.exit(1 if lines else 0)
