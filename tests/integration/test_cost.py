# SPDX-License-Identifier: GPL-2.0-or-later
"""While the show runs and nothing happens, the guard sleeps in the kernel:
one thread, no wake-ups."""

import os
import time

from harness import GuardTestCase, main, measures_cost, proc_status


class CostTest(GuardTestCase):
    @measures_cost
    def test_idle_guard_has_one_thread_and_no_wakeups(self):
        guard = self.start("starcourt", self.sh(f"echo $$ > {self.path('pid')}; exec sleep 30"))
        self.wait_file("pid")
        time.sleep(0.5)
        pid = guard.pid
        before = proc_status(pid)
        self.assertEqual(before["Threads"], "1")
        time.sleep(3)
        after = proc_status(pid)
        woke = (int(after["voluntary_ctxt_switches"]) - int(before["voluntary_ctxt_switches"]) +
                int(after["nonvoluntary_ctxt_switches"]) - int(before["nonvoluntary_ctxt_switches"]))
        print(f"idle guard: {woke} context switches in 3 s, threads {after['Threads']}")
        self.assertEqual(woke, 0)
        guard.terminate()
        guard.wait()


if __name__ == "__main__":
    main()
