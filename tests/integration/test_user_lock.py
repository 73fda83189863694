# SPDX-License-Identifier: GPL-2.0-or-later
"""A root guard running its show as another user (--user nobody): no process
of that user can reach the lock. The show gets no lock descriptor to copy
(pidfd_getfd(2)) and unlock or keep; a keeper process with the guard's
credentials holds the lock instead, and it still outlives a guard killed with
SIGKILL for as long as the show runs. Judged by util-linux flock and the
kernel's answer to the user's own pidfd_getfd."""

import os
import signal
import subprocess
import sys
import unittest

from harness import EMULATOR, GuardTestCase, lock_is_held, main, pid_alive, wait_for

ROOT = os.geteuid() == 0

# Run as nobody: copy every descriptor of the given pids that names the lock
# file, unlock it and keep it. Prints what it got, one line per attempt.
ATTACK = r'''
import ctypes, fcntl, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
lock = sys.argv[1]
kept = []
for pid in map(int, sys.argv[2:]):
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError as e:
        print(f"{pid}: cannot list descriptors: {e.strerror}")
        fds = [str(fd) for fd in range(64)]  # try blind
    try:
        pidfd = os.pidfd_open(pid)
    except OSError as e:
        print(f"{pid}: no pidfd: {e.strerror}")
        continue
    for fd in map(int, fds):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") != lock:
                continue
        except OSError:
            pass
        copy = libc.syscall(438, pidfd, fd, 0)  # pidfd_getfd
        if copy < 0:
            err = ctypes.get_errno()
            if err != 9:  # EBADF: no such descriptor
                print(f"{pid}: fd {fd}: {os.strerror(err)}")
                break  # EPERM: the same for every descriptor of that pid
            continue
        if os.fstat(copy).st_ino != os.stat(lock).st_ino:
            os.close(copy)
            continue
        fcntl.flock(copy, fcntl.LOCK_UN)
        kept.append(copy)
        print(f"{pid}: fd {fd}: copied and unlocked")
sys.stdout.flush()
time.sleep(3 if kept else 0)
'''


@unittest.skipUnless(ROOT, "needs root to run a root guard with --user nobody")
@unittest.skipIf(bool(EMULATOR), "pidfd_getfd through qemu-user is not the kernel's answer")
class UserLockTest(GuardTestCase):
    def setUp(self):
        super().setUp()
        self.work = self.path("work")
        os.mkdir(self.work)
        os.chmod(self.work, 0o777)

    def show(self, script):
        return self.start("starcourt", self.sh(script), "--user", "nobody")

    def test_the_shows_user_cannot_unlock_or_keep_the_lock(self):
        guard = self.show(f"echo $$ > {self.work}/pid; exec sleep 30")
        show = int(self.wait_file("work/pid"))
        lock = self.lock_path("starcourt")
        holders = [guard.pid, show] + [int(p) for p in open(f"/proc/{guard.pid}/task/{guard.pid}/children")
                                       .read().split()]
        attack = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                                 sys.executable, "-c", ATTACK, lock, *map(str, sorted(set(holders)))],
                                capture_output=True, text=True, timeout=30)
        print(attack.stdout, attack.stderr, end="")
        self.assertNotIn("copied and unlocked", attack.stdout, "a process of the show's user got the lock")
        self.assertTrue(lock_is_held(lock))
        # A second root guard is still refused.
        second = self.run_guard("starcourt", ["true"])
        self.assertEqual(second.returncode, 75, second.stderr)
        guard.terminate()
        self.assertEqual(guard.wait(10), 143)
        self.assertFalse(lock_is_held(lock), "the lock outlived the show and its guard")

    def test_the_lock_outlives_a_killed_guard_while_the_show_runs(self):
        # The show winds down until the test has looked (the release file),
        # not for a fixed second a loaded machine (or an emulated guard
        # refused below) could overrun.
        release = self.path("release")
        guard = self.show(f"trap 'while [ ! -e {release} ]; do sleep 0.02; done; echo done > {self.work}/done; "
                          f"exit 0' TERM; echo $$ > {self.work}/pid; while :; do sleep 0.1; done")
        show = int(self.wait_file("work/pid"))
        lock = self.lock_path("starcourt")
        guard.send_signal(signal.SIGKILL)
        guard.wait()
        self.assertTrue(pid_alive(show))
        self.assertTrue(lock_is_held(lock), "the lock went with the guard while its show winds down")
        second = self.run_guard("starcourt", ["true"])
        self.assertEqual(second.returncode, 75, second.stderr)
        self.assertTrue(pid_alive(show), "the show ended before the second guard was tried")
        open(release, "w").close()
        wait_for(lambda: not pid_alive(show), message="the show to wind down")
        self.assertTrue(os.path.exists(f"{self.work}/done"))
        wait_for(lambda: not lock_is_held(lock), timeout=5, message="the keeper to let the lock go")


if __name__ == "__main__":
    main()
