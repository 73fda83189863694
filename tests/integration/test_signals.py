# SPDX-License-Identifier: GPL-2.0-or-later
"""Signals sent to the guard reach the show; a stop escalates."""

import os
import signal
import time

from harness import GuardTestCase, main, wait_for, SLOW

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


if __name__ == "__main__":
    main()
