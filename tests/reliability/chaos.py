# SPDX-License-Identifier: GPL-2.0-or-later
"""Chaos: CHAOS_ITERATIONS (default 200) runs of one show, each hit once at a
random moment (while the guard starts, while the show runs, during the restart
delay of --restart always, while the show stops after SIGTERM) with SIGKILL of
the guard, of the show or of both, SIGSTOP and later SIGCONT of either, SIGSTOP
of the show that only the guard continues, or a stalled stderr (a pipe that
fills up and is not read until the run is over). In
some runs the show leaves a daemon behind, and a second guard (--wait=3s) tries
to take the show over meanwhile. After each run the invariants are checked:

- never two holders: the bodies (critical_section) of different runs never
  see each other alive in the show's marker;
- while any process of the show lives, util-linux flock sees the lock held;
  once every one has gone it sees it free;
- no orphaned process (found by SHOWGUARD_SHOW=NAME in /proc/*/environ). A
  guard killed with SIGKILL cannot stop a daemon its show detached: that
  daemon keeps the lock held (so no second copy starts) until something ends
  it; under systemd that is the unit's cgroup (KillMode=mixed). The test does
  what systemd does, counts those daemons, and fails on any other survivor;
- the LED (an LED-class test directory) is off when nobody holds the lock. A
  guard killed with SIGKILL cannot turn it off; the unit's ExecStopPost=
  `showguard led-reset` does, so after such a run the test runs led-reset and
  then expects it off;
- `showguard status --json` agrees with the kernel: running exactly while flock
  sees the lock held, never naming a guard that is gone, free at the end;
- the guard's exit status is one the README documents for what happened;
- a show stopped before its guard was asked to stop runs its SIGTERM handler
  (it logs its end): the guard sends SIGCONT after SIGTERM.

Prints iterations, what was done, and violations (must be 0), each with what
was seen. CHAOS_SEED repeats a run."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import harness
from harness import EMULATOR, SLOW, listed_in_proc_locks, lock_is_held, pid_alive, record_failure, showguard_cmd
from overlap_canary import deliberate_overlap, seen

ITERATIONS = int(os.environ.get("CHAOS_ITERATIONS", "200"))
SEED = int(os.environ.get("CHAOS_SEED", str(random.randrange(1 << 30))))
VERBOSE = os.environ.get("CHAOS_VERBOSE") == "1"  # one line per iteration
BODY = EMULATOR + [os.environ["CRITICAL_SECTION"]]
MOMENTS = ["start", "running", "restart-delay", "stopping"]
# stop-show: SIGSTOP of the show, never continued by the test: the guard's
# SIGCONT after its SIGTERM must let it run its handler. stall-stderr: the
# guard's stderr is a pipe that fills up and is not read until the run is over.
ACTIONS = ["kill-guard", "kill-show", "kill-both", "stop-cont-guard", "stop-cont-show", "stop-show",
           "stall-stderr"]
# qemu-user cannot make the guard a subreaper, so a daemon would escape it.
DAEMONS = not EMULATOR
# Scaled: a show continued by the guard's SIGCONT must finish its 200 ms
# handler before the kill timeout, or the status of the run would be 137.
KILL_TIMEOUT_MS = int(500 * SLOW)
MAX_VIOLATIONS = 5  # enough to see a pattern; a broken build should not take an hour to say so
TERM_DELAY_MS = 200


class Violation(Exception):
    pass


def expected_statuses(moment, action, struck_show):
    """The exit statuses the README's table allows a guard that was not
    killed, for what this run did. The body ends its SIGTERM handler with
    status 0; a show killed with SIGKILL is 137; a guard stopped by SIGTERM
    with no show running (before it started one, or between runs) is 143."""
    if moment == "restart-delay":
        # --restart always: a struck show is restarted; SIGTERM then finds a
        # show running (its handler: 0) or the restart delay (143).
        return {0, 143}
    if action == "kill-show" and struck_show:
        # At "stopping" the show may have ended its handler before SIGKILL.
        return {0, 137} if moment == "stopping" else {137}
    if moment == "start":
        return {0, 143}  # SIGTERM before or after the show started
    if moment == "stopping" and action in ("stop-show", "stop-cont-show"):
        # Stopped in its handler after the guard's SIGCONT: only a second
        # SIGTERM (forwarded with SIGCONT) or the test's SIGCONT lets it go
        # on; else the kill timeout ends it.
        return {0, 137}
    return {0}


def show_processes(show):
    """pid -> CHAOS_RUN of every live process of the show."""
    return {pid: env.get("CHAOS_RUN", "?") for pid, env in harness.show_processes(show).items()}


def fill_pipe(write_fd):
    """Fills the pipe behind write_fd through a non-blocking open file of
    our own (O_NONBLOCK on write_fd itself would change the guard's too)."""
    fd = os.open(f"/proc/self/fd/{write_fd}", os.O_WRONLY | os.O_NONBLOCK)
    try:
        while True:
            os.write(fd, b"x" * 4096)
    except BlockingIOError:
        pass
    finally:
        os.close(fd)


def drain_pipe(read_fd):
    """What the pipe behind read_fd holds now, without the filler."""
    os.set_blocking(read_fd, False)
    data = b""
    try:
        while chunk := os.read(read_fd, 1 << 16):
            data += chunk
    except BlockingIOError:
        pass
    return data.replace(b"x", b"")


def signal_pid(pid, signo):
    try:
        os.kill(pid, signo)
    except ProcessLookupError:
        pass


class Chaos:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="showguard-chaos-")
        os.chmod(self.tmp, 0o755)
        self.lock_dir = os.path.join(self.tmp, "locks")
        self.show = f"chaos-{os.getpid()}"
        self.lock = os.path.join(self.lock_dir, self.show + ".lock")
        self.log = os.path.join(self.tmp, "bodies.log")
        self.marker = os.path.join(self.tmp, "marker")
        self.led = os.path.join(self.tmp, "leds", "ACT")
        os.makedirs(self.led)
        for attr, value in (("brightness", "0"), ("max_brightness", "1"), ("trigger", "none")):
            with open(os.path.join(self.led, attr), "w") as f:
                f.write(value + "\n")
        self.rnd = random.Random(SEED)
        self.counts = {}
        self.daemons_reaped = 0
        self.violations = []
        self.guards = []
        self.pipe = None  # the stalled stderr of a stall-stderr run

    # --- what is seen -----------------------------------------------------
    def brightness(self):
        path = os.path.join(self.led, "brightness")
        for _ in range(200):  # the guard rewrites the file: O_TRUNC, then write
            with open(path) as f:
                value = f.read().strip()
            if value:
                return value
            time.sleep(0.002)
        return ""

    def status(self):
        result = subprocess.run(showguard_cmd("status", "--json", "--lock-dir", self.lock_dir, self.show),
                                capture_output=True, text=True, timeout=30 * SLOW)
        if result.returncode != 0 and "unknown" not in result.stderr:
            raise Violation(f"status exited {result.returncode}: {result.stderr.strip()}")
        return json.loads(result.stdout)["shows"][0]

    def body_lines(self, word, tag=None):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [line.split() for line in f
                    if line.startswith(word + " ") and (tag is None or line.split()[1] == tag)]

    def wait(self, predicate, what, timeout=10.0):
        deadline = time.monotonic() + timeout * SLOW
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.01)
        raise Violation(f"timed out after {timeout * SLOW:.0f} s waiting for {what}")

    def held(self):
        """Whether the kernel lists the show's lock as held, read from
        /proc/locks. Not with flock(1): its probe takes a free lock for a
        moment, and a guard starting at that moment (an emulated guard starts
        slowly, so often) is refused with 75; that was chaos's "exited 75"
        under qemu-aarch64, with the message naming the last run's guard from
        its record because the prober was gone by the time the guard looked."""
        return listed_in_proc_locks(self.lock)

    def check_truth(self, dead_guards, led_may_be_lit, rival=None):
        """The kernel, status and the LED agree at this moment. Not while a
        second guard may take the show over between two looks."""
        if rival and rival.poll() is None:
            return
        before = self.held()
        s = self.status()
        led = self.brightness()
        after = self.held()
        if before != after:
            return  # it changed hands meanwhile: nothing to compare
        if s["state"] != ("running" if before else "free") and not (s["state"] == "unknown" and not before):
            raise Violation(f"status says {s['state']} while flock sees the lock "
                            f"{'held' if before else 'free'}: {s}")
        if s["state"] == "running" and s["guard_pid"] in dead_guards:
            raise Violation(f"status names guard pid {s['guard_pid']}, which is dead: {s}")
        if not before and not led_may_be_lit and led != "0":
            raise Violation(f"LED is {led!r} while nobody holds the lock")
        procs = show_processes(self.show)
        if procs and not self.held() and procs == show_processes(self.show):
            raise Violation(f"lock free while processes of the show live: {procs}")

    # --- one run ------------------------------------------------------------
    def guard(self, run, options, body, stderr_pipe=None):
        env = dict(os.environ, CHAOS_RUN=run)
        cmd = showguard_cmd("--show", self.show, "--lock-dir", self.lock_dir, "--led", f"sysfs:{self.led}",
                            "--kill-timeout", f"{KILL_TIMEOUT_MS}ms", "--log-level", "info", *options,
                            "--", *BODY, "--log", self.log, "--tag", run, "--marker", self.marker, *body)
        if stderr_pipe is not None:
            return subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=stderr_pipe)
        # Stderr to a file, not a pipe: a daemon the show leaves inherits it,
        # and a pipe would reach its end only when the daemon is gone.
        with open(os.path.join(self.tmp, run + ".err"), "w+") as err:
            return subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)

    def stderr_of(self, run):
        path = os.path.join(self.tmp, run + ".err")
        if not os.path.exists(path) and self.pipe:  # a stall-stderr run not yet over
            return drain_pipe(self.pipe[0]).decode(errors="replace")
        with open(path) as f:
            return f.read()

    def iteration(self, i):
        rnd = self.rnd
        run = f"r{i}"
        moment = rnd.choice(MOMENTS)
        action = rnd.choice(ACTIONS)
        daemon = DAEMONS and rnd.random() < 0.25
        contender = rnd.random() < 0.4
        key = f"{moment}/{action}"
        self.counts[key] = self.counts.get(key, 0) + 1
        if VERBOSE:
            print(f"chaos: iteration {i}: {key}{' daemon' if daemon else ''}{' contender' if contender else ''}",
                  flush=True)

        options = []
        body = ["--term-delay-ms", str(TERM_DELAY_MS), "--hold-ms", "30000"]
        if moment == "restart-delay":
            options = ["--restart", "always", "--restart-delay", "400ms", "--restart-limit", "1000"]
            body = ["--term-delay-ms", str(TERM_DELAY_MS), "--hold-ms", "40"]
        if daemon:
            body += ["--daemon", "--daemon-hold-ms", "30000"]
        stall = action == "stall-stderr"
        if stall:
            # Read only once the run is over (drain_pipe), by then into run.err.
            self.pipe = os.pipe()
        guard = self.guard(run, options, body, stderr_pipe=self.pipe[1] if stall else None)
        self.guards = [guard]
        dead_guards = set()
        stopped = []
        rival = None
        sigterm_sent = False

        def state():
            try:
                with open(os.path.join(self.lock_dir, self.show + ".state")) as f:
                    return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line).get("state")
            except FileNotFoundError:
                return None

        def main_body():
            started = self.body_lines("start", run)
            pids = [int(line[2]) for line in started if pid_alive(int(line[2]))]
            return pids[-1] if pids else None

        # Reach the moment.
        if moment == "start":
            time.sleep(rnd.uniform(0, 0.03 * SLOW))
        elif moment == "running":
            self.wait(main_body, f"run {run}'s show to start")
            time.sleep(rnd.uniform(0, 0.2))
        elif moment == "restart-delay":
            self.wait(lambda: self.body_lines("end", run) and state() == "restarting",
                      f"run {run}'s restart delay")
            time.sleep(rnd.uniform(0, 0.2))
        elif moment == "stopping":
            self.wait(main_body, f"run {run}'s show to start")
            guard.send_signal(signal.SIGTERM)
            sigterm_sent = True
            time.sleep(rnd.uniform(0, TERM_DELAY_MS / 1000 * 1.2))

        # Strike.
        victims = []
        stopped_body = None  # a show body stopped before the guard was asked to stop
        if action in ("kill-guard", "kill-both", "stop-cont-guard"):
            victims.append(guard.pid)
        if action in ("kill-show", "kill-both", "stop-cont-show", "stop-show"):
            show_pid = main_body()
            if action == "stop-show" and show_pid and not sigterm_sent:
                stopped_body = show_pid
            show_pid = show_pid or next(iter(p for p, r in show_processes(self.show).items() if r == run), None)
            if show_pid:
                victims.append(show_pid)
        if stall:
            fill_pipe(self.pipe[1])
        signo = signal.SIGKILL if action.startswith("kill") else signal.SIGSTOP
        for pid in victims:
            signal_pid(pid, signo)
        struck_show = signo == signal.SIGKILL and bool(victims) and victims[-1] != guard.pid
        if signo == signal.SIGSTOP and action != "stop-show":
            stopped = victims
        if action in ("kill-guard", "kill-both"):
            guard.wait()
            dead_guards.add(guard.pid)

        if contender:
            rival = self.guard(f"c{i}", ["--wait=3s"], ["--hold-ms", "50"])
            self.guards.append(rival)
        self.check_truth(dead_guards, led_may_be_lit=bool(dead_guards), rival=rival)
        # SIGCONT before the wind-down, or after it (a stopped show must then be
        # escalated to SIGKILL; a stopped guard acts on its SIGTERM once continued).
        cont_first = rnd.random() < 0.5
        if stopped and cont_first:
            time.sleep(rnd.uniform(0, 0.3))
            for pid in stopped:
                signal_pid(pid, signal.SIGCONT)

        # Wind down: ask a live guard to stop, as systemd or `showguard stop` would.
        if guard.poll() is None:
            if not sigterm_sent or rnd.random() < 0.5:
                guard.send_signal(signal.SIGTERM)
            if stopped and not cont_first:
                time.sleep(rnd.uniform(0, 0.3))
                for pid in stopped:
                    signal_pid(pid, signal.SIGCONT)
            try:
                guard.wait(timeout=15 * SLOW)
            except subprocess.TimeoutExpired:
                guard.kill()
                guard.wait()
                raise Violation(f"guard of run {run} still running 15 s after SIGTERM: "
                                f"{self.stderr_of(run).strip()[-500:]}")
        if stall:
            with open(os.path.join(self.tmp, run + ".err"), "wb") as f:
                f.write(drain_pipe(self.pipe[0]))
            for fd in self.pipe:
                os.close(fd)
            self.pipe = None
        err = self.stderr_of(run)
        code = guard.returncode
        if stopped_body and not dead_guards and not [e for e in self.body_lines("end", run)
                                                      if int(e[2]) == stopped_body]:
            raise Violation(f"run {run}'s stopped show {stopped_body} never ran its SIGTERM handler "
                            f"(guard exited {code}): {err.strip()[-500:]}")
        if dead_guards:
            # The show was sent SIGTERM through PR_SET_PDEATHSIG and winds down;
            # until then the lock stays held.
            main = [p for p, r in show_processes(self.show).items() if r == run]
            if main:
                self.check_truth(dead_guards, led_may_be_lit=True, rival=rival)
            self.wait(lambda: not [p for p, r in show_processes(self.show).items()
                                   if r == run and p not in self.daemon_pids(run)],
                      f"run {run}'s show to exit after its guard was killed")
            held = self.held()
            leftovers = self.daemon_pids(run)  # alive now, so alive when the lock was looked at
            if VERBOSE:
                print(f"chaos:   guard killed; daemons still alive: {leftovers}", flush=True)
            if leftovers:
                if not held:
                    raise Violation(f"lock free while run {run}'s daemon {leftovers} lives")
                self.daemons_reaped += len(leftovers)
                for pid in leftovers:  # what the unit's cgroup does
                    signal_pid(pid, signal.SIGKILL)
        else:
            allowed = expected_statuses(moment, action, struck_show)
            # SIGTERM in the guard's first moments, before it blocks signals,
            # kills it outright: it has taken nothing and started nothing yet.
            if code == -signal.SIGTERM and not self.body_lines("start", run):
                allowed.add(code)
            # A guard struck while it starts may still be starting when the
            # second guard comes (an emulated guard starts slowly): then the
            # second one takes the show and the first is refused with 75, as
            # it should be, having started nothing, while the second ran its show.
            if code == 75 and rival and "is busy" in err and not self.body_lines("start", run):
                rival.wait(timeout=30 * SLOW)
                if self.body_lines("start", f"c{i}"):
                    allowed.add(code)
            if code not in allowed:
                raise Violation(f"guard of run {run} ({key}) exited {code} (allowed {sorted(allowed)}): "
                                f"{err.strip()[-500:]}")
        if rival:
            rcode = rival.wait(timeout=30 * SLOW)
            rerr = self.stderr_of(f"c{i}")
            if rcode not in (0, 75):
                raise Violation(f"second guard of run {run} exited {rcode}: {rerr.strip()[-500:]}")

        self.wait(lambda: not show_processes(self.show), f"every process of run {run} to be gone", timeout=5)
        # Nothing starts now: util-linux flock, an independent client, may probe.
        self.wait(lambda: not lock_is_held(self.lock), f"the lock to be free after run {run}", timeout=5)
        if dead_guards:
            reset = subprocess.run(showguard_cmd("led-reset", "--show", self.show, "--lock-dir", self.lock_dir,
                                                 "--led", f"sysfs:{self.led}"),
                                   capture_output=True, text=True, timeout=30 * SLOW)
            if reset.returncode != 0:
                raise Violation(f"led-reset exited {reset.returncode}: {reset.stderr.strip()}")
        self.check_truth(dead_guards, led_may_be_lit=False)
        s = self.status()
        if s["state"] not in ("free", "unknown") or s["guard_pid"] is not None:
            raise Violation(f"status after run {run}: {s}")
        self.check_one_holder()

    def check_one_holder(self):
        overlaps = self.body_lines("overlap") + self.body_lines("error")
        if overlaps:
            raise Violation(f"two holders at once: {[' '.join(o) for o in overlaps]}")

    def canary(self):
        """The one-holder check must catch a deliberate overlap (two guards of
        the show with different lock dirs, in the same marker), or the run's
        "violations 0" would prove nothing about two holders."""
        try:
            deliberate_overlap(self.tmp, BODY, self.show, self.marker, self.log)
            self.check_one_holder()
            caught = None
        except Violation as v:
            caught = v
        except AssertionError as e:
            print(f"chaos: canary could not run: {e}", flush=True)
            return False
        ok = caught is not None and bool(seen(self.log))
        print(f"chaos: canary: a deliberate overlap of two guards {'caught' if ok else 'MISSED'}"
              f"{': ' + str(caught)[:300] if caught else ''}", flush=True)
        os.rename(self.log, self.log + ".canary") if os.path.exists(self.log) else None
        return ok

    def daemon_pids(self, run):
        daemons = {int(line[2]) for line in self.body_lines("start", run + "/daemon")}
        return [p for p in daemons if pid_alive(p)]

    def cleanup_after_violation(self):
        if self.pipe:
            for fd in self.pipe:
                os.close(fd)
            self.pipe = None
        for guard in self.guards:
            if guard.poll() is None:
                signal_pid(guard.pid, signal.SIGCONT)
                guard.kill()
                guard.wait()
        for pid in show_processes(self.show):
            signal_pid(pid, signal.SIGCONT)
            signal_pid(pid, signal.SIGKILL)
        # The log's overlaps were reported once; start the next run afresh.
        if os.path.exists(self.log):
            os.rename(self.log, self.log + ".seen")

    def run(self):
        started = time.monotonic()
        for i in range(ITERATIONS):
            try:
                self.iteration(i)
            except Violation as v:
                self.violations.append(f"iteration {i}: {v}")
                print(f"chaos: VIOLATION in iteration {i}: {v}", flush=True)
                self.cleanup_after_violation()
                if len(self.violations) >= MAX_VIOLATIONS:
                    print(f"chaos: stopping after {MAX_VIOLATIONS} violations", flush=True)
                    break
        elapsed = time.monotonic() - started
        spread = ", ".join(f"{k} {n}" for k, n in sorted(self.counts.items()))
        print(f"chaos: seed {SEED}: {sum(self.counts.values())} of {ITERATIONS} iterations in {elapsed:.0f} s "
              f"({spread})")
        print(f"chaos: daemons left by a SIGKILLed guard, ended as the unit's cgroup would: {self.daemons_reaped}")
        print(f"chaos: violations {len(self.violations)}")
        if not self.canary():
            self.violations.append("canary: the one-holder check did not catch a deliberate overlap")
        ok = not self.violations
        if not ok:
            record_failure(f"{len(self.violations)} violations (seed {SEED}); the first: {self.violations[0]}")
        print(f"{1 if ok else 0} passed, {0 if ok else 1} failed")
        shutil.rmtree(self.tmp, ignore_errors=True)
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(Chaos().run())
