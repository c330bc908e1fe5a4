# SPDX-License-Identifier: MIT
"""Dom0 sees Domus as Xen 4.17: its console, /sys/hypervisor, event channels, grants and
privcmd from user space, the domus toolstack commands, and hostile hypercalls refused."""

import re

from test_dom0 import boot_dom0, number


def test_dom0_identifies_the_hypervisor_as_xen_4_17_with_domus_as_extra(domus_image, boot):
    m = boot_dom0(boot)
    out = m.run("cat /sys/hypervisor/type /sys/hypervisor/version/major "
                "/sys/hypervisor/version/minor /sys/hypervisor/version/extra")
    assert out.split() == ["xen", "4", "17", "-domus"]
    # Linux took the Xen path at boot: dom0 features, 2-level events, grant tables v1.
    log = m.run("dmesg | sed 's/^\\[[^]]*\\] //'")
    assert "Xen 4.17 support found" in log
    assert "Grant tables using version 1 layout" in log
    assert "Using 2-level ABI" in log
    assert "add_to_physmap failed" not in log
    features = int(m.run("cat /sys/hypervisor/properties/features"), 16)
    assert features & (1 << 11), "XENFEAT_dom0 missing"
    assert features & (1 << 17), "XENFEAT_direct_mapped missing"


def test_dom0_console_is_hvc0_and_input_arrives_through_virq_console(domus_image, boot):
    m = boot_dom0(boot)
    assert "hvc0" in m.run("cat /proc/consoles")
    # Typed input reaches a program reading the console, both ways through console_io.
    m.send("read line; echo \"got:[$line]\"\n")
    m.send("typed-into-hvc0\n")
    m.wait_for(r"got:\[typed-into-hvc0\]", timeout=30)
    # hvc_xen bound VIRQ_CONSOLE: input is interrupt-driven, not polled.
    irqs = m.run("cat /proc/interrupts")
    assert re.search(r"^\s*\d+:.*hvc_console", irqs, re.M), irqs


def test_event_channel_bound_to_itself_in_dom0_delivers(domus_image, boot):
    m = boot_dom0(boot)
    out = m.run("domus-selftest evtchn")
    assert re.search(r"evtchn: ports \d+ <-> \d+ bound in dom0; 3 notifications delivered", out), out


def test_page_granted_with_gntalloc_and_mapped_with_gntdev_shows_same_bytes(domus_image, boot):
    m = boot_dom0(boot)
    out = m.run("domus-selftest gnttab")
    assert "same bytes both ways" in out, out
    # Mapping and unmapping returned the page: the grant can be used again.
    out = m.run("domus-selftest gnttab")
    assert "same bytes both ways" in out, out


def test_xen_version_through_privcmd_and_the_domus_tool_whose_help_comes_from_one_table(
        domus_image, boot):
    m = boot_dom0(boot)
    assert "xen_version via privcmd: 4.17" in m.run("domus-selftest version")
    assert "Xen interface 4.17-domus" in m.run("domus version")
    # Every command is listed; one command's help is its usage line; wrong arguments get
    # that command's usage and status 2, an unknown command the list.
    listed = m.run("domus help")
    for cmd in ("version", "info", "list", "vcpu-list", "pause", "unpause", "dmesg", "create",
                "console", "shutdown", "reboot", "destroy", "block-attach", "block-detach",
                "network-attach", "network-detach", "help"):
        assert re.search(rf"^  {re.escape(cmd)}\b", listed, re.M), (cmd, listed)
    assert "usage: domus create [-c] CONFIG" in m.run("domus help create")
    out, status = m.shell("domus pause")
    assert status == 2 and "usage: domus pause NAME" in out, out
    out, status = m.shell("domus frobnicate")
    assert status == 2 and "domus: no command 'frobnicate'" in out and "  destroy NAME" in out, out


def test_hostile_hypercalls_from_dom0_user_space_get_errors_and_everyone_survives(domus_image,
                                                                                 boot):
    m = boot_dom0(boot, smp=2)
    out, status = m.shell("domus-selftest hostile", timeout=120)
    summary = re.search(r"hostile: (\d+) cases, (\d+) failed", out)
    assert summary, out
    failures = [l for l in out.splitlines() if l.startswith("FAIL")]
    assert status == 0 and summary.group(2) == "0", "\n".join(failures) or out
    assert int(summary.group(1)) >= 60
    # Dom0 and Domus carry on: the toolstack still answers, the shell still runs.
    assert "Domain-0" in m.run("domus list")
    assert "still here" in m.run("echo still here")


