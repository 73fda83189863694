# SPDX-License-Identifier: GPL-2.0-or-later
"""systemd readiness: notify messages on a datagram socket the test creates,
and journal-style logging."""

import os
import re
import signal
import socket
import struct
import subprocess
import time

from harness import (GuardTestCase, SLOW, listed_in_proc_locks, lock_is_held, main, showguard_cmd,
                     wait_for, wait_held)


# <asm-generic/socket.h>; Python's socket module does not name them.
SO_TIMESTAMPNS = 35
SCM_TIMESTAMPNS = SO_TIMESTAMPNS


class NotifyTest(GuardTestCase):
    def setUp(self):
        super().setUp()
        self.socket_path = self.path("notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.socket_path)
        self.sock.settimeout(10 * SLOW)

    def tearDown(self):
        self.sock.close()
        super().tearDown()

    def receive_until(self, text):
        messages = []
        while True:
            message = self.sock.recv(4096).decode()
            messages.append(message)
            if text in message:
                return messages

    def test_ready_status_stopping_and_no_leak_to_the_show(self):
        env = dict(os.environ, NOTIFY_SOCKET=self.socket_path)
        guard = self.start("starcourt", self.sh(
            f"echo \"${{NOTIFY_SOCKET-unset}}\" > {self.path('inherited')}; exec sleep 30"), env=env)
        messages = self.receive_until("READY=1")
        ready = messages[-1]
        self.assertTrue(lock_is_held(self.lock_path("starcourt")), "READY before the lock was held")
        self.assertRegex(ready, r"READY=1\nSTATUS=running starcourt \(pid \d+\)")
        self.assertEqual(self.wait_file("inherited").strip(), "unset")
        guard.terminate()
        messages = self.receive_until("STOPPING=1")
        self.assertIn("STATUS=stopping starcourt", messages[-1])
        guard.wait()

    def test_ready_only_once_the_lock_is_held(self):
        # util-linux flock(1) holds the lock; the guard waits for it. Every
        # datagram is looked at the moment it arrives: READY=1 must come only
        # after the outside holder let go, and while the kernel lists the lock.
        os.makedirs(self.lock_dir, mode=0o755)
        lock = self.lock_path("starcourt")
        open(lock, "w").close()
        os.chmod(lock, 0o600)
        outside = self.hold_with_flock(lock)
        wait_held(lock)
        env = dict(os.environ, NOTIFY_SOCKET=self.socket_path)
        guard = self.start("starcourt", ["sleep", "30"], "--wait", env=env)
        waiting = self.receive_until("STATUS=waiting for show starcourt")
        self.assertFalse([m for m in waiting if "READY=1" in m], waiting)
        # No datagram may say READY while the outside holder still holds it.
        self.sock.settimeout(0.2 * SLOW)
        try:
            early = self.sock.recv(4096).decode()
        except socket.timeout:
            early = ""
        self.assertNotIn("READY=1", early)
        self.sock.settimeout(10 * SLOW)
        os.killpg(outside.pid, signal.SIGKILL)
        outside.wait()
        while True:
            message = self.sock.recv(4096).decode()
            held = listed_in_proc_locks(lock) and lock_is_held(lock)
            if "READY=1" in message:
                break
        self.assertTrue(held, "READY=1 arrived while the kernel listed no lock")
        guard.terminate()
        guard.wait()

    def test_waiting_and_restarting_status(self):
        holder = self.start("starcourt", ["sleep", str(SLOW)])
        wait_held(self.lock_path("starcourt"))
        env = dict(os.environ, NOTIFY_SOCKET=self.socket_path)
        waiter = self.start("starcourt", self.sh("exit 3"), "--wait", "--restart", "on-failure",
                            "--restart-delay", "100ms", "--restart-limit", "1", env=env)
        messages = self.receive_until("STATUS=waiting for show starcourt")
        self.assertIn(f"held by guard pid {holder.pid}", messages[-1])
        messages = self.receive_until("STATUS=restarting starcourt in 100ms after it exited with status 3")
        self.assertEqual(waiter.wait(10 * SLOW), 3)

    def receive_stamped(self):
        """(message, the kernel's time of its arrival in the socket): the
        guard's pace, whatever the delay until this test gets to read it."""
        message, ancillary, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(16))
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == SCM_TIMESTAMPNS:
                seconds, nanoseconds = struct.unpack("qq", data[:16])
                return message.decode(), seconds + nanoseconds / 1e9
        raise AssertionError("no SCM_TIMESTAMPNS on a notify datagram")

    def test_watchdog_pings_at_half_the_interval(self):
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        env = dict(os.environ, NOTIFY_SOCKET=self.socket_path, WATCHDOG_USEC="400000")
        guard = self.start("starcourt", ["sleep", "30"], env=env)
        while True:
            message, ready = self.receive_stamped()
            if "READY=1" in message:
                break
        pings = []
        while len(pings) < 4:
            message, at = self.receive_stamped()
            if "WATCHDOG=1" in message:
                pings.append(at)
        gaps = [b - a for a, b in zip([ready] + pings, pings)]
        # A ping every 200 ms (half of WATCHDOG_USEC) after READY, as the
        # socket received them, never a burst. The guard schedules each ping
        # 200 ms after it handled the last one, so load only lengthens a gap,
        # except the one after a send that was itself delayed: three of the
        # four gaps must be a whole interval (less the timestamps' jitter).
        self.assertGreaterEqual(sum(gap >= 0.18 for gap in gaps), 3, gaps)
        self.assertLess(pings[-1] - ready, 3 * SLOW, gaps)
        guard.terminate()
        guard.wait()

    def test_journal_stream_gets_priority_prefixes(self):
        err = open(self.path("stderr"), "w+")
        st = os.fstat(err.fileno())
        env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
        result = subprocess.run(showguard_cmd("--show", "starcourt", "--lock-dir", self.lock_dir, "--",
                                              "/bin/sh", "-c", "exit 0"),
                                stderr=err, env=env, stdin=subprocess.DEVNULL)
        self.assertEqual(result.returncode, 0)
        err.seek(0)
        lines = err.read().splitlines()
        self.assertTrue(lines)
        self.assertTrue(all(re.match(r"<[0-7]>", line) for line in lines), lines)
        self.assertTrue(any(line.startswith("<6>show starcourt: running") for line in lines), lines)
        bad = subprocess.run(showguard_cmd("--show", "../x", "--", "true"), stderr=subprocess.PIPE,
                             env=env, text=True)
        # stderr is a pipe here, not the journal stream: plain format.
        self.assertTrue(bad.stderr.startswith("showguard: error: "))
        err2 = open(self.path("stderr2"), "w+")
        st = os.fstat(err2.fileno())
        env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
        subprocess.run(showguard_cmd("--show", "../x", "--", "true"), stderr=err2, env=env)
        err2.seek(0)
        self.assertTrue(err2.read().startswith("<3>invalid show name"))


if __name__ == "__main__":
    main()
