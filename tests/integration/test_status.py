# SPDX-License-Identifier: GPL-2.0-or-later
"""showguard status: the kernel's truth, every field, for every user."""

import json
import os
import signal
import subprocess
import threading
import time
import unittest
from datetime import datetime

from harness import SLOW, GuardTestCase, lock_is_held, main, pid_alive, showguard_cmd, wait_for, wait_held

ROOT = os.geteuid() == 0


class StatusTest(GuardTestCase):
    def status(self, *args, user=None):
        cmd = showguard_cmd("status", "--lock-dir", self.lock_dir, *args)
        if user:
            cmd = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True)

    def status_json(self, *args, user=None):
        result = self.status("--json", *args, user=user)
        self.assertEqual(result.returncode, 0, result.stderr)
        return {(s["kind"], s["name"]): s for s in json.loads(result.stdout)["shows"]}

    def start_running(self, show="starcourt", *options):
        guard = self.start(show, self.sh(f"echo $$ > {self.path(show + '.pid')}; exec sleep 30"), *options)
        show_pid = int(self.wait_file(show + ".pid", guard=guard))
        record = os.path.join(self.lock_dir, show + ".state")
        # The show may write its pid file before the guard writes its record.
        wait_for(lambda: os.path.exists(record) and "state=running" in open(record).read())
        return guard, show_pid

    def test_json_fields_of_a_running_show(self):
        before = time.time()
        guard, show_pid = self.start_running("starcourt", "--resource", "dmx1")
        shows = self.status_json()
        s = shows[("show", "starcourt")]
        self.assertEqual(s["state"], "running")
        self.assertEqual(s["phase"], "running")
        self.assertEqual(s["guard_pid"], guard.pid)
        self.assertEqual(s["show_pid"], show_pid)
        since = datetime.fromisoformat(s["since"])
        self.assertIsNotNone(since.utcoffset())
        self.assertLessEqual(abs(since.timestamp() - before), 5)
        self.assertGreaterEqual(s["uptime_seconds"], 0)
        self.assertEqual(s["host"], os.uname().nodename)
        self.assertEqual(s["user"], subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip())
        self.assertIn("exec sleep 30", s["command"])
        self.assertEqual(s["restarts"], 0)
        self.assertEqual(s["resources"], ["dmx1"])
        self.assertIsNone(s["last_exit"])
        r = shows[("resource", "dmx1")]
        self.assertEqual(r["state"], "running")
        self.assertEqual(r["held_by"], "starcourt")
        self.assertEqual(r["guard_pid"], guard.pid)
        guard.terminate()
        guard.wait()

    def test_free_show_reports_how_its_last_run_ended(self):
        self.run_guard("starcourt", self.sh("exit 4"))
        s = self.status_json()[("show", "starcourt")]
        self.assertEqual(s["state"], "free")
        self.assertIsNone(s["guard_pid"])
        self.assertEqual(s["last_exit"]["status"], 4)
        self.assertEqual(s["last_exit"]["reason"], "exited with status 4")
        self.assertIsNotNone(datetime.fromisoformat(s["last_exit"]["at"]).utcoffset())

    def test_record_of_a_sigkilled_guard_is_never_reported_running(self):
        guard, show_pid = self.start_running()
        guard.send_signal(signal.SIGKILL)
        guard.wait()
        wait_for(lambda: not pid_alive(show_pid))
        wait_for(lambda: not lock_is_held(self.lock_path("starcourt")))
        # The record still says running; the kernel says free.
        self.assertIn("state=running", open(os.path.join(self.lock_dir, "starcourt.state")).read())
        s = self.status_json()[("show", "starcourt")]
        self.assertEqual(s["state"], "free")
        self.assertIsNone(s["guard_pid"])
        self.assertIsNone(s["last_exit"]["status"])
        table = self.status().stdout
        self.assertRegex(table, r"starcourt\s+free")

    def test_show_of_a_sigkilled_guard_winding_down_names_no_guard(self):
        # The kernel keeps naming the dead guard as the lock's pid while its
        # show, which inherited the lock, handles the SIGTERM it was sent.
        script = (f"trap 'sleep 30' TERM; echo $$ > {self.path('starcourt.pid')}; "
                  f"while :; do sleep 0.1; done")
        guard = self.start("starcourt", self.sh(script))
        show_pid = int(self.wait_file("starcourt.pid"))
        record = os.path.join(self.lock_dir, "starcourt.state")
        wait_for(lambda: os.path.exists(record) and "state=running" in open(record).read())
        guard.send_signal(signal.SIGKILL)
        guard.wait()
        self.assertTrue(lock_is_held(self.lock_path("starcourt")))
        s = self.status_json()[("show", "starcourt")]
        self.assertEqual(s["state"], "running")
        self.assertEqual(s["phase"], "stopping")
        self.assertIsNone(s["guard_pid"], "status names a guard that is dead")
        self.assertEqual(s["show_pid"], show_pid)
        self.assertRegex(self.status().stdout, r"starcourt\s+running \(stopping\)\s+-\s+" + str(show_pid))
        os.kill(show_pid, signal.SIGKILL)
        wait_for(lambda: not lock_is_held(self.lock_path("starcourt")))
        self.assertEqual(self.status_json()[("show", "starcourt")]["state"], "free")

    def test_lock_held_by_something_else_reports_that_pid_only(self):
        os.makedirs(self.lock_dir)
        self.run_guard("starcourt", ["true"])
        other = self.hold_with_flock(self.lock_path("starcourt"))
        wait_held(self.lock_path("starcourt"))
        s = self.status_json()[("show", "starcourt")]
        self.assertEqual(s["state"], "running")
        self.assertEqual(s["guard_pid"], other.pid)
        self.assertIsNone(s["show_pid"])

    def test_table_is_aligned_and_named_unknown_show_exits_1(self):
        guard, _ = self.start_running("starcourt")
        self.run_guard("other", ["true"])
        result = self.status()
        self.assertEqual(result.returncode, 0)
        lines = result.stdout.splitlines()
        self.assertTrue(lines[0].startswith("NAME"))
        columns = lines[0].index("STATE")
        self.assertTrue(all(line[columns - 2:columns] == "  " for line in lines))
        result = self.status("starcourt", "never-ran")
        self.assertEqual(result.returncode, 1)
        self.assertRegex(result.stdout, r"never-ran\s+unknown")
        self.assertIn("show never-ran is unknown", result.stderr)
        guard.terminate()
        guard.wait()

    def test_table_escapes_what_the_show_brought(self):
        # The command line is the show's: a newline would forge a row, ESC and
        # CR would drive the operator's terminal.
        forged = "x\nforged    running  1  -  -  -  0  -  evil\r\x1b[31m\x1b[2K"
        guard = self.start("starcourt", ["sh", "-c", "echo $$ > " + self.path("pid") + "; exec sleep 30", forged])
        self.wait_file("pid")
        record = os.path.join(self.lock_dir, "starcourt.state")
        wait_for(lambda: os.path.exists(record) and "state=running" in open(record).read())
        result = self.status()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(len(result.stdout.splitlines()), 2, result.stdout)
        self.assertNotIn("\x1b", result.stdout)
        self.assertNotIn("\r", result.stdout)
        self.assertIn("x\\nforged", result.stdout)
        guard.terminate()
        guard.wait()

    def rewrite_record(self, show, **fields):
        """Replaces fields of a show's record as a guard would (write, rename)."""
        path = os.path.join(self.lock_dir, show + ".state")
        lines = open(path).read().splitlines()
        text = "".join(f"{key}={fields[key]}\n" if key in fields else line + "\n"
                       for line in lines for key in [line.partition("=")[0]])
        with open(path + ".edit", "w") as f:
            f.write(text)
        os.chmod(path + ".edit", 0o644)
        os.rename(path + ".edit", path)

    RECORD_KEYS = {"name", "kind", "state", "guard_pid", "show_pid", "since_ms", "since_boot_ms", "host", "user",
                   "command", "restarts", "kill_timeout_ms", "resources", "held_by"}

    def read_records_while(self, path, running, seconds, versions=None):
        """Reads path in a loop while running(), for at most seconds, until
        it has seen that many versions or a torn one: (versions, reads, the
        torn ones). Once the record exists, every read must find a whole one:
        every line ended, every key there; never a missing file."""
        reads, torn, seen, last, changes = 0, [], False, None, 0
        deadline = time.monotonic() + seconds
        while running() and time.monotonic() < deadline and not torn and (not versions or changes < versions):
            try:
                with open(path) as f:
                    text = f.read()
            except FileNotFoundError:
                if seen:
                    torn.append("(no file)")
                continue
            seen = True
            reads += 1
            changes += text != last
            last = text
            keys = {line.partition("=")[0] for line in text.splitlines()}
            if not text.endswith("\n") or not self.RECORD_KEYS <= keys:
                torn.append(text)
        return changes, reads, torn

    def test_record_is_replaced_atomically(self):
        # A show that ends at once, restarted at once: the guard rewrites its
        # record hundreds of times a second (starting, running, restarting),
        # while this reader never sees a partial one. Canary: a writer that
        # truncates and writes in place is caught by the same reader.
        guard = self.start("starcourt", ["true"], "--restart", "always", "--restart-delay", "1ms",
                           "--restart-limit", "1000000")
        record = os.path.join(self.lock_dir, "starcourt.state")
        wait_for(lambda: os.path.exists(record), message="the record")
        versions, reads, torn = self.read_records_while(record, lambda: guard.poll() is None, 3 * SLOW, versions=60)
        guard.terminate()
        guard.wait()
        print(f"record: {reads} reads saw {versions} versions, {len(torn)} torn")
        self.assertEqual(torn[:3], [])
        self.assertGreaterEqual(versions, 60, "the record was hardly rewritten")

        canary = self.path("canary.state")
        with open(canary, "w") as f:
            f.write(open(record).read())
        text = open(record).read()
        stop = time.monotonic() + 2 * SLOW

        def write_in_place():
            while time.monotonic() < stop:
                with open(canary, "w") as f:
                    f.write(text[:40])
                    f.flush()
                    f.write(text[40:])
        writer = threading.Thread(target=write_in_place)
        writer.start()
        _, _, canary_torn = self.read_records_while(canary, writer.is_alive, 2 * SLOW)
        stop = 0
        writer.join()
        self.assertTrue(canary_torn, "the reader does not see a record written in place")

    def test_uptime_does_not_follow_a_stepped_wall_clock(self):
        # A Pi has no RTC: the wall clock that stamped `since` may be stepped
        # by hours afterwards. Stepping it for real would disturb the machine;
        # moving the record's wall-clock stamp is the same thing seen from
        # status. Its uptime must stay that of the show, a few seconds.
        guard, _ = self.start_running("starcourt")
        now_ms = int(time.time() * 1000)
        for shift_ms in (-4 * 3600 * 1000, 2 * 3600 * 1000):
            self.rewrite_record("starcourt", since_ms=now_ms + shift_ms)
            s = self.status_json()[("show", "starcourt")]
            self.assertEqual(datetime.fromisoformat(s["since"]).timestamp(), (now_ms + shift_ms) // 1000)
            self.assertGreaterEqual(s["uptime_seconds"], 0)
            self.assertLess(s["uptime_seconds"], 30, s)
            row = [l for l in self.status().stdout.splitlines() if l.startswith("starcourt ")][0]
            self.assertRegex(row, r"  \d+s  ", row)  # seconds, not 4h00m
            text = self.status("--format", "prometheus").stdout
            uptime = [l for l in text.splitlines() if l.startswith('showguard_show_uptime_seconds{show="starcourt"}')]
            self.assertEqual(len(uptime), 1, text)
            self.assertLess(float(uptime[0].split()[1]), 30)
        guard.terminate()
        guard.wait()

    def test_a_guard_waiting_for_a_resource_is_phase_waiting_in_every_format(self):
        holder, _ = self.start_running("lobby", "--resource", "dmx1")
        self.run_guard("stage", self.sh("exit 4"))  # a last run to keep
        waiter = self.start("stage", self.sh("echo started > " + self.path("stage-ran") + "; sleep 30"),
                            "--resource", "dmx1", "--wait")
        wait_for(lambda: self.status_json()[("show", "stage")]["phase"] == "waiting",
                 message="stage to be phase waiting")
        # The kernel: stage's lock is held, by the waiter; its show never ran.
        self.assertTrue(lock_is_held(self.lock_path("stage")))
        self.assertFalse(os.path.exists(self.path("stage-ran")))
        s = self.status_json()[("show", "stage")]
        self.assertEqual((s["state"], s["phase"], s["guard_pid"], s["show_pid"]),
                         ("running", "waiting", waiter.pid, None))
        row = [l for l in self.status().stdout.splitlines() if l.startswith("stage ")][0]
        self.assertIn("running (waiting)", row)
        text = self.status("--format", "prometheus").stdout
        self.assertIn('showguard_show_phase{show="stage",phase="waiting"} 1', text)
        self.assertIn('showguard_show_phase{show="lobby",phase="running"} 1', text)
        # Given up, the record is the last run's again.
        waiter.terminate()
        self.assertEqual(waiter.wait(10), 143)
        s = self.status_json()[("show", "stage")]
        self.assertEqual((s["state"], s["last_exit"]["status"]), ("free", 4))
        holder.terminate()
        holder.wait()

    def test_prometheus_textfile(self):
        guard, _ = self.start_running("starcourt")
        self.run_guard("other", self.sh("exit 2"))
        text = self.status("--format", "prometheus").stdout
        self.assertIn('showguard_show_up{show="starcourt"} 1', text)
        self.assertIn('showguard_show_up{show="other"} 0', text)
        self.assertIn('showguard_show_last_exit_status{show="other"} 2', text)
        self.assertIn('showguard_show_restarts{show="starcourt"} 0', text)
        self.assertRegex(text, r'showguard_show_since_seconds\{show="starcourt"\} \d+\.\d{3}')
        self.assertIn("# TYPE showguard_show_up gauge", text)
        guard.terminate()
        guard.wait()

    @unittest.skipUnless(ROOT, "needs root to run a root show and read it as nobody")
    def test_unprivileged_user_sees_the_same_fields(self):
        guard, _ = self.start_running("starcourt")
        as_root = self.status_json()
        as_nobody = self.status_json(user="nobody")
        for s in (as_root, as_nobody):
            s[("show", "starcourt")].pop("uptime_seconds")
        self.assertEqual(as_nobody, as_root)
        self.assertEqual(as_nobody[("show", "starcourt")]["state"], "running")
        guard.terminate()
        guard.wait()

    def test_many_shows(self):
        os.makedirs(self.lock_dir)
        for i in range(1000):
            with open(os.path.join(self.lock_dir, f"show{i}.lock"), "w"):
                pass
        started = time.monotonic()
        result = self.status("--json")
        elapsed = time.monotonic() - started
        self.assertEqual(result.returncode, 0)
        self.assertEqual(len(json.loads(result.stdout)["shows"]), 1000)
        print(f"status --json over 1000 shows: {elapsed * 1000:.0f} ms")
        self.assertLess(elapsed, 10)


if __name__ == "__main__":
    main()
