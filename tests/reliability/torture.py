# SPDX-License-Identifier: GPL-2.0-or-later
"""Torture: TORTURE_GUARDS guards (default 32) race for TORTURE_SECONDS (default
120) for four shows that share two resources, each guard picking at random no
wait, --wait or --wait=DURATION. Every show's body (critical_section) enters a
marker for its show and for each of its resources, so two holders at once are
seen, not inferred. Prints runs, refusals, timeouts, overlaps (must be 0), the
hand-over latency of guards that waited (from the exit of the last show that
shared a lock with it to its own show's start, both on the monotonic clock),
and checks with util-linux flock that no lock is left held."""

import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from harness import EMULATOR, SLOW, lock_is_held, record_failure, showguard_cmd
from overlap_canary import deliberate_overlap, seen

SECONDS = float(os.environ.get("TORTURE_SECONDS", "120"))
GUARDS = int(os.environ.get("TORTURE_GUARDS", "32"))
BODY = EMULATOR + [os.environ["CRITICAL_SECTION"]]

# Show -> its resources. Every show shares a resource with another, and
# "foyer" none, so refusals come from shows and from resources.
SHOWS = {
    "stage-left": ["dmx1"],
    "stage-right": ["dmx1", "audio"],
    "lobby": ["audio"],
    "foyer": [],
}
MODES = ["none", "wait", "wait-duration"]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def parse_log(path):
    starts, ends, overlaps, errors = {}, {}, [], []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                word, tag, *rest = line.split()
                if word == "start":
                    starts[tag] = int(rest[1])
                elif word == "end":
                    ends[tag] = int(rest[1])
                elif word == "overlap":
                    overlaps.append(line.strip())
                else:
                    errors.append(line.strip())
    return starts, ends, overlaps, errors


def main():
    tmp = tempfile.mkdtemp(prefix="showguard-torture-")
    lock_dir = os.path.join(tmp, "locks")
    log = os.path.join(tmp, "bodies.log")
    guards = {}  # tag -> dict(show, mode, code, waited, stderr)
    lock = threading.Lock()
    stop_at = time.monotonic() + SECONDS

    def racer(index):
        rnd = random.Random(index)
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            tag = f"g{index}.{n}"
            show = rnd.choice(list(SHOWS))
            mode = rnd.choice(MODES)
            options = [opt for r in SHOWS[show] for opt in ("--resource", r)]
            if mode == "wait":
                options.append("--wait")
            elif mode == "wait-duration":
                options.append(f"--wait={rnd.choice([50, 200, 500, 1000, 2000])}ms")
            markers = [opt for name in [show, *SHOWS[show]]
                       for opt in ("--marker", os.path.join(tmp, "marker." + name))]
            cmd = showguard_cmd("--show", show, "--lock-dir", lock_dir, "--log-level", "info", *options,
                                "--", *BODY, "--log", log, "--tag", tag, *markers,
                                "--hold-ms", str(rnd.randint(5, 60)))
            try:
                result = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True, timeout=60 * SLOW)
                code, err = result.returncode, result.stderr
            except subprocess.TimeoutExpired as e:  # run() has killed it
                code, err = "hung", f"still running after {e.timeout:.0f} s"
            with lock:
                guards[tag] = {"show": show, "mode": mode, "code": code,
                               "waited": "waiting for" in err, "stderr": err}

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(GUARDS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started

    starts, ends, overlaps, body_errors = parse_log(log)
    runs = [t for t, g in guards.items() if g["code"] == 0]
    refusals = [t for t, g in guards.items() if g["code"] == 75 and "busy" in g["stderr"]]
    timeouts = [t for t, g in guards.items() if g["code"] == 75 and "gave up waiting" in g["stderr"]]
    other = {t: g for t, g in guards.items() if t not in runs + refusals + timeouts}
    # A guard that refused or timed out never started its show; one that ran did, once.
    unstarted_runs = [t for t in runs if t not in starts or t not in ends]
    stray_starts = [t for t in starts if t not in runs]

    # Hand-over latency: from the end of the last show that shared a lock with
    # a waiting guard's show, to that show's start.
    def locks_of(tag):
        show = guards[tag]["show"]
        return {show, *SHOWS[show]}

    latencies = []
    for tag in runs:
        g = guards[tag]
        if not g["waited"] or tag not in starts:
            continue
        mine = locks_of(tag)
        before = [ends[t] for t in runs if t != tag and t in ends and ends[t] <= starts[tag] and locks_of(t) & mine]
        if before:
            latencies.append((starts[tag] - max(before)) / 1e6)

    lock_files = [os.path.join(lock_dir, s + ".lock") for s in SHOWS] + \
        [os.path.join(lock_dir, "resources", r + ".lock") for r in {r for rs in SHOWS.values() for r in rs}]
    held = [p for p in lock_files if lock_is_held(p)]

    by_mode = {m: sum(1 for g in guards.values() if g["mode"] == m) for m in MODES}
    print(f"torture: {GUARDS} guards, {len(SHOWS)} shows, 2 resources, {elapsed:.0f} s: "
          f"{len(guards)} guard runs ({', '.join(f'{m} {n}' for m, n in by_mode.items())}): "
          f"runs {len(runs)}, refusals {len(refusals)}, timeouts {len(timeouts)}, overlaps {len(overlaps)}, "
          f"other exits {len(other)}, locks left held {len(held)}")
    if latencies:
        print(f"torture: hand-over latency of {len(latencies)} waiting guards: "
              f"p50 {percentile(latencies, 50):.1f} ms, p90 {percentile(latencies, 90):.1f} ms, "
              f"p99 {percentile(latencies, 99):.1f} ms, max {max(latencies):.1f} ms")
    problems = []
    problems += [f"overlap: {line}" for line in overlaps]
    problems += [f"body: {line}" for line in body_errors]
    problems += [f"guard {t} ({g['show']}, {g['mode']}) exited {g['code']}: {g['stderr'].strip()[-300:]}"
                 for t, g in other.items()]
    problems += [f"guard {t} exited 0 but its show did not run to the end" for t in unstarted_runs]
    problems += [f"show of guard {t} ran although its guard exited {guards[t]['code']}" for t in stray_starts]
    problems += [f"lock left held: {p}" for p in held]
    if not runs or not refusals or not latencies:
        problems.append(f"the race did not exercise every path: runs {len(runs)}, refusals {len(refusals)}, "
                        f"waiting hand-overs {len(latencies)}")
    # The detector's canary: a deliberate overlap in this run, through the same
    # guard, body and emulator, must be seen, or "overlaps 0" above proves nothing.
    canary_log = os.path.join(tmp, "canary.log")
    try:
        deliberate_overlap(tmp, BODY, "stage-left", os.path.join(tmp, "marker.canary"), canary_log)
        caught = parse_log(canary_log)[2]
    except AssertionError as e:
        caught, problems = [], problems + [str(e)]
    caught = [line for line in caught if line in seen(canary_log)]
    print(f"torture: canary: a deliberate overlap of two guards {'caught' if caught else 'MISSED'}"
          f"{': ' + caught[0] if caught else ''}")
    if not caught:
        problems.append("canary: the overlap detector did not see a deliberate overlap; "
                        "its 'overlaps 0' means nothing")
    for p in problems[:50]:
        print("torture: FAIL " + p)
    if problems:
        record_failure(f"{len(problems)} problems; the first: {problems[0]}")
    ok = not problems
    print(f"{1 if ok else 0} passed, {0 if ok else 1} failed")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
