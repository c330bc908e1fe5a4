# SPDX-License-Identifier: MIT
"""Guest domains built from dom0 with the domus tool: a stock Debian kernel boots to its
shell on its own console, several run at once, each is isolated, and destroying one gives
every page back."""

import re

from test_dom0 import boot_dom0, number

DETACH = "\x1d"  # Ctrl-]


def write_config(m, path, name, memory, vcpus=1, kernel="/boot/domu/Image.gz", extra="",
                 more=""):
    m.run(f"printf '%s\\n' 'name = \"{name}\"' 'memory = {memory}' 'vcpus = {vcpus}' "
          f"'kernel = \"{kernel}\"' 'ramdisk = \"/boot/domu/initrd.img\"' "
          f"'extra = \"console=hvc0 {extra}\"' {more} > {path}")


def attach(m, name, timeout=240):
    """Attaches to a guest's console and waits for its shell prompt."""
    m.send(f"domus console {name}\n")
    m.wait_for("DOMUS-GUEST-READY", timeout=timeout)
    m.send("\n")
    m.wait_for(r"~ # ", timeout=60)


def guest_run(m, cmd, pattern, timeout=60):
    """Runs cmd in the attached guest's shell; returns the match of pattern in its output."""
    m.send(cmd + "\n")
    return m.wait_for(pattern, timeout=timeout)


def detach(m):
    """Leaves the guest's console: once `domus console` says so, what is typed next reaches
    dom0's shell (a prompt alone could still be the guest's, printed just before)."""
    m.send(DETACH)
    m.wait_for(r"domus: left the console of '[^']*'", timeout=30)
    m.wait_for(r"~ # ", timeout=30)


def boots_to_its_shell(m, name, memory):
    """Creates a guest of memory MiB, runs a command in its shell, and destroys it."""
    write_config(m, f"/tmp/{name}.cfg", name, memory)
    m.run(f"domus create /tmp/{name}.cfg", timeout=120)
    attach(m, name)
    guest_run(m, f"echo {name} $((6 * 7))", rf"\n{name} 42\r*\n")
    detach(m)
    m.run(f"domus destroy {name}")


def free_pages(m):
    """Domus' free pages plus those dom0's stage-2 tables and grant-map records took
    meanwhile: dom0 balloons pages out to map a guest's (privcmd, gntdev), which splits its
    block mappings into page tables, and xenstored's first grant map takes a maptrack page."""
    return number(m.run("domus info | awk '/^free_pages|^dom0_p2m_pages|^dom0_maptrack_pages/ "
                        "{ n += $NF } END { print n }'"))


def test_guest_boots_stock_kernel_to_its_shell_and_powers_off_from_inside(domus_image, boot):
    m = boot_dom0(boot, smp=2)
    before = free_pages(m)
    out = m.run("domus create /etc/domus/guest.cfg", timeout=120)
    assert re.search(r"started 'guest' as domain 1 \(256 MiB, 1 vCPUs\)", out), out
    assert re.search(r"^guest\s+1\s+256\s+1\s+running", m.run("domus list"), re.M)
    attach(m, "guest")
    guest_run(m, "cat /sys/hypervisor/type", r"\nxen\r*\n")
    kib = int(guest_run(m, "awk '/^MemTotal:/ { print $2 }' /proc/meminfo",
                        r"\n(\d+)\r*\n").group(1))
    assert 128 * 1024 < kib <= 256 * 1024, kib
    # Domus' dump shows its console and XenStore rings: all typed input taken by the guest,
    # all it printed drained by dom0, every request answered.
    since = m.mark()
    m.send("\x01\x01\x01")
    m.wait_logged(r"\(domus\) console input to Domus", since)
    m.send("d")
    ring = r" ring: \w+ cons (\d+) prod (\d+), \w+ cons (\d+) prod (\d+)"
    con = m.wait_logged(r"\(domus\)\s+console" + ring, since)
    store = m.wait_logged(r"\(domus\)\s+XenStore" + ring, since)
    for r in (con, store):
        assert r.group(1) == r.group(2) and r.group(3) == r.group(4) and int(r.group(4)) > 0, \
            r.group(0)
    m.send("\x01\x01\x01")
    m.wait_logged(r"\(domus\) console input to d0", since)
    # Powering off inside the guest ends it (on_poweroff = destroy) and the console with it.
    since = m.mark()
    m.send("poweroff\n")
    m.wait_logged(r"\(domus\) d1: shut down \(poweroff\)", since)
    m.wait_logged(r"\(domus\) d1: destroyed, 25\d MiB returned", since)
    m.wait_logged(r"domus: the console of 'guest' closed", since)
    assert "guest" not in m.run("domus list")
    assert free_pages(m) == before
    # Its boot log stays in dom0.
    assert "DOMUS-GUEST-READY" in m.run("cat /var/log/domus/guest.log")


