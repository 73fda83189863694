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

    def give_pid_to_a_new_process(self, pid):
        """A new process with a pid that is free again, through ns_last_pid
        (root only; the kernel still skips pids in use, so nothing else is
        disturbed). None if other processes on the machine kept taking it."""
        for _ in range(200):
            with open("/proc/sys/kernel/ns_last_pid", "w") as f:
                f.write(str(pid - 1))
            p = subprocess.Popen(["sleep", "60"])
            if p.pid == pid:
                self.procs.append(p)
                return p
            p.kill()
            p.wait()
        return None

    @unittest.skipUnless(ROOT, "needs root to hand a dead guard's pid to a new process")
    def test_stop_never_signals_a_process_that_reused_a_dead_guards_pid(self):
        # /proc/locks keeps naming the SIGKILLed guard while its show holds the
        # lock; once that pid belongs to another process, stop must not signal it.
        guard = self.start("starcourt", self.sh(
            f"trap '' TERM; echo $$ > {self.path('pid')}; while :; do sleep 0.1; done"))
        show_pid = int(self.wait_file("pid"))
        record = os.path.join(self.lock_dir, "starcourt.state")
        wait_for(lambda: os.path.exists(record) and "state=running" in open(record).read())
        guard.kill()
        guard.wait()
        impostor = self.give_pid_to_a_new_process(guard.pid)
        try:
            if not impostor:
                self.skipTest(f"pid {guard.pid} kept being taken by other processes")
            result = self.stop("starcourt", "--timeout", "1s")
            self.assertIsNone(impostor.poll(), f"stop signalled pid {guard.pid}, which is no longer the guard")
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn(f"its guard (pid {guard.pid}) is gone", result.stderr)
        finally:
            os.kill(show_pid, 9)

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
