#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The etcd lock backend against a real three-member etcd cluster on
loopback: guards run as separate controllers (each its own lock dir and its
own proxy to the cluster), their shows write start and stop times to one
shared file, so overlaps are checked on one clock.

Prints the figures (failover time, gap, overlaps) and "N passed, M failed"."""

import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import fcntl
import termios
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import EtcdCluster, Proxy, SecureEtcd, post  # noqa: E402

SHOWGUARD = os.environ.get("SHOWGUARD", "showguard")
TTL = 3.0             # short leases keep the tier quick
KILL_TIMEOUT = 1.0    # the derived default for a 3 s TTL
MARGIN = 0.3          # LeaseTiming::safety_margin() for a 3 s TTL
SLACK = 1.0           # for a loaded 2-core machine
ROUNDS = int(os.environ.get("ETCD_ROUNDS", "12"))
# Leader kills per TTL (the default and the smallest the README names as
# riding out an election): 20 of each, about 2.5 minutes.
LEADER_KILLS = int(os.environ.get("ETCD_LEADER_KILLS", "20"))
SMALLEST_TTL = 7      # README: smallest TTL that rides out an election at etcd's defaults
SLOW = float(os.environ.get("SLOW", "1"))

# The show: appends "start ID TIME TOKEN" and, on SIGTERM, "stop ID TIME" to
# the shared log, then exits; $$ is the show's own pid. date(1) reads the same realtime clock for all.
SHOW = r'''
echo "start $CONTROLLER $(date +%s.%N) $SHOWGUARD_FENCING_TOKEN $$" >> "$SHOW_LOG"
trap 'echo "stop $CONTROLLER $(date +%s.%N)" >> "$SHOW_LOG"; kill $s 2>/dev/null; exit 0' TERM
sleep 100000 & s=$!
wait $s
'''


class Controller:
    """One controller: its lock dir, its proxy to the cluster, its guard."""

    def __init__(self, name, tmp, cluster, show_log, ttl=TTL):
        self.name = name
        self.tmp = tmp
        self.lock_dir = os.path.join(tmp, f"locks-{name}")
        self.proxy = Proxy(cluster.client_ports)
        self.show_log = show_log
        self.ttl = ttl
        self.proc = None
        self.log = os.path.join(tmp, f"guard-{name}.log")

    def args(self, wait=True, show="stage"):
        args = [SHOWGUARD, "--show", show, "--lock-dir", self.lock_dir, "--lock-backend", "etcd",
                "--etcd-endpoints", ",".join(self.proxy.urls), "--lease-ttl", f"{int(self.ttl)}s", "--led", "term"]
        return args + (["--wait"] if wait else [])

    def start(self, wait=True, show="stage", output=None, script=SHOW):
        """output: the guard's stdout and stderr (and so its show's), by
        default its log file."""
        args = self.args(wait, show)
        env = dict(os.environ, CONTROLLER=self.name, SHOW_LOG=self.show_log)
        with open(self.log, "ab") as log:
            out = log if output is None else output
            self.proc = subprocess.Popen(args + ["--", "sh", "-c", script], env=env, stdout=out, stderr=out,
                                         start_new_session=True)
        return self.proc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self, signo=signal.SIGKILL):
        if self.alive():
            os.kill(self.proc.pid, signo)

    def stop(self):
        """SIGTERM, so the guard revokes its lease; SIGKILL what is left."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()

    def close(self):
        self.stop()
        self.proxy.close()


def read_events(path):
    events = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    events.append((parts[0], parts[1], float(parts[2]), parts[3] if len(parts) > 3 else "",
                                   int(parts[4]) if len(parts) > 4 else 0))
    return events


def intervals(path, now=None):
    """(controller, start, stop or None, token) for every run of the show."""
    runs, open_runs = [], {}
    for kind, who, t, token, _ in read_events(path):
        if kind == "start":
            open_runs[who] = [who, t, None, token]
            runs.append(open_runs[who])
        elif kind == "stop" and who in open_runs:
            open_runs.pop(who)[2] = t
    return [tuple(r) for r in runs]


def overlaps(runs, now):
    count = 0
    for i, (a, a0, a1, _) in enumerate(runs):
        for b, b0, b1, _ in runs[i + 1:]:
            if a != b and a0 < (b1 or now) and b0 < (a1 or now):
                count += 1
    return count


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}")


