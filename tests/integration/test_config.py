# SPDX-License-Identifier: GPL-2.0-or-later
"""Show configuration files: a show started by name, errors with file and line."""

import os
import subprocess

from harness import GuardTestCase, main, showguard_cmd


class ConfigTest(GuardTestCase):
    def setUp(self):
        super().setUp()
        self.config_dir = self.path("etc")
        os.makedirs(os.path.join(self.config_dir, "shows"))
        self.global_file = os.path.join(self.config_dir, "showguard.conf")
        with open(self.global_file, "w") as f:
            f.write(f"# global settings\nlock-dir = {self.lock_dir}\n")

    def write_show(self, name, text):
        path = os.path.join(self.config_dir, "shows", name + ".conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def guard_by_name(self, show, *args):
        return subprocess.run(showguard_cmd("--config", self.global_file, "--config-dir", self.config_dir,
                                            "--show", show, *args),
                              capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)

    def check_config(self, *args):
        return subprocess.run(showguard_cmd("check-config", "--config", self.global_file,
                                            "--config-dir", self.config_dir, *args),
                              capture_output=True, text=True)

    def test_show_started_from_its_config_file(self):
        workdir = self.path("work")
        os.makedirs(workdir)
        self.write_show("starcourt", f'''# the star court show
command = /bin/sh -c 'echo "args:$0:$1 cwd:$(pwd) fps:$FPS title:$TITLE"' "--title=Star Court" 40
working-directory = {workdir}
environment = FPS=40
environment = TITLE=#1 show
''')
        result = self.guard_by_name("starcourt")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"args:--title=Star Court:40 cwd:{workdir} fps:40 title:#1 show", result.stdout)
        # The lock dir came from the global file.
        self.assertTrue(os.path.exists(self.lock_path("starcourt")))

    def test_program_after_dashes_overrides_command(self):
        self.write_show("starcourt", "command = /bin/false\n")
        result = self.guard_by_name("starcourt", "--", "/bin/sh", "-c", "echo override")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("override", result.stdout)

    def test_config_errors_name_file_line_and_key(self):
        path = self.write_show("starcourt", "command = /bin/true\n\nkill-timeout = soon\n")
        result = self.guard_by_name("starcourt")
        self.assertEqual(result.returncode, 78)
        self.assertEqual(result.stderr.strip(),
                         f"showguard: error: {path}:3: invalid value 'soon' for kill-timeout; "
                         "use a number of seconds or 250ms, 30s, 5m, 1h")
        self.assertFalse(os.path.exists(self.lock_dir))

    def test_unknown_key_is_an_error(self):
        path = self.write_show("starcourt", "command = /bin/true\nrestrat = always\n")
        result = self.guard_by_name("starcourt")
        self.assertEqual(result.returncode, 78)
        self.assertIn(f"{path}:2: unknown key 'restrat'", result.stderr)

    def test_check_config_reports_every_problem(self):
        self.write_show("good", "command = /bin/true\n")
        bad = self.write_show("bad", "command = /bin/true \"oops\nrestart = sometimes\nfoo = bar\n")
        missing = self.write_show("missing", "command = /no/such/program\n")
        nouser = self.write_show("nouser", "command = /bin/true\nuser = no-such-user-xyz\n")
        result = self.check_config()
        self.assertEqual(result.returncode, 1)
        out = result.stdout
        self.assertIn(f"{self.global_file}: ok", out)
        self.assertIn(f"{os.path.join(self.config_dir, 'shows', 'good.conf')}: ok", out)
        self.assertIn(f"{bad}:1: invalid value", out)
        self.assertIn("unterminated double quote", out)
        self.assertIn(f"{bad}:2: invalid value 'sometimes' for restart", out)
        self.assertIn(f"{bad}:3: unknown key 'foo'", out)
        self.assertIn(f"{missing}:1: show program /no/such/program does not exist", out)
        self.assertIn(f"{nouser}:2: unknown user 'no-such-user-xyz'", out)
        self.assertEqual(self.check_config("good").returncode, 0)

    def test_check_config_of_an_unknown_show(self):
        result = self.check_config("nothing")
        self.assertEqual(result.returncode, 1)
        self.assertIn("nothing.conf: no such show file", result.stdout)

    def secret_outside(self):
        """A file outside the config dir that is no config file, like /etc/shadow."""
        secret = self.path("shadow")
        with open(secret, "w") as f:
            f.write("root:$y$j9T$SECRETSALT$SECRETHASH:19000:0:99999:7:::\n"
                    "show:$y$j9T$OTHERSALT$OTHERHASH:19000:0:99999:7:::\n")
        os.chmod(secret, 0o600)
        return secret

    def test_a_show_file_linked_out_of_the_config_dir_is_not_read(self):
        link = os.path.join(self.config_dir, "shows", "leak.conf")
        os.symlink(self.secret_outside(), link)
        for result, code in ((self.check_config(), 1), (self.check_config("leak"), 1),
                             (self.guard_by_name("leak", "--", "true"), 78)):
            output = result.stdout + result.stderr
            self.assertEqual(result.returncode, code, output)
            self.assertNotIn("SALT", output)
            self.assertNotIn("HASH", output)
            self.assertIn(f"config file {link} is a symlink to {self.path('shadow')}, outside {self.config_dir}",
                          output)
        self.assertFalse(os.path.exists(self.lock_dir))

    def test_a_link_within_the_config_dir_is_read(self):
        self.write_show("real", "command = /bin/sh -c 'echo linked'\n")
        os.symlink("real.conf", os.path.join(self.config_dir, "shows", "alias.conf"))
        self.assertEqual(self.check_config("alias").returncode, 0)
        result = self.guard_by_name("alias")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("linked", result.stdout)

    def test_a_line_that_is_no_setting_is_quoted_short_and_escaped(self):
        line = "\x1b[2K\x1b]0;owned\x07" + "secret-" * 40
        path = self.write_show("garbage", line + "\ncommand = /bin/true\n")
        result = self.check_config("garbage")
        self.assertEqual(result.returncode, 1)
        problem = [l for l in result.stdout.splitlines() if l.startswith(f"{path}:1:")]
        self.assertEqual(len(problem), 1, result.stdout)
        self.assertNotIn("\x1b", result.stdout)
        self.assertNotIn("\x07", result.stdout)
        self.assertIn("found '\\x1b[2K\\x1b]0;owned\\x07secret-", problem[0])
        self.assertLess(problem[0].count("secret-"), 5, problem[0])


if __name__ == "__main__":
    main()
