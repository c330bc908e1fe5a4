# SPDX-License-Identifier: MIT
"""Boots one kernel three ways (native, Xen 4.17 dom0, Domus dom0), interleaved, and reports ratios."""

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "system"))
import qemu  # noqa: E402
from qemu import Machine  # noqa: E402
import pexpect  # noqa: E402

OUT = ROOT / "build" / "bench"


class OtherDomusMachine(Machine):
    """Domus from another hypervisor image (bench/run.sh --against REV): an A/B of two commits
    in one interleaved run, with everything else (dom0, command line) the same."""

    img = {}  # label: image

    def __init__(self, name, label, **kw):
        super().__init__(name, hypervisor=True, **kw)
        self.label = label

    def command(self):
        cmd = super().command()
        cmd[cmd.index("-kernel") + 1] = str(self.img[self.label])
        return cmd


class XenMachine(Machine):
    """Xen 4.17 from Debian as the hypervisor, with the same guest-loader modules as Domus."""

    xen = None

    def command(self):
        cmd = super().command()
        cmd[cmd.index("-kernel") + 1] = str(self.xen)
        cmd[cmd.index("-append") + 1] = (f"dom0_mem={self.dom0_mem} console=dtuart "
                                         "dtuart=/pl011@9000000")
        return cmd

    def send(self, text):
        # Xen keeps what arrives on the UART for dom0 in a 128-byte ring (SERIAL_RX_SIZE), which
        # dom0's hvc0 drains only when it polls: a long command typed at once loses its tail.
        for i in range(0, len(text), 32):
            self.child.send(text[i:i + 32])
            time.sleep(0.02)


# A setup: how to make its Machine. Dom0's console is hvc0 under Xen (Xen keeps the UART).
SETUPS = {
    "native": lambda name, **kw: Machine(name, hypervisor=False, **kw),
    "xen": lambda name, **kw: XenMachine(name, **{"dom0_bootargs": "console=hvc0", **kw}),
    "domus": lambda name, **kw: Machine(name, hypervisor=True, **kw),
}


def boot_to_init(setup, name, smp, icount, timeout, quiet=False):
    """(wall seconds to DOMUS-INIT, the first line of /init; the kernel's uptime then; console
    lines before it; wall seconds to DOMUS-GUEST-READY, the end of /init's setup) or None if
    it never got there. The kernel's boot is the same work on all three machines; what /init
    does next is not (a dom0 loads Xen's drivers and starts xenstored), so it is reported
    apart. quiet: the kernel's `quiet` (only warnings and worse on its console)."""
    extra = ["-icount", "shift=0"] if icount else []
    # Natively the kernel would set up all of the machine's 2 GiB where a dom0 has 512 MiB:
    # `mem=` gives it the same to manage (struct pages to initialise are a second's work here).
    args = "console=ttyAMA0 mem=512M" if setup == "native" else "console=hvc0"
    kw = {"dom0_bootargs": args + (" quiet" if quiet else "")}
    m = SETUPS[setup](name, smp=smp, net=False, extra_args=extra, log_dir=OUT / "logs", **kw)
    m.start()
    try:
        init = m.wait_for(r"DOMUS-INIT ([0-9.]+)", timeout=timeout)
        wall, uptime = m.elapsed(), float(init.group(1))
        text = m.transcript()
        m.wait_ready(timeout=timeout)
        return wall, uptime, text[:text.index("DOMUS-INIT")].count("\n"), m.boot_seconds
    except AssertionError:
        return None
    finally:
        m.close()


# Metric descriptors: a new metric (hypercall round trip, domain creation, block and network
# throughput, ...) is one more entry with a function that returns one sample per setup.
def metric_boot(icount, quiet=False):
    def sample(setup, rnd):
        kind = "icount" if icount else "quiet" if quiet else "wall"
        r = boot_to_init(setup, f"{setup}-{kind}-{rnd}", smp=1 if icount else 2, icount=icount,
                         timeout=240 if icount else 120, quiet=quiet)
        return None if r is None else {"wall_s": r[0], "uptime_s": r[1], "console_lines": r[2],
                                       "ready_s": r[3]}
    return sample


# The in-guest micro-benchmarks (bench/microbench/): one boot of the program as the kernel
# (natively) or as dom0 prints a MICROBENCH line per operation. A row's per-run value is the
# median of the program's N samples, or for the operations that last only a few counter ticks
# (16 ns each on QEMU) the mean of the fastest 90% of them, which resolves finer. The IPI also
# has its minimum: its median needs both vCPU threads on host cores at once, and on a busy
# 2-core host it jumps to host-scheduler ticks (ms) whatever runs in the guest.
MICRO_IMG = ROOT / "build" / "bench" / "microbench.img"
MICRO_ROWS = [  # row, the program's line, statistic
    ("null_trap_ns", "null_trap_ns", "median"), ("mmio_read_ns", "mmio_read_ns", "median"),
    ("ipi_ns", "ipi_ns", "median"), ("ipi_min_ns", "ipi_ns", "min"),
    ("eoi_ns", "eoi_ns", "mean90"), ("self_sgi_ns", "self_sgi_ns", "median"),
    ("timer_ns", "timer_ns", "mean90"),
]
MICRO_N = 2000  # samples per operation; main() lowers it in --quick
_MICRO_LINE = re.compile(r"^MICROBENCH (\w+) (.*?)\s*$", re.M)


def run_microbench(setup, name, timeout=60):
    """{field: ns, or why there is no figure, e.g. "hangs"} from one boot; None if it never ran."""
    m = SETUPS[setup](name, smp=2, net=False, kernel=MICRO_IMG, dom0_bootargs=f"n={MICRO_N}",
                      log_dir=OUT / "logs")
    m.start()
    try:
        try:
            m.wait_for("MICROBENCH-DONE", timeout=timeout)
            missing = "no line"
        except AssertionError:  # a benchmark hung past the program's own timeouts
            missing = "hangs"
        text = m.transcript()
    finally:
        m.close()
    if "MICROBENCH-START" not in text:
        return None
    lines = {k: dict(kv.split("=", 1) for kv in rest.split() if "=" in kv)
             for k, rest in _MICRO_LINE.findall(text)}
    result = {"detail": lines}
    for row, line, stat in MICRO_ROWS:
        kv = lines.get(line, {})
        result[row] = float(kv[stat]) if stat in kv else kv.get("error", missing)
    return result


# The null hypercall round trip from dom0 user space: xen_version through /dev/xen/privcmd,
# timed by domus-selftest in dom0 (batches of 100 calls; the median batch). Natively there is
# no hypervisor to call.
HYPERCALL_BATCHES = 200


