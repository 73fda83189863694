#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Counts the individual tests of a build's last ctest run from its log
(BUILD/Testing/Temporary/LastTest.log): a Python unittest file counts as the
tests it ran (its "Ran N tests" and its ok, FAIL, ERROR and skipped lines),
every other ctest test (a GoogleTest case, torture, chaos, a fuzz target) as
one. Prints one "skipped:" line per skipped test with its reason, the ctest
tests that failed with the last lines of their output, and last

    tally: LABEL: N passed, M failed, K skipped

which scripts/test.sh adds up.

    ctest-tally.py BUILD_DIR [LABEL]"""

import os
import re
import sys

TEST_HEADER = re.compile(r"^\d+/\d+ Test: (\S+)$")
RESULT = re.compile(r"^(test\w*) \(([\w.]+)\) \.\.\. ?(.*)$")
SKIP = re.compile(r"skipped '(.*)'$")
RAN = re.compile(r"^Ran (\d+) tests? in ")
SUMMARY = re.compile(r"^(OK|FAILED)(?: \((.*)\))?$")


def parse(path):
    """Yields (ctest name, output lines, passed?) for each test of the log."""
    name, output, in_output, passed = None, [], False, None
    with open(path, errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\n")
            header = TEST_HEADER.match(line)
            if header:
                if name is not None:
                    yield name, output, passed if passed == "skipped" else bool(passed)
                name, output, in_output, passed = header.group(1), [], False, None
            elif name is None:
                continue
            elif line == "Output:":
                in_output = True
            elif line == "<end of output>":
                in_output = False
            elif in_output:
                if line != "-" * 58 or output:
                    output.append(line)
            elif line.startswith("Test Passed."):
                passed = True
            elif line.startswith("Test Failed") or line.startswith("Test Not Run"):
                passed = False
            elif line.startswith("Skip regular expression found"):
                passed = "skipped"  # GTEST_SKIP(): ctest's skip, not a pass
    if name is not None:
        yield name, output, passed if passed == "skipped" else bool(passed)


def unittest_counts(output):
    """(passed, failed, [(test, reason)]) of a unittest run's output, or None
    if the output is not one."""
    ran = failures = None
    skipped, failed_names, last_test = [], [], None
    for line in output:
        result = RESULT.match(line)
        if result:
            # "test_x (__main__.Class.test_x)" (3.11) or "test_x (__main__.Class)"
            where = [p for p in result.group(2).split(".") if p not in ("__main__", result.group(1))]
            last_test, rest = ".".join(where[-1:] + [result.group(1)]), result.group(3)
        else:
            rest = line
        skip = SKIP.search(rest)
        if skip and last_test:
            skipped.append((last_test, skip.group(1)))
        elif rest in ("FAIL", "ERROR") and last_test:
            failed_names.append(last_test)
        m = RAN.match(line)
        if m:
            ran = int(m.group(1))
        m = SUMMARY.match(line)
        if m and ran is not None:
            failures = 0
            for part in (m.group(2) or "").split(", "):
                key, _, value = part.partition("=")
                if key in ("failures", "errors", "unexpected successes"):
                    failures += int(value)
    if ran is None:
        return None
    if failures is None:  # died before its summary
        failures = max(1, len(failed_names))
    return ran - failures - len(skipped), failures, skipped


def why(output):
    """The reason of each failed unittest test (its FAIL/ERROR heading and the
    exception's last line), else the output's last lines."""
    reasons, heading, last = [], None, None
    for line in output + ["=" * 70]:
        if line.startswith(("FAIL: ", "ERROR: ")):
            heading, last = line, None
        elif heading and (re.match(r"^(=|-){20,}$", line) or RAN.match(line)):
            if last is not None:
                reasons += [heading, "  " + last[:400]]
                heading = None
        elif heading and line.strip():
            last = line.strip()
    return reasons or [line for line in output if line.strip()][-8:]


def main():
    build = sys.argv[1]
    label = sys.argv[2] if len(sys.argv) > 2 else os.path.basename(os.path.abspath(build))
    log = os.path.join(build, "Testing", "Temporary", "LastTest.log")
    if not os.path.exists(log):
        print(f"tally: {label}: no ctest log at {log}")
        print(f"tally: {label}: 0 passed, 1 failed, 0 skipped")
        return 1
    passed = failed = 0
    skips, failing = [], []
    for name, output, ok in parse(log):
        if name.startswith("failures."):
            continue  # the run's own report of the others (tests/report_failures.py)
        if ok == "skipped":
            # GoogleTest prints the skip's message on the line after "FILE:LINE: Skipped".
            reason = next((output[i + 1] for i, line in enumerate(output[:-1]) if line.endswith(": Skipped")),
                          "skipped")
            skips.append((name, reason))
            continue
        counts = unittest_counts(output)
        if counts is None:
            passed, failed = passed + ok, failed + (not ok)
        else:
            p, f, s = counts
            # A file whose tests passed but which failed as a whole (a sanitizer
            # report after the last test, a crash, a timeout) is one failure more.
            if not ok and f == 0:
                f = 1
            passed, failed = passed + p, failed + f
            skips += [(f"{name} {test}", reason) for test, reason in s]
        if not ok:
            failing.append((name, output))
    for test, reason in skips:
        print(f"skipped: {label}: {test}: {reason}")
    for name, output in failing:
        print(f"failed: {label}: {name}")
        for line in why(output):
            print(f"    {line}")
    print(f"tally: {label}: {passed} passed, {failed} failed, {len(skips)} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
