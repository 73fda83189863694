# SPDX-License-Identifier: GPL-2.0-or-later
"""Guards and operator commands in PID namespaces: a guard in a namespace
that sees another namespace's /proc still finds its own leftovers, and
status and stop tell the truth about a show held from outside their
namespace."""

import json
import os
import shutil
import signal
import subprocess
import unittest

from harness import (GuardTestCase, lock_is_held, main, needs_subreaper, pid_alive, show_processes, showguard_cmd,
                     wait_for, SLOW)


def can_unshare_pid():
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--pid", "--fork", "true"], capture_output=True)
    return probe.returncode == 0


needs_pid_namespace = unittest.skipUnless(
    can_unshare_pid(), "needs root and unshare(1) to make PID namespaces (CAP_SYS_ADMIN)")


@needs_pid_namespace
class ForeignProcTest(GuardTestCase):
    """unshare --pid --fork without --mount-proc: the guard is pid 1 of its
    namespace, but /proc is the host's, where pid 1 is the host's init."""

    def run_in_namespace(self, show, command, *options):
        """Runs a guard in a new PID namespace; a guard that hangs is killed
        with its whole session and fails the test."""
        proc = subprocess.Popen(["unshare", "--pid", "--fork", *self.args(show, command, *options)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        self.procs.append(proc)
        try:
            _, err = proc.communicate(timeout=15 * SLOW)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            self.fail(f"the guard of {show} still runs after {15 * SLOW:.0f}s")
        return proc.returncode, err

    def test_a_show_that_exits_ends_the_guard(self):
        code, err = self.run_in_namespace("ns-true", ["true"])
        self.assertEqual(code, 0, err)

    @needs_subreaper
    def test_what_the_show_leaves_behind_is_stopped(self):
        code, err = self.run_in_namespace("ns-leftover", self.sh("sleep 60 & exit 3"), "--kill-timeout", "2s")
        self.assertEqual(code, 3, err)
        self.assertIn("stopping 1 process(es) the show left behind", err)
        self.assertEqual(show_processes("ns-leftover"), {})


@needs_pid_namespace
class OwnProcTest(GuardTestCase):
    """unshare --pid --fork --mount-proc, as a container: /proc lists only the
    namespace's processes, and the kernel hides from its /proc/locks every
    flock held by a process outside it."""

    def in_namespace(self, *args):
        return subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", *showguard_cmd(*args)],
                              capture_output=True, text=True, timeout=30 * SLOW, stdin=subprocess.DEVNULL)

    def start_on_host(self, show):
        guard = self.start(show, self.sh(f"echo $$ > {self.path(show + '.pid')}; exec sleep 30"))
        show_pid = int(self.wait_file(show + ".pid"))
        record = os.path.join(self.lock_dir, show + ".state")
        wait_for(lambda: os.path.exists(record) and "state=running" in open(record).read())
        return guard, show_pid

    def test_status_from_another_namespace_sees_the_show_running(self):
        guard, show_pid = self.start_on_host("starcourt")
        result = self.in_namespace("status", "--json", "--lock-dir", self.lock_dir)
        self.assertEqual(result.returncode, 0, result.stderr)
        s = {x["name"]: x for x in json.loads(result.stdout)["shows"]}["starcourt"]
        self.assertEqual((s["state"], s["phase"], s["guard_pid"], s["show_pid"]), ("running", "running", None, None))
        self.assertLess(s["uptime_seconds"], 60)
        result = self.in_namespace("status", "--format", "prometheus", "--lock-dir", self.lock_dir)
        self.assertIn('showguard_show_up{show="starcourt"} 1', result.stdout)
        guard.terminate()
        self.assertEqual(guard.wait(10 * SLOW), 143)
        result = self.in_namespace("status", "--json", "--lock-dir", self.lock_dir)
        s = {x["name"]: x for x in json.loads(result.stdout)["shows"]}["starcourt"]
        self.assertEqual(s["state"], "free")

    def test_stop_from_another_namespace_does_not_claim_success(self):
        guard, show_pid = self.start_on_host("starcourt")
        result = self.in_namespace("stop", "starcourt", "--lock-dir", self.lock_dir, "--timeout", "2s")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("show starcourt is running, guarded by a process outside this PID namespace", result.stderr)
        # Nothing was stopped: the kernel still has the lock held, the show runs.
        self.assertTrue(lock_is_held(self.lock_path("starcourt")))
        self.assertTrue(pid_alive(show_pid))
        self.assertIsNone(guard.poll())
        guard.terminate()
        guard.wait()

    def test_a_start_from_another_namespace_is_refused_naming_why(self):
        guard, _ = self.start_on_host("starcourt")
        result = self.in_namespace("--show", "starcourt", "--lock-dir", self.lock_dir, "--", "true")
        self.assertEqual(result.returncode, 75, result.stderr)
        self.assertIn("held by a guard outside this PID namespace", result.stderr)
        guard.terminate()
        guard.wait()


if __name__ == "__main__":
    main()
