# SPDX-License-Identifier: MIT
"""Boots Domus with the stock Debian kernel as dom0 and checks what dom0 sees and can do."""

import re

import pytest

from qemu import GUEST

# No device or memory backs this address on QEMU 7.2's virt machine (gic-version=3,
# virtualization=on): it lies in the hole between the virtio-mmio transports
# (0x0a000000-0x0a003fff) and the platform bus (0x0c000000). Natively, an access to it is a
# synchronous external abort (devmem dies of SIGBUS); under Domus, dom0's stage-2 does not map
# it, so the hypervisor sees the access first.
UNBACKED_ADDR = 0x0B000000
# The hypervisor's line for a dom0 access it cannot handle, e.g. "d0v1: unhandled write ...".
UNHANDLED_LOG = r"d0v\d+: .*(unhandled|abort)"

BOOT_TIMEOUT = 300


def boot_dom0(boot, **kwargs):
    m = boot(hypervisor=True, **kwargs)
    seconds = m.wait_ready(timeout=BOOT_TIMEOUT)
    print(f"dom0 boot to DOMUS-GUEST-READY: {seconds:.1f}s wall, guest uptime {m.guest_uptime}s")
    m.wait_for(r"~ # ", timeout=60)
    return m


def number(out):
    """The last line of out that is just a number (the hypervisor may print lines in between)."""
    nums = re.findall(r"^\s*(\d+)\s*$", out, re.M)
    assert nums, f"no number in {out!r}"
    return int(nums[-1])


@pytest.mark.parametrize("smp", [1, 2, 4])
def test_dom0_boots_to_shell_with_a_vcpu_per_physical_cpu(domus_image, boot, smp):
    m = boot_dom0(boot, smp=smp)
    assert number(m.run("nproc")) == smp


def test_dom0_max_vcpus_gives_dom0_more_vcpus_than_physical_cpus(domus_image, boot):
    m = boot_dom0(boot, smp=2, domus_args="dom0_max_vcpus=4")
    assert number(m.run("nproc")) == 4
    # All four vCPUs run: each of them executes a task.
    out = m.run("for c in 0 1 2 3; do taskset -c $c cat /proc/self/stat | cut -d' ' -f39; done")
    assert re.findall(r"^\d+$", out, re.M) == ["0", "1", "2", "3"]


def test_dom0_memory_is_what_dom0_mem_says(domus_image, boot):
    m = boot_dom0(boot, mem=2048, dom0_mem="512M")
    kib = number(m.run("awk '/^MemTotal:/ { print $2 }' /proc/meminfo"))
    # MemTotal is what is left after the kernel image and reserved memory.
    assert 384 * 1024 < kib <= 512 * 1024, f"dom0 MemTotal {kib} KiB with dom0_mem=512M"


def test_dom0_reads_virtio_disk_contents(domus_image, boot, pattern_disk):
    disk, sha256 = pattern_disk
    m = boot_dom0(boot, disks=[disk])
    out = m.run("dd if=/dev/vda bs=1M count=4 2>/dev/null | sha256sum", timeout=120)
    assert re.search(r"^([0-9a-f]{64})\s+-$", out, re.M).group(1) == sha256


def test_dom0_bridges_its_virtio_net_link_as_xenbr0_and_gets_a_dhcp_lease(domus_image, boot):
    m = boot_dom0(boot, net=True)
    out = m.run("for i in $(seq 100); do [ \"$(cat /sys/class/net/eth0/operstate)\" = up ] && break;"
                " sleep 0.2; done; cat /sys/class/net/eth0/operstate /sys/class/net/eth0/carrier",
                timeout=60)
    assert re.search(r"^up\n1$", out, re.M), out
    # As on a Xen host: the NIC is a port of xenbr0, where guests' vifs join it.
    assert m.run("ls /sys/class/net/xenbr0/brif").split() == ["eth0"]
    # DHCP with QEMU's user-mode network: virtio-net's RX and TX paths and their interrupts.
    out = m.run("udhcpc -i xenbr0 -n -q -t 5 -T 2 -s /bin/true 2>&1", timeout=120)
    assert re.search(r"lease of 10\.0\.2\.\d+ obtained", out), out


def test_dom0_poweroff_exits_qemu_with_status_0(domus_image, boot):
    m = boot_dom0(boot)
    assert m.poweroff(timeout=120) == 0


@pytest.mark.parametrize("access", ["read", "write"])
def test_dom0_access_to_unbacked_address_is_logged_and_dom0_survives(domus_image, boot, access):
    m = boot_dom0(boot)
    since = m.mark()
    value = " 0x1234" if access == "write" else ""
    # devmem's own fate (an injected abort kills it with SIGBUS) is the hypervisor's choice.
    m.shell(f"devmem {UNBACKED_ADDR:#010x} 32{value}", timeout=60)
    m.wait_logged(UNHANDLED_LOG, since=since, timeout=30)
    assert "alive" in m.run("echo alive").splitlines()
    assert number(m.run("nproc")) == 2


