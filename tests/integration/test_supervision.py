# SPDX-License-Identifier: GPL-2.0-or-later
"""The show runs only while the lock is held: the lock is taken before the
show starts and released only after every process of the show is gone,
even when the guard itself is killed with SIGKILL."""

import os
import signal
import subprocess
import sys
import time

from harness import (EMULATOR, GuardTestCase, blocked_in_flock, listed_in_proc_locks, lock_is_held, main, needs_subreaper, pid_alive,
                     wait_for, SLOW)

# A show (or its daemon) that gives the lock descriptors it inherited back,
# so that only the guard holds the lock, and on SIGTERM winds down for
# 0.3 s, writing the time (CLOCK_MONOTONIC, one clock for every process) as
# it goes and last right before it exits.
WIND_DOWN = """
import os, signal, sys, time
os.closerange(3, 1024)
stamps = open(sys.argv[1], "a", buffering=1)
def wind_down(signo, frame):
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        stamps.write(f"{time.monotonic()}\\n")
        time.sleep(0.01)
    stamps.write(f"{time.monotonic()}\\n")
    os._exit(0)
signal.signal(signal.SIGTERM, wind_down)
with open(sys.argv[2], "w") as f:
    f.write(str(os.getpid()))
while True:
    time.sleep(1)
"""

# util-linux flock(1) blocks for the lock and, the moment it has it, prints the time.
TAKEN = "import time; print(time.monotonic())"


