# SPDX-License-Identifier: GPL-2.0-or-later
"""The canary of the critical-section overlap detector (critical_section.cpp):
a deliberate overlap made the way a broken lock would make one, through the
same guard, body, emulator and marker, so a tier whose detector has gone blind
(as it was under qemu-user, which fakes the start times it once relied on)
fails instead of reporting "overlaps 0".

Two guards run the same show with the same marker but different lock dirs, so
their locks do not exclude each other: the first holds its body until the
second's body has run, which must then see the first alive in the marker."""

import os
import signal
import subprocess

from harness import EMULATOR, SLOW, showguard_cmd, wait_for


def deliberate_overlap(tmp, body, show, marker, log, extra_body=(), env=None):
    """Runs the two guards; the body log `log` then holds what the detector
    saw. Raises AssertionError if the guards themselves misbehave."""
    guards = []

    def guard(name, hold_ms):
        lock_dir = os.path.join(tmp, f"canary-locks-{name}")
        cmd = showguard_cmd("--show", show, "--lock-dir", lock_dir, "--kill-timeout", "2s", "--",
                            *body, "--log", log, "--tag", f"canary-{name}", "--marker", marker,
                            "--hold-ms", str(hold_ms), *extra_body)
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True, env=env)
        guards.append(p)
        return p

    def started(name):
        return os.path.exists(log) and any(line.split()[:2] == ["start", f"canary-{name}"] for line in open(log))

    try:
        first = guard("first", int(120_000 * SLOW))
        wait_for(lambda: started("first") or first.poll() is not None, 30, message="the canary's first body")
        if first.poll() is not None:
            raise AssertionError(f"canary: first guard exited {first.returncode}: {first.stderr.read()}")
        second = guard("second", 10)
        _, err = second.communicate(timeout=60 * SLOW)
        if second.returncode != 0:
            raise AssertionError(f"canary: second guard exited {second.returncode}: {err}")
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60 * SLOW)
    finally:
        for p in guards:
            if p.poll() is None:
                p.kill()
                p.wait()


def seen(log):
    """The detector's overlap lines about the canary in `log`."""
    if not os.path.exists(log):
        return []
    return [line.strip() for line in open(log)
            if line.startswith("overlap canary-second ") and "(canary-first)" in line]


__all__ = ["deliberate_overlap", "seen", "EMULATOR"]
