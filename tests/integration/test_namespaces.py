# SPDX-License-Identifier: GPL-2.0-or-later
"""Guards and operator commands in PID namespaces: a guard in a namespace
that sees another namespace's /proc still finds its own leftovers, and
status and stop tell the truth about a show held from outside their
namespace."""

import os
import shutil
import signal
import subprocess
import unittest

from harness import GuardTestCase, main, needs_subreaper, show_processes, SLOW


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


if __name__ == "__main__":
    main()
