# SPDX-License-Identifier: GPL-2.0-or-later
"""showguard's benchmarks, each figure measured in the same run as the reference
users would otherwise run (util-linux flock, a 500 ms polling lock, a Python
fcntl.flock helper). Run through bench/run.sh, which installs the tools and
builds what is measured; see bench/README.md.

Prints a Markdown report and "N passed, M failed" for the harness's own sanity
checks (the harness ran, figures parsed, mutual exclusion held). Timing targets
are reported, never checked: a loaded machine must not fail a build."""

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MiB = 1024 * 1024


class Checks:
    """The harness's sanity checks: counted, printed, never about timing."""

    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed.append(what)
            print(f"CHECK FAILED: {what}", file=sys.stderr)
        return ok


checks = Checks()


STARTED = time.monotonic()


def log(message):
    print(f"[bench {time.monotonic() - STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def run(argv, **kwargs):
    kwargs.setdefault("check", True)
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    return subprocess.run(argv, **kwargs)


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.002)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def quantile(values, q):
    """Nearest-rank quantile of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def ratio(a, b):
    return a / b if b else float("nan")


def fmt_ms(seconds):
    return f"{seconds * 1000:.2f} ms"


def fmt_bytes(n):
    return f"{n / MiB:.2f} MiB" if n >= MiB else f"{n / 1024:.0f} KiB"


# ---------------------------------------------------------------------------
# /proc and the kernel's lock list


def proc_locks():
    """(pid, dev_major, dev_minor, inode, blocked) of every FLOCK entry."""
    entries = []
    with open("/proc/locks") as f:
        for line in f:
            fields = line.split()
            blocked = len(fields) > 1 and fields[1] == "->"
            if blocked:
                fields = fields[:1] + fields[2:]
            if len(fields) < 6 or fields[1] != "FLOCK":
                continue
            major, minor, inode = fields[5].split(":")
            entries.append((int(fields[4]), int(major, 16), int(minor, 16), int(inode), blocked))
    return entries


def lock_entries(path):
    st = os.stat(path)
    key = (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
    return [(pid, blocked) for pid, ma, mi, ino, blocked in proc_locks() if (ma, mi, ino) == key]


def holder_of(path):
    if not os.path.exists(path):
        return None
    held = [pid for pid, blocked in lock_entries(path) if not blocked]
    return held[0] if held else None


def waiting_on(path, pid):
    return any(p == pid and blocked for p, blocked in lock_entries(path))


def proc_status(pid, task=None):
    path = f"/proc/{pid}/task/{task}/status" if task else f"/proc/{pid}/status"
    fields = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def kib(value):
    return int(value.split()[0]) * 1024


def accounting(pid):
    """Context switches, CPU time (ns, from schedstat) and utime+stime (ticks),
    summed over the process's threads."""
    switches = cpu_ns = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        status = proc_status(pid, task)
        switches += int(status["voluntary_ctxt_switches"]) + int(status["nonvoluntary_ctxt_switches"])
        with open(f"/proc/{pid}/task/{task}/schedstat") as f:
            cpu_ns += int(f.read().split()[0])
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    threads = int(proc_status(pid)["Threads"])
    return {"switches": switches, "cpu_ns": cpu_ns, "ticks": ticks, "threads": threads}


def memory(pid):
    status = proc_status(pid)
    out = {"hwm": kib(status["VmHWM"]), "rss": kib(status["VmRSS"])}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("Pss", "Private_Clean", "Private_Dirty"):
                    out[key.lower()] = kib(value)
        out["private"] = out.pop("private_clean", 0) + out.pop("private_dirty", 0)
    except OSError:
        pass
    return out


# ---------------------------------------------------------------------------
# Start-to-exit


def hyperfine(commands, runs, warmup, rounds, workdir, tag):
    """Runs hyperfine `rounds` times over all commands (so that a change of
    load hits every command alike) and merges the run times."""
    merged = {name: {"times": [], "user": [], "system": []} for name, _ in commands}
    for r in range(rounds):
        export = os.path.join(workdir, f"hyperfine-{tag}-{r}.json")
        argv = ["hyperfine", "-N", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
                "--export-json", export]
        for name, command in commands:
            argv += ["--command-name", name, " ".join(command)]
        run(argv)
        with open(export) as f:
            for result in json.load(f)["results"]:
                m = merged[result["command"]]
                m["times"] += result["times"]
                m["user"].append(result["user"])
                m["system"].append(result["system"])
    out = {}
    for name, m in merged.items():
        times = m["times"]
        out[name] = {"runs": len(times), "median": median(times), "min": min(times),
                     "mean": sum(times) / len(times), "p90": quantile(times, 0.9),
                     "cpu": median(m["user"]) + median(m["system"])}
    return out


