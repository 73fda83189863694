# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared helpers for the integration tests: they run the real showguard
binary against real kernel locks, real processes and signals, and use
util-linux flock(1) as an independent client of the lock."""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SHOWGUARD = os.environ.get("SHOWGUARD", "showguard")
# For cross builds: the binary runs under qemu-user (e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu").
EMULATOR = shlex.split(os.environ.get("SHOWGUARD_EMULATOR", ""))
# A native checker the guard runs inside, e.g. valgrind (scripts/test-valgrind.sh).
WRAPPER = shlex.split(os.environ.get("SHOWGUARD_WRAPPER", ""))
# An instrumented guard: "address,undefined" or "thread" (a sanitizer build), or
# "valgrind". Its runtime adds threads and wake-ups of its own, and it runs slower.
INSTRUMENTED = os.environ.get("SHOWGUARD_SANITIZE", "") or ("valgrind" if WRAPPER else "")


def own_sanitizer_log_dir():
    """Where the sanitizer runtimes write the reports of this test process's guards
    (log_path in *SAN_OPTIONS, moved to a directory of its own so that a report is
    blamed on the test that caused it, not on one running beside it). A report
    there fails the test that was running (GuardTestCase.tearDown)."""
    top = os.environ.get("SHOWGUARD_SANITIZER_LOG_DIR", "")
    if not top:
        return ""
    own = os.path.join(top, f"{os.path.basename(sys.argv[0])}.{os.getpid()}")
    os.makedirs(own, exist_ok=True)
    os.chmod(own, 0o1777)  # guards the tests run as nobody report too
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"):
        if var in os.environ:
            os.environ[var] = re.sub(r"log_path=([^:]*/)?", f"log_path={own}/", os.environ[var])
    return own


SANITIZER_LOG_DIR = own_sanitizer_log_dir()
if SANITIZER_LOG_DIR:  # valgrind's logs, likewise
    WRAPPER = [re.sub(r"^--log-file=([^ ]*/)?", f"--log-file={SANITIZER_LOG_DIR}/", w) for w in WRAPPER]
# Time bounds in assertions are generous: CI is a loaded 2-core machine,
# and emulated or instrumented builds start slower still. One factor scales
# every bound: 4 for those builds, times SHOWGUARD_SLOW (default 1) for a
# slower machine.
SLOW = (4.0 if EMULATOR or INSTRUMENTED else 1.0) * float(os.environ.get("SHOWGUARD_SLOW", "1"))

# qemu-user refuses PR_SET_CHILD_SUBREAPER (EINVAL), so an emulated guard
# cannot adopt what the show leaves behind; the native build proves that.
needs_subreaper = unittest.skipIf(
    bool(EMULATOR), "qemu-user refuses PR_SET_CHILD_SUBREAPER; proven by the native build")

# Counting the guard's threads, wake-ups or memory measures the guard only when
# nothing else runs inside its process.
measures_cost = unittest.skipIf(
    bool(EMULATOR or INSTRUMENTED),
    f"under {'qemu-user' if EMULATOR else INSTRUMENTED} the runtime's own threads and wake-ups count too; "
    "the plain native build measures this")


def showguard_cmd(*args):
    return EMULATOR + WRAPPER + [SHOWGUARD, *args]


def sanitizer_reports():
    """The report files the sanitizer runtimes have written so far."""
    if not SANITIZER_LOG_DIR or not os.path.isdir(SANITIZER_LOG_DIR):
        return set()
    # valgrind --log-file leaves an empty file for a clean process.
    return {path for path in (os.path.join(SANITIZER_LOG_DIR, f) for f in os.listdir(SANITIZER_LOG_DIR))
            if os.path.getsize(path) > 0}


def lock_is_held(path):
    """Asks util-linux flock(1), an independent client, whether path is locked."""
    if not os.path.exists(path):
        return False  # and flock(1) would create it
    result = subprocess.run(["flock", "-n", "-E", "99", path, "true"], capture_output=True)
    if result.returncode not in (0, 99):
        raise AssertionError(f"flock -n {path} failed: {result.stderr.decode()}")
    return result.returncode == 99


def listed_in_proc_locks(path):
    """Whether the kernel lists an exclusive flock on path (read without
    touching the lock)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    key = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    with open("/proc/locks") as f:
        return any("->" not in line and "FLOCK" in line and line.split()[5] == key for line in f)


def wait_held(path, timeout=10.0):
    """Waits until a guard holds path. Asking flock(1) while the guard is
    still starting could take the lock for a moment and get that guard
    refused; so wait until the kernel lists the lock, then let flock(1)
    confirm it (a probe of a held lock takes nothing)."""
    wait_for(lambda: listed_in_proc_locks(path) and lock_is_held(path), timeout, message=f"{path} to be held")


