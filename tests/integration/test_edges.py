# SPDX-License-Identifier: GPL-2.0-or-later
"""Signal and timing edge cases: SIGTERM to the guard while it waits for a
lock, while its show is starting, during the restart delay; a show that ends
at the moment it is told to stop; a show that forks a daemon and exits; a show
that closes every descriptor it inherited. Each asserts the exit status the
README promises and that nothing is left: no lock held, no process of the
show (found by SHOWGUARD_SHOW in its environment; every test has its own
show name)."""

import os
import random
import shutil
import signal
import subprocess
import time
import unittest

from harness import (EMULATOR, WRAPPER, GuardTestCase, SLOW, blocked_in_flock, listed_in_proc_locks, lock_is_held, main,
                     needs_subreaper, pid_alive, show_processes, wait_for, wait_held)


class EdgeTest(GuardTestCase):
    def setUp(self):
        super().setUp()
        self.show = f"edge-{os.getpid()}-{self._testMethodName[5:40].replace('_', '-')}"

    def lock(self, name=None):
        return self.lock_path(name or self.show)

    def assert_nothing_left(self, *extra_locks):
        # Under qemu-user the guard is no subreaper: what the show leaves
        # may outlive it by a moment, still holding the lock.
        settle = 10 if EMULATOR else 0.5
        wait_for(lambda: not show_processes(self.show), timeout=settle, message="the show's processes to go")
        for path in (self.lock(), *extra_locks):
            wait_for(lambda: not lock_is_held(path), timeout=settle, message=f"{path} to be free")

    def runs(self):
        path = self.path("runs")
        if not os.path.exists(path):
            return 0
        with open(path) as f:
            return len(f.read().split())

    # --- SIGTERM while waiting ---------------------------------------------

    def test_sigterm_while_waiting_for_a_resource_lets_the_show_lock_go(self):
        # The show lock is taken, the resource is busy: the stop must give
        # back the show lock it already holds, and the show never runs.
        holder = self.start("other", ["sleep", "30"], "--resource", "dmx1")
        resource = os.path.join(self.lock_dir, "resources", "dmx1.lock")
        wait_held(resource)
        for signo, options in ((signal.SIGTERM, ["--wait"]), (signal.SIGINT, ["--wait=30s"])):
            waiter = self.start(self.show, ["touch", self.path("ran")], "--resource", "dmx1", *options)
            wait_for(lambda: listed_in_proc_locks(self.lock()) and blocked_in_flock(waiter.pid),
                     message="the guard to hold the show and wait for the resource")
            waiter.send_signal(signo)
            code, _, err = self.finish(waiter, timeout=5)
            self.assertEqual(code, 128 + signo, err)
            self.assertIn(f"stopped by SIG{signo.name[3:]} while waiting for resource dmx1", err)
            self.assertFalse(os.path.exists(self.path("ran")))
            self.assertFalse(lock_is_held(self.lock()), "the show lock outlived the stopped wait")
            self.assertTrue(lock_is_held(resource))
        holder.terminate()
        holder.wait()

    # --- SIGTERM while the show starts -------------------------------------

    @unittest.skipIf(bool(EMULATOR or WRAPPER), "strace would trace the emulator or checker, not the guard")
    def test_sigterm_after_the_lock_is_taken_starts_no_show(self):
        # strace holds the guard for 3 s at the check it makes once its locks
        # are taken (its one rt_sigpending), so the SIGTERM sent as soon as the
        # lock is held lands in that window for certain. The guard must end
        # the run there, without starting a show only to stop it (and
        # lighting its LED for nothing). (Its stderr no longer stalls it: a
        # full stderr pipe used to be the way to hold it here.)
        if not shutil.which("strace"):
            self.fail("strace is missing (scripts/install-deps.sh installs it)")
        env = dict(os.environ)
        if "ASAN_OPTIONS" in env:  # LeakSanitizer cannot run under ptrace
            env["ASAN_OPTIONS"] += ":detect_leaks=0"
        guard = subprocess.Popen(
            ["strace", "-o", "/dev/null", "-e", "trace=rt_sigpending", "-e",
             f"inject=rt_sigpending:delay_enter={int(3e6 * SLOW)}",
             *self.args(self.show, ["touch", self.path("ran")], "--log-level", "debug")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        self.procs.append(guard)
        wait_held(self.lock())
        with open(f"/proc/{guard.pid}/task/{guard.pid}/children") as f:
            (guard_pid,) = map(int, f.read().split())
        os.kill(guard_pid, signal.SIGTERM)
        code, _, err = self.finish(guard)
        self.assertEqual(code, 143, err)
        self.assertNotIn("started pid", err)
        self.assertIn("stopped by SIGTERM before the show started", err)
        self.assertFalse(os.path.exists(self.path("ran")))
        self.assert_nothing_left()

    def test_sigterm_at_any_moment_of_the_start(self):
        # SIGTERM lands anywhere from before the guard blocks signals, through
        # the lock and fork, to the moment between fork and exec (the child's
        # mask still blocks it until just before execve) and after exec. A
        # guard stopped before it took anything dies of SIGTERM itself (a
        # shell and systemd see 143 either way); otherwise it stops its show
        # and exits 143. Nothing is left either way.
        rnd = random.Random(7)
        # The moments span one whole start, however long this build takes
        # for it (an emulated or instrumented guard is many times slower):
        # from its exec to its show's first line.
        began = time.monotonic()
        guard = self.start(self.show, self.sh(f"echo start >> {self.path('runs')}; exec sleep 30"))
        wait_for(lambda: os.path.exists(self.path("runs")), timeout=30, message="the first show")
        start_time = time.monotonic() - began
        guard.send_signal(signal.SIGTERM)
        self.assertEqual(self.finish(guard)[0], 143)
        self.assert_nothing_left()
        outcomes = {}
        for i in range(30):
            guard = self.start(self.show, self.sh(f"echo {i} >> {self.path('runs')}; exec sleep 30"))
            time.sleep(rnd.uniform(0, 1.2 * start_time))
            guard.send_signal(signal.SIGTERM)
            code, _, err = self.finish(guard)
            outcomes[code] = outcomes.get(code, 0) + 1
            self.assertIn(code, (143, -signal.SIGTERM), err)
            if code == -signal.SIGTERM:
                self.assertEqual(err, "", "a guard killed before it set up its signals said something")
            self.assert_nothing_left()
        self.assertIn(143, outcomes)

    # --- SIGTERM during the restart delay ------------------------------------

    @needs_subreaper
    def test_sigterm_while_leftovers_are_stopped_before_a_restart(self):
        # The show failed and left a daemon; no restart until it is gone, and
        # a stop meanwhile ends it all with the show's own status.
        daemon = (f"sh -c 'trap \"echo term > {self.path('got-term')}; sleep 0.5; exit 0\" TERM; "
                  f"echo $$ > {self.path('daemon')}; while :; do sleep 0.05; done' &")
        guard = self.start(self.show, self.sh(f"echo run >> {self.path('runs')}; {daemon} sleep 0.2; exit 4"),
                           "--restart", "on-failure", "--restart-delay", "100ms")
        daemon_pid = int(self.wait_file("daemon"))
        self.wait_file("got-term")  # the guard is stopping what the failed run left
        guard.terminate()
        code, _, err = self.finish(guard)
        self.assertEqual(code, 4, err)
        self.assertEqual(self.runs(), 1, "restarted although stopped")
        self.assertFalse(pid_alive(daemon_pid))
        self.assert_nothing_left()

    # --- a show that ends at the moment it is told to stop -------------------

    def test_show_that_exits_as_it_is_told_to_stop_is_not_restarted(self):
        # The show exits with 3 by itself at about 300 ms; SIGTERM arrives
        # around then. Whichever comes first, the README's contract holds:
        # 3 if it exited on its own (or died of the forwarded SIGTERM: 143),
        # 143 if the stop found the guard between runs; never a restart. The
        # restart delay is long, so that a stop delayed by a loaded machine
        # still comes before any restart could (the delay ends at once on a stop).
        rnd = random.Random(11)
        outcomes = {}
        for i in range(12):
            open(self.path("runs"), "w").close()
            guard = self.start(self.show, self.sh(f"echo run >> {self.path('runs')}; sleep 0.3; exit 3"),
                               "--restart", "always", "--restart-delay", f"{int(3000 * SLOW)}ms")
            wait_for(lambda: self.runs() == 1, message="the show to start")
            time.sleep(rnd.uniform(0.25, 0.4))
            guard.terminate()
            code, _, err = self.finish(guard)
            outcomes[code] = outcomes.get(code, 0) + 1
            self.assertIn(code, (3, 143), err)
            self.assertEqual(self.runs(), 1, f"restarted after the stop: {err}")
            self.assert_nothing_left()

    # --- a show that forks a daemon and exits ------------------------------

    @needs_subreaper
    def test_daemon_is_stopped_and_the_lock_held_until_it_is_gone(self):
        # The daemon takes 1 s to honour SIGTERM; all that time the lock stays
        # held and the guard waits, then exits with the show's status.
        daemon = (f"setsid sh -c 'trap \"sleep 1; echo done > {self.path('daemon-done')}; exit 0\" TERM; "
                  f"echo $$ > {self.path('daemon')}; while :; do sleep 0.05; done' &")
        guard = self.start(self.show, self.sh(f"{daemon} sleep 0.2; exit 5"))
        daemon_pid = int(self.wait_file("daemon"))
        samples = []
        while guard.poll() is None:
            if pid_alive(daemon_pid):
                samples.append(lock_is_held(self.lock()))
            time.sleep(0.05)
        code, _, err = self.finish(guard)
        self.assertEqual(code, 5, err)
        self.assertTrue(os.path.exists(self.path("daemon-done")), "the guard ended before its daemon")
        self.assertFalse(pid_alive(daemon_pid))
        self.assertTrue(samples and all(samples), f"the lock was free while the daemon lived: {samples}")
        self.assert_nothing_left()

    @needs_subreaper
    def test_restart_waits_until_the_daemon_of_the_last_run_is_gone(self):
        daemon = (f"setsid sh -c 'trap \"sleep 0.5; echo $$ >> {self.path('daemon-ends')}; exit 0\" TERM; "
                  f"while :; do sleep 0.05; done' &")
        result = self.run_guard(self.show, self.sh(f"echo $$ >> {self.path('runs')}; {daemon} sleep 0.1; exit 1"),
                                "--restart", "on-failure", "--restart-delay", "50ms", "--restart-limit", "1")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertEqual(self.runs(), 2)
        with open(self.path("daemon-ends")) as f:
            ends = f.read().split()
        self.assertEqual(len(ends), 2,
                         "a run's daemon was not stopped before the next run or the end")
        self.assert_nothing_left()

    # --- a show that closes every inherited descriptor ------------------------

    CLOSE_ALL = "for fd in /proc/$$/fd/*; do n=${fd##*/}; [ $n -gt 2 ] && eval \"exec $n>&-\"; done; "

    def test_show_that_closes_every_descriptor_is_still_guarded(self):
        # The guard's own descriptor keeps the lock, whatever the show closes.
        script = (self.CLOSE_ALL + f"ls /proc/$$/fd > {self.path('fds')}; "
                  f"flock -n -E 99 {self.lock()} true; echo flock=$?")
        result = self.run_guard(self.show, ["bash", "-c", script])
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(self.path("fds")) as f:
            self.assertEqual(f.read().split(), ["0", "1", "2"])
        self.assertIn("flock=99", result.stdout)
        self.assert_nothing_left()

    def test_sigkilled_guard_of_a_show_that_closed_the_lock(self):
        # What still holds: the show is told to stop at once (PR_SET_PDEATHSIG).
        # What a show gives up by closing the lock's descriptor: the lock goes
        # with the guard, so a new guard may start while this show winds down.
        # The show winds down until the test has looked (the release file).
        release = self.path("release")
        script = (self.CLOSE_ALL + f"trap 'echo term > {self.path('term')}; "
                  f"while [ ! -e {release} ]; do sleep 0.02; done; exit 0' TERM; "
                  f"echo $$ > {self.path('pid')}; while :; do sleep 0.05; done")
        guard = self.start(self.show, ["bash", "-c", script])
        show_pid = int(self.wait_file("pid"))
        self.assertTrue(lock_is_held(self.lock()))
        guard.send_signal(signal.SIGKILL)
        guard.wait()  # not communicate(): the show keeps the guard's pipes open
        self.wait_file("term")
        self.assertTrue(pid_alive(show_pid), "the show should still be winding down")
        self.assertFalse(lock_is_held(self.lock()), "nothing but the dead guard held the lock")
        open(release, "w").close()
        wait_for(lambda: not pid_alive(show_pid), timeout=5, message="the show to finish its SIGTERM")
        self.assert_nothing_left()


if __name__ == "__main__":
    main()
