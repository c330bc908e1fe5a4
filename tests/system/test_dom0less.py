# SPDX-License-Identifier: MIT
"""Guests declared in the device tree and started by Domus at boot (dom0less), as Xen 4.17
reads them: described to scripts/dom0less.sh, which writes QEMU's tree with "xen,domain"
nodes and the loaders for their kernels and ramdisks."""

import os
import re
import subprocess

import pexpect

from qemu import GUEST, ROOT, TIMEOUT_SCALE

BOOT_TIMEOUT = 300


def describe(path, *, dom0=False, guests=()):
    """Writes a dom0less description: guests are dicts of DOMU_* values by short name."""
    lines = []
    if dom0:
        lines += [f"DOM0_KERNEL={GUEST / 'vmlinuz'}", f"DOM0_RAMDISK={GUEST / 'initrd.img'}",
                  'DOM0_CMD="console=hvc0"']
    lines.append(f"NUM_DOMUS={len(guests)}")
    for i, g in enumerate(guests):
        values = {"KERNEL": GUEST / "Image.gz", "RAMDISK": GUEST / "initrd-domu.img",
                  "MEM": 192, "VCPUS": 1, "CMD": "console=ttyAMA0"} | g
        lines += [f'DOMU_{k}[{i}]="{v}"' for k, v in values.items() if v != ""]
    path.write_text("\n".join(lines) + "\n")
    return path


def shell_answer(m, cmd, pattern, timeout=60):
    """Runs cmd in the shell that has the keyboard (a guest's, on its UART); returns the match.
    Its output comes a byte at a time: pattern must say where the answer ends."""
    m.send(cmd + "\n")
    return m.wait_for(pattern, timeout=timeout)


def test_two_boot_time_guests_and_no_dom0_reach_their_shells_and_power_off(domus_image, boot,
                                                                           tmp_path):
    """With no dom0 kernel, Domus builds both declared guests itself, gives the keyboard to
    the first (its UART output comes straight through, the other's as "(d2) " lines), and
    Ctrl-a three times moves it on to the second, Domus, the first; each shell is its own guest
    (by its vCPU count). When the second powers off the first keeps running; when the last
    does, Domus powers the machine off."""
    desc = describe(tmp_path / "two.cfg", guests=[{"NAME": "alpha", "VCPUS": 1},
                                                  {"NAME": "beta", "VCPUS": 2}])
    m = boot(dom0less=desc, net=False)
    m.wait_for(r"\(domus\) dom0less: no dom0 kernel: only the boot-time guests run")
    m.wait_for(r"\(domus\) d1: \"alpha\" started at boot")
    m.wait_for(r"\(domus\) d2: \"beta\" started at boot")
    m.wait_for(r"\(domus\) dom0less: 2 of 2 boot-time guests started, no dom0")
    m.wait_for(r"console input to d1's UART")
    since = m.mark()
    m.wait_logged(r"^\(d2\) DOMUS-GUEST-READY ", since, timeout=BOOT_TIMEOUT)
    m.wait_logged(r"~ # ", since)
    # d1 has the keyboard: its output comes through as written, never as "(d1) " lines. A
    # line of d2's may break into one of d1's ("DOMU", newline, "(d2) ...", "S-GUEST-READY"),
    # as under Xen: d2's lines are taken out, with the newline Domus put before each.
    out = m.transcript()[since:]
    assert "(d1) " not in out, out[-2000:]
    d1 = re.sub(r"\n\(d2\) [^\n]*\n", "", out)
    assert re.search(r"(?<!\(d2\) )DOMUS-GUEST-READY ", d1), out[-2000:]
    assert shell_answer(m, "echo cpus=$(nproc)", r"cpus=(\d+)\s").group(1) == "1"
    # With no dom0 the round is d1 -> d2 -> Domus -> d1.
    m.console_to("d2's UART", shell=True)
    assert shell_answer(m, "echo cpus=$(nproc)", r"cpus=(\d+)\s").group(1) == "2"
    since = m.mark()
    m.send("poweroff\n")
    m.wait_logged(r"\(domus\) d2: shut down \(poweroff\)", since, timeout=60)
    # The machine stays up for alpha; the switch skips beta now: Domus, then alpha.
    m.console_to("Domus", "d1's UART", shell=True)
    assert shell_answer(m, "echo still-$((40 + 2))", r"still-(\d+)\s").group(1) == "42"
    since = m.mark()
    m.send("poweroff\n")
    m.wait_logged(r"\(domus\) d1: shut down \(poweroff\)", since, timeout=60)
    m.wait_logged(r"\(domus\) no dom0, and every guest has ended: powering off", since)
    m.child.expect(pexpect.EOF, timeout=60 * TIMEOUT_SCALE)


