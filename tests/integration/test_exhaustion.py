# SPDX-License-Identifier: GPL-2.0-or-later
"""Resource exhaustion provoked for real: the guard runs as an unprivileged
uid of its own under RLIMIT_NPROC (prlimit), so the kernel refuses its thread
or fork with EAGAIN. A thread that cannot be created is a system error (71),
not an internal error (70); a restart that cannot fork is retried within the
restart policy, and once that is spent the guard exits 71 with a record that
says so, never one left at "restarting"."""

import fcntl
import os
import random
import subprocess
import time
import unittest

from harness import EMULATOR, INSTRUMENTED, GuardTestCase, SLOW, lock_is_held, main, showguard_cmd, wait_for

ROOT = os.geteuid() == 0


def processes_of(uid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    found.append(int(entry))
            except FileNotFoundError:
                pass
    return found


@unittest.skipUnless(ROOT, "needs root to run the guard as a uid of its own under RLIMIT_NPROC")
@unittest.skipIf(bool(EMULATOR), "qemu-user's own threads count against RLIMIT_NPROC; the native build proves this")
@unittest.skipIf("thread" in INSTRUMENTED or INSTRUMENTED == "valgrind",
                 f"{INSTRUMENTED}'s own threads count against RLIMIT_NPROC; the plain and ASan builds prove this")
class ExhaustionTest(GuardTestCase):
    def setUp(self):
        super().setUp()
        # RLIMIT_NPROC counts every process of the uid on the machine, so the
        # guard gets a uid that nothing else uses (no passwd entry needed).
        rnd = random.Random()
        while True:
            self.uid = rnd.randrange(60000, 64000)
            if not processes_of(self.uid):
                break
        self.work = self.path("work")
        for d in (self.work, self.lock_dir):
            os.mkdir(d, 0o755)
            os.chown(d, self.uid, self.uid)
        self.blockers = []

    def tearDown(self):
        for b in self.blockers:
            if b.poll() is None:
                b.kill()
                b.wait()
        super().tearDown()

    def as_uid(self, cmd, nproc=None):
        limit = ["prlimit", f"--nproc={nproc}"] if nproc else []
        return [*limit, "setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups", *cmd]

    def guard(self, nproc, script, *options):
        # LeakSanitizer's check at exit needs a thread, which the limit refuses.
        env = dict(os.environ)
        if "ASAN_OPTIONS" in env:
            env["ASAN_OPTIONS"] += ":detect_leaks=0"
        return subprocess.Popen(
            self.as_uid(showguard_cmd("--show", "chat", "--lock-dir", self.lock_dir, *options, "--",
                                      "/bin/sh", "-c", script), nproc),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=self.work,
            env=env)

    def another_process_of_the_uid(self):
        """Takes the uid's one spare process slot."""
        blocker = subprocess.Popen(self.as_uid(["sleep", "60"]))
        self.blockers.append(blocker)
        wait_for(lambda: blocker.pid in processes_of(self.uid), message="the blocker to run as the uid")
        return blocker

    def record(self):
        with open(os.path.join(self.lock_dir, "chat.state")) as f:
            return dict(line.partition("=")[::2] for line in f.read().splitlines())

    def test_no_thread_to_wait_with_is_a_system_error(self):
        # The show is busy, so --wait needs its helper thread; with the uid's
        # only process slot taken by the guard itself, it cannot have one.
        lock = os.path.join(self.lock_dir, "chat.lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        os.fchown(fd, self.uid, self.uid)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            guard = self.guard(1, f"touch {self.work}/ran", "--wait=5s")
            out, err = guard.communicate(timeout=30 * SLOW)
        finally:
            os.close(fd)
        self.assertEqual(guard.returncode, 71, err)
        self.assertRegex(err, r"(?m)^showguard: error: cannot start a thread to wait for .*/chat\.lock: "
                              r"Resource temporarily unavailable$")
        self.assertEqual(err.count("showguard: error:"), 1, err)
        self.assertFalse(os.path.exists(f"{self.work}/ran"))
        self.assertFalse(lock_is_held(lock))
        self.assertEqual(processes_of(self.uid), [])

    def test_a_restart_that_cannot_fork_is_retried(self):
        # Two slots: the guard and its show. While another process of the uid
        # holds the second, the first restart cannot fork; the next can.
        runs = f"{self.work}/runs"
        guard = self.guard(2, f"echo run >> {runs}; exit 3", "--restart", "on-failure", "--restart-delay", "1s",
                           "--restart-limit", "3")
        self.procs.append(guard)
        wait_for(lambda: os.path.exists(runs), message="the first run")
        blocker = self.another_process_of_the_uid()
        wait_for(lambda: "could not be started" in self.record().get("last_exit_reason", ""),
                 message="a restart that could not fork")
        self.assertEqual(self.record()["state"], "restarting")
        blocker.kill()
        blocker.wait()
        out, err = guard.communicate(timeout=30 * SLOW)
        # The retries ran the show again, until the limit: its own status.
        self.assertEqual(guard.returncode, 3, err)
        with open(runs) as f:
            self.assertEqual(len(f.read().split()), 3)
        self.assertIn("cannot restart: cannot start /bin/sh: Resource temporarily unavailable", err)
        self.assertEqual(self.record()["state"], "free")
        self.assertFalse(lock_is_held(os.path.join(self.lock_dir, "chat.lock")))

    def test_a_restart_that_never_can_fork_gives_up_with_71(self):
        runs = f"{self.work}/runs"
        guard = self.guard(2, f"echo run >> {runs}; exit 3", "--restart", "always", "--restart-delay", "300ms",
                           "--restart-limit", "2")
        self.procs.append(guard)
        wait_for(lambda: os.path.exists(runs), message="the first run")
        self.another_process_of_the_uid()
        out, err = guard.communicate(timeout=30 * SLOW)
        self.assertEqual(guard.returncode, 71, err)
        self.assertIn("2 restarts within 1m", err)
        record = self.record()
        self.assertEqual(record["state"], "free")
        self.assertEqual(record["last_exit"], "71")
        self.assertIn("could not be started: cannot start /bin/sh", record["last_exit_reason"])
        with open(runs) as f:
            self.assertEqual(len(f.read().split()), 1)
        self.assertFalse(lock_is_held(os.path.join(self.lock_dir, "chat.lock")))
        status = subprocess.run(showguard_cmd("status", "chat", "--lock-dir", self.lock_dir), capture_output=True,
                                text=True)
        self.assertNotIn("restarting", status.stdout)


if __name__ == "__main__":
    main()