def run_hypercall_bench(setup, name, timeout=120):
    if setup == "native":
        return {"privcmd_null_hypercall_ns": "no hypervisor"}
    m = SETUPS[setup](name, smp=2, net=False, log_dir=OUT / "logs")
    m.start()
    try:
        m.wait_ready(timeout=timeout)
        m.wait_for(r"~ # ", timeout=60)
        out, status = m.shell(f"domus-selftest bench-hypercall {HYPERCALL_BATCHES}", timeout=timeout)
    except AssertionError:
        return None
    finally:
        m.close()
    found = re.search(r"BENCH privcmd_null_hypercall_ns median=(\d+) min=(\d+)", out)
    if status != 0 or not found:
        return {"privcmd_null_hypercall_ns": "failed"}
    return {"privcmd_null_hypercall_ns": float(found.group(1))}


# Domain creation: in a dom0 booted to its shell, the toolstack's create-and-attach command
# for the same guest (dom0's /boot/domu/Image.gz and initrd.img, 256 MiB, 1 vCPU,
# console=hvc0), timed host-side from the Enter key (the command is typed and its echo awaited
# first: typing is not counted) to the guest's first console line (Linux's "Booting Linux ...",
# replayed when its hvc0 comes up), and to its shell prompt (after the DOMUS-GUEST-READY line of
# its /init, whose uptime figure is the guest kernel's own share). Xen's dom0 is the initramfs
# of bench/xen-dom0.sh: the same one plus Debian's xen-utils-4.17, xenstored and xenconsoled.
XEN_DOM0_INITRD = OUT / "xen-dom0-initrd.img"
CREATE_CMD = {"xen": "xl create -c /etc/xen/guest.cfg",
              "domus": "domus create -c /etc/domus/guest.cfg"}
CREATE_FIELDS = ["first_line_s", "shell_s", "domu_uptime_s"]


def run_create_bench(setup, name, timeout=180):
    if setup == "native":
        return {f: "no hypervisor" for f in CREATE_FIELDS}
    kw = {"initrd": XEN_DOM0_INITRD} if setup == "xen" else {}
    m = SETUPS[setup](name, smp=2, net=False, log_dir=OUT / "logs", **kw)
    m.start()
    try:
        m.wait_ready(timeout=120)
        m.wait_for(r"~ # ", timeout=60)
        cmd = CREATE_CMD["xen" if setup == "xen" else "domus"]
        m.send(cmd)
        m.wait_for(re.escape(cmd), timeout=30)
        t0 = time.monotonic()
        m.send("\n")
        m.wait_for(r"Booting Linux on physical CPU", timeout=timeout)
        first = time.monotonic() - t0
        # The space after the uptime: a match must not end where a read from the pty did.
        up = m.wait_for(r"DOMUS-GUEST-READY ([0-9.]+) ", timeout=timeout).group(1)
        m.wait_for(r"~ # ", timeout=60)
        shell = time.monotonic() - t0
        m._note(f"create: first line {first:.3f}s, shell {shell:.3f}s, domU uptime {up}s")
    except AssertionError:
        return None
    finally:
        m.close()
    return {"first_line_s": first, "shell_s": shell, "domu_uptime_s": float(up)}


# Split-driver I/O: one boot with a 128 MiB virtio disk (a sparse file on the host) and
# virtio-net. First the kernel's own access to the disk (natively, or in dom0): all of it written,
# then read, 1 MiB direct I/O (dd oflag/iflag=direct: no page cache in between). Then a domU
# with that disk (phy:/dev/vda as xvda, through blkfront and blkback) and a vif on dom0's
# bridge, created by xl or domus from the same config: the same two dd, and 64 MiB over TCP
# from the domU's tmpfs to a listener in dom0 (busybox nc, timed by the sender from its first byte to
# the close; the last socket buffer may still be in flight then). Seconds from busybox time
# (10 ms). The *_of_dom0 rows are the domU's figure over dom0's own in the same boot.
DISK_MIB, TCP_MIB = 128, 64
IO_DOMU_FIELDS = ["domu_write_MiBps", "domu_read_MiBps", "domu_tcp_to_dom0_MiBps",
                  "domu_write_of_dom0", "domu_read_of_dom0"]
IO_FIELDS = ["dom0_write_MiBps", "dom0_read_MiBps"] + IO_DOMU_FIELDS
IO_CREATE = {"xen": "xl create -c", "domus": "domus create -c"}


def timed_mib_per_s(shell, cmd, mib, timeout):
    """MiB/s of cmd, timed in the guest by busybox time -p."""
    out, status = shell(f"busybox time -p sh -c '{cmd}' 2>&1", timeout=timeout)
    real = re.search(r"^real ([0-9.]+)", out, re.M)
    if status != 0 or not real:
        raise AssertionError(f"`{cmd}` exited {status}: {out}")
    return mib / max(float(real.group(1)), 0.01)


def disk_figures(shell, dev):
    dd = f"dd bs=1M count={DISK_MIB}"
    return (timed_mib_per_s(shell, f"{dd} if=/dev/zero of={dev} oflag=direct", DISK_MIB, 300),
            timed_mib_per_s(shell, f"{dd} if={dev} of=/dev/null iflag=direct", DISK_MIB, 300))


def run_io_bench(setup, name, timeout=300):
    disk = OUT / f"io-{name}.img"
    with open(disk, "wb") as f:
        f.truncate(DISK_MIB << 20)
    kw = {"initrd": XEN_DOM0_INITRD} if setup == "xen" else {}
    m = SETUPS[setup](name, smp=2, disks=[disk], log_dir=OUT / "logs", **kw)
    m.start()
    try:
        m.wait_ready(timeout=120)
        m.wait_for(r"~ # ", timeout=60)
        r = dict(zip(["dom0_write_MiBps", "dom0_read_MiBps"], disk_figures(m.shell, "/dev/vda")))
        if setup == "native":
            return {**r, **{f: "no hypervisor" for f in IO_DOMU_FIELDS}}
        dom0_ip = qemu.wait_ipv4(m.run, "xenbr0")
        m.run("(sleep 900 | nc -l -p 5001 > /dev/null &)")
        m.run("printf '%s\\n' 'name = \"io\"' 'memory = 256' 'vcpus = 1' "
              "'kernel = \"/boot/domu/Image.gz\"' 'ramdisk = \"/boot/domu/initrd.img\"' "
              "'extra = \"console=hvc0\"' \"disk = [ 'phy:/dev/vda,xvda,w' ]\" "
              "\"vif = [ 'bridge=xenbr0' ]\" > /tmp/io.cfg")
        m.send(f"{IO_CREATE['xen' if setup == 'xen' else 'domus']} /tmp/io.cfg\n")
        m.wait_for(r"DOMUS-GUEST-READY [0-9.]+ ", timeout=timeout)
        m.send("\n")
        m.wait_for(r"~ # ", timeout=60)
        w, rd = disk_figures(m.shell, "/dev/xvda")
        qemu.wait_ipv4(m.run, "eth0")
        # From a file in the domU's tmpfs: one process, not a pipe that switches the vCPU
        # between two at every 64 KiB.
        m.run(f"dd if=/dev/zero of=/tmp/tcp.bin bs=1M count={TCP_MIB} 2>/dev/null")
        tcp = timed_mib_per_s(m.shell, f"nc {dom0_ip} 5001 < /tmp/tcp.bin", TCP_MIB, timeout)
        m._note(f"io: dom0 write {r['dom0_write_MiBps']:.1f} read {r['dom0_read_MiBps']:.1f}, "
                f"domU write {w:.1f} read {rd:.1f} tcp {tcp:.1f} MiB/s")
        return {**r, "domu_write_MiBps": w, "domu_read_MiBps": rd, "domu_tcp_to_dom0_MiBps": tcp,
                "domu_write_of_dom0": w / r["dom0_write_MiBps"],
                "domu_read_of_dom0": rd / r["dom0_read_MiBps"]}
    except AssertionError as e:
        m._note(f"io: {e}")
        return None
    finally:
        m.close()
        disk.unlink(missing_ok=True)