def test_guest_reboot_restarts_it_as_on_reboot_says(domus_image, boot):
    m = boot_dom0(boot, smp=2)
    m.run("domus create /etc/domus/guest.cfg", timeout=120)
    attach(m, "guest")
    since = m.mark()
    m.send("reboot\n")
    m.wait_logged(r"\(domus\) d1: shut down \(reboot\)", since)
    m.wait_logged(r"\(domus\) d1: destroyed", since)
    m.wait_logged(r"domus: the console of 'guest' closed", since)
    # on_reboot = restart: the toolstack builds it again from its config, as a new domain
    # with the next id (ids are not reused at once: whatever still names d1 reaches nobody).
    m.wait_logged(r"\(domus\) d2: running", since, timeout=120)
    assert re.search(r"^guest\s+2\s+256\s+1\s+running", m.run("domus list"), re.M)
    attach(m, "guest")
    guest_run(m, "cat /sys/hypervisor/type", r"\nxen\r*\n")


def xenstore_nodes(m):
    return number(m.run("xenstore-ls -f / | wc -l"))


def test_guest_has_its_xenstore_records_and_shuts_down_when_dom0_asks(domus_image, boot):
    """`domus shutdown` writes control/shutdown; the guest's own xenbus driver sees it and
    powers off in order. Its records go with it and dom0's watchers hear @releaseDomain."""
    m = boot_dom0(boot, smp=2)
    nodes = xenstore_nodes(m)
    assert m.run("xenstore-read /local/domain/0/name").strip().endswith("Domain-0")
    m.run("domus create /etc/domus/guest.cfg", timeout=120)
    out = m.run("xenstore-ls -f /local/domain/1")
    for node in ('/local/domain/1/name = "guest"', '/local/domain/1/memory/target = "262144"',
                 '/local/domain/1/cpu/0/availability = "online"',
                 '/local/domain/1/control/platform-feature-xs_reset_watches = "1"'):
        assert node in out, out
    attach(m, "guest")
    # The guest's kernel speaks XenStore: it announced what shutdowns it supports.
    guest_run(m, "xenstore-read control/feature-poweroff name", r"\n1\r*\nguest\r*\n")
    detach(m)
    m.send("xenstore-watch -n 2 @releaseDomain > /tmp/released &\n")
    m.wait_for(r"~ # ")
    since = m.mark()
    out, status = m.shell("domus shutdown -w guest", timeout=90)
    assert status == 0, out
    m.wait_logged(r"\(domus\) d1: shut down \(poweroff\)", since)
    m.wait_logged(r"\(domus\) d1: destroyed, 256 MiB returned", since)
    assert "guest" not in m.run("domus list")
    # Fired once when set, once when the guest stopped: the watcher ends after those two
    # events, and `wait` waits for it to.
    assert m.run("wait; cat /tmp/released", timeout=60).count("@releaseDomain") == 2
    assert xenstore_nodes(m) == nodes
    out, status = m.shell("domus shutdown guest")
    assert status != 0 and "no domain 'guest'" in out, out


