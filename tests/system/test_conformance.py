# SPDX-License-Identifier: MIT
"""The virtual hardware behaves like the real thing: the conformance kernel (tests/conformance)
runs natively on QEMU without virtualization, as two boot-time guests sharing one pCPU with
dom0, and as a `domus create` guest, and every check that passes natively passes in each
guest with the same value, or docs/CONFORMANCE.md lists the difference and why."""

import re

import pexpect

from qemu import BUILD, ROOT, TIMEOUT_SCALE
from test_dom0 import boot_dom0
from test_dom0less import describe

IMAGE = BUILD / "conformance" / "conformance.img"
DOC = ROOT / "docs" / "CONFORMANCE.md"
LINE = re.compile(r"^(?:\(d\d+\) )?conf: (ok|FAIL) ([a-z0-9_.]+): (.*)$", re.M)


def results(text):
    """{check: (passed, value or None)} from a run's lines; the run must have ended."""
    text = text.replace("\r", "")
    summary = re.search(r"conformance: (\d+) checks, (\d+) failed", text)
    assert summary and "CONFORMANCE-DONE" in text, f"the run did not finish:\n{text[-3000:]}"
    out = {}
    for ok, name, rest in LINE.findall(text):
        value = re.search(r"value=(.*)$", rest)
        out[name] = (ok == "ok", value.group(1).strip() if value else None)
    assert len(out) == int(summary.group(1)), (len(out), summary.group(0))
    return out


def documented():
    """The checks docs/CONFORMANCE.md's table names as differing in a guest."""
    return set(re.findall(r"^\| `([a-z0-9_.]+)` \|", DOC.read_text(), re.M))


def run_native(boot):
    m = boot(hypervisor=False, kernel=IMAGE, initrd="", dom0_bootargs="", net=False)
    m.child.expect(pexpect.EOF, timeout=120 * TIMEOUT_SCALE)
    return results(m.transcript())


def run_boot_time_guests(boot, tmp_path):
    """Two boot-time guests of 2 vCPUs each beside dom0, all on one pCPU: every vCPU is
    descheduled again and again (timers fire meanwhile, FP state goes back and forth)."""
    desc = describe(tmp_path / "conf.cfg", dom0=True,
                    guests=[{"NAME": f"conf{i}", "KERNEL": IMAGE, "RAMDISK": "", "MEM": 64,
                             "VCPUS": 2, "CMD": ""} for i in (1, 2)])
    m = boot(dom0less=desc, smp=1, net=False)
    for d in (1, 2):
        m.wait_logged(rf"^\(d{d}\) CONFORMANCE-DONE", 0, timeout=300)
    text = m.transcript()
    return [results("\n".join(l[5:] for l in text.split("\n") if l.startswith(f"(d{d}) ")))
            for d in (1, 2)]


def run_created_guest(boot):
    m = boot_dom0(boot, smp=2)
    m.run("printf '%s\\n' 'name = \"conf\"' 'memory = 64' 'vcpus = 2' "
          "'kernel = \"/boot/domu/conformance.img\"' 'vuart = \"sbsa_uart\"' > /tmp/conf.cfg")
    since = m.mark()
    m.run("domus create /tmp/conf.cfg", timeout=120)
    m.wait_logged(r"^\(d1\) CONFORMANCE-DONE", since, timeout=180)
    return results(m.transcript()[since:])


def compare(native, guest, known, how):
    """What differs from the native run and is not in the table."""
    wrong = []
    for name, (ok, value) in native.items():
        if not ok or name in known:
            continue
        got = guest.get(name)
        if got is None or not got[0]:
            wrong.append(f"{name}: passes natively, not {how}")
        elif value is not None and got[1] != value:
            wrong.append(f"{name}: {value} natively, {got[1]} {how}")
    return wrong


def test_virtual_hardware_behaves_as_natively_or_the_difference_is_documented(
        domus_image, boot, tmp_path):
    assert IMAGE.is_file(), "run `make guest` (it builds the conformance kernel)"
    known = documented()
    native = run_native(boot)
    failed_natively = [n for n, (ok, _) in native.items() if not ok]
    assert not failed_natively, f"checks that fail on QEMU itself: {failed_natively}"
    boot_time = run_boot_time_guests(boot, tmp_path)
    created = run_created_guest(boot)
    wrong = compare(native, boot_time[0], known, "as boot-time guest 1 of 2 on one pCPU")
    wrong += compare(native, boot_time[1], known, "as boot-time guest 2 of 2 on one pCPU")
    wrong += compare(native, created, known, "as a domus create guest")
    assert not wrong, "\n".join(wrong)
    # The table stays true: a difference that is gone is taken out of it.
    stale = [n for n in known if n in native and native[n][0] and
             all(r.get(n, (False, None)) == native[n] for r in boot_time + [created])]
    assert not stale, f"docs/CONFORMANCE.md lists checks that no longer differ: {stale}"
