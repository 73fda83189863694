# SPDX-License-Identifier: GPL-2.0-or-later
"""A reader that stalls never freezes the guard: with its stderr a FIFO whose
reader is stopped (or Ctrl-S on a terminal, a pager that stopped reading), or a
NOTIFY_SOCKET nobody reads, the show is still stopped on request, the kill
timeout still holds and `showguard stop` still returns. Judged from the show's
own marker files, the kernel's lock and the guard's exit status; the stall is
real: a pipe the show filled, a datagram socket with a full queue."""

import fcntl
import os
import re
import select
import signal
import socket
import subprocess
import termios
import time

from harness import (GuardTestCase, SLOW, lock_is_held, main, measures_cost, needs_subreaper, proc_status, showguard_cmd,
                     wait_for, wait_held)

# What the show writes to fill the shared stderr pipe, more than its 64 KiB.
FLOOD = "(head -c 200000 /dev/zero >&2) &"


def unread_bytes(fd):
    """Bytes waiting in the pipe behind fd (either end). A pipe that is full
    holds a little less than its 64 KiB when a short line sits alone in one
    of its 16 pages, so "full" is taken as 60000."""
    return int.from_bytes(fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"), "little")


def usr1_pending(pid):
    """SIGUSR1 is queued for the process and not yet read."""
    return bool(int(proc_status(pid)["ShdPnd"], 16) & (1 << (signal.SIGUSR1 - 1)))


def context_switches(pid):
    status = proc_status(pid)
    return int(status["voluntary_ctxt_switches"]) + int(status["nonvoluntary_ctxt_switches"])


class StalledStderrTest(GuardTestCase):
    def setUp(self):
        super().setUp()
        # The reproduction: a FIFO whose reader opened it and was then
        # stopped, so it holds the read end and never reads.
        self.fifo = self.path("fifo")
        os.mkfifo(self.fifo)
        self.reader = subprocess.Popen(["cat", self.fifo], stdout=subprocess.DEVNULL)
        self.procs.append(self.reader)
        self.write_end = os.open(self.fifo, os.O_WRONLY)
        self.reader.send_signal(signal.SIGSTOP)

    def tearDown(self):
        os.close(self.write_end)
        self.reader.send_signal(signal.SIGCONT)
        super().tearDown()

    def start_stalled(self, script, *options):
        """A guard whose stdout and stderr are the stalled FIFO, once its show
        has filled it."""
        guard = subprocess.Popen(self.args("chat", self.sh(script), *options), stdin=subprocess.DEVNULL,
                                 stdout=self.write_end, stderr=self.write_end)
        self.procs.append(guard)
        self.wait_file("pid")
        wait_for(lambda: unread_bytes(self.write_end) >= 60000, message="the show to fill the FIFO")
        return guard

    # The flood's writer is a leftover blocked on the stalled FIFO: only a subreaper guard
    # finds and stops it, and until then it holds the inherited lock.
    @needs_subreaper
    def test_stop_stops_the_show_although_its_stderr_is_stalled(self):
        guard = self.start_stalled(
            f"trap 'echo term > {self.path('term')}; exit 0' TERM; {FLOOD} "
            f"echo $$ > {self.path('pid')}; while :; do sleep 0.1; done", "--kill-timeout", "2s")
        started = time.monotonic()
        stop = subprocess.run(showguard_cmd("stop", "chat", "--lock-dir", self.lock_dir, "--timeout", "8s"),
                              capture_output=True, text=True, timeout=30 * SLOW)
        elapsed = time.monotonic() - started
        self.assertEqual(stop.returncode, 0, stop.stderr)
        self.assertEqual(open(self.path("term")).read().strip(), "term", "the show never got SIGTERM")
        self.assertEqual(guard.wait(5 * SLOW), 0)
        self.assertFalse(lock_is_held(self.lock_path("chat")))
        # SIGTERM, the trap, the flooding leftover's SIGTERM and the exit:
        # well inside the kill timeout, not after it.
        self.assertLess(elapsed, 2 * SLOW)

    # The flood's writer is a leftover blocked on the stalled FIFO: only a subreaper guard
    # finds and stops it, and until then it holds the inherited lock.
    @needs_subreaper
    def test_kill_timeout_holds_although_stderr_is_stalled(self):
        guard = self.start_stalled(
            f"trap '' TERM; {FLOOD} echo $$ > {self.path('pid')}; while :; do sleep 0.1; done",
            "--kill-timeout", "1s")
        show = int(open(self.path("pid")).read())
        started = time.monotonic()
        guard.send_signal(signal.SIGTERM)
        self.assertEqual(guard.wait(10 * SLOW), 137)
        self.assertGreater(time.monotonic() - started, 0.9)
        self.assertFalse(os.path.exists(f"/proc/{show}"))
        self.assertFalse(lock_is_held(self.lock_path("chat")))

    @measures_cost
    def test_a_stalled_stderr_costs_no_wakeups(self):
        # Lines that wait for the reader wait for POLLOUT, not a timer.
        guard = self.start_stalled(f"{FLOOD} echo $$ > {self.path('pid')}; exec sleep 30")
        for _ in range(3):
            guard.send_signal(signal.SIGUSR1)  # forwarded and logged: queued
        time.sleep(0.5)
        before = context_switches(guard.pid)
        time.sleep(2)
        woke = context_switches(guard.pid) - before
        print(f"guard with a stalled stderr: {woke} context switches in 2 s")
        self.assertEqual(woke, 0)
        guard.terminate()
        guard.wait(10 * SLOW)


class DroppedLinesTest(GuardTestCase):
    def test_lines_dropped_while_stalled_are_counted_once_it_drains(self):
        read_end, write_end = os.pipe()
        guard = subprocess.Popen(
            self.args("chat", self.sh(f"trap 'echo usr1 >> {self.path('usr1')}' USR1; {FLOOD} "
                                      f"echo $$ > {self.path('pid')}; while :; do sleep 0.05; done")),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=write_end)
        self.procs.append(guard)
        os.close(write_end)
        try:
            self.wait_file("pid")
            wait_for(lambda: unread_bytes(read_end) >= 60000, message="the show to fill stderr")
            # Each forwarded signal is a log line (about 52 bytes); 64 KiB of
            # them cannot wait. Each is sent once the last has been read from
            # the guard's signalfd, so none merges with another.
            sent = 0
            while sent < 1600:
                guard.send_signal(signal.SIGUSR1)
                sent += 1
                wait_for(lambda: not usr1_pending(guard.pid), interval=0.0005,
                         message="the guard to read its SIGUSR1")
            self.assertIsNone(guard.poll(), "the guard ended while its stderr was stalled")
            # The reader comes back: the queue drains, then the count.
            text = b""
            deadline = time.monotonic() + 10 * SLOW
            while b"dropped" not in text and time.monotonic() < deadline:
                if select.select([read_end], [], [], 0.1)[0]:
                    text += os.read(read_end, 1 << 20).replace(b"\0", b"")
            guard.terminate()
            while chunk := os.read(read_end, 1 << 20):
                text += chunk.replace(b"\0", b"")
        finally:
            os.close(read_end)
        self.assertEqual(guard.wait(10 * SLOW), 143)
        err = text.decode(errors="replace")
        match = re.search(r"showguard: warning: (\d+) log line\(s\) dropped while stderr was not being read", err)
        self.assertTrue(match, err[-2000:])
        forwarded = err.count("forwarding SIGUSR1")
        print(f"{sent} SIGUSR1 sent, {forwarded} lines written, {match.group(1)} dropped")
        self.assertGreater(int(match.group(1)), 0)
        # Every signal the guard read is a line written or a line counted.
        self.assertEqual(forwarded + int(match.group(1)), sent)
        # Every line is whole: no line was split by a partial write.
        for line in err.splitlines():
            if "SIGUSR1" in line:
                self.assertRegex(line, r"^showguard: show chat: forwarding SIGUSR1 to pid \d+$")


class StalledNotifySocketTest(GuardTestCase):
    def test_stop_works_while_the_notify_socket_is_never_read(self):
        sock_path = self.path("notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(sock_path)
        try:
            # A watchdog ping every 10 ms fills the receiver's queue (a few
            # datagrams: net.unix.max_dgram_qlen) at once.
            env = dict(os.environ, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC="20000")
            guard = self.start("chat", self.sh(
                f"trap 'echo term > {self.path('term')}; exit 0' TERM; echo $$ > {self.path('pid')}; "
                f"while :; do sleep 0.1; done"), "--kill-timeout", "2s", env=env)
            self.wait_file("pid")
            wait_held(self.lock_path("chat"))
            time.sleep(1)
            started = time.monotonic()
            stop = subprocess.run(showguard_cmd("stop", "chat", "--lock-dir", self.lock_dir, "--timeout", "8s"),
                                  capture_output=True, text=True, timeout=30 * SLOW)
            self.assertEqual(stop.returncode, 0, stop.stderr)
            self.assertLess(time.monotonic() - started, 2 * SLOW)
            self.assertEqual(open(self.path("term")).read().strip(), "term", "the show never got SIGTERM")
            code, _, err = self.finish(guard)
            self.assertEqual(code, 0, err)
            self.assertFalse(lock_is_held(self.lock_path("chat")))
        finally:
            sock.close()

    def test_dropped_notifications_are_counted_once_the_socket_drains(self):
        sock_path = self.path("notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(sock_path)
        try:
            env = dict(os.environ, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC="20000")
            guard = self.start("chat", ["sleep", "30"], env=env)
            wait_held(self.lock_path("chat"))
            time.sleep(1)  # about 100 pings: most cannot even wait
            # The reader comes back for a while: the queue drains, then the count.
            sock.settimeout(0.1)
            messages = []
            until = time.monotonic() + 1
            while time.monotonic() < until:
                try:
                    messages.append(sock.recv(4096).decode())
                except socket.timeout:
                    pass
            guard.terminate()
            code, _, err = self.finish(guard)
        finally:
            sock.close()
        self.assertEqual(code, 143, err)
        self.assertRegex(err, r"showguard: warning: show chat: \d+ notification\(s\) to .*notify\.sock "
                              r"dropped while it was not being read")
        self.assertTrue(any("WATCHDOG=1" in m for m in messages))


if __name__ == "__main__":
    main()
