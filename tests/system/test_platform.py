# SPDX-License-Identifier: MIT
"""Domus on the QEMU configurations it promises: CPU models, pCPU counts, memory sizes, and its console."""

import re

import pytest

from test_dom0 import boot_dom0, number


def test_dom0_boots_on_cpu_max(domus_image, boot):
    m = boot_dom0(boot, cpu="max", smp=2)
    assert number(m.run("nproc")) == 2


def test_dom0_boots_on_eight_physical_cpus(domus_image, boot):
    m = boot_dom0(boot, smp=8)
    assert number(m.run("nproc")) == 8
    m.wait_logged(r"\(domus\) 8 CPUs, GICv3")


@pytest.mark.parametrize("mem,dom0_mem,low,high", [
    # 512 MiB machine: dom0_mem=512M cannot fit beside the boot modules; Domus gives what fits.
    (512, "512M", 200, 512),
    # 8 GiB machine with a 2 GiB dom0 (memory above 4 GiB is in the IPA space too).
    (8192, "2G", 1800, 2048),
])
def test_dom0_memory_on_small_and_large_machines(domus_image, boot, mem, dom0_mem, low, high):
    m = boot_dom0(boot, mem=mem, dom0_mem=dom0_mem)
    mib = number(m.run("awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo"))
    assert low < mib <= high, f"dom0 MemTotal {mib} MiB on a {mem} MiB machine"


def test_console_escape_switches_to_domus_debug_keys_and_back(domus_image, boot):
    m = boot_dom0(boot, smp=2, domus_args="dom0_max_vcpus=3")
    since = m.mark()
    m.send("\x01\x01\x01")
    m.wait_logged(r"\(domus\) console input to Domus", since)
    m.send("d")
    m.wait_logged(r'\(domus\) d0 "Domain-0": running, \d+ MiB, 3 vCPUs', since)
    m.wait_logged(r"\(domus\)   d0v2: pCPU \d+, ", since)
    # Where a stalled timer would show: each vCPU's timer, its PPI, its blocks and timer wakes.
    m.wait_logged(r"\(domus\)     timer: ctl (0|0x[0-9a-f]+) \((on|off)[^)]*\), due -?\d+ us.*; "
                  r"PPI 27 (enabled|disabled|none).*; blocks \d+ \(refused \d+\), timer wakes \d+", since)
    m.send("r")
    m.wait_logged(r"\(domus\) pCPU 1: online", since)
    # Where a lost wake-up would show: each pCPU's timer, its last pass through the
    # scheduler, its longest switch, and the physical state of its timer interrupts.
    m.wait_logged(r"\(domus\)     timer (off|due -?\d+ us), last scheduled -?\d+ us ago, "
                  r"longest switch \d+ us; PPI 26 (enabled|disabled).*, PPI 27 (enabled|disabled)",
                  since)
    # Keys typed now are Domus': dom0's shell must not see them.
    m.send("\x01\x01\x01")
    m.wait_logged(r"\(domus\) console input to d0", since)
    out = m.run("echo back in dom0")
    assert "back in dom0" in out


def test_dom0_reboot_resets_the_machine(domus_image, boot):
    m = boot_dom0(boot)
    m.send("reboot\n")
    m.wait_logged(r"\(domus\) d0: shut down \(reboot\)")
    m.wait_logged(r"\(domus\) dom0 asked for a reboot")
    # QEMU runs with -no-reboot: a reset ends it.
    m.child.expect(__import__("pexpect").EOF, timeout=60)