class SupervisionTest(GuardTestCase):
    @needs_subreaper
    def test_leftover_daemon_is_stopped_before_the_lock_is_released(self):
        # The show double-forks a daemon into its own session and exits.
        script = (f"setsid sh -c 'echo $$ > {self.path('daemon')}; exec sleep 60' & "
                  f"sleep 0.2; exit 0")
        started = time.monotonic()
        result = self.run_guard("starcourt", self.sh(script))
        self.assertEqual(result.returncode, 0, result.stderr)
        daemon = int(open(self.path("daemon")).read())
        self.assertFalse(pid_alive(daemon), "the daemon outlived the guard")
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))
        self.assertLess(time.monotonic() - started, 5 * SLOW)
        self.assertIn("left behind", result.stderr)

    @needs_subreaper
    def test_leftover_that_ignores_sigterm_is_killed_after_the_kill_timeout(self):
        script = (f"echo $$ > {self.path('show')}; sh -c 'trap \"\" TERM; echo $$ > {self.path('stubborn')}; "
                  f"while :; do sleep 0.1; done' & sleep 0.3; exit 0")
        guard = self.start("starcourt", self.sh(script), "--kill-timeout", "1s")
        show = int(self.wait_file("show"))
        stubborn = int(self.wait_file("stubborn"))
        # From the show's exit until the stubborn leftover is gone, the lock
        # stays held: every look at the kernel's locks taken while it was
        # still alive (it is looked at after the lock) finds the lock held.
        wait_for(lambda: not pid_alive(show), message="the show to exit")
        looks = 0
        while True:
            held = listed_in_proc_locks(self.lock_path("starcourt"))
            if not pid_alive(stubborn):
                break
            self.assertTrue(held, "the lock is free while the leftover lives")
            looks += 1
            time.sleep(0.02)
        self.assertGreater(looks, 0, "the leftover was gone when the show exited")
        code, _, err = self.finish(guard)
        self.assertEqual(code, 0, err)
        self.assertFalse(pid_alive(stubborn))
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))

    def test_sigkilled_guard_stops_the_show_and_the_lock_outlives_the_guard(self):
        # The show winds down after SIGTERM until the test has looked (the
        # release file: an event, not a time window a loaded machine could
        # miss); the lock must stay held for all of that time although the
        # guard is already gone.
        release = self.path("release")
        script = (f"trap 'echo term > {self.path('got-term')}; while [ ! -e {release} ]; do sleep 0.02; done; "
                  f"echo done > {self.path('done')}; exit 0' TERM; "
                  f"echo $$ > {self.path('pid')}; while :; do sleep 0.1; done")
        guard = self.start("starcourt", self.sh(script))
        show = int(self.wait_file("pid"))
        guard.send_signal(signal.SIGKILL)
        guard.wait()
        self.wait_file("got-term")
        self.assertTrue(pid_alive(show))
        self.assertTrue(lock_is_held(self.lock_path("starcourt")),
                        "lock released while the show still runs")
        open(release, "w").close()
        wait_for(lambda: not pid_alive(show), timeout=10, message="the show to exit")
        self.assertTrue(os.path.exists(self.path("done")))
        wait_for(lambda: not lock_is_held(self.lock_path("starcourt")), message="lock release")

    def test_no_second_copy_can_start_while_a_killed_guards_show_winds_down(self):
        script = (f"trap 'sleep {2 * SLOW}; exit 0' TERM; echo $$ > {self.path('pid')}; "
                  f"while :; do sleep 0.1; done")
        guard = self.start("starcourt", self.sh(script))
        show = int(self.wait_file("pid"))
        guard.send_signal(signal.SIGKILL)
        guard.wait()
        result = self.run_guard("starcourt", ["true"])
        self.assertEqual(result.returncode, 75, result.stderr)
        self.assertTrue(pid_alive(show), "the show ended before the second guard was tried")

    def test_stop_escalates_to_sigkill_after_the_kill_timeout(self):
        script = f"trap '' TERM; echo $$ > {self.path('pid')}; while :; do sleep 0.1; done"
        guard = self.start("starcourt", self.sh(script), "--kill-timeout", "1s")
        show = int(self.wait_file("pid"))
        started = time.monotonic()
        guard.terminate()
        code, _, err = self.finish(guard)
        elapsed = time.monotonic() - started
        self.assertEqual(code, 128 + signal.SIGKILL, err)
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 5 * SLOW)
        self.assertIn("sending SIGKILL", err)
        self.assertFalse(pid_alive(show))
        if EMULATOR:
            # Without a subreaper the show's last `sleep 0.1` can outlive the guard briefly.
            wait_for(lambda: not lock_is_held(self.lock_path("starcourt")), message="lock release")
        else:
            self.assertFalse(lock_is_held(self.lock_path("starcourt")))

    def test_show_that_closes_its_descriptors_is_still_guarded(self):
        # The guard keeps its own descriptor, so the lock holds regardless.
        script = (f"for fd in 3 4 5 6 7 8 9; do eval \"exec $fd>&-\"; done; "
                  f"flock -n -E 99 {self.lock_path('starcourt')} true; echo flock=$?")
        result = self.run_guard("starcourt", ["bash", "-c", script])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("flock=99", result.stdout)

    def wait_for_the_lock_outside(self):
        """util-linux flock(1), blocked on the show's lock, prints when it got it."""
        taken = subprocess.Popen(["flock", self.lock_path("starcourt"), sys.executable, "-c", TAKEN],
                                 stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        self.procs.append(taken)
        wait_for(lambda: blocked_in_flock(taken.pid), message="flock(1) to wait for the lock")
        return taken

    def assert_stopped_before_the_lock_was_released(self, stamps, taken):
        out, _ = taken.communicate(timeout=20 * SLOW)
        self.assertEqual(taken.returncode, 0)
        with open(stamps) as f:
            written = [float(t) for t in f.read().split()]
        self.assertGreater(len(written), 1, "flock(1) got the lock, and the show had not (yet) wound down")
        self.assertGreater(float(out), written[-1],
                           f"flock(1) got the lock {written[-1] - float(out):.3f}s before the show's last word")

    def test_show_winds_down_before_the_lock_is_released(self):
        # Observed as an order of events: the show's last timestamp comes
        # before the moment an independent flock(1) gets the lock.
        stamps = self.path("stamps")
        guard = self.start("starcourt", [sys.executable, "-c", WIND_DOWN, stamps, self.path("pid")])
        show = int(self.wait_file("pid"))
        self.addCleanup(lambda: pid_alive(show) and os.kill(show, signal.SIGKILL))
        taken = self.wait_for_the_lock_outside()
        guard.terminate()
        self.assert_stopped_before_the_lock_was_released(stamps, taken)
        code, _, err = self.finish(guard)
        self.assertEqual(code, 0, err)

    @needs_subreaper
    def test_leftover_daemon_winds_down_before_the_lock_is_released(self):
        # The show leaves a daemon (its own session, no lock descriptor) and
        # exits; the guard stops it, and only then lets the lock go.
        stamps, go = self.path("stamps"), self.path("go")
        script = (f"setsid {sys.executable} -c '{WIND_DOWN}' {stamps} {self.path('pid')} & "
                  f"while [ ! -e {go} ]; do sleep 0.02; done")
        guard = self.start("starcourt", self.sh(script))
        daemon = int(self.wait_file("pid"))
        self.addCleanup(lambda: pid_alive(daemon) and os.kill(daemon, signal.SIGKILL))
        taken = self.wait_for_the_lock_outside()
        open(go, "w").close()
        self.assert_stopped_before_the_lock_was_released(stamps, taken)
        code, _, err = self.finish(guard)
        self.assertEqual(code, 0, err)


if __name__ == "__main__":
    main()