# Density: how many small guests one machine holds at once. A 4 GiB, 2-CPU QEMU machine boots
# dom0 (512 MiB) to its shell; dom0 then creates 64 MiB, 1-vCPU guests (Debian's kernel and the
# busybox initramfs, console=hvc0, no devices), one after another without waiting, until a
# create fails or DENSITY_MAX are made, and the harness counts the guests whose console log (the
# toolstack's: /var/log/domus/NAME.log, xenconsoled's --log=guest) has DOMUS-GUEST-READY.
# guests: how many got there; all_ready_s: from the first create to the last of them.
DENSITY_MAX, DENSITY_MIB = 64, 64
DENSITY_FIELDS = ["guests", "all_ready_s"]
DENSITY_LOGS = {"xen": "/var/log/xen/console/guest-d*.log", "domus": "/var/log/domus/d*.log"}


def run_density_bench(setup, name, timeout=1200):
    if setup == "native":
        return {f: "no hypervisor" for f in DENSITY_FIELDS}
    xen = setup == "xen"
    kw = {"initrd": XEN_DOM0_INITRD} if xen else {}
    m = SETUPS[setup](name, smp=2, mem=4096, net=False, log_dir=OUT / "logs", **kw)
    m.start()
    try:
        m.wait_ready(timeout=120)
        m.wait_for(r"~ # ", timeout=60)
        if xen:  # xenconsoled again, now keeping each guest's console in a file as Domus does
            m.run("kill $(cat /run/xen/xenconsoled.pid); sleep 1; mkdir -p /var/log/xen/console; "
                  "/usr/lib/xen-4.17/bin/xenconsoled --pid-file=/run/xen/xenconsoled.pid "
                  "--log=guest --log-dir=/var/log/xen/console")
        m.run(f"printf '%s\\n' 'memory = {DENSITY_MIB}' 'vcpus = 1' "
              "'kernel = \"/boot/domu/Image.gz\"' 'ramdisk = \"/boot/domu/initrd.img\"' "
              "'extra = \"console=hvc0\"' > /tmp/density.cfg")
        tool = "xl" if xen else "domus"
        t0 = time.monotonic()
        out = m.run(f"i=0; while [ $i -lt {DENSITY_MAX} ]; do i=$((i + 1)); "
                    f"(cat /tmp/density.cfg; echo 'name = \"d'$i'\"') > /tmp/d.cfg; "
                    f"{tool} create /tmp/d.cfg > /tmp/create.log 2>&1 || "
                    "{ echo CREATE-FAILED $i: $(tail -n 2 /tmp/create.log); i=$((i - 1)); break; }; "
                    "done; echo CREATED $i", timeout=timeout)
        created = int(re.search(r"CREATED (\d+)", out).group(1))
        failed = re.search(r"CREATE-FAILED .*", out)
        m._note(f"density: {created} created" + (f"; then {failed.group(0)}" if failed else ""))
        ready, when = 0, None
        while time.monotonic() - t0 < timeout:
            n = int(m.run(f"grep -l DOMUS-GUEST-READY {DENSITY_LOGS[setup]} 2>/dev/null | "
                          "wc -l").split()[-1])
            if n > ready:
                ready, when = n, time.monotonic() - t0
            if ready >= created:
                break
            time.sleep(2)
        m._note(f"density: {ready} of {created} guests at their shell, the last after {when}s")
        return {"guests": ready, "all_ready_s": when if ready == created else "not all"}
    except AssertionError as e:
        m._note(f"density: {e}")
        return None
    finally:
        m.close()


# Save and restore: a guest of 128 and of 512 MiB, idle at its shell, saved to a file in
# dom0's RAM and restored, each timed from the command to its end; restore to the guest's shell
# answering again. The anchor is the same work natively: QEMU's own migration of a whole VM of
# the same RAM to a file (`migrate "exec:cat > F"` on its monitor, timed to "completed"), and a
# new QEMU started from it (-incoming) to the shell answering. Xen 4.17 cannot save an Arm guest.
SAVE_SIZES = (128, 512)
SAVE_FIELDS = [f"{what}_{mib}_s" for mib in SAVE_SIZES for what in ("save", "restore")]
SAVE_DIR = OUT / "save"


def shell_answers(m, timeout):
    """Types into the console until a shell there answers: again every half second, as what
    is typed before a console is attached (or QEMU has its terminal) can be thrown away."""
    tag = os.urandom(3).hex()
    t0 = time.monotonic()
    while True:
        m.send(f"\necho {tag}-$((6 * 7))\n")
        try:
            m.child.expect(f"{tag}-42", timeout=0.5)
            return
        except pexpect.TIMEOUT:
            if time.monotonic() - t0 > timeout:
                raise AssertionError(f"{m.name}: no shell answered within {timeout}s") from None


def domus_save_restore(setup, name, mib, timeout):
    m = SETUPS[setup](name, smp=2, mem=4096, dom0_mem="1536M", net=False, log_dir=OUT / "logs")
    m.start()
    try:
        m.wait_ready(timeout=120)
        m.wait_for(r"~ # ", timeout=60)
        m.run(f"printf '%s\\n' 'name = \"sr\"' 'memory = {mib}' 'vcpus = 1' "
              "'kernel = \"/boot/domu/Image.gz\"' 'ramdisk = \"/boot/domu/initrd.img\"' "
              "'extra = \"console=hvc0\"' > /tmp/sr.cfg")
        m.send("domus create -c /tmp/sr.cfg\n")
        m.wait_for("DOMUS-GUEST-READY", timeout=timeout)
        shell_answers(m, 60)
        m.send("\x1d")
        m.wait_for(r"domus: left the console", timeout=30)
        m.wait_for(r"~ # ", timeout=30)
        t0 = time.monotonic()
        m.run("domus save sr /tmp/sr.save", timeout=timeout)
        save = time.monotonic() - t0
        m.send("domus restore -c /tmp/sr.save\n")
        t0 = time.monotonic()
        m.wait_for(r"restored 'sr'", timeout=timeout)
        shell_answers(m, timeout)
        restore = time.monotonic() - t0
        m._note(f"save/restore {mib} MiB: save {save:.3f}s, restore to shell {restore:.3f}s")
    except AssertionError:
        return None
    finally:
        m.close()
    return save, restore


