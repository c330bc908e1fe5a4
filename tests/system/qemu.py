# SPDX-License-Identifier: MIT
"""Boots Domus + dom0 (or the guest kernel natively) in QEMU and drives the console with pexpect."""

import os
import re
import secrets
import shlex
import socket
import subprocess
import threading
import time
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
GUEST = BUILD / "guest"
DOMUS_IMG = Path(os.environ.get("DOMUS_IMG", BUILD / "domus.img"))
LOG_DIR = BUILD / "test-logs"
QEMU = os.environ.get("QEMU", "qemu-system-aarch64")

# Guest-loader addresses (QEMU virt RAM starts at 0x40000000).
KERNEL_ADDR = 0x49000000
INITRD_ADDR = 0x50000000

# QEMU's own escape key (-nographic multiplexes its monitor on stdio). Ctrl-t, so that Ctrl-a
# reaches the hypervisor's console (Xen-style: Ctrl-a three times switches input).
QEMU_ECHR = 0x14

# Multiplies every timeout: TCG on a slow or busy machine (DOMUS_TEST_TIMEOUT_SCALE=2).
TIMEOUT_SCALE = float(os.environ.get("DOMUS_TEST_TIMEOUT_SCALE", "1"))
# QEMU is killed after this many seconds whatever the test is doing.
HARD_TIMEOUT = float(os.environ.get("DOMUS_TEST_HARD_TIMEOUT", "900"))

READY = "DOMUS-GUEST-READY"
CTRL_A3 = "\x01\x01\x01"  # Domus' console switch, as Xen's
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_KLOG = re.compile(r"^\[\s*\d+\.\d+\] ")


