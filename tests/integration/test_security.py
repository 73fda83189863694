# SPDX-License-Identifier: GPL-2.0-or-later
"""Lock files are private, never followed through a symlink, and the lock
dir is never world-writable."""

import os
import pwd
import stat
import subprocess
import unittest

from harness import GuardTestCase, lock_is_held, main, wait_for, wait_held

ROOT = os.geteuid() == 0


def as_nobody(*command):
    return subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command],
                          capture_output=True, text=True)


class SecurityTest(GuardTestCase):
    def test_lock_dir_is_0755_and_lock_file_0600(self):
        old = os.umask(0)
        try:
            self.assertEqual(self.run_guard("starcourt", ["true"]).returncode, 0)
        finally:
            os.umask(old)
        self.assertEqual(stat.S_IMODE(os.stat(self.lock_dir).st_mode), 0o755)
        self.assertEqual(stat.S_IMODE(os.stat(self.lock_path("starcourt")).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(self.lock_dir, "starcourt.state")).st_mode), 0o644)

    def test_symlinked_lock_file_is_refused_and_nothing_written_through_it(self):
        os.makedirs(self.lock_dir)
        target = self.path("precious")
        with open(target, "w") as f:
            f.write("keep me\n")
        os.symlink(target, self.lock_path("starcourt"))
        result = self.run_guard("starcourt", ["touch", self.path("ran")])
        self.assertEqual(result.returncode, 73)
        self.assertIn(f"lock file {self.lock_path('starcourt')} is a symlink", result.stderr)
        self.assertEqual(open(target).read(), "keep me\n")
        self.assertFalse(os.path.exists(self.path("ran")))

    def test_dangling_symlink_is_not_created_through(self):
        os.makedirs(self.lock_dir)
        target = self.path("created-through-link")
        os.symlink(target, self.lock_path("starcourt"))
        self.assertEqual(self.run_guard("starcourt", ["true"]).returncode, 73)
        self.assertFalse(os.path.exists(target))

    def test_fifo_and_directory_lock_files_are_refused(self):
        os.makedirs(self.lock_dir)
        os.mkfifo(self.lock_path("fifo"))
        result = self.run_guard("fifo", ["true"], timeout=10)
        self.assertEqual(result.returncode, 73)
        self.assertIn("is not a regular file", result.stderr)
        os.mkdir(self.lock_path("dir"))
        result = self.run_guard("dir", ["true"])
        self.assertEqual(result.returncode, 73)
        self.assertIn("is a directory", result.stderr)

    def test_symlinked_lock_dir_is_refused(self):
        real = self.path("real")
        os.makedirs(real)
        os.symlink(real, self.lock_dir)
        result = self.run_guard("starcourt", ["true"])
        self.assertEqual(result.returncode, 73)
        self.assertIn(f"lock dir {self.lock_dir} is a symlink", result.stderr)
        self.assertEqual(os.listdir(real), [])

    def test_world_writable_lock_dir_is_refused(self):
        os.makedirs(self.lock_dir)
        os.chmod(self.lock_dir, 0o777)
        result = self.run_guard("starcourt", ["true"])
        self.assertEqual(result.returncode, 73)
        self.assertIn("writable by everyone", result.stderr)

    def test_lock_dir_that_is_a_file_is_refused(self):
        with open(self.lock_dir, "w"):
            pass
        result = self.run_guard("starcourt", ["true"])
        self.assertEqual(result.returncode, 73)
        self.assertIn("not a directory", result.stderr)

    @unittest.skipUnless(ROOT, "needs root to create files owned by another user")
    def test_lock_file_owned_by_another_user_is_refused(self):
        os.makedirs(self.lock_dir)
        with open(self.lock_path("starcourt"), "w"):
            pass
        nobody = pwd.getpwnam("nobody")
        os.chown(self.lock_path("starcourt"), nobody.pw_uid, nobody.pw_gid)
        result = self.run_guard("starcourt", ["true"])
        self.assertEqual(result.returncode, 73)
        self.assertIn(f"belongs to uid {nobody.pw_uid}", result.stderr)

    @unittest.skipUnless(ROOT, "needs root to run a root-owned show and switch to nobody")
    def test_unprivileged_user_cannot_open_or_block_a_root_lock(self):
        guard = self.start("starcourt", ["sleep", "30"])
        wait_held(self.lock_path("starcourt"))
        result = as_nobody("flock", "-n", self.lock_path("starcourt"), "true")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("Permission denied", result.stderr)
        guard.terminate()
        guard.wait()
        # Nor can nobody pre-empt the next run by locking it while it is free.
        result = as_nobody("flock", "-n", self.lock_path("starcourt"), "true")
        self.assertIn("Permission denied", result.stderr)
        self.assertEqual(self.run_guard("starcourt", ["true"]).returncode, 0)

    @unittest.skipUnless(ROOT, "needs root to switch users")
    def test_show_runs_as_user_while_guard_keeps_root(self):
        result = self.run_guard("starcourt", self.sh('echo "$(id -u) $USER $HOME"'), "--user", "nobody")
        self.assertEqual(result.returncode, 0, result.stderr)
        nobody = pwd.getpwnam("nobody")
        self.assertEqual(result.stdout.split(), [str(nobody.pw_uid), "nobody", nobody.pw_dir])
        self.assertEqual(os.stat(self.lock_path("starcourt")).st_uid, 0)

    @unittest.skipUnless(ROOT, "needs root to switch users")
    def test_show_gets_the_users_groups_and_no_others(self):
        # The guard's own groups (root's) must not leak into the show; the
        # static build reads the groups from /etc/group, not through NSS.
        result = self.run_guard("starcourt", ["id", "-G"], "--user", "nobody")
        self.assertEqual(result.returncode, 0, result.stderr)
        nobody = pwd.getpwnam("nobody")
        self.assertEqual(sorted(result.stdout.split()),
                         sorted({str(g) for g in os.getgrouplist("nobody", nobody.pw_gid)}))

    @unittest.skipUnless(ROOT, "needs root to switch groups")
    def test_show_runs_with_group(self):
        result = self.run_guard("starcourt", ["id", "-g"], "--group", "nogroup")
        self.assertEqual(result.returncode, 0, result.stderr)
        import grp
        self.assertEqual(result.stdout.strip(), str(grp.getgrnam("nogroup").gr_gid))


class EnvironmentTest(GuardTestCase):
    def test_show_environment_and_stdio(self):
        env = dict(os.environ, NOTIFY_SOCKET="/run/x", WATCHDOG_USEC="1000", KEEP="yes")
        result = self.run_guard("starcourt", self.sh(
            'echo "show=$SHOWGUARD_SHOW notify=${NOTIFY_SOCKET-unset} wd=${WATCHDOG_USEC-unset} keep=$KEEP"; '
            'read line; echo "in=$line"; echo err >&2'), input="hello\n", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("show=starcourt notify=unset wd=unset keep=yes", result.stdout)
        self.assertIn("in=hello", result.stdout)
        self.assertIn("err", result.stderr)


if __name__ == "__main__":
    main()