def native_save_restore(name, mib, timeout):
    SAVE_DIR.mkdir(parents=True, exist_ok=True)
    state = SAVE_DIR / f"{name}.state"
    m = Machine(name, hypervisor=False, smp=2, mem=mib, net=False, log_dir=OUT / "logs")
    m.start()
    try:
        m.wait_ready(timeout=120)
        m.wait_for(r"~ # ", timeout=60)
        m.send(chr(qemu.QEMU_ECHR) + "c")  # QEMU's monitor
        m.wait_for(r"\(qemu\)", timeout=30)
        t0 = time.monotonic()
        m.send(f'migrate "exec:cat > {state}"\n')
        while True:
            m.send("info migrate\n")
            st = m.wait_for(r"Migration status: (\w+)", timeout=30).group(1)
            if st in ("completed", "failed", "cancelled"):
                break
            time.sleep(0.05)
        save = time.monotonic() - t0
        m._note(f"native migrate to a file: {st} in {save:.3f}s")
        if st != "completed":
            return None
    except AssertionError:
        return None
    finally:
        m.close()
    r = Machine(name + "-in", hypervisor=False, smp=2, mem=mib, net=False, log_dir=OUT / "logs",
                extra_args=["-incoming", f"exec:cat {state}"])
    r.start()
    t0 = time.monotonic()
    try:
        shell_answers(r, timeout)
        restore = time.monotonic() - t0
    except AssertionError:
        return None
    finally:
        r.close()
        state.unlink(missing_ok=True)
    return save, restore


def run_saverestore_bench(setup, name, timeout=300):
    if setup == "xen":
        return {f: "cannot (no save on Arm)" for f in SAVE_FIELDS}
    out = {}
    for mib in SAVE_SIZES:
        r = (native_save_restore(f"{name}-{mib}", mib, timeout) if setup == "native" else
             domus_save_restore(setup, f"{name}-{mib}", mib, timeout))
        if r is None:
            return None
        out[f"save_{mib}_s"], out[f"restore_{mib}_s"] = r
    return out


MIGRATE_MIB = 128
# A guest that dirties memory: 4 MiB of its page cache rewritten every second.
MIGRATE_DIRTIER = ("(while :; do dd if=/dev/zero of=/tmp/d bs=1M count=4 conv=notrunc "
                   "2>/dev/null; sleep 1; done) >/dev/null 2>&1 & true")
MIGRATE_FIELDS = ["idle_total_s", "idle_downtime_s", "dirty_total_s", "dirty_downtime_s",
                  "ping_gap_s"]
# The downtime as the issue defines it, seen from outside: the source's dom0 pings the guest
# (a vif on the link's bridge) every PING_INTERVAL s while it moves; the gap is the longest run
# of lost replies, in the pinger's own time (its run's length over the pings it sent).
PING_INTERVAL = 0.01
# Moves of the pinged guest in one pair of machines (there and back): each gives a gap.
PING_HOPS = 6


def ping_gap(log):
    """The longest silence in a busybox ping log, s: the largest step between the sequence
    numbers of two replies in a row, times the interval the pinger actually kept."""
    seqs = [int(x) for x in re.findall(r"seq=(\d+)", log)]
    took = re.search(r"PING-TOOK ([\d.]+)", log)
    sent = re.search(r"(\d+) packets transmitted", log)
    if len(seqs) < 2 or not took or not sent or int(sent.group(1)) == 0:
        return None
    interval = float(took.group(1)) / int(sent.group(1))
    return round(max(b - a for a, b in zip(seqs, seqs[1:])) * interval, 3)


def ping_hops(hosts, timeout):
    """The pinged guest (on hosts[0]) moves PING_HOPS times, there and back, pinged each time
    from the dom0 it leaves: (the first move's total s, [each move's gap s]). One pair of
    machines gives several gaps, as varied as those of separate runs, for the time of one."""
    total, gaps = None, []
    for k in range(PING_HOPS):
        src, dst = hosts[k % 2], hosts[(k + 1) % 2]
        dst.run("domus migrate --receive > /tmp/recv.log 2>&1 & true")
        # (\b: "100% packet loss" has "0% packet loss" in it)
        assert re.search(r"\b0% packet loss", src.run("ping -c 3 -W 5 10.99.0.10", timeout=60))
        src.run(f"(t0=$(cut -d' ' -f1 /proc/uptime); ping -i {PING_INTERVAL} 10.99.0.10 "
                "> /tmp/ping.log 2>&1; echo PING-TOOK $(echo \"$(cut -d' ' -f1 /proc/uptime) "
                "$t0\" | awk '{print $1 - $2}') >> /tmp/ping.log) & true")
        time.sleep(1)
        out = src.run(f"domus migrate mig 10.99.0.{(k + 1) % 2 + 1}", timeout=timeout)
        time.sleep(3)  # the guest's network back, and a run of replies after the gap
        # Its summary and PING-TOOK, written as it ends: not always within a second here.
        src.run("kill -INT $(pidof ping); i=0; while ! grep -q PING-TOOK /tmp/ping.log && "
                "[ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done", timeout=30)
        gap = ping_gap(src.run("cat /tmp/ping.log"))
        got = re.search(r"([\d.]+) s in all", out)
        if "without its own suspend" not in out:
            got = None  # a move where it suspended itself is not the figure this one is
        hosts[0]._note(f"migrate {MIGRATE_MIB} MiB with a vif, move {k + 1} of {PING_HOPS}, "
                       f"pinged every {PING_INTERVAL} s: gap {gap}; {out.strip()}")
        if not got or gap is None:
            return None
        total = total or float(got.group(1))
        gaps.append(gap)
    return total, gaps