def wire():
    """Two ends of a TCP connection on the host's loopback that join two machines' NICs
    (Machine's link=), for the two-host tests and benchmarks. QEMU 7.2's socket and stream
    netdevs leave Nagle's algorithm on the connections they make, so a small frame sent while
    an earlier one is unacknowledged waits for the peer's delayed ACK: tens of ms a direction
    after a bulk transfer, which no real wire adds (later QEMUs turn it off). These ends have
    TCP_NODELAY, and QEMU takes them as they are (`-netdev socket,fd=`)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        a = socket.create_connection(listener.getsockname())
        b, _ = listener.accept()
    for end in (a, b):
        end.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return a, b


class _Spawn(pexpect.spawn):
    """pexpect.spawn that keeps the given descriptors open in the child (pexpect 4.8 closes
    all but its own)."""

    def __init__(self, *args, pass_fds=(), **kwargs):
        self._pass_fds = tuple(pass_fds)
        super().__init__(*args, **kwargs)

    def _spawnpty(self, args, **kwargs):
        return super()._spawnpty(args, pass_fds=self._pass_fds, **kwargs)


class Machine:
    """One QEMU virt machine: Domus with dom0 (hypervisor=True) or the guest kernel alone."""

    def __init__(self, name, *, smp=2, mem=2048, cpu="cortex-a57", hypervisor=True,
                 domus_args="", dom0_mem="512M", dom0_bootargs=None,
                 kernel=None, initrd=None, disks=(), net=True, netdev_opts="", extra_args=(),
                 dom0less=None, dtb=None, link=None, log_dir=LOG_DIR):
        self.name = name
        self.smp, self.mem, self.cpu = smp, mem, cpu
        self.hypervisor = hypervisor
        self.domus_args = domus_args
        self.dom0_mem = dom0_mem
        # Dom0's console is hvc0 under a hypervisor (it keeps the UART, as Xen does).
        if dom0_bootargs is None:
            dom0_bootargs = "console=hvc0" if hypervisor else "console=ttyAMA0"
        self.dom0_bootargs = dom0_bootargs
        self.kernel = Path(kernel) if kernel else GUEST / "vmlinuz"
        # initrd="" boots the kernel without one.
        self.initrd = Path(initrd) if initrd else None if initrd == "" else GUEST / "initrd.img"
        self.disks = [Path(d) for d in disks]
        self.net = net
        self.netdev_opts = netdev_opts  # more user-mode netdev options, e.g. a guestfwd
        self.extra_args = list(extra_args)
        # (socket, MAC): one end of a wire() to another machine, as a second NIC.
        self.link = link
        # A scripts/dom0less.sh description: its device tree and loaders replace the
        # guest-loader devices (dtb: another device tree to boot with instead of its own).
        self.dom0less = Path(dom0less) if dom0less else None
        self.dtb = Path(dtb) if dtb else None
        self.log_path = Path(log_dir) / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name) + ".log")
        self.child = None
        self.boot_seconds = None   # wall time from spawn to DOMUS-GUEST-READY
        self.guest_uptime = None   # the guest's /proc/uptime when it printed DOMUS-GUEST-READY
        self._log = None
        self._console = None
        self._watchdog = None
        self._t0 = None

    # --- command line

    def command(self):
        machine = "virt,gic-version=3" + (",virtualization=on" if self.hypervisor else "")
        cmd = [QEMU, "-M", machine, "-cpu", self.cpu, "-smp", str(self.smp),
               "-m", str(self.mem), "-nographic", "-no-reboot", "-echr", hex(QEMU_ECHR)]
        if self.hypervisor:
            append = " ".join(a for a in (f"dom0_mem={self.dom0_mem}" if self.dom0_mem else "",
                                          self.domus_args) if a)
            cmd += ["-kernel", str(DOMUS_IMG), "-append", append]
            if self.dom0less:
                cmd += self.dom0less_args()
            else:
                cmd += ["-device", f"guest-loader,addr={KERNEL_ADDR:#x},"
                                   f"kernel={_opt(self.kernel)},bootargs={_opt(self.dom0_bootargs)}",
                        "-device", f"guest-loader,addr={INITRD_ADDR:#x},initrd={_opt(self.initrd)}"]
        else:
            cmd += ["-kernel", str(self.kernel), "-append", self.dom0_bootargs]
            if self.initrd:
                cmd += ["-initrd", str(self.initrd)]
        if self.net:
            # restrict=on: slirp answers DHCP but routes nothing off this machine.
            netdev = "user,id=n0,restrict=on" + (f",{self.netdev_opts}" if self.netdev_opts else "")
            cmd += ["-netdev", netdev, "-device", "virtio-net-device,netdev=n0"]
        else:
            # Not QEMU's default NIC either (virtio-net-pci, whose option ROM comes from
            # ipxe-qemu, a package that is only recommended).
            cmd += ["-nic", "none"]
        if self.link:
            sock, mac = self.link
            cmd += ["-netdev", f"socket,id=link,fd={sock.fileno()}",
                    "-device", f"virtio-net-device,netdev=link,mac={mac}"]
        for i, disk in enumerate(self.disks):
            cmd += ["-drive", f"if=none,id=d{i},format=raw,file={_opt(disk)}",
                    "-device", f"virtio-blk-device,drive=d{i}"]
        return cmd + self.extra_args

    def dom0less_args(self):
        """What scripts/dom0less.sh gives QEMU for this machine: -dtb and a loader per module."""
        env = dict(os.environ, SMP=str(self.smp), MEM=str(self.mem), CPU=self.cpu, QEMU=QEMU)
        out = subprocess.run(["bash", str(ROOT / "scripts/dom0less.sh"), "--args",
                              str(self.dom0less)], cwd=ROOT, env=env, check=True,
                             capture_output=True, text=True).stdout.split("\n")
        args = [a for a in out if a]
        if self.dtb:
            args[args.index("-dtb") + 1] = str(self.dtb)
        return args

    # --- lifecycle

    def start(self):
        cmd = self.command()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w", encoding="utf-8", errors="replace")
        self._log.write("$ " + shlex.join(cmd) + "\n")
        self._log.flush()
        self._t0 = time.monotonic()
        fds = (self.link[0].fileno(),) if self.link else ()
        for fd in fds:
            os.set_inheritable(fd, True)
        self.child = _Spawn(cmd[0], cmd[1:], pass_fds=fds, cwd=str(ROOT), encoding="utf-8",
                            codec_errors="replace", timeout=30 * TIMEOUT_SCALE,
                            dimensions=(50, 200))
        if self.link:
            self.link[0].close()  # QEMU has its end; ours would keep the wire up after it
        self._console = _ConsoleLog(self._log)
        self.child.logfile_read = self._console
        self._watchdog = threading.Timer(HARD_TIMEOUT, self._hard_kill)
        self._watchdog.daemon = True
        self._watchdog.start()
        return self

    def _hard_kill(self):
        # Runs in the timer's thread: signal only, the main thread reaps QEMU.
        self._note(f"hard timeout ({HARD_TIMEOUT:.0f}s): killing QEMU")
        try:
            os.kill(self.child.pid, 9)
        except (ProcessLookupError, AttributeError):
            pass

    def _note(self, text):
        if self._log and not self._log.closed:
            self._log.write(f"\n### {text}\n")
            self._log.flush()

    def close(self):
        """Kills QEMU if still running; always safe to call."""
        if self._watchdog:
            self._watchdog.cancel()
        if self.child is not None:
            if self.child.isalive():
                self._note("teardown: killing QEMU")
                self.child.terminate(force=True)
            try:
                self.child.close(force=True)
            except Exception:
                pass
        if self._log and not self._log.closed:
            self._log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # --- console

    def wait_for(self, pattern, timeout=60):
        """Waits for a regex on the console; returns the re.Match. Fails with the log's tail."""
        try:
            self.child.expect(pattern, timeout=timeout * TIMEOUT_SCALE)
        except pexpect.TIMEOUT:
            self.hypervisor_view()
            raise AssertionError(f"{self.name}: no {pattern!r} on the console within "
                                 f"{timeout * TIMEOUT_SCALE:.0f}s{self._tail()}") from None
        except pexpect.EOF:
            raise AssertionError(f"{self.name}: QEMU exited while waiting for {pattern!r}"
                                 f"{self._tail()}") from None
        return self.child.match

    def wait_ready(self, timeout=300):
        """Waits for the guest's init to print DOMUS-GUEST-READY; returns seconds since spawn."""
        m = self.wait_for(READY + r" ([0-9.]+)", timeout)
        self.boot_seconds = time.monotonic() - self._t0
        self.guest_uptime = float(m.group(1))
        self._note(f"{READY} after {self.boot_seconds:.1f}s wall, guest uptime {self.guest_uptime}s")
        return self.boot_seconds

    def elapsed(self):
        """Wall seconds since QEMU was started."""
        return time.monotonic() - self._t0

    def transcript(self):
        """Everything QEMU has printed so far (CRs removed)."""
        return "".join(self._console.parts).replace("\r", "")

    def mark(self):
        """A position in transcript(), for wait_logged(since=...)."""
        return len(self.transcript())

    def wait_logged(self, pattern, since=0, timeout=30):
        """Waits for a regex anywhere in the console output after `since`, including text that
        shell() or wait_for() already consumed (e.g. a hypervisor line inside a command's
        output). Returns the re.Match."""
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        while True:
            m = re.compile(pattern, re.M).search(self.transcript(), since)
            if m:
                return m
            if time.monotonic() > deadline:
                self.hypervisor_view()
                raise AssertionError(f"{self.name}: no {pattern!r} on the console within "
                                     f"{timeout * TIMEOUT_SCALE:.0f}s{self._tail()}")
            try:
                self.child.expect(r"[\s\S]+", timeout=0.5)   # read whatever comes
            except pexpect.TIMEOUT:
                pass
            except pexpect.EOF:
                m = re.compile(pattern, re.M).search(self.transcript(), since)
                if m:
                    return m
                raise AssertionError(f"{self.name}: QEMU exited while waiting for "
                                     f"{pattern!r}{self._tail()}") from None

    def send(self, text):
        self.child.send(text)

    def console_to(self, *stops, shell=False):
        """Ctrl-a three times for each of stops, each where Domus' console input must land next
        ("Domus", "d0", "d1's UART"); with shell, waits for the prompt of the shell there."""
        for stop in stops:
            self.send(CTRL_A3)
            self.wait_for(r"console input to " + re.escape(stop))
        if shell:
            self.send("\n")
            self.wait_for(r"~ # ")

    def hypervisor_view(self):
        """Domus' own account (debug keys d, r, e: domains and vCPUs with their event state,
        run queues, event channels), put into the log when a wait times out, so that a stall
        shows who was waiting on what. Input goes back to dom0 afterwards, if there is one."""
        if not self.hypervisor or self.child is None or not self.child.isalive():
            return
        self._note("a wait timed out: Domus' debug keys d, r, e")
        try:
            self.child.send(CTRL_A3 + "dre")
            self.child.expect(pexpect.TIMEOUT, timeout=3)
            # On round the switch (guests with a UART come after Domus) until dom0 has it.
            for _ in range(8):
                self.child.send(CTRL_A3)
                if self.child.expect([r"console input to d0", r"console input to"],
                                     timeout=3) == 0:
                    break
        except (pexpect.EOF, pexpect.TIMEOUT):
            pass

    def shell(self, cmd, timeout=60):
        """Runs cmd in the guest's shell; returns (output, exit status).

        The output is what cmd printed between two unique markers, with CRLF turned into LF,
        terminal escapes and kernel log lines ("[  1.234] ...") removed.
        """
        tag = secrets.token_hex(4)
        begin, end = f"__BEGIN_{tag}__", f"__END_{tag}__"
        # The markers are quoted apart in the command so that its echo does not match them.
        self.send(f'echo "__BEGIN_""{tag}__"; {cmd}; echo "__END_""{tag}__ $?"\n')
        # To the end of its line: a kernel message may have been printed around the marker.
        self.wait_for(re.escape(begin) + r"[^\n]*\n", timeout)
        m = self.wait_for(re.escape(end) + r" (\d+)", timeout)
        lines = _ANSI.sub("", self.child.before).replace("\r", "").split("\n")
        out = "\n".join(l for l in lines if not _KLOG.match(l))
        return out.strip("\n"), int(m.group(1))

    def run(self, cmd, timeout=60):
        """Like shell(), but asserts exit status 0 and returns the output only."""
        out, status = self.shell(cmd, timeout)
        assert status == 0, f"{self.name}: `{cmd}` exited {status}:\n{out}"
        return out

    def poweroff(self, timeout=60):
        """Sends `poweroff` and returns QEMU's exit status (negative: killed by that signal)."""
        self.send("poweroff\n")
        try:
            self.child.expect(pexpect.EOF, timeout=timeout * TIMEOUT_SCALE)
        except pexpect.TIMEOUT:
            raise AssertionError(f"{self.name}: QEMU still running {timeout * TIMEOUT_SCALE:.0f}s "
                                 f"after poweroff{self._tail()}") from None
        self.child.close()
        if self.child.signalstatus is not None:
            return -self.child.signalstatus
        return self.child.exitstatus

    def _tail(self, n=40):
        if self._log and not self._log.closed:
            self._log.flush()
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()[-n:]
        except OSError:
            return ""
        return f"\n--- last {len(lines)} console lines ({self.log_path}):\n" + "\n".join(lines)


