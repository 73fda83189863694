# SPDX-License-Identifier: GPL-2.0-or-later
"""The exit-status contract, with a one-line message naming the thing."""

import glob
import os
import signal
import subprocess

from harness import EMULATOR, GuardTestCase, lock_is_held, main, showguard_cmd


class ExitStatusTest(GuardTestCase):
    def assert_one_line(self, stderr, *fragments):
        lines = stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])

    def test_show_status_passes_through(self):
        self.assertEqual(self.run_guard("starcourt", self.sh("exit 3")).returncode, 3)
        self.assertEqual(self.run_guard("starcourt", ["true"]).returncode, 0)

    def test_death_by_signal_gives_128_plus_n(self):
        result = self.run_guard("starcourt", self.sh("kill -USR1 $$"))
        self.assertEqual(result.returncode, 128 + signal.SIGUSR1)
        self.assertIn("killed by signal 10 (SIGUSR1)", result.stderr)

    def test_missing_program_is_127_and_locks_nothing(self):
        result = self.run_guard("starcourt", [self.path("no-such-show")])
        self.assertEqual(result.returncode, 127)
        self.assert_one_line(result.stderr, self.path("no-such-show"), "does not exist")
        self.assertFalse(os.path.exists(self.lock_dir))

    def test_program_not_in_path_is_127(self):
        result = self.run_guard("starcourt", ["no-such-show-program"])
        self.assertEqual(result.returncode, 127)
        self.assert_one_line(result.stderr, "no-such-show-program", "not found in PATH")

    def test_not_executable_is_126(self):
        script = self.path("run")
        with open(script, "w") as f:
            f.write("#!/bin/sh\necho hi\n")
        os.chmod(script, 0o644)
        result = self.run_guard("starcourt", [script])
        self.assertEqual(result.returncode, 126)
        self.assert_one_line(result.stderr, script, "not executable")

    def test_directory_is_126(self):
        result = self.run_guard("starcourt", [self.tmp])
        self.assertEqual(result.returncode, 126)
        self.assert_one_line(result.stderr, self.tmp, "is a directory")

    def test_bad_interpreter_is_126_from_exec(self):
        # The program exists (the guard's checks pass) but execve() fails with
        # ENOENT for its missing interpreter: found, cannot be executed, 126.
        script = self.path("run")
        with open(script, "w") as f:
            f.write("#!/nonexistent/interpreter\n")
        os.chmod(script, 0o755)
        result = self.run_guard("starcourt", [script])
        self.assertEqual(result.returncode, 126, result.stderr)
        self.assertIn(f"cannot execute {script}: its interpreter (#! line) or loader does not exist", result.stderr)
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))

    def test_program_gone_before_a_restart_is_127_from_exec(self):
        # The first run deletes its own program; the restart's execve() then
        # fails with ENOENT for the program itself: not found, 127, no retry.
        script, runs = self.path("run"), self.path("runs")
        with open(script, "w") as f:
            f.write(f"#!/bin/sh\necho run >> {runs}\nrm -- \"$0\"\n")
        os.chmod(script, 0o755)
        result = self.run_guard("starcourt", [script], "--restart", "always", "--restart-delay", "10ms",
                                "--restart-limit", "5")
        self.assertEqual(result.returncode, 127, result.stderr)
        self.assertIn(f"cannot execute {script}: No such file or directory", result.stderr)
        self.assertEqual(open(runs).read().split(), ["run"])
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))

    def test_etcd_backend_without_libcurl_is_69(self):
        # libcurl made unloadable for one guard only: in a mount namespace an
        # empty file is bound over every libcurl.so.4 of the machine. Canary:
        # the same command without that reaches libcurl and fails (69 too) on
        # the cluster that is not there, naming the endpoint.
        if EMULATOR:
            self.skipTest("the emulated builds find libcurl in their own root (and the static one has no "
                          "backend: its own test); the native build proves this")
        if os.geteuid() != 0:
            self.skipTest("needs root for a mount namespace")
        libraries = sorted({os.path.realpath(p) for p in glob.glob("/usr/lib/*/libcurl.so.4") +
                            glob.glob("/lib/*/libcurl.so.4") + glob.glob("/usr/lib/libcurl.so.4")})
        self.assertTrue(libraries, "no libcurl.so.4 on this machine to hide")
        empty = self.path("empty")
        open(empty, "w").close()
        endpoint = "http://127.0.0.1:9"
        guard = showguard_cmd("--show", "starcourt", "--lock-dir", self.lock_dir, "--lock-backend", "etcd",
                              "--etcd-endpoints", endpoint, "--", "touch", self.path("ran"))
        hide = " && ".join(f"mount --bind {empty} {lib}" for lib in libraries)
        result = subprocess.run(["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                                 f'{hide} && exec "$@"', "sh", *guard],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 69, result.stderr)
        self.assert_one_line(result.stderr, "the etcd backend needs libcurl.so.4 (",
                             "install the libcurl4 package")
        self.assertFalse(os.path.exists(self.path("ran")))
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))
        canary = subprocess.run(guard, capture_output=True, text=True, timeout=60)
        self.assertEqual(canary.returncode, 69, canary.stderr)
        self.assertNotIn("libcurl", canary.stderr)
        self.assertIn("127.0.0.1:9", canary.stderr)

    def test_usage_errors_are_64_and_create_nothing(self):
        cases = [
            (["--show", "../etc", "--", "true"], "invalid show name '../etc'"),
            (["--show", "", "--", "true"], "invalid show name '': is empty"),
            (["--show", "-x", "--", "true"], "must not start with '-'"),
            (["--show", "a" * 65, "--", "true"], "longer than 64"),
            (["--show", "bad\x01name", "--", "true"], "bad\\x01name"),
            (["--show", "caf\u00e9", "--", "true"], "caf\\xc3\\xa9"),
            (["--show", "x", "--wait=5x", "--", "true"], "invalid value '5x' for --wait"),
            (["--show", "x", "--kill-timeout", "-1s", "--", "true"], "invalid value '-1s' for --kill-timeout"),
            (["--show", "x", "--restart", "sometimes", "--", "true"], "--restart"),
            (["--show", "x", "--restart-limit", "x", "--", "true"], "--restart-limit"),
            (["--show", "x", "--conflict-exit-code", "256", "--", "true"], "--conflict-exit-code"),
            (["--show", "x", "--resource", "a/b", "--", "true"], "invalid value 'a/b' for --resource; a resource name contains '/'"),
            (["--show", "x", "--log-level", "loud", "--", "true"], "--log-level"),
            (["--show", "x", "--bogus", "--", "true"], "unrecognised option '--bogus'"),
            (["--show", "x"], "missing the show's program"),
            (["--", "true"], "missing --show"),
        ]
        for args, fragment in cases:
            with self.subTest(args=args):
                result = subprocess.run(showguard_cmd("--lock-dir", self.lock_dir, *args),
                                        capture_output=True, text=True)
                self.assertEqual(result.returncode, 64, result.stderr)
                self.assert_one_line(result.stderr, fragment)
                self.assertFalse(os.path.exists(self.lock_dir))

    def test_unknown_user_and_group_are_67(self):
        result = self.run_guard("starcourt", ["true"], "--user", "no-such-user-xyz")
        self.assertEqual(result.returncode, 67)
        self.assert_one_line(result.stderr, "unknown user 'no-such-user-xyz'")
        result = self.run_guard("starcourt", ["true"], "--group", "no-such-group-xyz")
        self.assertEqual(result.returncode, 67)
        self.assert_one_line(result.stderr, "unknown group 'no-such-group-xyz'")
        self.assertFalse(os.path.exists(self.lock_dir))

    def test_help_and_version_go_to_stdout(self):
        result = subprocess.run(showguard_cmd("--help"), capture_output=True, text=True)
        self.assertEqual(result.returncode, 0)
        self.assertIn("Usage: showguard --show NAME", result.stdout)
        self.assertIn("Exit status:", result.stdout)
        self.assertEqual(result.stderr, "")
        result = subprocess.run(showguard_cmd("--version"), capture_output=True, text=True)
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"^showguard \d+\.\d+\.\d+\n$")


if __name__ == "__main__":
    main()
