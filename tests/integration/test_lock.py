# SPDX-License-Identifier: GPL-2.0-or-later
"""The lock: a kernel flock(2) on DIR/NAME.lock that util-linux flock(1)
sees, that dies with its holders, and whose refusals name the holder."""

import os
import pwd
import re
import shlex
import signal
import subprocess
import threading
import time

from harness import (GuardTestCase, SLOW, blocked_in_flock, listed_in_proc_locks, lock_is_held, main, pid_alive,
                     showguard_cmd, wait_for, wait_held)


class LockTest(GuardTestCase):
    def test_show_runs_while_flock_sees_the_lock_held(self):
        result = self.run_guard("starcourt", self.sh(
            f'flock -n -E 99 {self.lock_path("starcourt")} true; echo "flock=$?"'))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("flock=99", result.stdout)
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))

    def test_lock_file_stays_after_a_run(self):
        # Unlinking after release would let two guards lock two inodes.
        self.run_guard("starcourt", ["true"])
        self.assertTrue(os.path.isfile(self.lock_path("starcourt")))

    def test_second_guard_is_refused_at_once_naming_the_holder(self):
        holder = self.start("starcourt", self.sh(f"echo $$ > {self.path('pid')}; exec sleep 30"))
        show_pid = self.wait_file("pid").strip()
        record = os.path.join(self.lock_dir, "starcourt.state")
        # Snapshot the record once the holder has stopped changing it.
        wait_for(lambda: os.path.exists(record) and "state=running" in open(record).read())
        record_before = open(record).read()

        started = time.monotonic()
        result = self.run_guard("starcourt", ["true"])
        elapsed = time.monotonic() - started
        self.assertEqual(result.returncode, 75, result.stderr)
        self.assertLess(elapsed, 1.0 * SLOW + 1.0)
        err = result.stderr
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("show starcourt is busy", err)
        self.assertIn(f"guard pid {holder.pid}", err)
        self.assertIn(f"show pid {show_pid}", err)
        self.assertRegex(err, r"since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")
        self.assertIn(self.lock_path("starcourt"), err)
        # A refused guard never damages the holder's record.
        self.assertEqual(open(record).read(), record_before)
        holder.terminate()
        self.assertEqual(holder.wait(10 * SLOW), 143)

    def test_conflict_exit_code_is_configurable(self):
        holder = self.start("starcourt", ["sleep", "30"])
        wait_held(self.lock_path("starcourt"))
        result = self.run_guard("starcourt", ["true"], "--conflict-exit-code", "3")
        self.assertEqual(result.returncode, 3, result.stderr)
        holder.terminate()
        holder.wait()

    def test_conflict_exit_code_for_a_busy_resource_and_a_timed_out_wait(self):
        holder = self.start("hawkins", ["sleep", "30"], "--resource", "dmx1")
        wait_held(os.path.join(self.lock_dir, "resources", "dmx1.lock"))
        result = self.run_guard("starcourt", ["true"], "--resource", "dmx1", "--conflict-exit-code", "3")
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("resource dmx1 is busy", result.stderr)
        result = self.run_guard("starcourt", ["true"], "--resource", "dmx1", "--wait=300ms",
                                "--conflict-exit-code", "4")
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertIn("gave up waiting for resource dmx1 after 300ms", result.stderr)
        result = self.run_guard("hawkins", ["true"], "--wait=300ms", "--conflict-exit-code", "5")
        self.assertEqual(result.returncode, 5, result.stderr)
        self.assertIn("gave up waiting for show hawkins after 300ms", result.stderr)
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))
        holder.terminate()
        self.assertEqual(holder.wait(10 * SLOW), 143)

    def test_default_lock_dir(self):
        # root: /run/showguard, even with XDG_RUNTIME_DIR set; another user:
        # $XDG_RUNTIME_DIR/showguard (an absolute one), else /tmp/showguard-UID.
        # Each guard runs in a mount namespace with fresh tmpfs on /run and
        # /tmp, so the machine's own lock dirs are never touched; the show asks
        # util-linux flock(1), an independent client, whether the expected
        # path is held, and lists the XDG_RUNTIME_DIR.
        if os.geteuid() != 0:
            self.skipTest("needs root for a mount namespace and to run a guard as nobody")
        if os.path.realpath(showguard_cmd()[-1]).startswith(("/tmp/", "/run/")):
            self.skipTest("the guard's binary is under /tmp or /run, which this test covers with a tmpfs")
        nobody = pwd.getpwnam("nobody")
        xdg = "/run/xdg"
        as_nobody = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
        cases = [
            ([], {"XDG_RUNTIME_DIR": xdg}, "/run/showguard"),
            (as_nobody, {"XDG_RUNTIME_DIR": xdg}, f"{xdg}/showguard"),
            (as_nobody, {"XDG_RUNTIME_DIR": "relative/ignored"}, f"/tmp/showguard-{nobody.pw_uid}"),
            (as_nobody, {}, f"/tmp/showguard-{nobody.pw_uid}"),
        ]
        for prefix, extra, expected in cases:
            with self.subTest(user="nobody" if prefix else "root", env=extra):
                lock = f"{expected}/default-dir.lock"
                probe = f'flock -n -E 99 {lock} true; echo "flock=$?"; echo "xdg=$(ls -A {xdg})"'
                guard = " ".join(shlex.quote(a) for a in prefix + showguard_cmd("--show", "default-dir", "--",
                                                                                 "/bin/sh", "-c", probe))
                env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"} | extra
                setup = (f"mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /tmp && mkdir -m 700 {xdg} && "
                         f"chown {nobody.pw_uid}:{nobody.pw_gid} {xdg} && exec {guard}")
                result = subprocess.run(["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", setup],
                                        capture_output=True, text=True, env=env, timeout=30 * SLOW)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn("flock=99", result.stdout, f"{lock} was not held: {result.stderr}")
                self.assertIn("xdg=showguard\n" if expected.startswith(xdg) else "xdg=\n", result.stdout)

    def test_lock_held_by_flock_refuses_the_guard(self):
        os.makedirs(self.lock_dir, mode=0o755)
        path = self.lock_path("starcourt")
        with open(path, "w"):
            pass
        os.chmod(path, 0o600)
        other = self.hold_with_flock(path)
        wait_held(path)
        result = self.run_guard("starcourt", ["true"])
        self.assertEqual(result.returncode, 75, result.stderr)
        self.assertIn(f"held by pid {other.pid}, which is not a showguard guard", result.stderr)

    def test_guard_waiting_for_a_resource_is_named_as_a_guard(self):
        # hawkins holds dmx1; starcourt's guard takes its show lock, then waits
        # for dmx1, its record saying so. A second starcourt is refused,
        # naming that guard as a guard.
        holder = self.start("hawkins", ["sleep", "30"], "--resource", "dmx1")
        wait_held(os.path.join(self.lock_dir, "resources", "dmx1.lock"))
        waiter = self.start("starcourt", ["true"], "--resource", "dmx1", "--wait")
        wait_for(lambda: blocked_in_flock(waiter.pid), message="the waiting guard")
        result = self.run_guard("starcourt", ["true"])
        self.assertEqual(result.returncode, 75, result.stderr)
        self.assertIn(f"held by guard pid {waiter.pid} (which has not started its show yet)", result.stderr)
        self.assertNotIn("not a showguard guard", result.stderr)
        waiter.terminate()
        waiter.wait()
        holder.terminate()
        holder.wait()

    def test_leftover_lock_file_of_a_killed_guard_is_no_obstacle(self):
        holder = self.start("starcourt", self.sh(f"echo $$ > {self.path('pid')}; exec sleep 30"))
        show_pid = int(self.wait_file("pid"))
        os.kill(show_pid, signal.SIGKILL)
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        wait_for(lambda: not pid_alive(show_pid), message="show to die")
        wait_for(lambda: not lock_is_held(self.lock_path("starcourt")), message="lock to be free")
        result = self.run_guard("starcourt", ["true"])
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_resources_exclude_different_shows(self):
        holder = self.start("starcourt", ["sleep", "30"], "--resource", "dmx1", "--resource", "audio")
        wait_held(os.path.join(self.lock_dir, "resources", "dmx1.lock"))
        result = self.run_guard("hawkins", ["true"], "--resource", "dmx1")
        self.assertEqual(result.returncode, 75, result.stderr)
        self.assertIn("resource dmx1 is busy", result.stderr)
        self.assertIn("held by show starcourt", result.stderr)
        # A show that shares no resource runs.
        self.assertEqual(self.run_guard("hawkins", ["true"], "--resource", "dmx2").returncode, 0)
        holder.terminate()
        holder.wait()

    def test_refused_guard_keeps_none_of_its_locks(self):
        blocker = self.start("other", ["sleep", "30"], "--resource", "zeta")
        wait_held(os.path.join(self.lock_dir, "resources", "zeta.lock"))
        # alpha is free and taken first, zeta is busy: alpha must be let go.
        result = self.run_guard("starcourt", ["true"], "--resource", "zeta", "--resource", "alpha")
        self.assertEqual(result.returncode, 75)
        self.assertFalse(lock_is_held(os.path.join(self.lock_dir, "resources", "alpha.lock")))
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))
        blocker.terminate()
        blocker.wait()

    def test_wait_takes_the_lock_when_the_holder_exits(self):
        # The holder's show ends a second after the lock is seen held, however
        # long its guard took to start (a slow, instrumented build).
        go = self.path("go")
        holder = self.start("starcourt", self.sh(f"while [ ! -e {go} ]; do sleep 0.02; done"))
        wait_held(self.lock_path("starcourt"))
        timer = threading.Timer(1.0 * SLOW, lambda: open(go, "w").close())
        timer.start()
        self.addCleanup(timer.cancel)
        result = self.run_guard("starcourt", self.sh("echo ran"), "--wait")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("ran", result.stdout)
        self.assertIn("waiting for show starcourt", result.stderr)
        self.assertEqual(holder.wait(), 0)

    def test_wait_with_a_deadline_gives_up(self):
        holder = self.start("starcourt", ["sleep", "30"])
        wait_held(self.lock_path("starcourt"))
        started = time.monotonic()
        result = self.run_guard("starcourt", ["true"], "--wait=500ms")
        elapsed = time.monotonic() - started
        self.assertEqual(result.returncode, 75, result.stderr)
        self.assertIn("gave up waiting for show starcourt after 500ms", result.stderr)
        self.assertGreaterEqual(elapsed, 0.45)
        holder.terminate()
        holder.wait()

    def test_timed_out_wait_keeps_none_of_its_locks(self):
        blocker = self.start("other", ["sleep", "30"], "--resource", "zeta")
        wait_held(os.path.join(self.lock_dir, "resources", "zeta.lock"))
        result = self.run_guard("starcourt", ["true"], "--resource", "zeta", "--wait=300ms")
        self.assertEqual(result.returncode, 75)
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))
        blocker.terminate()
        blocker.wait()

    def test_sigterm_while_waiting_ends_the_wait(self):
        holder = self.start("starcourt", ["sleep", "30"])
        wait_held(self.lock_path("starcourt"))
        waiter = self.start("starcourt", ["touch", self.path("ran")], "--wait")
        wait_for(lambda: blocked_in_flock(waiter.pid), message="the guard to block in flock")
        waiter.terminate()
        code, _, err = self.finish(waiter, timeout=5)
        self.assertEqual(code, 143, err)
        self.assertFalse(os.path.exists(self.path("ran")))
        holder.terminate()
        holder.wait()

    def test_resources_are_locked_in_name_order_whatever_the_command_line(self):
        # r1 is held from outside; a guard asked for r2 then r1 must wait for
        # r1 holding its show lock but not r2: the fixed order (the show, then
        # resources by name) is what keeps two guards out of a cycle. Without
        # it the guard would take r2 and then wait for r1.
        resources = os.path.join(self.lock_dir, "resources")
        os.makedirs(resources, mode=0o755)
        os.chmod(self.lock_dir, 0o755)
        r1, r2 = os.path.join(resources, "r1.lock"), os.path.join(resources, "r2.lock")
        with open(r1, "w"):
            pass
        os.chmod(r1, 0o600)
        outside = self.hold_with_flock(r1)
        wait_held(r1)
        guard = self.start("starcourt", ["true"], "--resource", "r2", "--resource", "r1", "--wait")
        wait_for(lambda: blocked_in_flock(guard.pid), message="the guard to wait for r1")
        self.assertTrue(listed_in_proc_locks(self.lock_path("starcourt")), "the show lock is not held while waiting")
        # r2 stays free for as long as the guard waits, not only at one look.
        for _ in range(10):
            self.assertFalse(listed_in_proc_locks(r2), "r2 was locked before r1")
            self.assertTrue(blocked_in_flock(guard.pid))
            time.sleep(0.02)
        os.killpg(outside.pid, signal.SIGKILL)
        self.assertEqual(guard.wait(20 * SLOW), 0)

    def test_lock_order_prevents_deadlock_between_waiting_guards(self):
        # Opposite orders on the command line; both wait forever if they
        # could deadlock. The fixed order makes them run one after the other.
        a = self.start("show-a", ["sleep", "0.5"], "--resource", "r1", "--resource", "r2", "--wait")
        b = self.start("show-b", ["sleep", "0.5"], "--resource", "r2", "--resource", "r1", "--wait")
        self.assertEqual(a.wait(20 * SLOW), 0)
        self.assertEqual(b.wait(20 * SLOW), 0)


if __name__ == "__main__":
    main()
