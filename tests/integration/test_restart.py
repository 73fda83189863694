# SPDX-License-Identifier: GPL-2.0-or-later
"""Restarts happen while the lock stays held, within the restart limit."""

import os
import signal
import threading
import time

from harness import GuardTestCase, lock_is_held, main, wait_for, SLOW


class RestartTest(GuardTestCase):
    def runs(self):
        path = self.path("runs")
        return len(open(path).read().split()) if os.path.exists(path) else 0

    def test_on_failure_restarts_until_the_limit_then_gives_up_with_the_last_status(self):
        result = self.run_guard("starcourt", self.sh(f"echo run >> {self.path('runs')}; exit 7"),
                                "--restart", "on-failure", "--restart-delay", "50ms", "--restart-limit", "3")
        self.assertEqual(result.returncode, 7, result.stderr)
        self.assertEqual(self.runs(), 4)  # the first run and three restarts
        self.assertIn("giving up", result.stderr)

    def test_on_failure_does_not_restart_after_success(self):
        result = self.run_guard("starcourt", self.sh(f"echo run >> {self.path('runs')}"),
                                "--restart", "on-failure", "--restart-delay", "50ms")
        self.assertEqual(result.returncode, 0)
        self.assertEqual(self.runs(), 1)

    def test_always_restarts_after_success(self):
        result = self.run_guard("starcourt", self.sh(f"echo run >> {self.path('runs')}"),
                                "--restart", "always", "--restart-delay", "50ms", "--restart-limit", "2")
        self.assertEqual(result.returncode, 0)
        self.assertEqual(self.runs(), 3)

    def test_lock_stays_held_between_runs(self):
        # Watch the lock from outside through three restarts with a delay in
        # which a second guard could otherwise slip in.
        guard = self.start("starcourt", self.sh(f"echo run >> {self.path('runs')}; sleep 0.2; exit 1"),
                           "--restart", "on-failure", "--restart-delay", "300ms", "--restart-limit", "2")
        wait_for(lambda: self.runs() >= 1)
        free_seen = []
        intruders = []
        while guard.poll() is None:
            # Runs counted first: after the third (last) run the guard lets
            # the lock go and is still exiting, which is no gap between runs.
            runs_before = self.runs()
            if runs_before < 3 and not lock_is_held(self.lock_path("starcourt")) and guard.poll() is None:
                free_seen.append((runs_before, time.monotonic()))
            r = self.run_guard("starcourt", ["true"])
            if r.returncode != 75 and guard.poll() is None:
                intruders.append(r)
        self.assertEqual(guard.returncode, 1)
        self.assertEqual(self.runs(), 3)
        self.assertEqual(free_seen, [], "the lock was free while the guard was between runs")
        self.assertEqual(intruders, [])

    def test_sigterm_during_restart_delay_stops_at_once(self):
        guard = self.start("starcourt", self.sh(f"echo run >> {self.path('runs')}; exit 1"),
                           "--restart", "on-failure", "--restart-delay", "30s")
        wait_for(lambda: os.path.exists(os.path.join(self.lock_dir, "starcourt.state")) and
                 "state=restarting" in open(os.path.join(self.lock_dir, "starcourt.state")).read(),
                 message="the restart delay")
        started = time.monotonic()
        guard.terminate()
        code, _, err = self.finish(guard)
        self.assertEqual(code, 143, err)
        self.assertLess(time.monotonic() - started, 2 * SLOW)
        self.assertEqual(self.runs(), 1)


if __name__ == "__main__":
    main()