def domus_migrate(setup, name, mib, dirty, timeout, ping=False):
    """Two Domus machines joined by a wire (qemu.wire, as tests/system/test_migrate.py): a guest
    idle at its shell (or dirtying 4 MiB/s) moves from the first to the second, where its id
    is free (so it is paused, not suspended: docs/MIGRATION.md). (total s, downtime s) as
    `domus migrate` reports them: the downtime runs from its pause to the target's word
    that the guest runs there. With ping, the guest has a vif on the
    link's bridge and moves back and forth (ping_hops): (total s, [gap s of each move])."""
    hosts = []
    try:
        for i, end in enumerate(qemu.wire()):
            m = SETUPS[setup](f"{name}-{i}", smp=2, mem=2048, log_dir=OUT / "logs",
                              link=(end, f"52:54:00:99:00:0{i + 1}"))
            m.start()
            m.wait_ready(timeout=120)
            m.wait_for(r"~ # ", timeout=60)
            nic = m.run(f"grep -l 52:54:00:99:00:0{i + 1} /sys/class/net/eth*/address"
                        ).split("/")[-2]
            m.run(f"brctl delif xenbr0 {nic} 2>/dev/null; brctl addbr migbr && "
                  f"brctl addif migbr {nic} && ip link set {nic} up && ip link set migbr up && "
                  f"ip addr add 10.99.0.{i + 1}/24 dev migbr")
            hosts.append(m)
        a, b = hosts
        if not ping:  # (ping_hops starts one before each move)
            b.run("domus migrate --receive > /tmp/recv.log 2>&1 & true")
        a.run(f"printf '%s\\n' 'name = \"mig\"' 'memory = {mib}' 'vcpus = 1' "
              "'kernel = \"/boot/domu/Image.gz\"' 'ramdisk = \"/boot/domu/initrd.img\"' "
              "'extra = \"console=hvc0\"' > /tmp/mig.cfg")
        if ping:
            a.run("echo \"vif = [ 'bridge=migbr,mac=00:16:3e:00:00:21' ]\" >> /tmp/mig.cfg")
        a.send("domus create -c /tmp/mig.cfg\n")
        a.wait_for("DOMUS-GUEST-READY", timeout=timeout)
        shell_answers(a, 60)
        if ping:
            a.send("ip link set eth0 up && ip addr add 10.99.0.10/24 dev eth0 && echo UP-$((6*7))\n")
            a.wait_for(r"UP-42", timeout=60)
        if dirty:
            a.send(MIGRATE_DIRTIER + "\n")
            time.sleep(3)
        a.send("\x1d")
        a.wait_for(r"domus: left the console", timeout=30)
        a.wait_for(r"~ # ", timeout=30)
        if ping:
            return ping_hops(hosts, timeout)
        out = a.run("domus migrate mig 10.99.0.2", timeout=timeout)
        got = re.search(r"([\d.]+) s in all, the guest stopped for ([\d.]+) s", out)
        if not got:
            return None
        split = re.search(r"\(its (suspend|pause) .*", out)
        a._note(f"migrate {mib} MiB{' dirtying' if dirty else ''}: {got.group(0)} "
                f"{split.group(0) if split else ''}; the target: "
                f"{b.run('tail -1 /tmp/recv.log').strip()}")
        return float(got.group(1)), float(got.group(2))
    except AssertionError:
        return None
    finally:
        for m in hosts:
            m.close()


def native_migrate(name, mib, dirty, timeout):
    """QEMU's own live migration of a whole native VM of the same size between two QEMU
    processes (tcp on the host's loopback): QEMU's total time and its downtime."""
    port = 20000 + os.getpid() % 20000
    src = Machine(name, hypervisor=False, smp=2, mem=mib, net=False, log_dir=OUT / "logs")
    dst = Machine(name + "-in", hypervisor=False, smp=2, mem=mib, net=False,
                  log_dir=OUT / "logs", extra_args=["-incoming", f"tcp:127.0.0.1:{port}"])
    src.start()
    try:
        src.wait_ready(timeout=120)
        src.wait_for(r"~ # ", timeout=60)
        if dirty:
            src.send(MIGRATE_DIRTIER + "\n")
            time.sleep(3)
        dst.start()
        time.sleep(1)
        src.send(chr(qemu.QEMU_ECHR) + "c")  # QEMU's monitor
        src.wait_for(r"\(qemu\)", timeout=30)
        src.send(f"migrate -d tcp:127.0.0.1:{port}\n")
        t0 = time.monotonic()
        while True:
            src.send("info migrate\n")
            st = src.wait_for(r"Migration status: (\w+)", timeout=30).group(1)
            if st in ("completed", "failed", "cancelled"):
                break
            if time.monotonic() - t0 > timeout:
                return None
            time.sleep(0.05)
        if st != "completed":
            return None
        total = float(src.wait_for(r"total time: (\d+) ms", timeout=30).group(1)) / 1000
        down = float(src.wait_for(r"downtime: (\d+) ms", timeout=30).group(1)) / 1000
        shell_answers(dst, timeout)
        src._note(f"native migrate {mib} MiB{' dirtying' if dirty else ''}: total {total:.3f}s, "
                  f"downtime {down:.3f}s")
        return total, down
    except AssertionError:
        return None
    finally:
        src.close()
        dst.close()


def run_migrate_bench(setup, name, timeout=300):
    if setup == "xen":
        return {f: "cannot (no live migration on Arm)" for f in MIGRATE_FIELDS}
    out = {}
    for dirty in (False, True):
        what = "dirty" if dirty else "idle"
        r = (native_migrate(f"{name}-{what}", MIGRATE_MIB, dirty, timeout) if setup == "native"
             else domus_migrate(setup, f"{name}-{what}", MIGRATE_MIB, dirty, timeout))
        if r is None:
            return None
        out[f"{what}_total_s"], out[f"{what}_downtime_s"] = r
    if setup == "native":
        out["ping_gap_s"] = "not measured (QEMU's native VM has no link to ping it over)"
    else:
        r = domus_migrate(setup, f"{name}-ping", MIGRATE_MIB, False, timeout, ping=True)
        if r is None:
            return None
        out["ping_gap_s"] = r[1]
    return out


# Cloning (docs/CLONE.md): on one 4 GiB machine, a 128 MiB guest idle at its shell; `domus clone`
# timed from the command to the clone's shell answering on its console, beside `domus create -c`
# of the same guest to its shell in the same boot (the goal: a clone ready well under that); the
# memory a clone costs is the drop in Domus' free memory (domus info) across one clone command,
# taken before anyone writes (the parent's next writes cost more). Neither QEMU alone nor Xen 4.17
# on Arm can clone a running guest.
CLONE_MIB = 128
CLONE_FIELDS = ["create_shell_s", "clone_shell_s", "clone_of_create", "clone_stopped_s",
                "clone_cost_MiB"]


def domus_free_mib(m):
    return int(m.run("domus info | awk '/^free_pages/ { print $NF }'").strip().splitlines()[-1]) / 256