def test_two_guests_with_two_vcpus_each_see_their_own_cpus_and_memory(domus_image, boot):
    m = boot_dom0(boot, smp=2, mem=2048)
    write_config(m, "/tmp/a.cfg", "alpha", 160, vcpus=2, more="'on_crash = \"preserve\"'")
    write_config(m, "/tmp/b.cfg", "beta", 224, vcpus=2)
    m.run("domus create /tmp/a.cfg && domus create /tmp/b.cfg", timeout=180)
    out = m.run("domus list")
    assert re.search(r"^alpha\s+1\s+160\s+2\s+running", out, re.M), out
    assert re.search(r"^beta\s+2\s+224\s+2\s+running", out, re.M), out
    for name, mib in (("alpha", 160), ("beta", 224)):
        attach(m, name)
        guest_run(m, "nproc", r"\n2\r*\n")
        kib = int(guest_run(m, "awk '/^MemTotal:/ { print $2 }' /proc/meminfo",
                            r"\n(\d+)\r*\n").group(1))
        assert (mib - 96) * 1024 < kib <= mib * 1024, (name, kib)
        # XenStore: its own records only. Dom0's and the other guest's are closed to it.
        other = 2 if name == "alpha" else 1
        guest_run(m, "xenstore-read name", rf"\n{name}\r*\n")
        guest_run(m, "xenstore-write data/mine yes && xenstore-read data/mine", r"\nyes\r*\n")
        for cmd in (f"xenstore-read /local/domain/{other}/name", "xenstore-read /local/domain/0/name",
                    f"xenstore-write /local/domain/{other}/data/x 1", "xenstore-write /tool/x 1",
                    "xenstore-list /local/domain", f"xenstore-rm /local/domain/{other}/name",
                    f"xenstore-chmod /local/domain/{other}/data n{3 - other}"):
            guest_run(m, f"{cmd}; echo status=$?", r"Permission denied\r*\nstatus=1")
        detach(m)
    out = m.run("domus vcpu-list alpha")
    assert len(re.findall(r"^alpha\s+1\s+\d", out, re.M)) == 2, out
    # Pausing one stops its vCPUs and leaves the other running.
    m.run("domus pause alpha")
    out = m.run("domus list; domus vcpu-list alpha")
    assert re.search(r"^alpha\s+1\s+160\s+2\s+paused", out, re.M), out
    assert re.search(r"^beta\s+2\s+224\s+2\s+running", out, re.M), out
    assert len(re.findall(r"^alpha\s+1\s+\d\s+\d\s+paused", out, re.M)) == 2, out
    out = m.run("xenstore-read /local/domain/1/data/mine /local/domain/2/data/mine "
                "/local/domain/2/name")
    assert re.search(r"yes\r*\nyes\r*\nbeta", out), out
    m.run("domus unpause alpha")
    assert re.search(r"^alpha\s+1\s+160\s+2\s+running", m.run("domus list"), re.M)
    # A guest kernel that panics: Linux on Arm does not tell Xen, but its watchdog (xen_wdt,
    # SCHEDOP_watchdog) stops being pushed back. It is reported crashed; beta runs on.
    attach(m, "alpha")
    since = m.mark()
    guest_run(m, "watchdog -T 3 -t 1 /dev/watchdog && echo armed", r"\narmed\r*\n")
    m.send("echo c > /proc/sysrq-trigger\n")
    m.wait_logged(r"Kernel panic - not syncing: sysrq triggered crash", since)
    m.wait_logged(r"\(domus\) d1: its watchdog fired", since, timeout=60)
    m.wait_logged(r"domus: the console of 'alpha' closed", since)
    out = m.run("domus list")
    assert re.search(r"^alpha\s+1\s+160\s+2\s+crashed", out, re.M), out
    assert re.search(r"^beta\s+2\s+224\s+2\s+running", out, re.M), out
    attach(m, "beta")
    guest_run(m, "echo still $((6 * 7))", r"\nstill 42\r*\n")
    detach(m)
    m.run("domus destroy alpha && domus destroy beta")
    assert "alpha" not in m.run("domus list")