def callgrind(command, workdir, tag):
    """Instructions executed by the process itself (not its children), and the
    inclusive cost of each function, from valgrind's callgrind."""
    out_file = os.path.join(workdir, f"callgrind-{tag}.out")
    result = run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}", *command], check=False)
    m = re.search(r"Collected\s*:\s*(\d+)", result.stderr)
    total = int(m.group(1)) if m else 0
    # Valgrind 3.19 (Debian 12) does not know pidfd_open: a guard under it
    # stops right after forking its show, so its count covers the start only.
    partial = "unhandled" in result.stderr and "syscall: 434" in result.stderr
    functions = {}
    annotated = run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out_file], check=False).stdout
    for line in annotated.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\([\s\d.]+%\)\s+(.*)", line)
        if m:
            cost = int(m.group(1).replace(",", ""))
            name = m.group(2)
            functions[name] = max(cost, functions.get(name, 0))
    return total, functions, partial


def cost_of(functions, *patterns):
    """Largest inclusive cost among functions whose name matches all patterns."""
    best = 0
    for name, cost in functions.items():
        if all(re.search(p, name) for p in patterns):
            best = max(best, cost)
    return best


def sum_of(functions, pattern, binary):
    """Summed inclusive cost of the functions of binary matching pattern (for
    functions that never call each other, like static initialisers)."""
    return sum(cost for name, cost in functions.items()
               if re.search(pattern, name) and name.endswith(f"[{binary}]"))


def loader_statistics(command):
    result = run(command, check=False, env=dict(os.environ, LD_DEBUG="statistics"))
    text = result.stderr
    relocations = re.search(r"number of relocations:\s*(\d+)", text)
    cycles = re.search(r"total startup time in dynamic loader:\s*(\d+)", text)
    return (int(relocations.group(1)) if relocations else 0, int(cycles.group(1)) if cycles else 0)


def syscalls(command, workdir, tag):
    out_file = os.path.join(workdir, f"strace-{tag}.txt")
    run(["strace", "-c", "-o", out_file, *command], check=False)
    with open(out_file) as f:
        for line in f:
            fields = line.split()
            if fields[-1:] == ["total"]:
                # % time, seconds, usecs/call, calls, [errors,] total
                return int(fields[3])
    return 0


def bench_start(cfg, work):
    lock_dir = os.path.join(work, "start-locks")
    os.makedirs(lock_dir)
    guard = [cfg.showguard, "--show", "x", "--led", "none", "--lock-dir", lock_dir, "--", "/bin/true"]
    flock = ["flock", "-n", os.path.join(lock_dir, "f.lock"), "/bin/true"]
    true = ["/bin/true"]
    commands = [("showguard", guard)]
    for label, path in cfg.compare:
        commands.append((label, [path, *guard[1:]]))
    commands += [("flock -n", flock), ("/bin/true", true)]
    runs, warmup, rounds = (40, 10, 1) if cfg.quick else (300, 30, 3)
    log(f"start-to-exit: hyperfine, {rounds} x {runs} runs of each")
    times = hyperfine(commands, runs, warmup, rounds, work, "start")
    for name, _ in commands:
        checks.check(times[name]["runs"] == runs * rounds and times[name]["median"] > 0,
                     f"start-to-exit: {runs * rounds} timed runs of {name}")

    log("start-to-exit: instruction counts (callgrind), loader statistics, system calls")
    detail = {}
    for name, command in commands:
        if name == "/bin/true":
            continue
        total, functions, partial = callgrind(command, work, re.sub(r"\W", "_", name))
        relocations, loader_cycles = loader_statistics(command)
        detail[name] = {"instructions": total, "partial": partial, "relocations": relocations,
                        "loader_cycles": loader_cycles,
                        "syscalls": syscalls(command, work, re.sub(r"\W", "_", name)), "functions": functions}
        checks.check(total > 0, f"start-to-exit: callgrind counted the instructions of {name}")
    f = detail["showguard"]["functions"]
    breakdown = [
        ("dynamic loading and relocation (ld.so)", cost_of(f, r"_dl_start\b")),
        ("static initialisers (iostreams, locale, Boost)",
         cost_of(f, r"dl-init.c:_dl_init\b") + sum_of(f, r"_GLOBAL__sub_I_", os.path.realpath(cfg.showguard))),
        ("option parsing (parse_command_line)", cost_of(f, r"parse_command_line")),
        ("config files and settings (load_guard_options)", cost_of(f, r"load_guard_options")),
        ("logging setup (setup_logging)", cost_of(f, r"setup_logging")),
        ("lock, record, fork/exec, supervision (run_guard)", cost_of(f, r"run_guard")),
        ("  of which the user name (current_user_name)", cost_of(f, r"current_user_name")),
        ("  of which starting the show (ShowProcess::launch)", cost_of(f, r"ShowProcess::launch")),
    ]
    detail["showguard"]["breakdown"] = breakdown
    for d in detail.values():
        d.pop("functions")
    return {"times": times, "detail": detail, "names": [n for n, _ in commands]}


# ---------------------------------------------------------------------------
# Hand-over latency