def running(path):
    return [r for r in intervals(path) if r[2] is None]


class Scenario:
    def __init__(self, tmp, cluster, name, controllers=2, ttl=TTL):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.log = os.path.join(self.dir, "shows.log")
        self.cluster = cluster
        self.controllers = [Controller(chr(ord("A") + i), self.dir, cluster, self.log, ttl)
                            for i in range(controllers)]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for c in self.controllers:
            c.close()
        # A scenario must not leave a lock behind for the next one.
        for i in range(len(self.cluster.names)):
            if i not in self.cluster.running():
                self.cluster.start_member(i)
        self.cluster.wait_healthy()

    def primary_and_standby(self):
        """A holds the show, B waits behind it."""
        a, b = self.controllers[:2]
        a.start()
        self.holder(10)
        b.start()
        time.sleep(1.0)
        return a, b

    def holder(self, timeout):
        """The controller whose show runs, once exactly one does."""
        run = wait_until(lambda: running(self.log), timeout, "a show to start")
        assert len(run) == 1, f"more than one show runs: {run}"
        return next(c for c in self.controllers if c.name == run[0][0]), run[0]


def failover(tmp, cluster):
    with Scenario(tmp, cluster, "failover") as s:
        a, b = s.primary_and_standby()
        assert [r[0] for r in running(s.log)] == ["A"], intervals(s.log)
        # Asked on controller B, status names A's guard as the holder.
        conf = os.path.join(s.dir, "showguard.conf")
        with open(conf, "w") as f:
            f.write(f"lock-backend = etcd\netcd-endpoints = {','.join(b.proxy.urls)}\n")
        out = subprocess.run([SHOWGUARD, "status", "--json", "--config", conf, "--lock-dir", b.lock_dir],
                             capture_output=True, text=True, timeout=10)
        assert out.returncode == 0, out.stderr
        (entry,) = json.loads(out.stdout)["etcd"]
        assert (entry["name"], entry["guard_pid"], entry["waiting"]) == ("stage", a.proc.pid, 1), entry
        assert entry["show_pid"] and entry["host"] == socket.gethostname(), entry
        prom = subprocess.run([SHOWGUARD, "status", "--format", "prometheus", "--config", conf, "--lock-dir",
                               b.lock_dir], capture_output=True, text=True, timeout=10)
        assert prom.returncode == 0, prom.stderr
        for line in (f'showguard_etcd_show_holder{{show="stage",host="{socket.gethostname()}"}} 1',
                     f'showguard_etcd_show_fencing_token{{show="stage"}} {entry["fencing_token"]}',
                     'showguard_etcd_show_waiting{show="stage"} 1'):
            assert line in prom.stdout.splitlines(), (line, prom.stdout)
        killed = time.time()
        a.kill()
        wait_until(lambda: any(r[0] == "B" for r in running(s.log)), TTL + 5, "the standby's show")
        started = next(r[1] for r in intervals(s.log) if r[0] == "B")
        took = started - killed
        # TTL from the last renewal, plus the standby's reaction (0.1-0.4 s
        # measured), with the suite's one factor for a slower machine.
        assert took <= TTL + SLACK * float(os.environ.get("SHOWGUARD_SLOW", "1")), f"the standby started {took:.2f}s after SIGKILL of the primary (TTL {TTL}s)"
        tokens = [r[3] for r in intervals(s.log)]
        assert int(tokens[1]) > int(tokens[0]), f"fencing tokens do not grow: {tokens}"
        assert overlaps(intervals(s.log), time.time()) == 0
        return f"failover {took:.2f}s after SIGKILL (TTL {TTL:.0f}s, limit {TTL + 1:.0f}s); tokens {tokens}"


def led_reset(s, c):
    """showguard led-reset for controller c's show, as its unit's ExecStopPost= runs it."""
    conf = os.path.join(s.dir, f"led-reset-{c.name}.conf")
    with open(conf, "w") as f:
        f.write(f"lock-backend = etcd\netcd-endpoints = {','.join(c.proxy.urls)}\nlease-ttl = {int(c.ttl)}s\n")
    return subprocess.run([SHOWGUARD, "led-reset", "--show", "stage", "--config", conf, "--config-dir", s.dir,
                           "--lock-dir", c.lock_dir], capture_output=True, text=True, timeout=30 * SLOW)