def run_clone_bench(setup, name, timeout=300):
    if setup == "native":
        return {f: "no hypervisor" for f in CLONE_FIELDS}
    if setup == "xen":
        return {f: "cannot (no clone on Arm)" for f in CLONE_FIELDS}
    m = SETUPS[setup](name, smp=2, mem=4096, dom0_mem="1536M", net=False, log_dir=OUT / "logs")
    m.start()
    try:
        m.wait_ready(timeout=120)
        m.wait_for(r"~ # ", timeout=60)
        m.run(f"printf '%s\\n' 'name = \"cl\"' 'memory = {CLONE_MIB}' 'vcpus = 1' "
              "'kernel = \"/boot/domu/Image.gz\"' 'ramdisk = \"/boot/domu/initrd.img\"' "
              "'extra = \"console=hvc0\"' > /tmp/cl.cfg")
        m.send("domus create -c /tmp/cl.cfg\n")
        t0 = time.monotonic()
        m.wait_for("DOMUS-GUEST-READY", timeout=timeout)
        shell_answers(m, 60)
        create = time.monotonic() - t0
        m.send("\x1d")
        m.wait_for(r"domus: left the console", timeout=30)
        m.wait_for(r"~ # ", timeout=30)
        free = domus_free_mib(m)
        m.send("domus clone cl && domus console cl-1\n")
        t0 = time.monotonic()
        stopped = float(m.wait_for(r"cloned 'cl' 1 time in ([0-9.]+) s", timeout=timeout).group(1))
        shell_answers(m, timeout)
        clone = time.monotonic() - t0
        m.send("\x1d")
        m.wait_for(r"domus: left the console", timeout=30)
        m.wait_for(r"~ # ", timeout=30)
        cost = free - domus_free_mib(m)
        m._note(f"clone {CLONE_MIB} MiB: create to shell {create:.3f}s, clone to shell {clone:.3f}s "
                f"(guest stopped {stopped:.3f}s), {cost:.1f} MiB")
    except AssertionError:
        return None
    finally:
        m.close()
    return {"create_shell_s": create, "clone_shell_s": clone, "clone_of_create": clone / create,
            "clone_stopped_s": stopped, "clone_cost_MiB": cost}


METRICS = [
    # name, description, sampler, fields reported, in --quick (True), in full runs only
    # (False), or only when --only names it (None)
    # The same console work for all three: natively the kernel's whole log goes out on the
    # emulated PL011, a dom0's on hvc0; with `quiet` neither prints more than a few lines.
    ("boot_quiet", "QEMU start to dom0 init, -smp 2, kernel `quiet`", metric_boot(False, True),
     ["wall_s", "uptime_s", "console_lines", "ready_s"], True),
    ("boot", "the same with the kernel's whole log on its console", metric_boot(False),
     ["wall_s", "uptime_s", "console_lines", "ready_s"], True),
    ("boot_icount", "the same under -icount shift=0, -smp 1", metric_boot(True),
     ["wall_s", "uptime_s"], False),
    ("micro", "in-guest micro-benchmark, -smp 2, ns",
     lambda setup, rnd: run_microbench(setup, f"{setup}-micro-{rnd}"),
     [row for row, _, _ in MICRO_ROWS], True),
    ("hypercall", "null hypercall from dom0 user space via privcmd, ns",
     lambda setup, rnd: run_hypercall_bench(setup, f"{setup}-hypercall-{rnd}"),
     ["privcmd_null_hypercall_ns"], True),
    # Not in --quick: its native column has no figure, which the quick test does not allow.
    ("create", "create command to the guest's first console line / shell, s",
     lambda setup, rnd: run_create_bench(setup, f"{setup}-create-{rnd}"), CREATE_FIELDS, False),
    ("io", "disk (dd 128 MiB, 1 MiB direct I/O) and TCP domU to dom0, MiB/s; domU/dom0 ratios",
     lambda setup, rnd: run_io_bench(setup, f"{setup}-io-{rnd}"), IO_FIELDS, False),
    ("saverestore", "save a guest idle at its shell to a file, restore it to its shell, s",
     lambda setup, rnd: run_saverestore_bench(setup, f"{setup}-saverestore-{rnd}"), SAVE_FIELDS,
     False),
    ("migrate", f"live migration of a {MIGRATE_MIB} MiB guest between two machines, s",
     lambda setup, rnd: run_migrate_bench(setup, f"{setup}-migrate-{rnd}"), MIGRATE_FIELDS,
     False),
    ("clone", f"clone a {CLONE_MIB} MiB guest idle at its shell, beside creating it, s and MiB",
     lambda setup, rnd: run_clone_bench(setup, f"{setup}-clone-{rnd}"), CLONE_FIELDS, False),
    # Only with --only density: a sample takes 5-10 minutes per hypervisor.
    ("density", f"{DENSITY_MIB} MiB guests at once on a 4 GiB 2-CPU machine; s to all at a shell",
     lambda setup, rnd: run_density_bench(setup, f"{setup}-density-{rnd}"), DENSITY_FIELDS, None),
]


# The rows of the README's Performance table, in order: metric, label. Written from a run's
# results (bench/table.py), never typed.
TABLE_ROWS = [
    ("boot_quiet.wall_s", "QEMU start to dom0 init, -smp 2, kernel `quiet` (s)"),
    ("boot_quiet.uptime_s", "dom0 uptime at init, `quiet` (s)"),
    ("boot_quiet.ready_s", "QEMU start to the end of init's setup (a dom0's drivers, xenstored), `quiet` (s)"),
    ("boot.wall_s", "QEMU start to dom0 init, whole kernel log on the console (s)"),
    ("boot.uptime_s", "dom0 uptime at init, whole log (s)"),
    ("boot_icount.wall_s", "QEMU start to dom0 init, -icount shift=0 -smp 1 (s)"),
    ("micro.null_trap_ns", "null trap, HVC PSCI_VERSION (ns)"),
    ("micro.mmio_read_ns", "emulated MMIO read, GICD_TYPER (ns)"),
    ("micro.ipi_ns", "IPI round trip, 2 vCPUs (ns)"),
    ("micro.ipi_min_ns", "IPI round trip, fastest (ns)"),
    ("micro.eoi_ns", "EOI, ICC_EOIR1_EL1 (ns)"),
    ("micro.self_sgi_ns", "self-SGI, send to handler return (ns)"),
    ("micro.timer_ns", "counter bracket alone: the host's fast/slow witness (ns)"),
    ("hypercall.privcmd_null_hypercall_ns", "null hypercall from dom0 user space, privcmd (ns)"),
    ("create.first_line_s", "create command to the guest's first console line (s)"),
    ("create.shell_s", "create command to the guest's shell (s)"),
    ("io.dom0_write_MiBps", "dom0's own dd write, 128 MiB, 1 MiB direct (MiB/s)"),
    ("io.dom0_read_MiBps", "dom0's own dd read, the same (MiB/s)"),
    ("io.domu_write_MiBps", "domU dd write through blkfront/blkback (MiB/s)"),
    ("io.domu_read_MiBps", "domU dd read, the same (MiB/s)"),
    ("io.domu_write_of_dom0", "domU write over dom0's own, same boot"),
    ("io.domu_read_of_dom0", "domU read over dom0's own, same boot"),
    ("io.domu_tcp_to_dom0_MiBps", "domU to dom0 TCP, 64 MiB (MiB/s)"),
    ("saverestore.save_128_s", "save a 128 MiB guest to a file (native: QEMU's migrate to a file) (s)"),
    ("saverestore.restore_128_s", "restore it to its shell answering (s)"),
    ("saverestore.save_512_s", "save a 512 MiB guest (s)"),
    ("saverestore.restore_512_s", "restore it to its shell answering (s)"),
    ("migrate.idle_total_s", "live migration, 128 MiB guest idle at its shell: total (native: QEMU's migrate between two QEMUs) (s)"),
    ("migrate.idle_downtime_s", "its downtime (Domus: its pause to the target's word; QEMU: its own figure) (s)"),
    ("migrate.dirty_total_s", "the same, the guest rewriting 4 MiB/s: total (s)"),
    ("migrate.dirty_downtime_s", "its downtime (s)"),
    ("migrate.ping_gap_s", f"a ping through its vif unanswered, one figure a move ({PING_HOPS} a round, there and back) (s)"),
    ("clone.create_shell_s", "create a 128 MiB guest to its shell (the clone's anchor) (s)"),
    ("clone.clone_shell_s", "clone it, command to the clone's shell answering (s)"),
    ("clone.clone_of_create", "clone's time over create's, same boot"),
    ("clone.clone_stopped_s", "the guest stopped while cloned (s)"),
    ("clone.clone_cost_MiB", "Domus memory a fresh clone takes (MiB)"),
    ("density.guests", "64 MiB guests at their shell at once, 4 GiB machine"),
    ("density.all_ready_s", "first create to the last guest's shell (s)"),
]


