#!/usr/bin/env python3
# The armhf package's preinst (packaging/preinst.armv6.in): it installs where
# the static ARMv6 binary runs and refuses, naming the CPU and the package to
# use, where it cannot. Each case fakes the machine: `uname -m`, whether
# setarch linux32 works (an arm64 kernel without AArch32 refuses it) and
# /proc/cpuinfo as the kernel of such a board prints it.
import os
import pathlib
import subprocess
import tempfile
import unittest

SOURCE = pathlib.Path(__file__).resolve().parents[2] / "packaging" / "preinst.armv6.in"

PI_ZERO_W = """processor\t: 0
model name\t: ARMv6-compatible processor rev 7 (v6l)
BogoMIPS\t: 697.95
Features\t: half thumb fastmult vfp edsp java tls
CPU implementer\t: 0x41
CPU architecture: 7
CPU part\t: 0xb76

Hardware\t: BCM2835
Model\t\t: Raspberry Pi Zero W Rev 1.1
"""
PI_3_32BIT = """processor\t: 0
model name\t: ARMv7 Processor rev 4 (v7l)
Features\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt vfpd32 lpae evtstrm crc32
CPU architecture: 7
CPU part\t: 0xd03

Model\t\t: Raspberry Pi 3 Model B Rev 1.2
"""
PI_4_ARM64_KERNEL = """processor\t: 0
BogoMIPS\t: 108.00
Features\t: fp asimd evtstrm crc32 cpuid
CPU architecture: 8
CPU part\t: 0xd08

Model\t\t: Raspberry Pi 4 Model B Rev 1.5
"""
NO_AARCH32 = """processor\t: 0
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics
CPU architecture: 8
CPU part\t: 0xd4f
"""
KIRKWOOD = """Processor\t: Feroceon 88FR131 rev 1 (v5l)
model name\t: Feroceon 88FR131 rev 1 (v5l)
Features\t: swp half thumb fastmult edsp
CPU architecture: 5TE
"""
ARM11_NO_VFP = """model name\t: ARMv6-compatible processor rev 4 (v6l)
Features\t: swp half thumb fastmult edsp java
CPU architecture: 7
"""
AMD64 = """processor\t: 0
model name\t: AMD EPYC 7B13
flags\t\t: fpu vme de pse
"""


class PreinstTest(unittest.TestCase):
    def run_preinst(self, machine, cpuinfo, linux32=True, action="install"):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = pathlib.Path(tmp)
            script = tmp / "preinst"
            script.write_text(SOURCE.read_text().replace("@VERSION@", "1.2.3"))
            bin_dir = tmp / "bin"
            bin_dir.mkdir()
            (bin_dir / "uname").write_text(f"#!/bin/sh\necho {machine}\n")
            (bin_dir / "setarch").write_text("#!/bin/sh\n" + ('exec "$@"\n' if linux32 else
                "echo 'setarch: failed to set personality to linux32: Invalid argument' >&2\nexit 1\n"))
            for stub in ("uname", "setarch"):
                (bin_dir / stub).chmod(0o755)
            (tmp / "cpuinfo").write_text(cpuinfo)
            env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", SHOWGUARD_CPUINFO=str(tmp / "cpuinfo"))
            return subprocess.run(["sh", str(script), action], env=env, capture_output=True, text=True, timeout=30)

    def assert_installs(self, result):
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")

    def assert_refuses(self, result, cpu, advice):
        self.assertEqual(result.returncode, 1, result.stderr)
        lines = result.stderr.splitlines()
        self.assertEqual(len(lines), 2, result.stderr)
        self.assertIn(cpu, lines[0])
        self.assertIn(advice, lines[1])

    def test_installs_on_every_32_bit_raspberry_pi(self):
        self.assert_installs(self.run_preinst("armv6l", PI_ZERO_W))
        self.assert_installs(self.run_preinst("armv7l", PI_3_32BIT))
        # 32-bit Raspberry Pi OS on a Pi 4 boots a 64-bit kernel: uname says aarch64.
        self.assert_installs(self.run_preinst("aarch64", PI_4_ARM64_KERNEL))
        self.assert_installs(self.run_preinst("armv8l", PI_4_ARM64_KERNEL))
        self.assert_installs(self.run_preinst("armv6l", PI_ZERO_W, action="upgrade"))

    def test_refuses_an_arm64_kernel_without_aarch32(self):
        self.assert_refuses(self.run_preinst("aarch64", NO_AARCH32, linux32=False),
                            "CPU part 0xd4f (aarch64) runs no 32-bit ARM programs", "showguard_1.2.3_arm64.deb")

    def test_refuses_cpus_older_than_armv6_or_without_vfp(self):
        self.assert_refuses(self.run_preinst("armv5tel", KIRKWOOD), "Feroceon 88FR131 rev 1 (v5l) (armv5tel)",
                            "build showguard on the device itself")
        self.assertIn("CPU architecture 5TE", self.run_preinst("armv5tel", KIRKWOOD).stderr)
        self.assert_refuses(self.run_preinst("armv6l", ARM11_NO_VFP), "has no VFP", "on the device itself")

    def test_refuses_other_architectures(self):
        self.assert_refuses(self.run_preinst("x86_64", AMD64), "AMD EPYC 7B13 (x86_64) is no ARM CPU",
                            "showguard_1.2.3_amd64.deb")

    def test_other_actions_check_nothing(self):
        self.assert_installs(self.run_preinst("x86_64", AMD64, action="abort-upgrade"))


if __name__ == "__main__":
    unittest.main()
