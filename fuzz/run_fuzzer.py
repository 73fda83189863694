# SPDX-License-Identifier: GPL-2.0-or-later
"""Runs one libFuzzer target for FUZZ_SECONDS (default 20) from its committed
seed corpus, then prints what it did: executions, rate, corpus growth,
crashes. New inputs go to a scratch corpus, so the repository stays as it
is; FUZZ_MERGE=1 merges what was found back into fuzz/corpus/TARGET
(minimised), for a long run whose finds should be kept.

A crash leaves its input in FUZZ_ARTIFACTS (default build-fuzz/artifacts)
and fails the test; turn the input into a unit test in tests/unit."""

import os
import re
import shutil
import subprocess
import sys
import tempfile


def main():
    fuzzer, seeds = sys.argv[1], sys.argv[2]
    name = os.path.basename(fuzzer).removeprefix("fuzz_")
    seconds = int(os.environ.get("FUZZ_SECONDS", "20"))
    artifacts = os.path.abspath(os.environ.get(
        "FUZZ_ARTIFACTS", os.path.join(os.path.dirname(fuzzer), "..", "artifacts")))
    os.makedirs(artifacts, exist_ok=True)
    work = tempfile.mkdtemp(prefix=f"fuzz-{name}-")
    seed_count = len(os.listdir(seeds)) if os.path.isdir(seeds) else 0
    dictionary = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dict", name + ".dict")
    cmd = [fuzzer, f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=2048", "-max_len=8192",
           "-print_final_stats=1", f"-artifact_prefix={artifacts}/{name}-", work, seeds]
    if os.path.exists(dictionary):
        cmd.insert(1, f"-dict={dictionary}")
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "abort_on_error=1:detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            errors="replace")
    out = result.stdout
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", out, re.M))
    execs = int(stats.get("number_of_executed_units", 0))
    found = len(os.listdir(work))
    # A target that ran no input (it could not start, or its seeds crash at
    # once) proves nothing: it fails like a crash.
    crashed = result.returncode != 0 or execs == 0
    if crashed:
        print(out[-6000:])
    if os.environ.get("FUZZ_MERGE") == "1" and not crashed:
        subprocess.run([fuzzer, "-merge=1", "-max_len=8192", seeds, work], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
    shutil.rmtree(work, ignore_errors=True)
    rate = execs / seconds if seconds else 0
    print(f"fuzz {name}: {execs} execs in {seconds} s ({rate:.0f}/s), seed corpus {seed_count}, "
          f"new inputs {found}, peak rss {stats.get('peak_rss_mb', '?')} MB, "
          f"{'CRASH (see ' + artifacts + ')' if crashed else 'no crash'}")
    print(f"{0 if crashed else 1} passed, {1 if crashed else 0} failed")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
