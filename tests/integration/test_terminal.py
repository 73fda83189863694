# SPDX-License-Identifier: GPL-2.0-or-later
"""Run from a terminal, showguard behaves like the show run directly: the
show reads the terminal, and one Ctrl-C delivers exactly one SIGINT."""

import os
import pty
import select
import subprocess
import time

from harness import GuardTestCase, main, showguard_cmd, wait_for, SLOW


class TerminalTest(GuardTestCase):
    def spawn_on_pty(self, args):
        """Starts args as a foreground job on a fresh pty: own session, the
        pty as controlling terminal, its own process group in the foreground."""
        master, slave = pty.openpty()

        def child_setup():
            os.setsid()
            import fcntl
            import termios
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

        proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, preexec_fn=child_setup)
        os.close(slave)
        self.procs.append(proc)
        return proc, master

    def read_until(self, master, text, timeout=10):
        buf = b""
        deadline = time.monotonic() + timeout * SLOW
        while text.encode() not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {text!r} on the terminal; got {buf!r}")
            ready, _, _ = select.select([master], [], [], left)
            if ready:
                try:
                    buf += os.read(master, 1024)
                except OSError:
                    break
        return buf.decode(errors="replace")

    def test_ctrl_c_delivers_exactly_one_sigint(self):
        count = self.path("ints")
        script = (f"trap 'echo int >> {count}' INT; echo ready; "
                  f"read line; echo \"got:$line\"; exit 5")
        proc, master = self.spawn_on_pty(self.args("starcourt", ["bash", "-c", script]))
        self.read_until(master, "ready")
        os.write(master, b"\x03")
        wait_for(lambda: os.path.exists(count), message="the show's SIGINT trap")
        time.sleep(0.3)
        # The show ignored it (its choice): it still reads the terminal.
        os.write(master, b"hello\n")
        self.read_until(master, "got:hello")
        self.assertEqual(proc.wait(10 * SLOW), 5)
        self.assertEqual(open(count).read().split(), ["int"])
        os.close(master)

    def test_ctrl_c_ends_a_show_that_does_not_catch_it(self):
        proc, master = self.spawn_on_pty(self.args("starcourt", ["bash", "-c", "echo ready; sleep 30"]))
        self.read_until(master, "ready")
        os.write(master, b"\x03")
        self.assertEqual(proc.wait(10 * SLOW), 130)
        os.close(master)

    def test_ctrl_c_reaches_a_show_that_left_the_terminals_group_once(self):
        # setsid(1) takes the show out of the session: the terminal's Ctrl-C
        # goes to the guard's group only, and the guard passes it on.
        count = self.path("ints")
        script = f"trap 'echo int >> {count}; exit 7' INT; echo ready; while :; do sleep 0.05; done"
        proc, master = self.spawn_on_pty(self.args("setsid-show", ["setsid", "bash", "-c", script]))
        self.read_until(master, "ready")
        os.write(master, b"\x03")
        self.assertEqual(proc.wait(10 * SLOW), 7)
        self.assertEqual(open(count).read().split(), ["int"])
        os.close(master)

    def test_ctrl_c_stops_a_show_run_by_timeout(self):
        # timeout(1) puts itself in a process group of its own.
        proc, master = self.spawn_on_pty(self.args("timeout-show", ["timeout", "30", "sh", "-c",
                                                                    "echo ready; sleep 30"]))
        self.read_until(master, "ready")
        os.write(master, b"\x03")
        self.assertEqual(proc.wait(10 * SLOW), 130)
        os.close(master)


if __name__ == "__main__":
    main()
