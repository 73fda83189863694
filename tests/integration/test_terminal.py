# SPDX-License-Identifier: GPL-2.0-or-later
"""Run from a terminal, showguard behaves like the show run directly: the
show reads the terminal, and one Ctrl-C delivers exactly one SIGINT."""

import os
import pty
import select
import signal
import subprocess
import time

from harness import GuardTestCase, main, proc_status, wait_for, SLOW


def children(pid):
    """The pids whose parent is pid."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def descendants(pid):
    """pid's children, their children and so on."""
    found = children(pid)
    for child in list(found):
        found += descendants(child)
    return found


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def syscall_of(pid):
    """The number of the system call pid sleeps in, or None (/proc/PID/syscall)."""
    try:
        with open(f"/proc/{pid}/syscall") as f:
            field = f.read().split()[0]
        return int(field) if field.isdigit() else None
    except (OSError, IndexError):
        return None


_read_syscall = []


def read_syscall():
    """This kernel's number for read(2), from a cat blocked reading a pipe:
    the shows here are the build machine's own programs, whatever the
    guard's architecture."""
    if not _read_syscall:
        cat = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        try:
            wait_for(lambda: proc_status(cat.pid).get("State", "").startswith("S")
                     and syscall_of(cat.pid) is not None, message="cat to block in read")
            _read_syscall.append(syscall_of(cat.pid))
        finally:
            cat.stdin.close()
            cat.wait()
    return _read_syscall[0]


def catches(pid, signo):
    """Whether pid has a handler for signo (/proc/PID/status SigCgt)."""
    try:
        return bool(int(proc_status(pid)["SigCgt"], 16) & (1 << (signo - 1)))
    except (OSError, KeyError):
        return False


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
            # A terminal's session starts with the terminal's signals at their
            # defaults. This test's own process may not have them so (a job
            # started in the background by a non-interactive shell ignores
            # SIGINT and SIGQUIT), and what is ignored at exec stays ignored:
            # the guard passes it on, and bash cannot trap a signal ignored on entry.
            for signo in (signal.SIGINT, signal.SIGQUIT):
                signal.signal(signo, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT, signal.SIGQUIT])

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

    def wait_for_exec(self, proc, name):
        """Waits until the show has exec'd name. sh forks before it execs a
        command, and a SIGINT that reaches the fork before the exec is taken
        by the handler the fork inherited from sh and is gone with the exec:
        the command then runs on (a race of the shell's, not the guard's;
        under qemu-user the guard's slower forwarding met it 1 in 10 runs)."""
        wait_for(lambda: any(comm(p) == name for p in descendants(proc.pid)),
                 message=f"the show to run {name}")

    def test_ctrl_c_delivers_exactly_one_sigint(self):
        count = self.path("ints")
        script = (f"trap 'echo int >> {count}' INT; echo ready; "
                  f"read line; echo \"got:$line\"; exit 5")
        proc, master = self.spawn_on_pty(self.args("starcourt", ["bash", "-c", script]))
        self.read_until(master, "ready")
        # Ctrl-C once the show's trap is in place, as the kernel says (not as a
        # line of output says), and a failure names the show's signal state.
        show = []
        try:
            wait_for(lambda: show or show.extend(p for p in children(proc.pid) if catches(p, signal.SIGINT)),
                     message="the show to catch SIGINT")
        except AssertionError:
            states = {p: {k: v for k, v in proc_status(p).items() if k.startswith(("Sig", "Shd"))}
                      for p in children(proc.pid)}
            raise AssertionError(f"the show does not catch SIGINT: {states}") from None
        # ... and once the show sleeps in read(2): a SIGINT that came between
        # bash's last look for pending traps and the read would run its trap
        # only after the next line of input.
        wait_for(lambda: syscall_of(show[0]) == read_syscall(), message="the show to block reading the terminal")
        os.write(master, b"\x03")
        wait_for(lambda: os.path.exists(count), message="the show's SIGINT trap")
        # Exactly one: a second SIGINT (forwarded by the guard) would come at once.
        time.sleep(0.3 * SLOW)
        # The show ignored it (its choice): it still reads the terminal.
        os.write(master, b"hello\n")
        self.read_until(master, "got:hello")
        self.assertEqual(proc.wait(10 * SLOW), 5)
        self.assertEqual(open(count).read().split(), ["int"])
        os.close(master)

    def test_ctrl_c_ends_a_show_that_does_not_catch_it(self):
        proc, master = self.spawn_on_pty(self.args("starcourt", ["bash", "-c", "echo ready; sleep 30"]))
        self.read_until(master, "ready")
        self.wait_for_exec(proc, "sleep")
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
        self.wait_for_exec(proc, "sleep")
        os.write(master, b"\x03")
        self.assertEqual(proc.wait(10 * SLOW), 130)
        os.close(master)


if __name__ == "__main__":
    main()