def blocked_in_flock(pid):
    """True if /proc/locks lists pid as a waiter ("-> FLOCK ...")."""
    with open("/proc/locks") as f:
        return any("->" in line and line.split()[5] == str(pid) for line in f)


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def show_processes(show):
    """pid -> environment of every live process of the show, found by the
    SHOWGUARD_SHOW=NAME the guard puts in its show's environment (the guard's
    own environment does not have it). Give each test its own show name."""
    found = {}
    wanted = f"SHOWGUARD_SHOW={show}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if wanted in env and pid_alive(int(entry)):
            found[int(entry)] = dict(e.decode(errors="replace").partition("=")[::2] for e in env if b"=" in e)
    return found


def proc_status(pid):
    """The fields of /proc/PID/status, by name."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def wait_for(predicate, timeout=10.0, interval=0.02, message="condition"):
    deadline = time.monotonic() + timeout * SLOW
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout * SLOW:.1f}s waiting for {message}")


class GuardTestCase(unittest.TestCase):
    """Each test gets its own scratch directory and lock dir."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="showguard-test-")
        os.chmod(self.tmp, 0o755)
        self.lock_dir = os.path.join(self.tmp, "locks")
        self.procs = []
        self.groups = []  # process groups of outside lock holders (hold_with_flock)
        self.reports_before = sanitizer_reports()

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        # flock(1) forks its command: killing flock alone would leave the command
        # running, holding ctest's output pipe (ctest waits for its end) and the lock.
        for pgid in self.groups:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)
        new_reports = sorted(sanitizer_reports() - self.reports_before)
        if new_reports:
            text = ""
            for report in new_reports:
                with open(report, errors="replace") as f:
                    text += f"--- {report}\n{f.read()}"
            self.fail(f"sanitizer report during this test:\n{text}")

    def hold_with_flock(self, path):
        """util-linux flock(1) holds path (as a stranger, not a guard) until the
        test ends; returns flock's Popen. flock and its command form a process
        group of their own, ended as a whole in tearDown."""
        other = subprocess.Popen(["flock", path, "sleep", "600"], start_new_session=True,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(other)
        self.groups.append(other.pid)
        return other

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def lock_path(self, show):
        return os.path.join(self.lock_dir, show + ".lock")

    def args(self, show, command, *options, lock_dir=True):
        args = ["--show", show]
        if lock_dir:
            args += ["--lock-dir", self.lock_dir]
        return showguard_cmd(*args, *options, "--", *command)

    def start(self, show, command, *options, **kwargs):
        """Starts a guard in the background; stdout and stderr are captured."""
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.Popen(self.args(show, command, *options), text=True, **kwargs)
        self.procs.append(p)
        return p

    def run_guard(self, show, command, *options, timeout=30, **kwargs):
        if "input" not in kwargs:
            kwargs.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.run(self.args(show, command, *options), capture_output=True, text=True,
                              timeout=timeout * SLOW, **kwargs)

    def sh(self, script):
        return ["/bin/sh", "-c", script]

    def wait_file(self, name, timeout=10.0, guard=None):
        """Waits for the file name to have content. With guard: a guard that
        exits before the file is there fails the wait at once, with its status
        and what it printed, instead of after the timeout."""
        path = self.path(name)

        def written():
            if os.path.exists(path) and os.path.getsize(path) > 0:
                return True
            if guard is not None and guard.poll() is not None and not os.path.exists(path):
                _, err = guard.communicate()
                raise AssertionError(f"the guard exited {guard.returncode} before {path} was written: {err!r}")
            return False

        wait_for(written, timeout, message=path)
        with open(path) as f:
            return f.read()

    def finish(self, proc, timeout=30):
        out, err = proc.communicate(timeout=timeout * SLOW)
        return proc.returncode, out, err


def record_failure(text):
    """Notes a failure for the run's last test, failures.report
    (tests/report_failures.py), which prints every failed test and why on the
    last lines of a ctest run, where a user sees them without scrolling back."""
    log = os.environ.get("SHOWGUARD_FAILURE_LOG")
    if not log:
        return
    name = os.environ.get("SHOWGUARD_TEST_NAME") or os.path.basename(sys.argv[0])
    with open(log, "a") as f:
        f.write(f"{name}: {' '.join(text.split())[:600]}\n")


def main():
    program = unittest.main(verbosity=2, exit=False)
    result = program.result
    for test, trace in result.failures + result.errors:
        lines = [line for line in trace.strip().splitlines() if line.strip()]
        record_failure(f"{test.id().split('.')[-1]}: {lines[-1] if lines else 'failed'}")
    if not result.testsRun:
        record_failure("ran no test")
    sys.exit(0 if result.wasSuccessful() and result.testsRun else 1)