def test_a_guest_vcpu_waiting_behind_a_busy_one_moves_to_the_idle_pcpu(domus_image, boot):
    """Dom0's vCPU 0 spins on pCPU 0, where the guest's one vCPU is placed; dom0's vCPU 1 idles.
    A work-conserving scheduler runs the guest on pCPU 1: it loses almost no time to waiting
    (its steal time, from the runstate area), where taking turns on pCPU 0 would lose half."""
    m = boot_dom0(boot, smp=2)
    write_config(m, "/tmp/spin.cfg", "spin", 128)
    m.run("domus create /tmp/spin.cfg", timeout=120)
    m.run("(taskset 1 sh -c 'while :; do :; done' & echo $! > /tmp/spin.pid)")
    attach(m, "spin")
    # /proc/stat's cpu line: user nice system idle iowait irq softirq steal, in 1/100 s.
    out = guest_run(m, "head -1 /proc/stat; timeout 5 sh -c 'while :; do :; done'; "
                    "head -1 /proc/stat", r"\ncpu ([\d ]+)\r*\n[\s\S]*?\ncpu ([\d ]+)\r*\n",
                    timeout=60)
    before, after = ([int(x) for x in out.group(i).split()] for i in (1, 2))
    busy, steal = sum(after[:3]) - sum(before[:3]), after[7] - before[7]
    detach(m)
    m.run("kill $(cat /tmp/spin.pid)")
    # How much it ran depends on how much CPU the host gave QEMU (a loaded host gives less):
    # what shows the scheduler is the share of its time it spent waiting to run.
    assert busy > 0, (before, after)
    assert steal * 5 < busy + steal, f"the guest waited {steal} of {busy + steal} ticks"
    m.run("domus destroy spin", timeout=60)


def test_fifty_create_destroy_cycles_return_every_page(domus_image, boot):
    m = boot_dom0(boot, smp=2)
    m.run("gunzip -c /boot/domu/Image.gz > /tmp/Image", timeout=120)
    write_config(m, "/tmp/soak.cfg", "soak", 96, vcpus=2, kernel="/tmp/Image")
    before, nodes = free_pages(m), xenstore_nodes(m)
    out, status = m.shell("for i in $(seq 50); do domus create /tmp/soak.cfg >/dev/null && "
                          "domus destroy soak || break; done; echo cycles=$i", timeout=600)
    assert status == 0 and "cycles=50" in out, out
    assert "soak" not in m.run("domus list")
    assert free_pages(m) == before
    assert xenstore_nodes(m) == nodes