def test_domus_tool_lists_domains_and_vcpus_and_reads_the_hypervisor_log(domus_image, boot):
    m = boot_dom0(boot, smp=2)
    out = m.run("domus list")
    row = re.search(r"^Domain-0\s+0\s+(\d+)\s+(\d+)\s+running", out, re.M)
    assert row, out
    assert int(row.group(2)) == 2
    out = m.run("domus vcpu-list 0")
    assert len(re.findall(r"^Domain-0\s+0\s+\d\s+\d\s+(running|blocked|runnable)", out,
                          re.M)) == 2, out
    log = m.run("domus dmesg")
    assert re.search(r"d0: bootargs \".*console=hvc0", log), log
    # Pausing itself would leave nobody to unpause dom0: refused.
    out, status = m.shell("domus pause 0")
    assert status != 0 and "Invalid argument" in out


def test_debug_keys_dump_event_channels_and_grants(domus_image, boot):
    m = boot_dom0(boot)
    m.run("domus-selftest gnttab >/dev/null")
    since = m.mark()
    m.send("\x01\x01\x01")
    m.wait_logged(r"\(domus\) console input to Domus", since)
    m.send("e")
    m.wait_logged(r"\(domus\) d0 event channels", since)
    # hvc0's VIRQ_CONSOLE binding, on vCPU 0.
    m.wait_logged(r"\(domus\)\s+\d+ v0\s+\S* virq 2", since)
    m.send("g")
    m.wait_logged(r"\(domus\) d0 grant table v1: \d+ of 64 frames", since)
    m.send("\x01\x01\x01")
    m.wait_logged(r"\(domus\) console input to d0", since)
    assert "back" in m.run("echo back")


def test_runstate_area_gives_dom0_steal_time_when_vcpus_outnumber_cpus(domus_image, boot):
    # -cpu max has E0PD, so Linux runs without KPTI and registers its runstate areas.
    m = boot_dom0(boot, smp=2, cpu="max", domus_args="dom0_max_vcpus=4")

    def steal():
        return int(m.run("head -1 /proc/stat").split()[8])

    before = steal()
    m.run("for i in 1 2 3 4; do (timeout 3 sh -c 'while :; do :; done' &); done; sleep 4")
    after = steal()
    # Four busy vCPUs on two CPUs wait about half the time: Linux sees it as steal.
    assert after - before > 50, f"steal {before} -> {after} ticks"


def test_dom0_setting_the_date_sets_the_hypervisor_wall_clock(domus_image, boot):
    m = boot_dom0(boot)
    # Linux dom0 pushes a set clock to the hypervisor with XENPF_settime64.
    m.run("date -u -s '2030-01-01 00:00:00' >/dev/null")
    since = m.mark()
    m.send("\x01\x01\x01")
    m.wait_logged(r"\(domus\) console input to Domus", since)
    m.send("d")
    secs = int(m.wait_logged(r"\(domus\) wall clock: (\d+) s since the epoch", since).group(1))
    m.send("\x01\x01\x01")
    m.wait_logged(r"\(domus\) console input to d0", since)
    # 2030-01-01T00:00:00Z is 1893456000; allow for the seconds the test itself takes.
    assert 1893456000 <= secs < 1893456000 + 120, secs


def test_xen_bootargs_properties_in_chosen_are_honoured(domus_image, tmp_path):
    """Xen's own /chosen properties: xen,xen-bootargs for the hypervisor (over bootargs) and
    xen,dom0-bootargs for dom0 (over the kernel module's). QEMU's guest-loader cannot write
    them, so: dump the device tree it makes, add them, and boot that tree with the modules
    placed by the generic loader."""
    import subprocess
    from qemu import Machine
    probe = Machine("dumpdtb")
    cmd = probe.command()
    cmd[cmd.index("-M") + 1] += f",dumpdtb={tmp_path / 'virt.dtb'}"
    subprocess.run(cmd, capture_output=True, timeout=60, check=True)
    dtb = tmp_path / "virt.dtb"
    for prop, value in (("xen,xen-bootargs", "dom0_mem=384M"),
                        ("xen,dom0-bootargs", "console=hvc0 from_xen_dom0_bootargs"),
                        ("bootargs", "dom0_mem=900M")):
        subprocess.run(["fdtput", "-t", "s", str(dtb), "/chosen", prop, value], check=True)

    def with_dtb(cmd):
        i = cmd.index("-append")
        del cmd[i:i + 2]
        out = []
        for a in cmd:
            a = a.split(",bootargs=")[0]
            a = a.replace("guest-loader,addr=0x49000000,kernel=", "loader,addr=0x49000000,force-raw=on,file=")
            a = a.replace("guest-loader,addr=0x50000000,initrd=", "loader,addr=0x50000000,force-raw=on,file=")
            out.append(a)
        return out + ["-dtb", str(dtb)]

    class FromDtb(Machine):
        def command(self):
            return with_dtb(super().command())

    with FromDtb("test_xen_bootargs_properties_in_chosen_are_honoured") as m:
        m.wait_ready(timeout=300)
        m.wait_for(r"~ # ", timeout=60)
        assert "from_xen_dom0_bootargs" in m.run("cat /proc/cmdline")
        m.wait_logged(r"\(domus\) d0: 384 MiB in 1 bank")
