# SPDX-License-Identifier: GPL-2.0-or-later
"""The status LED belongs to the show's lock: on while a guard holds it, blinking
while the show starts, waits to restart or stops, off on every exit path, never
touched by a guard that does not hold the lock. Driven here through --led sysfs:DIR
with DIR laid out like /sys/class/leds/X (brightness, max_brightness, trigger), and
through the simulated --led term."""

import glob
import os
import shutil
import signal
import subprocess
import time

from harness import EMULATOR, SHOWGUARD, WRAPPER, GuardTestCase, SLOW, lock_is_held, main, measures_cost, showguard_cmd, wait_for, proc_status

MAX = "255"


def slurp(path):
    with open(path) as f:
        return f.read()


class LedTestCase(GuardTestCase):
    def setUp(self):
        super().setUp()
        self.led = self.make_led("ACT")

    def make_led(self, name, brightness="0", trigger="none rc-feedback [mmc0] timer heartbeat"):
        path = self.path("leds", name)
        os.makedirs(path)
        for attr, value in (("brightness", brightness), ("max_brightness", MAX), ("trigger", trigger)):
            with open(os.path.join(path, attr), "w") as f:
                f.write(value + "\n")
        return path

    def read(self, attr, led=None):
        """An attribute's value. The guard rewrites the file (open with O_TRUNC, then
        write), so an empty read is the moment between the two: read again."""
        path = os.path.join(led or self.led, attr)
        for _ in range(int(100 * SLOW)):
            with open(path) as f:
                value = f.read().strip()
            if value:
                return value
            time.sleep(0.002)
        raise AssertionError(f"{path} stays empty")

    def brightness(self, led=None):
        return self.read("brightness", led)

    def wait_brightness(self, value, led=None, timeout=10.0):
        wait_for(lambda: self.brightness(led) == value, timeout,
                 message=f"brightness {value} in {led or self.led}")

    def sample(self, seconds, led=None):
        """Brightness values seen over `seconds`, consecutive repeats folded."""
        seen = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            value = self.brightness(led)
            if not seen or seen[-1] != value:
                seen.append(value)
            time.sleep(0.005)
        return seen

    def phases(self, seconds, led=None):
        """The LED's lit and dark phases over `seconds`, timed by the kernel:
        each write of the brightness file stamps its mtime, so a phase lasts
        from one write's stamp to the next, whenever this test looks.
        Returns {value: [seconds, ...]} of the whole phases seen."""
        path = os.path.join(led or self.led, "brightness")
        writes = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            stamp = os.stat(path).st_mtime_ns
            value = self.brightness(led)
            if value and (not writes or writes[-1][0] != stamp) and (not writes or writes[-1][1] != value):
                writes.append((stamp, value))
            time.sleep(0.003)
        phases = {}
        for (t0, value), (t1, _) in zip(writes[1:], writes[2:]):  # the first phase was cut by the start
            phases.setdefault(value, []).append((t1 - t0) / 1e9)
        return phases

    def assert_pattern(self, phases, lit, dark):
        """Median lit and dark phases within (low, high) seconds each; at
        least two of each, so a steady LED or a single change fails."""
        for value, (low, high) in ((MAX, lit), ("0", dark)):
            seen = sorted(phases.get(value, []))
            self.assertGreaterEqual(len(seen), 2, f"phases {phases}")
            median = seen[len(seen) // 2]
            self.assertTrue(low <= median <= high,
                            f"{'lit' if value == MAX else 'dark'} phases {seen}: median {median:.3f} s "
                            f"outside {low}..{high} s")

    def waiting_show(self, exit_code=0):
        """A show that says it runs, then waits for the file 'go' and exits."""
        return self.sh(f"echo $$ > {self.path('pid')}; "
                       f"while [ ! -e {self.path('go')} ]; do sleep 0.02; done; exit {exit_code}")

    def go(self):
        open(self.path("go"), "w").close()

    def led_option(self, led=None):
        return ["--led", f"sysfs:{led or self.led}"]

    def snapshot(self, led):
        return {attr: (slurp(os.path.join(led, attr)), os.stat(os.path.join(led, attr)).st_mtime_ns)
                for attr in ("brightness", "max_brightness", "trigger")}


class LedTest(LedTestCase):
    def test_on_while_the_show_holds_the_lock_and_off_after_sigterm(self):
        guard = self.start("starcourt", self.sh(f"echo $$ > {self.path('pid')}; exec sleep 30"), *self.led_option())
        self.wait_file("pid")
        self.wait_brightness(MAX)
        self.assertTrue(lock_is_held(self.lock_path("starcourt")))
        # The kernel's own trigger (mmc0 on the ACT LED) is switched off.
        self.assertEqual(self.read("trigger"), "none")
        # Steady while running.
        self.assertEqual(self.sample(0.5), [MAX])
        guard.terminate()
        code, _, err = self.finish(guard)
        self.assertEqual(code, 143, err)
        self.assertEqual(self.brightness(), "0")
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))

    def test_the_show_does_not_inherit_the_led(self):
        # Else a show outliving a SIGKILLed guard would keep the LED (a GPIO line
        # request) for itself.
        result = self.run_guard("starcourt", self.sh("ls -l /proc/$$/fd"), *self.led_option())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn(self.led, result.stdout)
        self.assertIn(self.lock_path("starcourt"), result.stdout)  # the one deliberate leak

    def test_off_after_a_clean_exit(self):
        guard = self.start("starcourt", self.waiting_show(0), *self.led_option())
        self.wait_brightness(MAX)
        self.go()
        code, _, err = self.finish(guard)
        self.assertEqual(code, 0, err)
        self.assertEqual(self.brightness(), "0")

    def test_off_after_a_show_failure(self):
        guard = self.start("starcourt", self.waiting_show(3), *self.led_option())
        self.wait_brightness(MAX)
        self.go()
        code, _, err = self.finish(guard)
        self.assertEqual(code, 3, err)
        self.assertEqual(self.brightness(), "0")

    def test_off_when_the_program_cannot_be_executed(self):
        script = self.path("run")
        with open(script, "w") as f:
            f.write("#!/no/such/interpreter\n")
        os.chmod(script, 0o755)
        result = self.run_guard("starcourt", [script], *self.led_option())
        self.assertIn(result.returncode, (126, 127), result.stderr)
        self.assertEqual(self.brightness(), "0")

    def test_a_refused_guard_never_touches_the_led(self):
        guard = self.start("starcourt", self.sh(f"echo $$ > {self.path('pid')}; exec sleep 30"), *self.led_option())
        self.wait_brightness(MAX)
        # Sentinel values a guard would change: a kernel trigger and an odd brightness.
        other = self.make_led("other", brightness="7", trigger="none [heartbeat]")
        before = self.snapshot(other)
        time.sleep(0.02)
        result = self.run_guard("starcourt", ["true"], *self.led_option(other))
        self.assertEqual(result.returncode, 75, result.stderr)
        self.assertEqual(self.snapshot(other), before)
        # Nor does it touch the holder's LED.
        self.assertEqual(self.brightness(), MAX)
        guard.terminate()
        self.finish(guard)

    def test_a_waiting_guard_touches_the_led_only_once_it_holds_the_lock(self):
        first = self.start("starcourt", self.waiting_show(0), *self.led_option())
        self.wait_brightness(MAX)
        other = self.make_led("other", brightness="7", trigger="none [heartbeat]")
        before = self.snapshot(other)
        second = self.start("starcourt", self.sh(f"echo second > {self.path('second')}; exec sleep 30"),
                            "--wait", *self.led_option(other))
        wait_for(lambda: os.path.exists(os.path.join(self.lock_dir, "starcourt.state")))
        time.sleep(0.5 * SLOW)
        self.assertIsNone(second.poll())
        self.assertEqual(self.snapshot(other), before)
        self.go()
        self.assertEqual(self.finish(first)[0], 0)
        self.assertEqual(self.brightness(), "0")
        self.wait_file("second")
        self.wait_brightness(MAX, led=other)
        self.assertEqual(self.read("trigger", other), "none")
        second.terminate()
        self.assertEqual(self.finish(second)[0], 143)
        self.assertEqual(self.brightness(other), "0")

    def test_slow_blink_while_waiting_to_restart(self):
        guard = self.start("starcourt", self.sh(f"echo run >> {self.path('runs')}; exit 1"),
                           "--restart", "on-failure", "--restart-delay", "30s", *self.led_option())
        wait_for(lambda: os.path.exists(os.path.join(self.lock_dir, "starcourt.state")) and
                 "state=restarting" in slurp(os.path.join(self.lock_dir, "starcourt.state")),
                 message="the restart delay")
        # 500 ms lit, 500 ms dark, as the kernel timed the writes: the fast
        # blink (100 ms) or a steady LED fails.
        self.assert_pattern(self.phases(3.5 * SLOW), lit=(0.35, 0.5 + 0.25 * SLOW), dark=(0.35, 0.5 + 0.25 * SLOW))
        guard.terminate()
        code, _, err = self.finish(guard)
        self.assertEqual(code, 143, err)
        self.assertEqual(self.brightness(), "0")

    def test_short_flashes_while_stopping(self):
        # The show ignores SIGTERM, so the guard waits out --kill-timeout.
        guard = self.start("starcourt", self.sh(f"trap '' TERM; echo $$ > {self.path('pid')}; "
                                                "while :; do sleep 0.05; done"),
                           "--kill-timeout", "5s", *self.led_option())
        self.wait_file("pid")
        self.wait_brightness(MAX)
        guard.terminate()
        # Count from the first dark moment on: how long a slow (instrumented)
        # guard takes to take the signal in is not part of the pattern.
        wait_for(lambda: self.brightness() != MAX, message="the LED leaving steady on")
        # 200 ms lit in every second, as the kernel timed the writes: short
        # flashes, neither a blink nor steady.
        self.assert_pattern(self.phases(3.8), lit=(0.1, 0.2 + 0.15 * SLOW), dark=(0.6, 0.8 + 0.3 * SLOW))
        code, _, err = self.finish(guard)
        self.assertEqual(code, 128 + signal.SIGKILL, err)
        self.assertEqual(self.brightness(), "0")

    def test_active_low(self):
        led = self.make_led("low", brightness="0")
        guard = self.start("starcourt", self.waiting_show(0), *self.led_option(led), "--led-active-low")
        self.wait_file("pid")
        self.wait_brightness("0", led)
        # Off, for an active-low LED, is full brightness on the line.
        wait_for(lambda: self.sample(0.3, led) == ["0"], message="a steady active-low LED")
        self.go()
        self.assertEqual(self.finish(guard)[0], 0)
        self.assertEqual(self.brightness(led), MAX)

    def test_required_led_that_cannot_be_driven_is_69_and_the_show_never_starts(self):
        missing = self.path("leds", "missing")
        result = self.run_guard("starcourt", self.sh(f"touch {self.path('started')}"),
                                "--led", f"sysfs:{missing}", "--led-required")
        self.assertEqual(result.returncode, 69, result.stderr)
        self.assertIn(f"required LED sysfs:{missing} cannot be driven: no LED-class device {missing}",
                      result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertFalse(os.path.exists(self.path("started")))
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))
        # The lock was taken (the LED belongs to it) and let go: the next guard gets it.
        self.assertEqual(self.run_guard("starcourt", ["true"]).returncode, 0)

    def test_required_led_without_permission(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to drop to another user")
        led = self.make_led("root-only")
        os.chmod(os.path.join(led, "brightness"), 0o600)
        os.chmod(os.path.join(led, "trigger"), 0o600)
        lock_dir = self.path("nobody-locks")
        os.makedirs(lock_dir)
        os.chown(lock_dir, 65534, 65534)
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
               *showguard_cmd("--show", "starcourt", "--lock-dir", lock_dir, "--led", f"sysfs:{led}",
                              "--led-required", "--", "touch", self.path("started"))]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=30 * SLOW)
        self.assertEqual(result.returncode, 69, result.stderr)
        self.assertIn("Permission denied", result.stderr)
        self.assertFalse(os.path.exists(self.path("started")))

    def test_an_led_that_cannot_be_driven_is_a_warning_and_the_show_runs(self):
        missing = self.path("leds", "missing")
        result = self.run_guard("starcourt", self.sh(f"touch {self.path('started')}"), "--led", f"sysfs:{missing}")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"showguard: warning: show starcourt: LED sysfs:{missing} cannot be driven: "
                      f"no LED-class device {missing}", result.stderr)
        self.assertIn("the show runs without it", result.stderr)
        self.assertTrue(os.path.exists(self.path("started")))

    def test_attribute_symlinks_are_refused_but_the_class_link_is_followed(self):
        # /sys/class/leds/ACT is itself a symlink to the device: that one is followed.
        link = self.path("leds", "link")
        os.symlink(self.led, link)
        result = self.run_guard("starcourt", ["true"], "--led", f"sysfs:{link}", "--led-required")
        self.assertEqual(result.returncode, 0, result.stderr)
        # An attribute that is a symlink is not.
        planted = self.make_led("planted")
        os.rename(os.path.join(planted, "brightness"), self.path("elsewhere"))
        os.symlink(self.path("elsewhere"), os.path.join(planted, "brightness"))
        result = self.run_guard("starcourt", ["true"], *self.led_option(planted), "--led-required")
        self.assertEqual(result.returncode, 69, result.stderr)
        self.assertIn(f"{planted}/brightness is a symlink", result.stderr)
        self.assertEqual(slurp(self.path("elsewhere")).strip(), "0")

    def test_led_reset_turns_it_off_after_a_sigkilled_guard(self):
        guard = self.start("starcourt", self.sh(f"echo $$ > {self.path('pid')}; exec sleep 30"), *self.led_option())
        self.wait_file("pid")
        self.wait_brightness(MAX)
        guard.kill()
        self.finish(guard)
        # The show got SIGTERM (PR_SET_PDEATHSIG) and its exit frees the lock;
        # the LED, though, stays as the killed guard left it.
        wait_for(lambda: not lock_is_held(self.lock_path("starcourt")), message="the lock to be free")
        self.assertEqual(self.brightness(), MAX)
        result = subprocess.run(showguard_cmd("led-reset", "--show", "starcourt", "--lock-dir", self.lock_dir,
                                              *self.led_option()), capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.brightness(), "0")
        self.assertIn(f"show starcourt: LED {self.led} is off", result.stderr)
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))

    def test_led_reset_leaves_a_running_shows_led_alone(self):
        guard = self.start("starcourt", self.sh(f"echo $$ > {self.path('pid')}; exec sleep 30"), *self.led_option())
        self.wait_brightness(MAX)
        result = subprocess.run(showguard_cmd("led-reset", "--show", "starcourt", "--lock-dir", self.lock_dir,
                                              *self.led_option()), capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("show starcourt is running (held by guard pid", result.stderr)
        self.assertIn("its guard owns the LED", result.stderr)
        self.assertEqual(self.sample(0.3), [MAX])
        guard.terminate()
        self.finish(guard)

    def test_led_reset_of_a_required_led_that_cannot_be_driven(self):
        missing = self.path("leds", "missing")
        args = ["led-reset", "--show", "starcourt", "--lock-dir", self.lock_dir, "--led", f"sysfs:{missing}"]
        result = subprocess.run(showguard_cmd(*args), capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("warning:", result.stderr)
        result = subprocess.run(showguard_cmd(*args, "--led-required"), capture_output=True, text=True)
        self.assertEqual(result.returncode, 69, result.stderr)
        self.assertFalse(lock_is_held(self.lock_path("starcourt")))

    def test_the_led_from_the_show_file_and_a_board(self):
        config_dir = self.path("etc")
        boards = self.path("boards")
        os.makedirs(os.path.join(config_dir, "shows"))
        os.makedirs(boards)
        with open(os.path.join(boards, "rig.conf"), "w") as f:
            f.write(f"# a test rig\ndescription = Test rig\nled = sysfs:{self.led}\n")
        with open(os.path.join(config_dir, "shows", "starcourt.conf"), "w") as f:
            f.write(f"command = /bin/sh -c 'echo $$ > {self.path('pid')}; exec sleep 30'\n"
                    f"board = rig\nlock-dir = {self.lock_dir}\n")
        env = dict(os.environ, SHOWGUARD_BOARDS_DIR=boards)
        guard = subprocess.Popen(showguard_cmd("--config", "/dev/null", "--config-dir", config_dir,
                                               "--show", "starcourt"),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=env)
        self.procs.append(guard)
        self.wait_file("pid")
        self.wait_brightness(MAX)
        # led-reset finds the same LED through the show file; ExecStopPost gives only the name.
        guard.terminate()
        self.finish(guard)
        with open(os.path.join(self.led, "brightness"), "w") as f:
            f.write(MAX + "\n")
        result = subprocess.run(showguard_cmd("led-reset", "--config", "/dev/null", "--config-dir", config_dir,
                                              "--show", "starcourt"), capture_output=True, text=True, env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.brightness(), "0")

    def test_check_config_checks_led_settings_and_boards(self):
        config_dir = self.path("etc")
        boards = self.path("boards")
        os.makedirs(os.path.join(config_dir, "shows"))
        os.makedirs(boards)
        with open(os.path.join(boards, "broken.conf"), "w") as f:
            f.write("description = broken\nled = gpio:\n")
        shows = {"good": "board = pi5\nled-required = yes\n",
                 "noboard": "board = pi9\n",
                 "broken": "board = broken\n",
                 "badled": "led = GPIO17\nled-active-low = perhaps\n"}
        for name, text in shows.items():
            with open(os.path.join(config_dir, "shows", name + ".conf"), "w") as f:
                f.write("command = /bin/true\n" + text)
        env = dict(os.environ, SHOWGUARD_BOARDS_DIR=boards)
        result = subprocess.run(showguard_cmd("check-config", "--config", "/dev/null", "--config-dir", config_dir),
                                capture_output=True, text=True, env=env)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        shows_dir = os.path.join(config_dir, "shows")
        self.assertIn(f"{shows_dir}/good.conf: ok", result.stdout)
        self.assertIn(f"{shows_dir}/noboard.conf:2: no board definition 'pi9'", result.stdout)
        self.assertIn(f"{boards}/broken.conf:2: invalid value 'gpio:' for led", result.stdout)
        self.assertIn(f"{shows_dir}/badled.conf:2: invalid value 'GPIO17' for led", result.stdout)
        self.assertIn(f"{shows_dir}/badled.conf:3: invalid value 'perhaps' for led-active-low", result.stdout)

    def test_bad_led_options_fail_before_any_lock(self):
        result = self.run_guard("starcourt", ["true"], "--led", "GPIO17")
        self.assertEqual(result.returncode, 64)
        self.assertIn("invalid value 'GPIO17' for --led", result.stderr)
        result = self.run_guard("starcourt", ["true"], "--board", "no-such-board")
        self.assertEqual(result.returncode, 78)
        self.assertIn("no board definition 'no-such-board'", result.stderr)
        broken = self.path("broken.conf")
        with open(broken, "w") as f:
            f.write("description = broken\nled = gpio:\n")
        result = self.run_guard("starcourt", ["true"], "--board-file", broken)
        self.assertEqual(result.returncode, 78)
        self.assertIn(f"{broken}:2: invalid value 'gpio:' for led", result.stderr)
        self.assertFalse(os.path.exists(self.lock_dir))

    @measures_cost
    def test_a_steady_led_costs_no_wakeups(self):
        guard = self.start("starcourt", self.sh(f"echo $$ > {self.path('pid')}; exec sleep 30"), *self.led_option())
        self.wait_file("pid")
        self.wait_brightness(MAX)
        time.sleep(0.5)
        before = proc_status(guard.pid)
        time.sleep(3)
        after = proc_status(guard.pid)
        woke = sum(int(after[k]) - int(before[k]) for k in ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"))
        self.assertEqual(woke, 0)
        self.assertEqual(after["Threads"], "1")
        guard.terminate()
        self.finish(guard)


class TermLedTest(LedTestCase):
    def led_lines(self, stderr):
        return [line for line in stderr.splitlines() if line.startswith("showguard: LED starcourt: ")]

    def test_state_changes_on_the_terminal_without_spam(self):
        result = self.run_guard("starcourt", self.sh(f"echo run >> {self.path('runs')}; sleep 0.3; exit 1"),
                                "--led", "term", "--restart", "on-failure", "--restart-delay", "2s",
                                "--restart-limit", "1")
        self.assertEqual(result.returncode, 1, result.stderr)
        lines = [line.split(": ", 2)[2] for line in self.led_lines(result.stderr)]
        self.assertEqual(lines, [
            "◐ starting (fast blink: 100ms on, 100ms off)",
            "● on",
            "◐ restarting (slow blink: 500ms on, 500ms off)",
            "◐ starting (fast blink: 100ms on, 100ms off)",
            "● on",
            "○ off",
        ], result.stderr)

    def test_stopping_pattern_and_every_toggle_at_debug_level(self):
        guard = self.start("starcourt", self.sh(f"trap '' TERM; echo $$ > {self.path('pid')}; "
                                                "while :; do sleep 0.05; done"),
                           "--led", "term", "--kill-timeout", "1500ms", "--log-level", "debug")
        self.wait_file("pid")
        time.sleep(0.2)
        guard.terminate()
        code, _, err = self.finish(guard)
        self.assertEqual(code, 137, err)
        lines = [line.split(": ", 2)[2] for line in self.led_lines(err)]
        self.assertIn("◐ stopping (short flashes: 200ms on, 800ms off)", lines)
        after = lines[lines.index("◐ stopping (short flashes: 200ms on, 800ms off)") + 1:]
        # Toggles during the 1.5 s of stopping: lit/dark pairs, then off.
        self.assertGreaterEqual(after.count("● on"), 1, lines)
        self.assertEqual(after[-1], "○ off")

    def test_simulated_led_prints_whatever_the_log_level(self):
        result = self.run_guard("starcourt", ["true"], "--led", "term", "--log-level", "error")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("showguard: LED starcourt: ● on", result.stderr)
        self.assertTrue(result.stderr.rstrip().endswith("showguard: LED starcourt: ○ off"), result.stderr)


class LedCommandsTest(LedTestCase):
    def command(self, *args, env=None):
        return subprocess.run(showguard_cmd(*args), capture_output=True, text=True, timeout=60 * SLOW,
                              env=env, stdin=subprocess.DEVNULL)

    def test_boards_lists_the_shipped_boards(self):
        env = {k: v for k, v in os.environ.items() if k != "SHOWGUARD_BOARDS_DIR"}
        result = self.command("boards", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["NAME", "LED", "GPIO", "CHIP", "DESCRIPTION"])
        rows = {line[2:].split()[0]: line[2:].split(None, 3) for line in lines[1:] if not line.startswith("* this")}
        self.assertEqual(sorted(rows), ["cm4", "generic", "pi1bplus", "pi3b", "pi400", "pi4b", "pi5", "zero", "zero2w",
                                        "zerow"])
        self.assertEqual(rows["pi5"][1:3], ["gpio:GPIO17", "pinctrl-rp1"])
        self.assertEqual(rows["pi4b"][1:3], ["gpio:GPIO17", "pinctrl-bcm2711"])
        self.assertEqual(rows["pi3b"][1:3], ["gpio:GPIO17", "pinctrl-bcm2835"])
        self.assertEqual(rows["zerow"][1:3], ["gpio:GPIO17", "pinctrl-bcm2835"])
        self.assertEqual(rows["generic"][1:3], ["gpio:GPIO17", "any"])
        self.assertEqual(rows["pi5"][3], "Raspberry Pi 5")

    def copied_program(self, boards=()):
        """A copy of the program in PREFIX/bin, as an installed one, with (name, text) board files
        in PREFIX/share/showguard/boards; returns the copy and that directory."""
        prefix = self.path("prefix")
        board_dir = os.path.join(prefix, "share", "showguard", "boards")
        os.makedirs(os.path.join(prefix, "bin"))
        os.makedirs(board_dir)
        for name, text in boards:
            with open(os.path.join(board_dir, name + ".conf"), "w") as f:
                f.write(text)
        program = os.path.join(prefix, "bin", "showguard")
        shutil.copy2(shutil.which(SHOWGUARD) or SHOWGUARD, program)
        return program, board_dir

    def run_copy(self, program, *args):
        empty = self.path("no-boards")
        os.makedirs(empty, exist_ok=True)
        return subprocess.run(EMULATOR + WRAPPER + [program, *args], capture_output=True, text=True,
                              timeout=60 * SLOW, env=dict(os.environ, SHOWGUARD_BOARDS_DIR=empty),
                              stdin=subprocess.DEVNULL)

    def test_boards_beside_the_program_wherever_it_is(self):
        program, _ = self.copied_program([("rig", "description = Beside the program\nled = gpio:GPIO5\n")])
        result = self.run_copy(program, "boards")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Beside the program", result.stdout)
        self.assertIn("gpio:GPIO5", result.stdout)
        # Not the build tree's boards: the program carries no path of this tree.
        self.assertNotIn("pi4b", result.stdout)

    def test_no_board_definitions_is_exit_72(self):
        installed = [d for d in ("/usr/share/showguard/boards", "/usr/local/share/showguard/boards")
                     if glob.glob(os.path.join(d, "*.conf"))]
        if installed:
            self.skipTest(f"this machine has installed board files ({installed[0]}), which the program also reads")
        program, board_dir = self.copied_program()
        result = self.run_copy(program, "boards")
        self.assertEqual(result.returncode, 72, result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertEqual(len(result.stderr.splitlines()), 1, result.stderr)
        self.assertIn(f"no board definitions in {self.path('no-boards')}, {board_dir}", result.stderr)

    def test_boards_from_the_environment_and_a_broken_one(self):
        boards = self.path("boards")
        os.makedirs(boards)
        with open(os.path.join(boards, "pi5.conf"), "w") as f:
            f.write("description = our own Pi 5\nled = gpio:GPIO27\ngpio-chip = pinctrl-rp1\n")
        with open(os.path.join(boards, "bad.conf"), "w") as f:
            f.write("description = bad\nled = blue\n")
        result = self.command("boards", env=dict(os.environ, SHOWGUARD_BOARDS_DIR=boards))
        self.assertEqual(result.returncode, 78)
        self.assertIn("our own Pi 5", result.stdout)
        self.assertIn("gpio:GPIO27", result.stdout)
        self.assertIn("pi4b", result.stdout)  # the shipped ones still follow
        self.assertIn(f"{boards}/bad.conf:2: invalid value 'blue' for led", result.stderr)

    def test_led_test_walks_the_patterns_and_reports_what_it_found(self):
        proc = subprocess.Popen(showguard_cmd("led-test", *self.led_option(), "--step", "600ms"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        seen = self.sample(2.0)
        out, err = proc.communicate(timeout=30 * SLOW)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn(f"LED: sysfs:{self.led}", out)
        self.assertIn(f"found: LED-class device {self.led}, max_brightness 255, brightness 0, trigger mmc0", out)
        for pattern in ("on", "starting    100ms on, 100ms off", "restarting  500ms on, 500ms off",
                        "stopping    200ms on, 800ms off", "off"):
            self.assertIn("  " + pattern + "\n", out)
        self.assertTrue(out.endswith("done: the LED is off\n"), out)
        self.assertGreater(len(seen), 4, seen)
        self.assertEqual(self.brightness(), "0")

    def test_led_test_says_why_it_cannot_drive_the_led(self):
        missing = self.path("leds", "missing")
        result = self.command("led-test", "--led", f"sysfs:{missing}")
        self.assertEqual(result.returncode, 69)
        self.assertIn(f"LED sysfs:{missing} cannot be driven: no LED-class device {missing}", result.stderr)
        if not any(name.startswith("gpiochip") for name in os.listdir("/dev")):
            result = self.command("led-test", "--board", "pi4b")
            self.assertEqual(result.returncode, 69)
            self.assertIn("board: pi4b: Raspberry Pi 4 Model B", result.stdout)
            self.assertIn("LED gpio:GPIO17 (board pi4b) cannot be driven: no GPIO chips on this machine",
                          result.stderr)
        result = self.command("led-test")
        self.assertEqual(result.returncode, 64)
        self.assertIn("no LED to test", result.stderr)

    def test_led_test_of_a_running_show_is_refused(self):
        guard = self.start("starcourt", self.sh(f"echo $$ > {self.path('pid')}; exec sleep 30"), *self.led_option())
        self.wait_brightness(MAX)
        result = self.command("led-test", "--show", "starcourt", "--lock-dir", self.lock_dir, *self.led_option())
        self.assertEqual(result.returncode, 75)
        self.assertIn("its guard owns the LED", result.stderr)
        self.assertEqual(self.sample(0.3), [MAX])
        guard.terminate()
        self.finish(guard)

    def test_led_test_stops_on_sigint_with_the_led_off(self):
        proc = subprocess.Popen(showguard_cmd("led-test", *self.led_option(), "--step", "10s"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        self.wait_brightness(MAX)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30 * SLOW)
        self.assertEqual(proc.returncode, 130, err)
        self.assertIn("stopped by SIGINT", out)
        self.assertEqual(self.brightness(), "0")


if __name__ == "__main__":
    main()
