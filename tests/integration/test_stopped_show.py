# SPDX-License-Identifier: GPL-2.0-or-later
"""A stopped show (SIGSTOP, a debugger, Ctrl-Z of its own) still runs its
TERM handler when it is stopped: the guard sends SIGCONT after SIGTERM, to the
show and to what it left behind, as systemd and s6-supervise do. Judged from
the handler's own marker file and the exit status: the handler's, not
SIGKILL's 137 after the kill timeout."""

import os
import subprocess
import time

from harness import GuardTestCase, SLOW, lock_is_held, main, needs_subreaper, showguard_cmd, wait_for


def stopped(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "T"


class StoppedShowTest(GuardTestCase):
    def test_stop_reaches_the_term_handler_of_a_stopped_show(self):
        guard = self.start("starcourt", self.sh(
            f"trap 'echo term > {self.path('term')}; exit 0' TERM; echo $$ > {self.path('pid')}; "
            f"kill -STOP $$; while :; do sleep 0.1; done"), "--kill-timeout", "5s")
        show = int(self.wait_file("pid"))
        wait_for(lambda: stopped(show), message="the show to stop itself")
        started = time.monotonic()
        result = subprocess.run(showguard_cmd("stop", "starcourt", "--lock-dir", self.lock_dir),
                                capture_output=True, text=True, timeout=60 * SLOW)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.wait_file("term").strip(), "term", "the TERM handler never ran")
        code, _, err = self.finish(guard)
        self.assertEqual(code, 0, f"the show did not end by its handler: {err}")
        self.assertLess(time.monotonic() - started, 4 * SLOW, "the show waited for the kill timeout")
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))

    @needs_subreaper
    def test_a_stopped_leftover_runs_its_term_handler(self):
        with open(self.path("leftover.sh"), "w") as f:
            f.write(f"trap 'echo term > {self.path('term')}; exit 0' TERM\n"
                    f"echo $$ > {self.path('pid')}\n"
                    "kill -STOP $$\n"
                    "while :; do sleep 0.1; done\n")
        # The show leaves it behind, stopped, and exits.
        guard = self.start("starcourt", self.sh(
            f"sh {self.path('leftover.sh')} & pid={self.path('pid')}; "
            f"until [ -s $pid ] && grep -q ') T ' /proc/$(cat $pid)/stat; do sleep 0.05; done; exit 0"),
            "--kill-timeout", "5s")
        started = time.monotonic()
        code, _, err = self.finish(guard)
        self.assertEqual(code, 0, err)
        self.assertEqual(self.wait_file("term").strip(), "term", "the leftover's TERM handler never ran")
        self.assertLess(time.monotonic() - started, 4 * SLOW, "the leftover waited for the kill timeout")
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))


if __name__ == "__main__":
    main()