def test_dom0_boots_gzip_compressed_kernel(domus_image, boot):
    # Debian's arm64 vmlinuz is an uncompressed Image; Image.gz is the same kernel, gzip'ed, to
    # exercise the Xen-style decompression of a gzip'ed dom0 kernel.
    m = boot_dom0(boot, kernel=GUEST / "Image.gz")
    assert number(m.run("nproc")) == 2


def test_dom0_mmio_to_the_emulated_gic_reads_back_at_each_width(domus_image, boot):
    # iomem=relaxed lets busybox devmem map the (busy) GIC registers from dom0's user space.
    m = boot_dom0(boot, smp=2, dom0_bootargs="console=hvc0 iomem=relaxed")
    # 32-bit: GICD_PIDR2 says GICv3.
    assert m.run("devmem 0x0800ffe8 32").strip().endswith("0x0000003B")
    # 64-bit: vCPU 1's GICR_TYPER: affinity 1, processor number 1, Last.
    assert m.run("devmem 0x080c0008 64").strip().endswith("0x0000000100000110")
    # 8-bit write then read of an SPI's priority: five implemented bits.
    assert m.run("devmem 0x08000464 8 0xff; devmem 0x08000464 8").strip().endswith("0xF8")
    # 16-bit is not a width the GIC allows: the access is refused with a log line, dom0 lives.
    since = m.mark()
    out, status = m.shell("devmem 0x08000464 16")
    assert status != 0 and "Bus error" in out, out
    m.wait_logged(r"d0v\d+: unhandled data abort: read of 2 bytes at IPA 0x8000464 .*refused",
                  since)
    assert "alive" in m.run("echo alive")


def test_domus_panic_prints_registers_and_backtrace_and_ends_qemu(domus_image, boot):
    # A machine Domus cannot run on (GICv2) is a bug-level stop for it: it must say so, dump its
    # state and power the machine off rather than hang.
    m = boot(hypervisor=True, extra_args=["-M", "virt,gic-version=2,virtualization=on"])
    m.wait_for(r"PANIC on CPU \d+: cannot use the device tree", timeout=60)
    m.wait_for(r"x0 +[0-9a-f]{16}", timeout=30)
    m.wait_for(r"backtrace:", timeout=30)
    m.child.expect(__import__("pexpect").EOF, timeout=60)


def test_guest_provoked_log_lines_are_rate_limited(domus_image, boot):
    """A guest's aborts are logged at most 10 at once and 10 a second after that, whatever
    its speed: the bound is checked against the time the aborts took, as dom0 measured it."""
    m = boot_dom0(boot)
    since = m.mark()
    total = 120
    out = m.run(f"cat /proc/uptime; for i in $(seq {total}); do devmem {UNBACKED_ADDR:#010x} 32 "
                f"2>/dev/null; done; cat /proc/uptime", timeout=300)
    t0, t1 = (float(line.split()[0]) for line in re.findall(r"^[\d.]+ [\d.]+$", out, re.M))
    # Two seconds of quiet refill the rate limit: the next abort is logged, with the count
    # of the lines that were suppressed.
    m.run("sleep 2")
    last = m.mark()
    m.shell(f"devmem {UNBACKED_ADDR:#010x} 32")
    m.wait_logged(r"unhandled data abort", last)
    lines = len(re.findall(r"unhandled data abort", m.transcript()[since:]))
    assert lines >= 11, f"only {lines} aborts were logged: the burst is 10"
    # The burst, one more per tenth of a second the loop took, and the one after the pause.
    bound = 10 + int((t1 - t0 + 0.1) * 10) + 1
    assert lines <= bound, f"{lines} lines in {t1 - t0:.2f} s: more than {bound}"
    if lines < total + 1:
        m.wait_logged(r"\(domus\) d0: \d+ more messages suppressed", since)
    assert "alive" in m.run("echo alive")


def test_debug_key_x_counts_dom0s_hypercalls_since_the_last_x(domus_image, boot):
    """Ctrl-a x3 then x prints the guests' exits by cause and starts counting again: forty
    `domus list` runs are at least forty domus_ctl hypercalls (55), and the next x, at once,
    has not as many."""

    def report():
        """The lines of one x, ended by the help line of an h typed after it."""
        since = m.mark()
        m.send("xh")
        m.wait_for(r"debug keys: ")
        text = m.transcript()[since:]
        return text[:text.index("debug keys: ")]

    def hypercalls(text, nr):
        found = re.search(rf"exits: hypercall {nr} (\d+)", text)
        return int(found.group(1)) if found else 0

    m = boot_dom0(boot)
    m.console_to("Domus")
    assert re.search(r"exits: \d+ synchronous \(\d+ WFE\), \d+ interrupts", report())
    m.console_to("d0", shell=True)
    m.run("for i in $(seq 40); do domus list > /dev/null; done")
    m.console_to("Domus")
    assert hypercalls(report(), 55) >= 40
    assert hypercalls(report(), 55) < 40
    m.console_to("d0", shell=True)