def markdown_table(result):
    """The Performance table of a run's results.json: medians (min-max) and ratios."""
    rows = {r["metric"]: r for r in result["table"]}

    def num(v, metric):
        p = 3 if metric.endswith("_of_dom0") else 0 if v >= 1000 or (v >= 100 and not
                                                                      metric.endswith("_ns")) \
            else 1 if metric.endswith("_ns") else 2
        return f"{v:,.{p}f}"

    def cell(r, s):
        v = r.get(s)
        if not isinstance(v, dict):
            return v or "-"
        m = r["metric"]
        return f"{num(v['median'], m)} ({num(v['min'], m)}-{num(v['max'], m)})"

    ratio = lambda v: f"{v:.3f}" if v is not None else "-"
    out = ["| metric | native | Xen 4.17 | Domus | Domus/native | Domus/Xen |",
           "|---|---|---|---|---|---|"]
    for metric, label in TABLE_ROWS:
        r = rows.get(metric)
        if r:
            out.append(f"| {label} | {cell(r, 'native')} | {cell(r, 'xen')} | {cell(r, 'domus')} "
                       f"| {ratio(r['domus/native'])} | {ratio(r['domus/xen'])} |")
    sz = result["sizes"]
    out.append(f"| hypervisor image (bytes) | - | {sz['xen_image_bytes']:,} | "
               f"{sz['domus_image_bytes']:,} | - | "
               f"{sz['domus_image_bytes'] / sz['xen_image_bytes']:.3f} |")
    head = (f"`bash bench/run.sh {result.get('args', '')}`" +
            f", {result['date'][:10]}, commit {result['commit']}, {result['qemu']}, "
            f"{result['rounds']} interleaved rounds; medians (min-max):")
    return head + "\n\n" + "\n".join(out) + "\n"


class HostWatch:
    """Counts, while a sample runs, the QEMUs on this host that are not this script's: another
    QEMU's TCG threads share the cores and can stretch a wall-clock figure several times over
    (see the README). Records the most seen at once, polling twice a second."""

    def __init__(self):
        self.most = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    @staticmethod
    def others():
        me, n = os.getpid(), 0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if not open(f"/proc/{pid}/comm").read().startswith("qemu-system"):
                    continue
                ppid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            n += ppid != me
        return n

    def _poll(self):
        while True:
            self.most = max(self.most, self.others())
            if self._stop.wait(0.5):
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def wait_quiet_host(limit):
    """Waits up to `limit` seconds for no other QEMU on this host; True if there is none."""
    deadline, said = time.monotonic() + limit, False
    while HostWatch.others():
        if time.monotonic() > deadline:
            print(f"  (another QEMU still runs after {limit:.0f}s: measuring anyway)", flush=True)
            return False
        if not said:
            print("  (another QEMU runs on this host: waiting for it to end)", flush=True)
            said = True
        time.sleep(2)
    return True


