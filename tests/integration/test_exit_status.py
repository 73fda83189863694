# SPDX-License-Identifier: GPL-2.0-or-later
"""The exit-status contract, with a one-line message naming the thing."""

import os
import signal
import subprocess

from harness import GuardTestCase, main, showguard_cmd


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
        script = self.path("run")
        with open(script, "w") as f:
            f.write("#!/nonexistent/interpreter\n")
        os.chmod(script, 0o755)
        result = self.run_guard("starcourt", [script])
        self.assertEqual(result.returncode, 127)
        self.assertIn(f"cannot execute {script}", result.stderr)

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