def stop(proc, group=False):
    """Ends a process we started (and, with group, whatever is left of its
    process group: a reference lock's `sleep`)."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    if group:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def handover_once(cfg, design, lock_dir, fifo, work, i, realtime=False):
    """One hand-over: a holder whose show waits for the driver's go, a waiter
    blocked on the lock; the latency is from the holder's show stamping its
    end to the waiter's show stamping its start. With realtime, holder and
    waiter (and their shows) run SCHED_FIFO, out of reach of the machine's
    other load: what is left is the path itself."""
    end_file = os.path.join(work, f"end-{design}-{i}")
    start_file = os.path.join(work, f"start-{design}-{i}")
    lock = os.path.join(lock_dir, "hand.lock")
    quiet = ["--led", "none", "--log-level", "warn", "--lock-dir", lock_dir]
    if design == "showguard":
        holder = [cfg.showguard, "--show", "hand", *quiet, "--", cfg.stamp, end_file, fifo]
        waiter = [cfg.showguard, "--show", "hand", "--wait=60s", *quiet, "--", cfg.stamp, start_file]
    elif design == "flock -w":
        holder = ["flock", "-w", "60", lock, cfg.stamp, end_file, fifo]
        waiter = ["flock", "-w", "60", lock, cfg.stamp, start_file]
    else:
        holder = ["sh", cfg.poll_lock, lock, cfg.stamp, end_file, fifo]
        waiter = ["sh", cfg.poll_lock, lock, cfg.stamp, start_file]
    if realtime:
        holder = ["chrt", "-f", "10", *holder]
        waiter = ["chrt", "-f", "10", *waiter]

    h = subprocess.Popen(holder, stdin=subprocess.DEVNULL)
    w = None
    try:
        wait_until(lambda: holder_of(lock) is not None, 20, f"{design} holder to take {lock}")
        w = subprocess.Popen(waiter, stdin=subprocess.DEVNULL)
        if design == "poll 500 ms":
            # Nothing blocks in the kernel: release at a random phase of the
            # waiter's polling, after its first try.
            time.sleep(0.05 + random.uniform(0, 0.5))
        else:
            wait_until(lambda: waiting_on(lock, w.pid), 20, f"{design} waiter {w.pid} blocked on {lock}")
        with open(fifo, "wb") as go:  # blocks until the holder's show listens
            go.write(b"x")
        rc_h = h.wait(timeout=30)
        rc_w = w.wait(timeout=30)
    finally:
        stop(h)
        if w:
            stop(w)
    if rc_h or rc_w:
        raise RuntimeError(f"{design} hand-over {i}: holder exited {rc_h}, waiter {rc_w}")
    with open(end_file) as f:
        end = int(f.read())
    with open(start_file) as f:
        start = int(f.read())
    os.unlink(end_file)
    os.unlink(start_file)
    return (start - end) / 1e9


def realtime_works():
    try:
        return run(["chrt", "-f", "10", "true"], check=False).returncode == 0
    except FileNotFoundError:
        return False


def bench_handover(cfg, work):
    n_kernel, n_poll = (20, 4) if cfg.quick else (500, 100)
    runs = [("showguard", n_kernel, False), ("flock -w", n_kernel, False), ("poll 500 ms", n_poll, False)]
    if realtime_works():
        runs += [("showguard", n_kernel, True), ("flock -w", n_kernel, True)]
    results = {}
    fifo = os.path.join(work, "go.fifo")
    os.mkfifo(fifo)
    for design, n, realtime in runs:
        label = design + (", SCHED_FIFO" if realtime else "")
        lock_dir = os.path.join(work, "hand-" + re.sub(r"\W", "_", label))
        os.makedirs(lock_dir)
        log(f"hand-over: {n} hand-overs through {label}")
        latencies = []
        errors = []
        for i in range(n):
            try:
                latencies.append(handover_once(cfg, design, lock_dir, fifo, work, i, realtime))
            except (RuntimeError, TimeoutError, subprocess.TimeoutExpired, ValueError) as e:
                errors.append(str(e))
                if len(errors) >= 3:
                    break
        overlaps = sum(1 for x in latencies if x <= 0)
        checks.check(not errors and len(latencies) == n, f"hand-over {label}: {n} hand-overs completed"
                     + (f" ({errors[0]})" if errors else ""))
        checks.check(overlaps == 0, f"hand-over {label}: overlaps 0 (waiter's show never started before "
                     f"the holder's ended): {overlaps}")
        if latencies:
            results[label] = {"n": len(latencies), "overlaps": overlaps,
                              **{k: quantile(latencies, q) for k, q in
                                 (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("max", 1.0))}}
    return results


# ---------------------------------------------------------------------------
# Idle cost and memory


def make_led_dir(path):
    """A directory laid out like /sys/class/leds/X, as the LED tests fake it."""
    os.makedirs(path)
    for attr, value in (("brightness", "0"), ("max_brightness", "255"), ("trigger", "none [mmc0] timer")):
        with open(os.path.join(path, attr), "w") as f:
            f.write(value + "\n")
    return path


def read_state(lock_dir, name):
    try:
        with open(os.path.join(lock_dir, f"{name}.state")) as f:
            for line in f:
                if line.startswith("state="):
                    return line.strip().split("=", 1)[1]
    except OSError:
        pass
    return None


def python_for_reference():
    return "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable


def perf_works():
    try:
        return run(["perf", "stat", "-x,", "-e", "task-clock,context-switches", "true"], check=False).returncode == 0
    except FileNotFoundError:
        return False


def bench_idle(cfg, work):
    duration = 3.0 if cfg.quick else 60.0
    lock_dir = os.path.join(work, "idle-locks")
    os.makedirs(lock_dir)
    base = [cfg.showguard, "--lock-dir", lock_dir, "--log-level", "warn"]
    long_sleep = ["sleep", str(int(duration * 10 + 120))]
    subjects = [
        ("showguard, no LED", "steady", [*base, "--show", "idle-none", "--led", "none", "--", *long_sleep],
         "idle-none", "running"),
        ("showguard, LED-class LED steady", "steady",
         [*base, "--show", "idle-sysfs", "--led", f"sysfs:{make_led_dir(os.path.join(work, 'leds', 'steady'))}",
          "--", *long_sleep], "idle-sysfs", "running"),
        ("showguard, terminal LED steady", "steady",
         [*base, "--show", "idle-term", "--led", "term", "--", *long_sleep], "idle-term", "running"),
        # A show that keeps failing, with a long restart delay: the slow blink
        # of a pending restart, for as long as we like.
        ("showguard, LED blinking (restart pending)", "blink",
         [*base, "--show", "idle-blink", "--led", f"sysfs:{make_led_dir(os.path.join(work, 'leds', 'blink'))}",
          "--restart", "always", "--restart-delay", "1h", "--", "/bin/false"], "idle-blink", "restarting"),
        ("util-linux flock holding the lock", "reference",
         ["flock", os.path.join(lock_dir, "flock.lock"), *long_sleep], None, None),
        ("python3 fcntl.flock holding the lock", "reference",
         [python_for_reference(), "-c",
          "import fcntl, subprocess, sys\n"
          "f = open(sys.argv[1], 'w')\n"
          "fcntl.flock(f, fcntl.LOCK_EX)\n"
          "sys.exit(subprocess.call(sys.argv[2:]))\n",
          os.path.join(lock_dir, "python.lock"), *long_sleep], None, None),
    ]
    procs = []
    try:
        for label, kind, argv, show, state in subjects:
            procs.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          start_new_session=True))
        for (label, kind, argv, show, state), p in zip(subjects, procs):
            if show:
                wait_until(lambda: read_state(lock_dir, show) == state, 20, f"{label}: state {state}")
        for p, (label, *_rest) in zip(procs, subjects):
            lock = {"util-linux flock holding the lock": "flock.lock",
                    "python3 fcntl.flock holding the lock": "python.lock"}.get(label)
            if lock:
                wait_until(lambda: holder_of(os.path.join(lock_dir, lock)) == p.pid, 20, f"{label}")
        time.sleep(1.0)  # let start-up (and the first blink edges) settle
        perf = []
        if perf_works():
            for p in procs:
                out = os.path.join(work, f"perf-{p.pid}.csv")
                perf.append((out, subprocess.Popen(["perf", "stat", "-x,", "-o", out, "-e",
                                                    "task-clock,context-switches", "-p", str(p.pid), "--",
                                                    "sleep", str(duration)], stderr=subprocess.DEVNULL)))
        log(f"idle: {len(procs)} holders side by side for {duration:.0f} s")
        before = [accounting(p.pid) for p in procs]
        time.sleep(duration)
        after = [accounting(p.pid) for p in procs]
        mem = [memory(p.pid) for p in procs]
        for _, perf_proc in perf:
            perf_proc.wait(timeout=30)
        alive = [p.poll() is None for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            stop(p, group=True)

    results = []
    for i, (label, kind, *_rest) in enumerate(subjects):
        r = {"label": label, "kind": kind, "seconds": duration,
             "wakeups": after[i]["switches"] - before[i]["switches"],
             "cpu_ms": (after[i]["cpu_ns"] - before[i]["cpu_ns"]) / 1e6,
             "ticks": after[i]["ticks"] - before[i]["ticks"],
             "threads": after[i]["threads"], **mem[i]}
        if perf:
            with open(perf[i][0]) as f:
                for line in f:
                    parts = line.strip().split(",")
                    # "<not counted>": the process never ran in the window.
                    if len(parts) > 2 and parts[2] == "task-clock":
                        r["perf_task_clock_ms"] = float(parts[0]) if parts[0][:1].isdigit() else 0.0
                    elif len(parts) > 2 and parts[2] == "context-switches":
                        r["perf_switches"] = int(parts[0]) if parts[0].isdigit() else 0
        results.append(r)
        checks.check(alive[i], f"idle: {label} still running after the window")
        checks.check(r["rss"] > 0 and r["hwm"] >= r["rss"], f"memory: {label}: VmRSS and VmHWM read")
        if label.startswith("showguard"):
            checks.check(r["threads"] == 1, f"idle: {label}: one thread while the show runs")
    return results


# ---------------------------------------------------------------------------
# Status at scale


def make_status_dir(path, n, holder_pid):
    """n shows, each with a lock file and a record; the first n//10 (at least
    one) are recorded as running under holder_pid."""
    os.makedirs(path)
    held = max(1, n // 10)
    now_ms = int(time.time() * 1000)
    names = [f"show{i:05d}" for i in range(n)]
    for i, name in enumerate(names):
        fd = os.open(os.path.join(path, f"{name}.lock"), os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
        running = i < held
        lines = [f"name={name}", "kind=show", f"state={'running' if running else 'free'}",
                 f"guard_pid={holder_pid if running else 4000000 + i}", f"show_pid={holder_pid if running else 0}",
                 f"since_ms={now_ms - 3600_000}", "host=bench", "user=root",
                 f"command=/opt/shows/{name}/run --fps 40", "restarts=0", "kill_timeout_ms=10000",
                 "resources=", "held_by="]
        if not running:
            lines += ["last_exit=0", "last_exit_reason=exited with status 0", f"last_exit_ms={now_ms - 60_000}"]
        with open(os.path.join(path, f"{name}.state"), "w") as f:
            f.write("\n".join(lines) + "\n")
    return names[:held]


HOLDER = r"""
import fcntl, os, resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
files = []
for path in sys.stdin.readline().rstrip("\n").split("\0"):
    if path:
        f = open(path, "rb")
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        files.append(f)
print(len(files), flush=True)
sys.stdin.readline()
"""


def bench_status(cfg, work):
    sizes = [1, 100, 10000]
    runs = 5 if cfg.quick else 30
    results = {}
    for n in sizes:
        path = os.path.join(work, f"status-{n}")
        # One process holds the locks of the running shows, as a guard would:
        # the first few through util-linux flock, the rest through one Python
        # process (fcntl.flock) so that 10,000 records need no 1,000 processes.
        holder = subprocess.Popen([python_for_reference(), "-c", HOLDER], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        flocks = []
        try:
            held = make_status_dir(path, n, holder.pid)
            by_flock, by_python = held[:10], held[10:]
            for name in by_flock:
                flocks.append(subprocess.Popen(["flock", os.path.join(path, f"{name}.lock"), "sleep", "600"],
                                               start_new_session=True))
            holder.stdin.write("\0".join(os.path.join(path, f"{x}.lock") for x in by_python) + "\n")
            holder.stdin.flush()
            holder.stdout.readline()
            for name, p in zip(by_flock, flocks):
                wait_until(lambda: holder_of(os.path.join(path, f"{name}.lock")) == p.pid, 20, f"flock on {name}")
            # Records held through flock(1) name its pid, so they are current.
            for name, p in zip(by_flock, flocks):
                state = os.path.join(path, f"{name}.state")
                with open(state) as f:
                    text = f.read()
                text = re.sub(r"guard_pid=\d+", f"guard_pid={p.pid}", text)
                with open(state, "w") as f:
                    f.write(text)

            command = [cfg.showguard, "status", "--json", "--lock-dir", path]
            out = run(command, check=False)
            try:
                shows = json.loads(out.stdout)["shows"]
            except (ValueError, KeyError):
                shows = []
            running = sum(1 for s in shows if s.get("state") == "running")
            current = sum(1 for s in shows if s.get("state") == "running" and s.get("since"))
            checks.check(len(shows) == n, f"status {n}: {n} entries in the JSON ({len(shows)})")
            checks.check(running == len(held) and current == len(held),
                         f"status {n}: {len(held)} running, each with its record ({running}, {current})")
            log(f"status: {n} records, hyperfine {runs} runs")
            t = hyperfine([(f"status {n}", command)], runs, 2, 1, work, f"status-{n}")[f"status {n}"]
            instructions = 0
            if not cfg.quick or n <= 100:
                instructions, _, _ = callgrind(command, work, f"status-{n}")
            results[n] = {"held": len(held), **t, "instructions": instructions}
        finally:
            for p in flocks:
                stop(p, group=True)
            if holder.poll() is None:
                holder.stdin.close()
                holder.wait(timeout=10)
    return results


# ---------------------------------------------------------------------------
# Binary size


def needed(path, readelf="readelf"):
    out = run([readelf, "-d", path], check=False).stdout
    return re.findall(r"Shared library: \[([^]]+)\]", out)


def bench_sizes(cfg, work):
    rows = []
    for label, path, prefix in cfg.builds:
        if not path or not os.path.exists(path):
            rows.append({"label": label, "skipped": f"no build at {path or '(none)'}"})
            continue
        strip = f"{prefix}strip" if prefix else "strip"
        readelf = f"{prefix}readelf" if prefix else "readelf"
        if not shutil.which(strip):
            rows.append({"label": label, "skipped": f"{strip} not installed"})
            continue
        stripped = os.path.join(work, "stripped-" + re.sub(r"\W", "_", label))
        run([strip, "-o", stripped, path])
        rows.append({"label": label, "bytes": os.path.getsize(stripped), "needed": needed(stripped, readelf)})
    flock = shutil.which("flock")
    rows.append({"label": "util-linux flock (reference, amd64)", "bytes": os.path.getsize(flock),
                 "needed": needed(flock)})
    checks.check(any("bytes" in r for r in rows[:-1]), "binary size: at least the host build measured")
    return rows


# ---------------------------------------------------------------------------
# The report


def machine():
    def first(path, key):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(key):
                        return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "?"

    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return {"nproc": os.cpu_count(), "cpu": first("/proc/cpuinfo", "model name"),
            "kernel": os.uname().release, "load": load,
            "memory": first("/proc/meminfo", "MemTotal"), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def table(say, columns, title=None):
    """A Markdown table's head (and the section's title above it)."""
    if title:
        say(f"### {title}")
        say("")
    say("| " + " | ".join(columns) + " |")
    say("|" + " --- |" * len(columns))


def verdict(ok):
    return "met" if ok else "**missed**"


def summary(say, start, hand, idle, status, sizes):
    """One row per figure: showguard, its reference(s) from the same run, the
    ratio, and the target."""
    table(say, ["figure", "showguard", "reference (same run)", "ratio", "target"])
    if start:
        t = start["times"]
        sg, fl = t["showguard"], t["flock -n"]
        for key, what in (("median", "median"), ("min", "fastest run"), ("cpu", "CPU time (user+sys)")):
            r = ratio(sg[key], fl[key])
            say(f"| start-to-exit, {what} | {fmt_ms(sg[key])} | flock -n {fmt_ms(fl[key])} | {r:.2f}x | "
                f"<= 1.5x: {verdict(r <= 1.5)} |")
    if hand and "showguard, SCHED_FIFO" in hand:
        h, f = hand["showguard, SCHED_FIFO"], hand.get("flock -w, SCHED_FIFO")
        for q in ("p99", "p50"):
            say(f"| hand-over {q}, SCHED_FIFO (the path alone) | {fmt_ms(h[q])} | "
                + (f"flock -w {fmt_ms(f[q])} | {ratio(h[q], f[q]):.2f}x flock -w" if f else "- | -")
                + (f" | < 2 ms: {verdict(h[q] < 0.002)} |" if q == "p99" else " | - |"))
    if hand and "showguard" in hand:
        h = hand["showguard"]
        refs = "; ".join(f"{d} {fmt_ms(hand[d]['p99'])}" for d in ("flock -w", "poll 500 ms") if d in hand)
        rat = f"{ratio(h['p99'], hand['flock -w']['p99']):.2f}x flock -w" if "flock -w" in hand else "-"
        say(f"| hand-over p99 | {fmt_ms(h['p99'])} | {refs} | {rat} | < 2 ms: {verdict(h['p99'] < 0.002)} |")
        if "flock -w" in hand:
            say(f"| hand-over p50 | {fmt_ms(h['p50'])} | flock -w {fmt_ms(hand['flock -w']['p50'])}"
                + (f"; poll 500 ms {fmt_ms(hand['poll 500 ms']['p50'])}" if "poll 500 ms" in hand else "")
                + f" | {ratio(h['p50'], hand['flock -w']['p50']):.2f}x flock -w | - |")
    if idle:
        steady = [r for r in idle if r["kind"] == "steady"]
        blink = [r for r in idle if r["kind"] == "blink"]
        fl = next(r for r in idle if r["label"].startswith("util-linux"))
        py = next(r for r in idle if r["label"].startswith("python3"))
        worst = max(r["wakeups"] for r in steady)
        secs = idle[0]["seconds"]
        say(f"| idle wake-ups, steady LED ({secs:.0f} s) | {worst} (worst of {len(steady)} LED kinds) | "
            f"flock {fl['wakeups']}; python3 {py['wakeups']} | - | 0: {verdict(worst == 0)} |")
        say(f"| idle CPU, steady LED ({secs:.0f} s) | {max(r['cpu_ms'] for r in steady):.2f} ms | "
            f"flock {fl['cpu_ms']:.2f} ms; python3 {py['cpu_ms']:.2f} ms | - | - |")
        for r in blink:
            say(f"| idle, blinking LED ({secs:.0f} s) | {r['wakeups']} wake-ups ({r['wakeups'] / secs:.1f}/s), "
                f"{r['cpu_ms']:.2f} ms CPU | - | - | one wake-up per LED edge |")
        g = steady[0]
        say(f"| steady RSS (VmRSS) | {fmt_bytes(g['rss'])} | flock {fmt_bytes(fl['rss'])}; python3 "
            f"{fmt_bytes(py['rss'])} | {ratio(g['rss'], fl['rss']):.2f}x flock, {ratio(g['rss'], py['rss']):.2f}x "
            f"python3 | < 4 MiB: {verdict(g['rss'] < 4 * MiB)} |")
        say(f"| peak RSS (VmHWM) | {fmt_bytes(max(r['hwm'] for r in steady + blink))} | flock {fmt_bytes(fl['hwm'])}; "
            f"python3 {fmt_bytes(py['hwm'])} | {ratio(g['hwm'], fl['hwm']):.2f}x flock | < 4 MiB: "
            f"{verdict(max(r['hwm'] for r in steady + blink) < 4 * MiB)} |")
        say(f"| proportional set size (Pss) | {fmt_bytes(g.get('pss', 0))} | flock {fmt_bytes(fl.get('pss', 0))}; "
            f"python3 {fmt_bytes(py.get('pss', 0))} | {ratio(g.get('pss', 0), fl.get('pss', 1)):.2f}x flock | - |")
    if status:
        ns = sorted(status)
        for n in ns:
            say(f"| `status --json`, {n:,} records | {fmt_ms(status[n]['median'])} wall, "
                f"{fmt_ms(status[n]['cpu'])} CPU | - | {ratio(status[n]['cpu'], status[ns[0]]['cpu']):.1f}x the CPU "
                f"of {ns[0]:,} | - |")
    if sizes:
        fl = next((r for r in sizes if r["label"].startswith("util-linux")), None)
        for r in sizes:
            if r is fl:
                continue
            if "skipped" in r:
                say(f"| stripped size, {r['label']} | skipped: {r['skipped']} | | | - |")
            else:
                say(f"| stripped size, {r['label']} | {r['bytes'] // 1024}K | flock {fl['bytes'] // 1024}K (amd64) | "
                    f"{ratio(r['bytes'], fl['bytes']):.0f}x | - |")
    say("")


def report_start(say, start):
    t = start["times"]
    d = start["detail"]
    sg, fl, tr = t["showguard"], t["flock -n"], t["/bin/true"]
    table(say, ["command", "median", "min", "p90", "CPU (user+sys)", "instructions", "relocations", "syscalls"],
          "Start-to-exit (`--show x --led none -- /bin/true`)")
    for name in start["names"]:
        r = t[name]
        dd = d.get(name, {})
        count = f"{dd['instructions']:,}{' *' if dd['partial'] else ''}" if dd else "-"
        say(f"| `{name}` | {fmt_ms(r['median'])} | {fmt_ms(r['min'])} | {fmt_ms(r['p90'])} | "
            f"{fmt_ms(r['cpu'])} | {count} | {dd.get('relocations', '-')} | {dd.get('syscalls', '-')} |")
    say("")
    if any(dd.get("partial") for dd in d.values()):
        say("\\* up to starting the show: valgrind 3.19 (Debian 12) lacks pidfd_open, so under it the guard "
            "stops right after forking; the count covers loading, parsing and setup, the costs in question.")
        say("")
    say(f"Over `/bin/true` alone (medians): showguard +{fmt_ms(sg['median'] - tr['median'])}, "
        f"flock +{fmt_ms(fl['median'] - tr['median'])}.")
    say("")
    say("Where showguard's instructions go (callgrind, inclusive):")
    say("")
    table(say, ["part", "instructions", "share"])
    total = d["showguard"]["instructions"]
    for part, cost in d["showguard"]["breakdown"]:
        say(f"| {part} | {cost:,} | {100 * cost / total:.0f}% |")
    say("")


def report_handover(say, hand):
    table(say, ["lock", "hand-overs", "p50", "p90", "p99", "max", "overlaps"],
          "Hand-over latency (holder's show ends -> waiter's show starts)")
    for design, r in hand.items():
        say(f"| {design} | {r['n']} | {fmt_ms(r['p50'])} | {fmt_ms(r['p90'])} | {fmt_ms(r['p99'])} | "
            f"{fmt_ms(r['max'])} | {r['overlaps']} |")
    say("")


def report_idle(say, idle):
    perf = any("perf_switches" in r for r in idle)
    table(say, ["holder", "wake-ups", "CPU", *(["perf: switches, task-clock"] if perf else []), "threads", "VmHWM",
                "VmRSS", "Pss", "private"], f"Idle cost and memory ({idle[0]['seconds']:.0f} s, all side by side)")
    for r in idle:
        perf_cell = (f"{r.get('perf_switches', '-')}, {r.get('perf_task_clock_ms', 0):.2f} ms | " if perf else "")
        say(f"| {r['label']} | {r['wakeups']} ({r['wakeups'] / r['seconds']:.2f}/s) | {r['cpu_ms']:.2f} ms | "
            f"{perf_cell}{r['threads']} | {fmt_bytes(r['hwm'])} | {fmt_bytes(r['rss'])} | "
            f"{fmt_bytes(r.get('pss', 0))} | {fmt_bytes(r.get('private', 0))} |")
    say("")


def report_status(say, status):
    table(say, ["records", "held", "median", "min", "CPU (user+sys)", "instructions"],
          "`showguard status --json` at scale (10% of the shows held)")
    for n, r in status.items():
        count = f"{r['instructions']:,}" if r["instructions"] else "-"
        say(f"| {n:,} | {r['held']} | {fmt_ms(r['median'])} | {fmt_ms(r['min'])} | {fmt_ms(r['cpu'])} | {count} |")
    ns = sorted(status)
    if len(ns) >= 3:
        lo, hi = status[ns[1]], status[ns[-1]]
        span = ns[-1] - ns[1]
        say("")
        say(f"Growth ({ns[1]:,} -> {ns[-1]:,} records): {(hi['median'] - lo['median']) / span * 1e6:.1f} µs wall "
            f"(median), {(hi['cpu'] - lo['cpu']) / span * 1e6:.1f} µs CPU"
            + (f", {(hi['instructions'] - lo['instructions']) / span:,.0f} instructions"
               if hi["instructions"] and lo["instructions"] else "") + " per record: linear.")
    say("")


def report_sizes(say, sizes):
    table(say, ["build", "stripped size", "NEEDED"], "Binary size (stripped)")
    for r in sizes:
        if "skipped" in r:
            say(f"| {r['label']} | skipped: {r['skipped']} | |")
        else:
            say(f"| {r['label']} | {r['bytes'] // 1024}K ({r['bytes']} bytes) | `{' '.join(r['needed'])}` |")
    say("")


def report(cfg, m, results, load_after):
    lines = []
    say = lines.append
    say(f"Machine: {m['nproc']} CPUs ({m['cpu']}), kernel {m['kernel']}, {m['memory']} RAM; "
        f"load average {m['load']} before, {load_after} after; {m['date']}"
        f"{' (--quick)' if cfg.quick else ''}.")
    say(f"Binary: `{cfg.showguard}` (NEEDED: {' '.join(needed(cfg.showguard)) or 'none'}).")
    say("")
    parts = [("summary", lambda: summary(say, results["start"], results["handover"], results["idle"],
                                         results["status"], results["sizes"]))]
    for name, fn in (("start", report_start), ("handover", report_handover), ("idle", report_idle),
                     ("status", report_status), ("sizes", report_sizes)):
        if results[name]:
            parts.append((name, lambda fn=fn, name=name: fn(say, results[name])))
    for name, fn in parts:
        try:
            fn()
        except (KeyError, StopIteration, ValueError, ZeroDivisionError) as e:
            checks.check(False, f"report {name}: {type(e).__name__}: {e}")
            say(f"({name}: cannot report: {type(e).__name__}: {e})")
            say("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--showguard", required=True)
    parser.add_argument("--stamp", required=True)
    parser.add_argument("--poll-lock", default=os.path.join(os.path.dirname(__file__), "poll-lock.sh"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", required=True, help="directory for the report and raw data")
    parser.add_argument("--compare", action="append", default=[], metavar="LABEL=PATH",
                        help="another showguard binary to time next to the first")
    parser.add_argument("--build", action="append", default=[], metavar="LABEL=PATH[=TOOLPREFIX]",
                        help="a build whose stripped size to report")
    parser.add_argument("--sections", default="start,handover,idle,status,sizes")
    cfg = parser.parse_args()
    cfg.compare = [tuple(c.split("=", 1)) for c in cfg.compare]
    cfg.builds = [(b.split("=") + [""])[:3] for b in cfg.build]
    sections = cfg.sections.split(",")

    os.makedirs(cfg.out, exist_ok=True)
    # Locks and records on tmpfs, as /run is on a Pi.
    scratch = "/dev/shm" if os.path.isdir("/dev/shm") else None
    work = tempfile.mkdtemp(prefix="showguard-bench-", dir=scratch)
    os.chmod(work, 0o755)
    m = machine()
    results = {"machine": m, "quick": cfg.quick}
    try:
        for name, fn in (("start", bench_start), ("handover", bench_handover), ("idle", bench_idle),
                         ("status", bench_status), ("sizes", bench_sizes)):
            if name not in sections:
                results[name] = None
                continue
            try:
                results[name] = fn(cfg, work)
            except Exception as e:  # a broken section is a failed check, and the others still run
                checks.check(False, f"{name}: {type(e).__name__}: {e}")
                results[name] = None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with open("/proc/loadavg") as f:
        load_after = " ".join(f.read().split()[:3])
    text = report(cfg, m, results, load_after)
    with open(os.path.join(cfg.out, "report.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(cfg.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1, default=str)
    print(text)
    print()
    for failure in checks.failed:
        print(f"failed: {failure}")
    print(f"{checks.passed} passed, {len(checks.failed)} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