class _ConsoleLog:
    """pexpect's logfile_read: writes the log file without the CRs of the guest's (and QEMU's)
    CRLFs, and keeps the whole console output in memory for Machine.wait_logged()."""

    def __init__(self, f):
        self.f = f
        self.parts = []

    def write(self, s):
        self.parts.append(s)
        self.f.write(s.replace("\r", ""))

    def flush(self):
        self.f.flush()


def _opt(value):
    """A value inside a QEMU -device/-drive option list: commas are doubled."""
    return str(value).replace(",", ",,")


def wait_ipv4(run, dev):
    """The address DHCP gave dev (polls: the client runs in the background from boot). run:
    a Machine's run, or anything that runs a command in the guest and returns its output."""
    out = run(f"for i in $(seq 150); do ip -4 addr show {dev} | grep -q 'inet ' && break; "
              f"sleep 0.2; done; ip -4 addr show {dev}")
    found = re.search(r"inet (10\.0\.2\.\d+)/", out)
    assert found, f"{dev} got no address from DHCP:\n{out}"
    return found.group(1)


def make_pattern_disk(path, size=4 << 20):
    """Writes a raw disk image of pseudo-random but fixed bytes; returns its sha256 hex digest."""
    import hashlib
    out, counter = bytearray(), 0
    while len(out) < size:
        out += hashlib.sha512(b"domus-disk-%d" % counter).digest()
        counter += 1
    data = bytes(out[:size])
    Path(path).write_bytes(data)
    return hashlib.sha256(data).hexdigest()