def test_guest_with_an_sbsa_uart_prints_on_domus_console_as_dn_lines(domus_image, boot):
    """vuart = "sbsa_uart" gives the guest Xen's emulated SBSA UART: stock Linux finds it in
    its device tree (arm,sbsa-uart at 0x22000000, SPI 32), and with console=ttyAMA0 its
    kernel log and its init's lines come out on Domus' console a line at a time, "(d1) ",
    as Xen shows a domU's. A config asking for another kind of UART is refused by name."""
    m = boot_dom0(boot, smp=2)
    write_config(m, "/tmp/uart.cfg", "uart", 128, extra="console=ttyAMA0",
                 more="'vuart = \"sbsa_uart\"'")
    since = m.mark()
    out = m.run("domus create /tmp/uart.cfg", timeout=120)
    assert "started 'uart' as domain 1" in out, out
    m.wait_logged(r"\(domus\) d1: created \"uart\": 1 vCPUs, up to 128 MiB, an SBSA UART", since)
    m.wait_logged(r"^\(d1\) \[ *[0-9.]+\] Linux version ", since, timeout=120)
    m.wait_logged(r"^\(d1\) .*22000000\.sbsa-uart: ttyAMA0 at MMIO 0x22000000", since, timeout=120)
    m.wait_logged(r"^\(d1\) DOMUS-GUEST-READY ", since, timeout=240)
    # Ctrl-a three times: Domus; three more: the guest's UART, whose shell then answers (its
    # echo and prompt come straight through); three more: back to dom0's shell.
    m.console_to("Domus", "d1's UART", shell=True)
    m.send("echo $((6 * 7))-from-$(hostname)\n")
    m.wait_for(r"42-from-domus-guest")
    m.console_to("d0")
    # Only dom0 has the xenbus backend device: the shell that answers is dom0's again.
    assert "backend-here" in m.run("test -e /dev/xen/xenbus_backend && echo backend-here")
    m.run("domus destroy uart", timeout=60)
    assert "uart" not in m.run("domus list")
    m.run("printf '%s\\n' 'name = \"bad\"' 'memory = 64' 'kernel = \"/boot/domu/Image.gz\"' "
          "'vuart = \"pl011\"' > /tmp/baduart.cfg")
    out, status = m.shell("domus create /tmp/baduart.cfg")
    assert status != 0 and "/tmp/baduart.cfg:4: vuart:" in out, out


def test_config_errors_name_the_line_and_unknown_domains_are_one_clear_line(domus_image, boot):
    m = boot_dom0(boot)
    m.run("printf 'name = \"x\"\\nmemory = lots\\n' > /tmp/bad.cfg")
    out, status = m.shell("domus create /tmp/bad.cfg")
    assert status != 0 and "/tmp/bad.cfg:2: memory:" in out, out
    out, status = m.shell("domus destroy nosuch")
    assert status != 0 and "no domain 'nosuch'" in out, out
    write_config(m, "/tmp/huge.cfg", "huge", 3000)
    out, status = m.shell("domus create /tmp/huge.cfg", timeout=120)
    assert status != 0 and "not enough free memory" in out, out
    assert "huge" not in m.run("domus list")


def test_a_truncated_or_corrupt_gzip_kernel_is_refused_and_leaves_nothing_behind(domus_image,
                                                                                  boot):
    """The kernel is inflated straight into the new guest's RAM: a bad stream is found only
    after the domain is built, and must take the domain and all its pages away with it."""
    m = boot_dom0(boot)
    m.run("head -c 4000000 /boot/domu/Image.gz > /tmp/cut.gz")
    m.run("cp /boot/domu/Image.gz /tmp/bad.gz && "
          "printf 'XXXXXXXX' | dd of=/tmp/bad.gz bs=1 seek=6000000 conv=notrunc 2>/dev/null")
    before = free_pages(m)
    for name in ("cut", "bad"):
        write_config(m, f"/tmp/{name}.cfg", name, 128, kernel=f"/tmp/{name}.gz")
        out, status = m.shell(f"domus create /tmp/{name}.cfg", timeout=120)
        assert status != 0 and f"kernel /tmp/{name}.gz: corrupt or truncated gzip data" in out, out
        assert name not in m.run("domus list")
    assert free_pages(m) == before
    boots_to_its_shell(m, "good", 128)
    assert free_pages(m) == before


def test_a_64_mib_guest_boots_to_its_shell_and_a_smaller_one_is_refused_with_the_size_needed(
        domus_image, boot):
    m = boot_dom0(boot)
    write_config(m, "/tmp/tiny.cfg", "tiny", 40)
    out, status = m.shell("domus create /tmp/tiny.cfg", timeout=120)
    need = re.search(r"memory = 40 MiB is too small for this kernel and ramdisk "
                     r"\(need at least (\d+) MiB\)", out)
    assert status != 0 and need, out
    assert 40 < int(need.group(1)) <= 64, out  # Debian's kernel and the busybox initramfs
    assert "tiny" not in m.run("domus list")
    boots_to_its_shell(m, "small", 64)
