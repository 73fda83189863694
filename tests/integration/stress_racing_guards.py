# SPDX-License-Identifier: GPL-2.0-or-later
"""Many guards race for two shows that share a resource, mixing no-wait,
--wait and --wait=DURATION, for STRESS_SECONDS (default 20). Every show's
body claims an atomic critical-section marker (mkdir) for its show and for
the shared resource; a marker that already exists is an overlap. Prints
runs, refusals and overlaps; overlaps must be 0. Its canary, a deliberate
overlap (two guards of one show with different lock dirs, so their locks do
not exclude each other, sharing the marker) must be seen as one."""

import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

from harness import SLOW, lock_is_held, record_failure, showguard_cmd, wait_for

SECONDS = float(os.environ.get("STRESS_SECONDS", "20"))
GUARDS = int(os.environ.get("STRESS_GUARDS", "16"))

BODY = r'''
for m in "$@"; do mkdir "$m" 2>/dev/null || echo "overlap $m" >> "$OVERLAPS"; done
echo run >> "$RUNS"
sleep "${HOLD:-0.0$(( $$ % 5 + 1 ))}"
for m in "$@"; do rmdir "$m" 2>/dev/null; done
'''


def main():
    tmp = tempfile.mkdtemp(prefix="showguard-stress-")
    lock_dir = os.path.join(tmp, "locks")
    env = dict(os.environ, OVERLAPS=os.path.join(tmp, "overlaps"), RUNS=os.path.join(tmp, "runs"))
    shows = {
        "stage-left": ["--resource", "dmx1"],
        "stage-right": ["--resource", "dmx1"],
        "lobby": [],
    }
    outcomes = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + SECONDS

    def racer(seed):
        rnd = random.Random(seed)
        while time.monotonic() < stop_at:
            show = rnd.choice(list(shows))
            mode = rnd.choice([[], ["--wait"], ["--wait=150ms"]])
            markers = [os.path.join(tmp, "marker." + show)]
            if "--resource" in shows[show]:
                markers.append(os.path.join(tmp, "marker.dmx1"))
            cmd = showguard_cmd("--show", show, "--lock-dir", lock_dir, "--log-level", "error",
                                *shows[show], *mode, "--", "/bin/sh", "-c", BODY, "body", *markers)
            code = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, timeout=60 * SLOW).returncode
            with lock:
                outcomes[code] = outcomes.get(code, 0) + 1

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(GUARDS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    def count(name):
        path = os.path.join(tmp, name)
        return len(open(path).read().splitlines()) if os.path.exists(path) else 0

    # The canary: the first guard's body holds the marker until the second's has tried it.
    marker = os.path.join(tmp, "marker.canary")
    canary_env = dict(env, OVERLAPS=os.path.join(tmp, "canary-overlaps"), RUNS=os.path.join(tmp, "canary-runs"))

    def canary_guard(name, hold):
        cmd = showguard_cmd("--show", "lobby", "--lock-dir", os.path.join(tmp, "canary-" + name),
                            "--", "/bin/sh", "-c", BODY, "body", marker)
        return subprocess.Popen(cmd, env=dict(canary_env, HOLD=hold), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    first = canary_guard("first", "600")
    try:
        wait_for(lambda: os.path.isdir(marker), 30, message="the canary's first body")
        canary_guard("second", "0").wait(timeout=60 * SLOW)
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=60 * SLOW)
    caught = count("canary-overlaps")
    print(f"stress: canary: a deliberate overlap of two guards {'caught' if caught else 'MISSED'}")

    runs, overlaps = count("runs"), count("overlaps")
    refusals = outcomes.get(75, 0)
    other = {k: v for k, v in outcomes.items() if k not in (0, 75)}
    lock_files = [os.path.join(lock_dir, s + ".lock") for s in shows] + [os.path.join(lock_dir, "resources", "dmx1.lock")]

    def left_held():
        return [os.path.relpath(p, lock_dir) for p in lock_files if lock_is_held(p)]

    held = left_held()
    # The left-held check's canary: the shared resource's lock, held by
    # util-linux flock(1) for a moment, must be seen held.
    holder = subprocess.Popen(["flock", lock_files[-1], "sleep", "600"], start_new_session=True,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: "resources/dmx1.lock" in left_held(), 10, message="the held resource lock to be seen")
        held_caught = True
    except AssertionError:
        held_caught = False
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()
    print(f"stress: canary: a resource lock left held {'caught' if held_caught else 'MISSED'}")
    print(f"stress: {GUARDS} guards for {SECONDS:.0f} s: runs {runs}, refusals {refusals}, "
          f"overlaps {overlaps}, other exits {other}, locks left held {held}")
    ok = caught > 0 and held_caught and overlaps == 0 and runs > 0 and runs == outcomes.get(0, 0) and not other and not held
    if not ok:
        record_failure(f"canary caught {caught}, left-held canary caught {held_caught}, runs {runs} (guards exiting 0: {outcomes.get(0, 0)}), "
                       f"overlaps {overlaps}, other exits {other}, locks left held {held}")
    print(f"{1 if ok else 0} passed, {0 if ok else 1} failed")
    subprocess.run(["rm", "-rf", tmp])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