def sizes(xen):
    img = ROOT / "build" / "domus.img"
    files = subprocess.run(["git", "ls-files", "hyp/*.c", "hyp/*.h", "hyp/*.S"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    lines = sum(1 for f in files for l in open(ROOT / f, errors="replace") if l.strip())
    return {"domus_image_bytes": img.stat().st_size, "domus_hyp_lines": lines,
            "xen_image_bytes": Path(xen).stat().st_size}


def summarize(samples):
    # A sample may be several figures from one boot (migrate.ping_gap_s: one per move).
    samples = [y for x in samples for y in (x if isinstance(x, list) else [x])
               if isinstance(y, (int, float))]
    if not samples:
        return None
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "n": len(samples)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xen", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="one round, quick metrics only")
    ap.add_argument("--only", metavar="NAME,...",
                    help="these metrics only: " + ", ".join(m[0] for m in METRICS))
    ap.add_argument("--domus-img", metavar="LABEL=IMAGE", action="append", default=[],
                    help="one more setup, LABEL: Domus from this image (run.sh --against REV)")
    ap.add_argument("--quiet-host", metavar="SECONDS", type=float, default=0,
                    help="before each sample, wait up to SECONDS for other QEMUs on this host "
                         "to end, and take a sample again (up to twice) if one ran during it")
    args = ap.parse_args()
    only = set(args.only.split(",")) if args.only else None
    if only and only - {m[0] for m in METRICS}:
        ap.error(f"--only: no metric {', '.join(sorted(only - {m[0] for m in METRICS}))}")
    XenMachine.xen = Path(args.xen)
    for spec in args.domus_img:
        label, img = spec.split("=", 1)
        OtherDomusMachine.img[label] = Path(img)
        SETUPS[label] = lambda name, label=label, **kw: OtherDomusMachine(name, label, **kw)
    global MICRO_N, HYPERCALL_BATCHES
    MICRO_N = 200 if args.quick else MICRO_N
    HYPERCALL_BATCHES = 10 if args.quick else HYPERCALL_BATCHES
    rounds = 1 if args.quick else args.rounds
    metrics = [m for m in METRICS if (m[4] or not args.quick) and
               (m[0] in only if only else m[4] is not None)]
    OUT.mkdir(parents=True, exist_ok=True)
    if any(m[0] in ("create", "io", "density") for m in metrics):
        subprocess.run(["bash", str(ROOT / "bench" / "xen-dom0.sh"),
                        str(qemu.GUEST / "initrd.img"), str(XEN_DOM0_INITRD)], check=True)

    raw = {m[0]: {s: [] for s in SETUPS} for m in metrics}
    failed = {m[0]: {s: 0 for s in SETUPS} for m in metrics}
    for name, _, sample, _, _ in metrics:
        for rnd in range(rounds):
            for setup in SETUPS:          # interleaved: native, xen, domus, native, ...
                for attempt in range(3 if args.quiet_host else 1):
                    if args.quiet_host:
                        wait_quiet_host(args.quiet_host)
                    with HostWatch() as watch:
                        r = sample(setup, rnd)
                    if r is None or not watch.most or attempt == 2:
                        break
                    print(f"  {name:12} round {rnd + 1}/{rounds} {setup:7} another QEMU ran "
                          "meanwhile: again", flush=True)
                if r is not None:
                    r["other_qemus"] = watch.most  # the most other QEMUs seen during the sample
                shown = {k: v for k, v in r.items() if k != "detail"} if r else r
                print(f"  {name:12} round {rnd + 1}/{rounds} {setup:7} "
                      f"{shown if r is not None else 'no result (see build/bench/logs)'}", flush=True)
                if r is None:
                    failed[name][setup] += 1
                else:
                    raw[name][setup].append(r)

    others = [s for s in SETUPS if s not in ("native", "xen", "domus")]
    table = []
    for name, desc, _, fields, _ in metrics:
        for f in fields:
            row = {"metric": f"{name}.{f}", "desc": desc}
            for s in SETUPS:
                row[s] = summarize([x[f] for x in raw[name][s]])
                # No figure at all: say why (a reason the guest gave, or that it hung).
                why = [x[f] for x in raw[name][s] if isinstance(x[f], str)]
                if row[s] is None and (why or failed[name][s]):
                    row[s] = why[0] if why else "hangs"
            d, n, x = row["domus"], row["native"], row["xen"]
            num = lambda v: isinstance(v, dict) and v["median"] != 0  # (0 console lines)
            row["domus/native"] = d["median"] / n["median"] if num(d) and num(n) else None
            row["domus/xen"] = d["median"] / x["median"] if num(d) and num(x) else None
            for o in others:
                row[f"domus/{o}"] = d["median"] / row[o]["median"] if num(d) and num(row[o]) else None
            table.append(row)
    sz = sizes(args.xen)

    def cell(r, s):
        v = r[s]
        if not isinstance(v, dict):
            return v or "-"  # None, or why there is no figure
        p = 1 if r["metric"].endswith("_ns") else 0 if r["metric"].endswith("_lines") else 2
        return f"{v['median']:.{p}f} ({v['min']:.{p}f}-{v['max']:.{p}f})"

    w = 26
    print(f"\n{'metric':22} {'native':>{w}} {'xen 4.17':>{w}} {'domus':>{w}} {'D/native':>9} {'D/xen':>7}"
          + "".join(f" {o:>{w}} {'D/' + o:>{len(o) + 2}}" for o in others))
    for r in table:
        ratio = lambda v: f"{v:.3f}" if v is not None else "-"
        print(f"{r['metric']:22} {cell(r, 'native'):>{w}} {cell(r, 'xen'):>{w}} "
              f"{cell(r, 'domus'):>{w}} {ratio(r['domus/native']):>9} {ratio(r['domus/xen']):>7}"
              + "".join(f" {cell(r, o):>{w}} {ratio(r['domus/' + o]):>{len(o) + 2}}" for o in others))
    print(f"{'image bytes':22} {'-':>{w}} {sz['xen_image_bytes']:>{w}} {sz['domus_image_bytes']:>{w}}"
          f" {'-':>9} {sz['domus_image_bytes'] / sz['xen_image_bytes']:>7.3f}")
    print(f"{'hyp/ non-blank lines':22} {'-':>{w}} {'-':>{w}} {sz['domus_hyp_lines']:>{w}}")

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    if subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "hyp", "guest", "bench", "tools",
                       ":!*.md"],
                      cwd=ROOT).returncode:
        commit += " with uncommitted changes"
    qv = subprocess.run([qemu.QEMU, "--version"], capture_output=True, text=True).stdout
    result = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "commit": commit,
              "args": ("--quick" if args.quick else f"--rounds {rounds}") +
                      (f" --only {args.only}" if args.only else "") +
                      (f" --quiet-host {args.quiet_host:g}" if args.quiet_host else ""),
              "qemu": qv.splitlines()[0] if qv else "", "rounds": rounds,
              "microbench_n": MICRO_N, "samples": raw,
              "table": table, "sizes": sz}
    # A run of some metrics (--only) leaves the full run's results.json alone.
    stem = "results" if not only else "results-" + "-".join(sorted(only))
    (OUT / f"{stem}.json").write_text(json.dumps(result, indent=1))
    (OUT / f"{stem}.md").write_text(markdown_table(result))
    plot(table, stem)
    print(f"\nresults: {OUT / f'{stem}.json'}, chart: {OUT / f'{stem}.png'}")


def plot(table, stem="results"):
    """A panel per unit: seconds, ns per operation (log scale), MiB/s, domU/dom0 ratios."""
    units = {"ns": "_ns", "MiBps": "_MiBps", "ratio": "_of_dom0", "lines": "_lines", "count": ".guests"}  # not drawn
    unit = lambda r: next((u for u, end in units.items() if r["metric"].endswith(end)), "s")
    panels = [("s", "seconds (median)", "set yrange [0:*]"),
              ("ns", "ns per operation (median, log)", "set yrange [*:*]; set logscale y"),
              ("MiBps", "MiB/s (median)", "set yrange [0:*]"),
              ("ratio", "domU over dom0 (median)", "set yrange [0:*]")]
    panels = [(u, label, extra, [r for r in table if unit(r) == u]) for u, label, extra in panels]
    plots = []
    for unit, ylabel, extra, rows in panels:
        if not rows:
            continue
        data = OUT / f"{stem}-{unit}.dat"
        with open(data, "w") as f:
            f.write("metric native xen domus\n")
            for r in rows:
                vals = [f"{r[s]['median']:.4f}" if isinstance(r[s], dict) else "?"
                        for s in ("native", "xen", "domus")]
                f.write(f"{r['metric']} " + " ".join(vals) + "\n")
        plots.append(f"""set ylabel '{ylabel}'
unset logscale y
{extra}
plot '{data}' using 2:xtic(1) title columnheader(2), '' using 3 title columnheader(3), \\
     '' using 4 title columnheader(4)
""")
    script = f"""set terminal png size 900,{400 * len(plots)} noenhanced
set output '{OUT / f"{stem}.png"}'
set datafile missing '?'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top left
set xtics rotate by -20
set multiplot layout {len(plots)},1 title 'Domus vs native vs Xen 4.17 (QEMU virt, TCG)'
""" + "".join(plots) + "unset multiplot\n"
    subprocess.run(["gnuplot"], input=script, text=True, check=False)


if __name__ == "__main__":
    main()
