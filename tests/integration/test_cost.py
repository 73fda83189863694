# SPDX-License-Identifier: GPL-2.0-or-later
"""While the show runs and nothing happens, the guard sleeps in the kernel:
one thread, no wake-ups."""

import os
import subprocess
import time

from harness import GuardTestCase, blocked_in_flock, main, measures_cost, proc_status, wait_for, wait_held


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

    @staticmethod
    def switches(pid):
        """Context switches of every thread of pid, as the kernel counts them."""
        total = 0
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                fields = proc_status(f"{pid}/task/{task}")
            except FileNotFoundError:
                continue  # a thread that ended meanwhile
            total += int(fields["voluntary_ctxt_switches"]) + int(fields["nonvoluntary_ctxt_switches"])
        return total

    def count_wakeups(self, pids, seconds):
        """Context switches of each of pids over the same seconds."""
        before = [self.switches(pid) for pid in pids]
        time.sleep(seconds)
        return [self.switches(pid) - b for pid, b in zip(pids, before)]

    @measures_cost
    def test_waiting_guard_has_no_wakeups(self):
        # The guard waits with --wait (forever, and with a deadline far off)
        # for a show util-linux flock(1) holds: its threads sleep in flock(2)
        # and poll(2). Canary: the same counter sees a process that wakes
        # every 100 ms wake.
        os.makedirs(self.lock_dir, mode=0o755)
        lock = self.lock_path("starcourt")
        open(lock, "w").close()
        os.chmod(lock, 0o600)
        self.hold_with_flock(lock)
        wait_held(lock)
        canary = subprocess.Popen(["/bin/sh", "-c", "while :; do sleep 0.1; done"])
        self.procs.append(canary)
        guards = [self.start("starcourt", ["true"], wait) for wait in ("--wait", "--wait=1h")]
        for guard in guards:
            wait_for(lambda: blocked_in_flock(guard.pid), message="the guard to wait in flock(2)")
        time.sleep(0.2)  # the wait's own start-up (the log line, the record) is over
        *woke, canary_woke = self.count_wakeups([g.pid for g in guards] + [canary.pid], 2)
        print(f"waiting guards (--wait, --wait=1h): {woke} context switches in 2 s; a 100 ms sleeper: {canary_woke}")
        self.assertGreaterEqual(canary_woke, 10, "the counter does not see a process that wakes")
        self.assertEqual(woke, [0, 0])
        for guard in guards:
            guard.terminate()
            self.assertEqual(guard.wait(10), 143)

if __name__ == "__main__":
    main()
