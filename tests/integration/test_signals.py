# SPDX-License-Identifier: GPL-2.0-or-later
"""Signals sent to the guard reach the show; a stop escalates."""

import os
import signal
import subprocess
import sys
import time

from harness import GuardTestCase, lock_is_held, main, wait_for, SLOW

FORWARDED = ["HUP", "QUIT", "USR1", "USR2", "INT", "TERM"]


class SignalTest(GuardTestCase):
    def trap_script(self, exit_on):
        log = self.path("log")
        traps = "; ".join(
            f"trap 'echo {name} >> {log}{'; exit 0' if name == exit_on else ''}' {name}"
            for name in FORWARDED)
        return f"{traps}; echo $$ > {self.path('pid')}; while :; do sleep 0.05; done"

    def test_each_signal_reaches_the_show(self):
        guard = self.start("starcourt", self.sh(self.trap_script(exit_on="TERM")))
        self.wait_file("pid")
        log = self.path("log")
        for name in ["HUP", "QUIT", "USR1", "USR2"]:
            guard.send_signal(getattr(signal, "SIG" + name))
            wait_for(lambda: os.path.exists(log) and name in open(log).read().split(),
                     message=f"SIG{name} to reach the show")
        guard.send_signal(signal.SIGTERM)
        code, _, err = self.finish(guard)
        self.assertEqual(code, 0, err)
        self.assertEqual(open(log).read().split(), ["HUP", "QUIT", "USR1", "USR2", "TERM"])

    def test_sigint_reaches_the_show_once(self):
        guard = self.start("starcourt", self.sh(self.trap_script(exit_on="INT")))
        self.wait_file("pid")
        guard.send_signal(signal.SIGINT)
        code, _, err = self.finish(guard)
        self.assertEqual(code, 0, err)
        self.assertEqual(open(self.path("log")).read().split(), ["INT"])

    def test_show_killed_by_forwarded_sigterm_gives_143(self):
        guard = self.start("starcourt", self.sh(f"echo $$ > {self.path('pid')}; exec sleep 30"))
        self.wait_file("pid")
        guard.terminate()
        code, _, err = self.finish(guard)
        self.assertEqual(code, 143, err)

    def test_stop_does_not_restart(self):
        guard = self.start("starcourt", self.sh(f"echo $$ >> {self.path('pid')}; exec sleep 30"),
                           "--restart", "always", "--restart-delay", "100ms")
        self.wait_file("pid")
        guard.terminate()
        code, _, err = self.finish(guard)
        self.assertEqual(code, 143, err)
        self.assertEqual(len(open(self.path("pid")).read().split()), 1)

    def test_sigint_stops_without_restart_and_escalates_to_sigkill(self):
        # A show that only logs SIGINT and keeps running: SIGINT to the guard
        # ends the run (SIGKILL once --kill-timeout has passed) and, although
        # --restart always, starts no second run.
        runs, log = self.path("runs"), self.path("log")
        script = (f"trap 'echo INT >> {log}' INT; echo $$ >> {runs}; echo $$ > {self.path('pid')}; "
                  f"while :; do sleep 0.05; done")
        guard = self.start("starcourt", self.sh(script), "--restart", "always", "--restart-delay", "10ms",
                           "--kill-timeout", "500ms")
        show = int(self.wait_file("pid"))
        started = time.monotonic()
        guard.send_signal(signal.SIGINT)
        code, _, err = self.finish(guard)
        elapsed = time.monotonic() - started
        self.assertEqual(code, 128 + signal.SIGKILL, err)
        self.assertGreaterEqual(elapsed, 0.45, "SIGKILL before the kill timeout")
        self.assertLess(elapsed, 5 * SLOW)
        self.assertEqual(open(log).read().split(), ["INT"])
        self.assertEqual(open(runs).read().split(), [str(show)], "restarted after SIGINT")
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))

    def test_sigint_between_runs_starts_no_other_run(self):
        runs = self.path("runs")
        guard = self.start("starcourt", self.sh(f"echo $$ >> {runs}; exit 3"), "--restart", "always",
                           "--restart-delay", "30s")
        self.wait_file("runs")
        wait_for(lambda: "state=restarting" in self.record(), message="the restart delay")
        guard.send_signal(signal.SIGINT)
        code, _, err = self.finish(guard, timeout=10)
        self.assertEqual(code, 128 + signal.SIGINT, err)
        self.assertEqual(len(open(runs).read().split()), 1)

    def record(self):
        try:
            with open(os.path.join(self.lock_dir, "starcourt.state")) as f:
                return f.read()
        except FileNotFoundError:
            return ""


# The show counts each SIGUSR1 in its own file, with the sender's pid: it
# waits for the signal in sigwaitinfo(), so two deliveries a moment apart
# are two entries, not one handler run.
COUNT_USR1 = """
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGTERM})
with open(sys.argv[2], "w") as f:
    f.write(str(os.getpgrp()))
while True:
    info = signal.sigwaitinfo({signal.SIGUSR1, signal.SIGTERM})
    if info.si_signo == signal.SIGTERM:
        sys.exit(0)
    with open(sys.argv[1], "a") as f:
        f.write(f"{info.si_pid}\\n")
"""


class GroupSignalTest(GuardTestCase):
    """A signal sent to the guard's whole process group reaches the show
    once, as if the show had been run directly."""

    def start_counting(self, show):
        counts, ready = self.path("usr1"), self.path("ready")
        # A session of its own, as with setsid(1) or under a service manager:
        # no controlling terminal, the guard leads its process group.
        guard = self.start(show, [sys.executable, "-c", COUNT_USR1, counts, ready], start_new_session=True)
        show_group = int(self.wait_file("ready"))
        return guard, counts, show_group

    def counted(self, counts):
        time.sleep(0.5 * SLOW)  # a second, forwarded copy would arrive by now
        return open(counts).read().split() if os.path.exists(counts) else []

    def test_a_signal_to_the_guards_group_reaches_the_show_once(self):
        guard, counts, _ = self.start_counting("group-usr1")
        subprocess.run(["kill", "-USR1", "--", f"-{os.getpgid(guard.pid)}"], check=True)
        wait_for(lambda: os.path.exists(counts), message="the show to count SIGUSR1")
        self.assertEqual(self.counted(counts), [str(guard.pid)])
        guard.terminate()
        code, _, err = self.finish(guard)
        self.assertEqual(code, 0, err)

    def test_a_signal_to_the_guard_alone_reaches_the_show_once(self):
        guard, counts, _ = self.start_counting("single-usr1")
        guard.send_signal(signal.SIGUSR1)
        wait_for(lambda: os.path.exists(counts), message="the show to count SIGUSR1")
        self.assertEqual(self.counted(counts), [str(guard.pid)])
        guard.terminate()
        code, _, err = self.finish(guard)
        self.assertEqual(code, 0, err)


if __name__ == "__main__":
    main()