def test_wrong_boot_time_guests_are_named_and_skipped_and_the_rest_boot(domus_image, boot,
                                                                      tmp_path):
    """Nodes Domus cannot start (memory in one cell, no cpus, no kernel, an unknown
    xen,enhanced value, a kernel module outside RAM) each get a boot-log line naming the node
    and what is wrong, and are skipped; an unknown property is named and ignored. Dom0 and
    the right guest boot."""
    desc = describe(tmp_path / "one.cfg", dom0=True, guests=[{"NAME": "good", "MEM": 160}])
    # Machine's defaults: the tree QEMU dumps depends on them.
    env = dict(os.environ, SMP="2", MEM="2048", CPU="cortex-a57")
    subprocess.run(["bash", "scripts/dom0less.sh", "--args", str(desc)], cwd=ROOT, check=True,
                   capture_output=True, env=env)
    dts = (ROOT / "build/dom0less/one.dts").read_text()
    kernel_module = re.search(r"good \{[\s\S]*?(module@0x[0-9a-f]+ \{[\s\S]*?\};)", dts).group(1)
    bad = {
        "onecell": 'memory = <0x20000>; cpus = <1>;',
        "nocpus": 'memory = <0x0 0x20000>;',
        "nokernel": 'memory = <0x0 0x20000>; cpus = <1>;',
        "oddflag": 'memory = <0x0 0x20000>; cpus = <1>; xen,enhanced = "sometimes";',
        "outside": 'memory = <0x0 0x20000>; cpus = <1>;',
    }
    nodes = ""
    for name, props in bad.items():
        module = "" if name == "nokernel" else kernel_module
        if name == "outside":  # 64 GiB up: no RAM there on this machine
            module = re.sub(r"reg = <0x0 0x[0-9a-f]+", "reg = <0x10 0x0", module)
        nodes += (f'\t\t{name} {{ compatible = "xen,domain"; #address-cells = <2>; '
                  f'#size-cells = <2>; {props} {module} }};\n')
    dts = dts.replace("\t\tgood {", nodes + "\t\tgood {\n\t\t\tcolour = \"green\";", 1)
    (tmp_path / "bad.dts").write_text(dts)
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(tmp_path / "bad.dtb"),
                    str(tmp_path / "bad.dts")], check=True)
    m = boot(dom0less=desc, dtb=tmp_path / "bad.dtb")
    lines = [
        r"/chosen/onecell: memory: must be two cells \(64-bit KiB\); not started",
        r"/chosen/nocpus: cpus: missing, not one cell, or 0; not started",
        r"/chosen/nokernel: no \"multiboot,kernel\" module; not started",
        r"/chosen/oddflag: xen,enhanced: not \"enabled\", \"no-xenstore\" or \"disabled\"; "
        r"not started",
        r"/chosen/outside: a module is not in RAM; not started",
        r"/chosen/good: colour: unknown property; ignored",
        r"dom0less: 1 of 2 boot-time guests started",
    ]
    for line in lines:
        m.wait_logged(r"\(domus\) (dom0less: )?" + line, 0, timeout=60)
    m.wait_ready(timeout=BOOT_TIMEOUT)
    m.wait_logged(r"^\(d1\) DOMUS-GUEST-READY ", 0, timeout=BOOT_TIMEOUT)
    m.wait_for(r"~ # ")
    assert re.search(r"^good\s+1\s", m.run("domus list"), re.M)


def test_dom0_lists_attaches_to_gives_a_disk_to_and_destroys_an_enhanced_boot_guest(
        domus_image, boot, tmp_path, pattern_disk):
    """A boot-time guest with xen,enhanced = "enabled" starts beside dom0 and waits for
    XenStore; dom0's init introduces it (`domus introduce`, as Xen's init-dom0less). Then
    dom0 lists it, attaches to its UART (`domus console -t vuart`, whose lines then stop
    showing on Domus' own console), gives it a disk through blkback/blkfront that it reads,
    and destroys it: its memory comes back."""
    disk, digest = pattern_disk
    desc = describe(tmp_path / "enh.cfg", dom0=True,
                    guests=[{"NAME": "boot1", "MEM": 192, "ENHANCED": 1}])
    m = boot(dom0less=desc, disks=[disk])
    m.wait_for(r"\(domus\) d1: \"boot1\" built, Xen interfaces, XenStore once dom0 "
               r"introduces it")
    m.wait_for(r"\(domus\) d1: \"boot1\" started at boot")
    m.wait_for(r"domus: introduced 'boot1' \(domain 1\) to XenStore")
    m.wait_ready(timeout=BOOT_TIMEOUT)
    m.wait_for(r"~ # ")
    assert re.search(r"^boot1\s+1\s+192\s+1\s+running", m.run("domus list"), re.M)
    assert m.run("xenstore-read /local/domain/1/name") == "boot1"
    m.wait_logged(r"^\(d1\) DOMUS-GUEST-READY ", 0, timeout=BOOT_TIMEOUT)
    m.run("domus block-attach boot1 'phy:/dev/vda,xvdb,r'", timeout=60)
    m.send("domus console -t vuart boot1\n")
    m.wait_for(r"DOMUS-GUEST-READY")  # its history first
    m.send("\n")
    m.wait_for(r"~ # ")
    since = m.mark()
    m.send("echo via-dom0-$((3 * 7)); sha256sum /dev/xvdb\n")
    m.wait_for(r"via-dom0-21")
    assert m.wait_for(r"([0-9a-f]{64})  /dev/xvdb", timeout=120).group(1) == digest
    # Attached from dom0: the guest's lines are dom0's to show, not Domus' too.
    assert "(d1) via-dom0-21" not in m.transcript()[since:]
    m.send("\x1d")
    m.wait_for(r"domus: left the UART of 'boot1'")
    m.wait_for(r"~ # ")
    since = m.mark()
    m.run("domus destroy boot1", timeout=60)
    m.wait_logged(r"\(domus\) d1: destroyed, 19[23] MiB returned", since)
    assert "boot1" not in m.run("domus list")