def lock_free(path):
    with open(path, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(f, fcntl.LOCK_UN)
        return True


def guard_death_led_reset(tmp, cluster):
    """A guard killed on a controller that stays up: the unit's led-reset,
    once the show's local lock is free, revokes the dead guard's lease and
    the standby starts at once. Canary first: led-reset while the show runs
    (its lock held) must leave the lease alone."""
    with Scenario(tmp, cluster, "guard-death", controllers=2) as s:
        a, b = s.primary_and_standby()
        canary = led_reset(s, a)
        assert canary.returncode == 0, canary.stderr
        assert "is running" in canary.stderr and "revoked" not in canary.stderr, canary.stderr
        time.sleep(0.5 * SLOW)
        assert [r[0] for r in running(s.log)] == ["A"], f"led-reset beside a running show moved it: {intervals(s.log)}"
        assert a.alive(), "the primary's guard exited after a led-reset beside it"
        killed = time.time()
        a.kill()
        a.proc.wait()  # reaped, as systemd does before ExecStopPost=
        lock = os.path.join(a.lock_dir, "stage.lock")
        wait_until(lambda: lock_free(lock), 5 * SLOW, "the primary's show to let its local lock go")
        freed = time.time()
        out = led_reset(s, a)
        assert out.returncode == 0, out.stderr
        assert "revoked lease" in out.stderr and f"guard pid {a.proc.pid}" in out.stderr, (out.stdout, out.stderr)
        wait_until(lambda: any(r[0] == "B" for r in running(s.log)), TTL + 5, "the standby's show")
        started = next(r[1] for r in intervals(s.log) if r[0] == "B")
        took = started - killed
        assert took <= 1.0 * SLOW, f"the standby started {took:.2f}s after SIGKILL of the primary's guard"
        assert overlaps(intervals(s.log), time.time()) == 0
        return (f"guard death + led-reset: standby's show {took:.2f}s after SIGKILL (local lock free after "
                f"{freed - killed:.2f}s; limit {1.0 * SLOW:.1f}s); led-reset beside a running show revoked nothing")


def cut_and_check_fence(s, a):
    """Cuts the primary A off the cluster and checks the fence from the shows'
    own timestamps: A's show stops within TTL - kill timeout - margin of the cut,
    before the standby's starts, and A's guard exits 69. Returns (cut, A's
    stop, B's start)."""
    cut = time.time()
    a.proxy.freeze()
    wait_until(lambda: any(r[0] == "B" for r in running(s.log)), 2 * TTL + 5, "the standby's show")
    runs = intervals(s.log)
    a_stop = next(r[2] for r in runs if r[0] == "A")
    b_start = next(r[1] for r in runs if r[0] == "B")
    assert a_stop is not None, f"two copies of the show: the primary's still runs: {runs}"
    assert a_stop < b_start, f"overlap: primary stopped at {a_stop}, standby started at {b_start}"
    assert a_stop - cut <= TTL - KILL_TIMEOUT - MARGIN + SLACK, \
        f"the primary's show stopped {a_stop - cut:.2f}s after the cut"
    a.proc.wait(timeout=10)
    assert a.proc.returncode == 69, f"the fenced guard exited {a.proc.returncode}, not 69"
    return cut, a_stop, b_start


def partition(tmp, cluster):
    with Scenario(tmp, cluster, "partition") as s:
        a, b = s.primary_and_standby()
        cut, a_stop, b_start = cut_and_check_fence(s, a)
        with open(a.log) as f:
            text = f.read()
        assert "is being lost" in text and "127.0.0.1:" in text, text
        # The LED goes off with the loss, not through the stopping flashes.
        after = [l for l in text[text.index("is being lost"):].splitlines() if "LED stage" in l]
        assert after and after[0].endswith("off") and not any("stopping" in l for l in after), after
        a.proxy.heal()
        # The leader kills' interruption check, canary: it sees the fenced show.
        a_pid = next(e[4] for e in read_events(s.log) if e[0] == "start" and e[1] == "A")
        a_log = os.path.join(s.dir, "a-only.log")
        with open(a_log, "w") as f:
            f.writelines(l for l in open(s.log) if l.split()[1] == "A")
        assert interruption(a_log, a_pid), "the interruption check missed a fenced show"
        # TTL 3s cannot ride out an election at etcd's defaults: the guard says so.
        assert "cannot ride out an etcd leader election" in text and "at least 7s" in text, text
        return (f"partition: primary's show stopped {a_stop - cut:.2f}s after the cut, standby started "
                f"{b_start - cut:.2f}s after it; gap {b_start - a_stop:.2f}s; primary exit 69")


def partition_with_stalled_stderr(tmp, cluster):
    # The primary's show has filled the stderr it shares with its guard, a
    # pipe nobody reads (a stopped pager, a hung log shipper), and then its
    # link is cut. The guard must still fence: its show stops before the
    # standby's starts, judged from the shows' own timestamps.
    with Scenario(tmp, cluster, "partition-stalled-stderr") as s:
        a, b = s.controllers
        read_end, write_end = os.pipe()
        try:
            a.start(output=write_end, script="(head -c 200000 /dev/zero >&2) &\n" + SHOW)
            os.close(write_end)
            s.holder(10)
            b.start()
            time.sleep(1.0)

            def unread():
                return int.from_bytes(fcntl.ioctl(read_end, termios.FIONREAD, b"\0\0\0\0"), "little")
            # Full: a little less than 64 KiB when a short line has a page to itself.
            wait_until(lambda: unread() >= 60000, 10, "the show to fill its stderr")
            cut, a_stop, b_start = cut_and_check_fence(s, a)
            a.proxy.heal()
            return (f"partition with a stalled stderr: primary's show stopped {a_stop - cut:.2f}s after the cut, "
                    f"standby started {b_start - cut:.2f}s after it; primary exit 69")
        finally:
            os.close(read_end)


def interruption(log, pid):
    """How the show was interrupted, judged from its own log and process, or
    None: exactly one run, never stopped, its process still alive."""
    runs = intervals(log)
    if len(runs) != 1 or runs[0][2] is not None:
        return f"{len(runs)} runs: {runs}"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return f"the show's process {pid} is gone"
    return None


def member_hex_id(cluster, i):
    status = post(cluster.client_url(i) + "/v3/maintenance/status", {}, timeout=2.0)
    return format(int(status["header"]["member_id"]), "x")


def make_leader(cluster, target):
    """Moves the leadership to member target (etcdctl move-leader)."""
    for _ in range(20):
        leader = cluster.leader()
        if leader == target:
            return
        if leader is not None:
            subprocess.run(["etcdctl", "--endpoints", cluster.client_url(leader), "--dial-timeout", "2s",
                            "move-leader", member_hex_id(cluster, target)], capture_output=True, timeout=15)
        time.sleep(0.2)
    raise AssertionError(f"cannot make m{target} the leader")


def leader_kills(tmp, cluster, ttl, kills, rng):
    """The leader, which is also the holder's first endpoint (the member its
    renewals go to first), killed at a random moment of the renewal cycle,
    kills times: the show must run on, judged from the show's own log and
    pid. Returns the election durations (kill to a new leader, polled)."""
    with Scenario(tmp, cluster, f"leader-kills-ttl{ttl}", controllers=1, ttl=ttl) as s:
        (a,) = s.controllers
        make_leader(cluster, 0)
        a.start()
        s.holder(10 * SLOW)
        pid = read_events(s.log)[0][4]
        elections = []
        for _ in range(kills):
            cluster.wait_healthy()
            make_leader(cluster, 0)
            # A random moment of the renewal cycle (TTL/6).
            time.sleep(0.5 + rng.uniform(0, ttl / 6))
            killed = time.monotonic()
            cluster.kill_member(0)
            while True:
                leader = cluster.leader()
                if leader is not None:
                    break
                if time.monotonic() - killed > 30:
                    raise AssertionError("no new leader 30s after the leader was killed")
                time.sleep(0.02)
            elections.append(time.monotonic() - killed)
            cluster.start_member(0)
            assert a.alive(), f"the guard exited ({a.proc.returncode}) after kill {len(elections)}"
        cluster.wait_healthy()
        # A whole TTL after the last kill: any fence would have fired by now.
        time.sleep(ttl)
        broken = interruption(s.log, pid)
        assert broken is None, f"the show was interrupted in {kills} leader kills: {broken}"
        assert a.alive(), "the guard exited"
        return elections


def leader_kill_rounds(tmp, cluster):
    rng = random.Random(int(os.environ.get("ETCD_SEED", "9")))
    figures = []
    for ttl in (10, SMALLEST_TTL):
        elections = leader_kills(tmp, cluster, ttl, LEADER_KILLS, rng)
        figures.append(f"TTL {ttl}s: interrupted 0/{LEADER_KILLS}, elections {min(elections):.2f}-"
                       f"{max(elections):.2f}s (median {sorted(elections)[len(elections) // 2]:.2f}s)")
    return "leader killed at random moments of the renewal cycle: " + "; ".join(figures)


def quorum_lost(tmp, cluster):
    with Scenario(tmp, cluster, "quorum", controllers=2) as s:
        a, b = s.primary_and_standby()
        victims = [i for i in cluster.running()][:2]
        for i in victims:
            cluster.kill_member(i)
        lost = time.time()
        wait_until(lambda: not running(s.log), TTL + 5, "the holder to stop its show")
        stopped = intervals(s.log)[0][2]
        within = stopped - lost
        # A leader that lost its quorum still renews leases (renewals are
        # leader-local in etcd) until it steps down an election timeout (1 s)
        # later; such a renewal only postpones the expiry, so it may postpone
        # the stop as well.
        assert within <= TTL - KILL_TIMEOUT - MARGIN + 1.0 + SLACK, f"the holder stopped {within:.2f}s after"
        a.proc.wait(timeout=10)
        assert a.proc.returncode == 69, f"the holder exited {a.proc.returncode}, not 69"
        # The guard's own deadline: it acted within a moment of it.
        with open(a.log) as f:
            late = re.search(r"not renewed for (\d+)ms", f.read())
        assert late, "no fencing reason in the holder's log"
        assert int(late.group(1)) / 1000 <= TTL - KILL_TIMEOUT - MARGIN + 0.3, late.group(0)
        assert b.alive(), "the waiting controller gave up"
        # As systemd's Restart= would: the stopped controller waits again.
        a.start()
        time.sleep(2.0)
        assert not running(s.log), "a show runs without quorum"
        back = time.time()
        for i in victims:
            cluster.start_member(i)
        holder, run = s.holder(3 * TTL + 15)
        time.sleep(2 * TTL)
        assert len(running(s.log)) == 1, f"not exactly one show after quorum returned: {running(s.log)}"
        assert overlaps(intervals(s.log), time.time()) == 0
        return (f"quorum lost: holder stopped {within:.2f}s after, {late.group(1)}ms after its last renewal "
                f"(deadline {TTL - KILL_TIMEOUT - MARGIN:.1f}s); "
                f"quorum back: {holder.name} resumed {run[1] - back:.2f}s later, the only one")


def random_kills(tmp, cluster):
    rng = random.Random(int(os.environ.get("ETCD_SEED", "9")))
    with Scenario(tmp, cluster, "random", controllers=3) as s:
        for c in s.controllers:
            c.start()
        s.holder(10)
        actions = {"guard": 0, "member": 0, "partition": 0}
        failovers = []
        for _ in range(ROUNDS):
            for c in s.controllers:  # systemd's Restart=always
                if not c.alive():
                    c.start()
            holder, run = s.holder(3 * TTL + 10)
            action = rng.choice(list(actions))
            actions[action] += 1
            t0 = time.time()
            if action == "guard":
                holder.kill()
            elif action == "member":
                victim = rng.choice(cluster.running())
                cluster.kill_member(victim)
                time.sleep(rng.uniform(0.5, TTL))
                cluster.start_member(victim)
            else:
                holder.proxy.freeze()
                time.sleep(rng.uniform(TTL, 2 * TTL))
                holder.proxy.heal()
            if action != "member":
                new = wait_until(lambda: [r for r in running(s.log) if r[1] > t0], 3 * TTL + 10, "a new holder")
                failovers.append(new[0][1] - t0)
            time.sleep(rng.uniform(0.2, 1.0))
        cluster.wait_healthy()
        time.sleep(TTL)
        count = overlaps(intervals(s.log), time.time())
        assert count == 0, f"{count} overlaps: {intervals(s.log)}"
        assert len(running(s.log)) == 1, f"not exactly one show at the end: {running(s.log)}"
        worst = max(failovers) if failovers else 0.0
        return (f"random kills: {ROUNDS} rounds ({actions['guard']} guards, {actions['member']} members, "
                f"{actions['partition']} partitions), {len(intervals(s.log))} runs, overlaps 0, "
                f"worst failover {worst:.2f}s")


def refusals(tmp, cluster):
    """Busy, unreachable, gave up: each a clear exit status, nothing left behind."""
    with Scenario(tmp, cluster, "refusals") as s:
        a, b = s.controllers
        a.start(wait=False)
        s.holder(10)
        out = subprocess.run(b.args(wait=False) + ["--", "true"], capture_output=True, text=True, timeout=20)
        assert out.returncode == 75, (out.returncode, out.stderr)
        assert f"held in etcd by guard pid {a.proc.pid}" in out.stderr, out.stderr
        b.proxy.freeze()
        started = time.monotonic()
        out = subprocess.run(b.args(wait=False) + ["--", "true"], capture_output=True, text=True, timeout=20)
        took = time.monotonic() - started
        assert out.returncode == 69, (out.returncode, out.stderr)
        assert b.proxy.urls[0] in out.stderr and "timed out" in out.stderr, out.stderr
        out = subprocess.run(b.args(wait=False) + ["--wait=2s", "--", "true"], capture_output=True, text=True,
                             timeout=20)
        assert out.returncode == 75, (out.returncode, out.stderr)
        assert "gave up waiting for the etcd lock after 2s: the etcd cluster (" in out.stderr, out.stderr
        lock = os.path.join(b.lock_dir, "stage.lock")
        held = subprocess.run(["flock", "-n", "-E", "99", lock, "true"]).returncode
        assert held == 0, f"{lock} is still locked after the refusals"
        # check-config: a kill timeout that does not fit, a CA that is not there.
        os.makedirs(os.path.join(s.dir, "conf", "shows"))
        with open(os.path.join(s.dir, "conf", "showguard.conf"), "w") as f:
            f.write(f"lock-backend = etcd\netcd-endpoints = {a.proxy.urls[0]}\nlease-ttl = 3s\n")
        show_file = os.path.join(s.dir, "conf", "shows", "stage.conf")

        def check_config():
            conf = os.path.join(s.dir, "conf")
            return subprocess.run([SHOWGUARD, "check-config", "--config", os.path.join(conf, "showguard.conf"),
                                   "--config-dir", conf], capture_output=True, text=True)

        with open(show_file, "w") as f:
            f.write("command = /bin/true\nkill-timeout = 2s\netcd-cacert = /nonexistent/ca.pem\n")
        out = check_config()
        assert out.returncode == 1, (out.returncode, out.stdout)
        assert f"{show_file}:2: kill-timeout and lease-ttl" in out.stdout, out.stdout
        assert f"{show_file}:3: cannot read etcd-cacert" in out.stdout, out.stdout
        # A TTL too short to ride out a leader election: a warning, exit 0.
        with open(show_file, "w") as f:
            f.write("command = /bin/true\nlease-ttl = 5s\n")
        out = check_config()
        assert out.returncode == 0, (out.returncode, out.stdout)
        assert f"{show_file}:2: warning: lease-ttl: a lease TTL of 5s" in out.stdout, out.stdout
        assert "use a lease TTL of at least 7s" in out.stdout, out.stdout
        return (f"refusals: busy 75 naming the holder; cluster unreachable 69 after {took:.1f}s; --wait=2s 75; "
                "check-config names a misfit kill timeout and a missing CA, and warns of a TTL too short for an election")


def tls_and_auth(tmp, cluster):
    """TLS with client certificates and a user with a password file."""
    secure = SecureEtcd(tmp, "show-secret")
    try:
        d = secure.dir
        with open(os.path.join(d, "password"), "w") as f:
            f.write("show-secret\n")
        with open(os.path.join(d, "wrong"), "w") as f:
            f.write("guess\n")
        log = os.path.join(d, "shows.log")
        base = [SHOWGUARD, "--show", "secure", "--lock-dir", os.path.join(d, "locks"), "--lock-backend", "etcd",
                "--etcd-endpoints", secure.url, "--lease-ttl", "3s", "--etcd-cacert", secure.files["ca.pem"]]
        client = ["--etcd-cert", secure.files["client.pem"], "--etcd-key", secure.files["client.key"]]
        env = dict(os.environ, CONTROLLER="S", SHOW_LOG=log)
        show = ["--", "sh", "-c", 'echo "start S $(date +%s.%N) $SHOWGUARD_FENCING_TOKEN" >> "$SHOW_LOG"']
        ok = subprocess.run(base + client + ["--etcd-user", "showguard", "--etcd-password-file",
                                             os.path.join(d, "password")] + show,
                            env=env, capture_output=True, text=True, timeout=30)
        assert ok.returncode == 0, ok.stderr
        assert int(read_events(log)[0][3]) > 0, read_events(log)
        wrong = subprocess.run(base + client + ["--etcd-user", "showguard", "--etcd-password-file",
                                                os.path.join(d, "wrong")] + show,
                               env=env, capture_output=True, text=True, timeout=30)
        assert wrong.returncode == 69, (wrong.returncode, wrong.stderr)
        assert secure.url in wrong.stderr and "authentication failed" in wrong.stderr, wrong.stderr
        anonymous = subprocess.run(base + client + show, env=env, capture_output=True, text=True, timeout=30)
        assert anonymous.returncode == 69, (anonymous.returncode, anonymous.stderr)
        assert "user name is empty" in anonymous.stderr or "permission denied" in anonymous.stderr, anonymous.stderr
        no_cert = subprocess.run(base + show, env=env, capture_output=True, text=True, timeout=30)
        assert no_cert.returncode == 69 and secure.url in no_cert.stderr, (no_cert.returncode, no_cert.stderr)
        assert len(read_events(log)) == 1, read_events(log)
        return ("TLS + auth: ran with client certificate and password file; wrong password, no user and no "
                "client certificate each exit 69 naming the endpoint")
    finally:
        secure.stop()


def overlap_canary(tmp, cluster):
    """The overlap check's canary: two controllers whose guards lock different
    keys (shows "stage" and "stage-canary") but log to the one show log, as a
    broken lock would let two copies of one show run. The check that every
    other scenario asserts 0 must count them, or its 0 proves nothing."""
    with Scenario(tmp, cluster, "overlap-canary") as s:
        a, b = s.controllers[:2]
        a.start(show="stage")
        b.start(show="stage-canary")
        wait_until(lambda: len(running(s.log)) == 2, 20, "both shows to run")
        a.stop()
        b.stop()
        count = overlaps(intervals(s.log), time.time())
        assert count >= 1, f"a deliberate overlap counted as {count}: {intervals(s.log)}"
        return f"a deliberate overlap of two controllers counted ({count})"


SCENARIOS = [overlap_canary, tls_and_auth, refusals, failover, guard_death_led_reset, partition, partition_with_stalled_stderr, leader_kill_rounds, quorum_lost,
             random_kills]
# ETCD_SCENARIOS=partition,failover runs those only.
if os.environ.get("ETCD_SCENARIOS"):
    SCENARIOS = [f for f in SCENARIOS if f.__name__ in os.environ["ETCD_SCENARIOS"].split(",")]


def main():
    tmp = tempfile.mkdtemp(prefix="showguard-etcd-")
    cluster = EtcdCluster(tmp)
    passed = failed = 0
    try:
        cluster.start()
        for scenario in SCENARIOS:
            started = time.monotonic()
            try:
                figures = scenario(tmp, cluster)
                passed += 1
                print(f"PASS {scenario.__name__} ({time.monotonic() - started:.1f}s): {figures}", flush=True)
            except Exception:  # noqa: BLE001 - report every failure and go on
                failed += 1
                print(f"FAIL {scenario.__name__} ({time.monotonic() - started:.1f}s)", flush=True)
                traceback.print_exc()
                where = os.path.join(tmp, scenario.__name__.replace("_", "-"))
                for log in sorted(os.listdir(where)) if os.path.isdir(where) else []:
                    if log.endswith(".log"):
                        with open(os.path.join(where, log)) as f:
                            print(f"--- {log}\n{f.read()[-3000:]}")
    finally:
        cluster.stop()
        if os.environ.get("KEEP_TMP"):
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
