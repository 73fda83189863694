# SPDX-License-Identifier: GPL-2.0-or-later
"""showguard stop: the graceful stop path, through a pidfd of the holder."""

import os
import subprocess
import time
import unittest

from harness import GuardTestCase, lock_is_held, main, showguard_cmd, wait_for, SLOW

ROOT = os.geteuid() == 0


class StopTest(GuardTestCase):
    def stop(self, show, *args, user=None):
        cmd = showguard_cmd("stop", show, "--lock-dir", self.lock_dir, *args)
        if user:
            cmd = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60 * SLOW)

    def test_stop_a_running_show_returns_when_the_lock_is_free(self):
        log = self.path("log")
        guard = self.start("starcourt", self.sh(
            f"trap 'echo term > {log}; sleep 0.5; exit 0' TERM; echo $$ > {self.path('pid')}; "
            f"while :; do sleep 0.1; done"))
        self.wait_file("pid")
        result = self.stop("starcourt")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))
        self.assertEqual(open(log).read().strip(), "term")
        self.assertEqual(guard.wait(5), 0)
        self.assertIn("show starcourt stopped", result.stderr)

    def test_stop_a_show_that_is_not_running(self):
        result = self.stop("starcourt")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("show starcourt is not running", result.stderr)
        self.run_guard("starcourt", ["true"])
        result = self.stop("starcourt")
        self.assertEqual(result.returncode, 0)
        self.assertIn("not running", result.stderr)

    def test_stop_escalates_and_times_out_with_a_message(self):
        guard = self.start("starcourt", self.sh(
            f"trap '' TERM; echo $$ > {self.path('pid')}; while :; do sleep 0.1; done"),
            "--kill-timeout", "3s")
        show_pid = int(self.wait_file("pid"))
        started = time.monotonic()
        result = self.stop("starcourt", "--timeout", "1s")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertGreaterEqual(time.monotonic() - started, 0.9)
        self.assertIn(f"show starcourt still running after 1s: guard pid {guard.pid}, show pid {show_pid}",
                      result.stderr)
        # The guard escalates to SIGKILL after its kill timeout regardless.
        self.assertEqual(guard.wait(10 * SLOW), 137)

    def test_default_timeout_covers_the_kill_timeout(self):
        guard = self.start("starcourt", self.sh(
            f"trap '' TERM; echo $$ > {self.path('pid')}; while :; do sleep 0.1; done"),
            "--kill-timeout", "1s")
        self.wait_file("pid")
        result = self.stop("starcourt")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(guard.wait(5), 137)

    @unittest.skipUnless(ROOT, "needs root to run a root show and try to stop it as nobody")
    def test_unprivileged_user_cannot_stop_a_root_show(self):
        guard = self.start("starcourt", self.sh(f"echo $$ > {self.path('pid')}; exec sleep 30"))
        self.wait_file("pid")
        result = self.stop("starcourt", user="nobody")
        self.assertEqual(result.returncode, 77, result.stderr)
        self.assertIn("permission denied", result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1)
        self.assertTrue(lock_is_held(self.lock_path("starcourt")))
        self.assertIsNone(guard.poll())
        guard.terminate()
        guard.wait()


if __name__ == "__main__":
    main()
