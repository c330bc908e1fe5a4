# SPDX-License-Identifier: MIT
"""`domus save` and `domus restore`: a stock Debian guest suspended into a file through Linux's
own Xen suspend path, its memory given back to Domus, and the same guest running on from the
file as a new domain: its processes, files and uptime as they were."""

import re

from test_dom0 import boot_dom0, number
from test_domu import attach, detach, free_pages, guest_run, write_config


def console(m, name):
    """Attaches to a running guest's console and waits for its prompt."""
    m.send(f"domus console {name}\n")
    m.send("\n")
    guest_run(m, "cat /tmp/iam", rf"\nI am {name}\r*\n")


def uptime(m):
    return float(guest_run(m, "cut -d' ' -f1 /proc/uptime", r"\n(\d+\.\d+)\r*\n").group(1))


def test_a_saved_guest_runs_on_after_restore_with_its_processes_files_and_uptime(domus_image,
                                                                                    boot):
    m = boot_dom0(boot, smp=2)
    before = free_pages(m)
    write_config(m, "/tmp/keep.cfg", "keep", 96, vcpus=2)
    m.run("domus create /tmp/keep.cfg", timeout=120)
    attach(m, "keep")
    guest_run(m, "echo I am keep > /tmp/iam; echo ok", r"\nok\r*\n")
    md5 = guest_run(m, "head -c 3000000 /dev/urandom > /tmp/data; md5sum /tmp/data",
                    r"\n([0-9a-f]{32})  /tmp/data").group(1)
    guest_run(m, "(i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 1; done) & "
                 "echo counting", r"\ncounting\r*\n")
    count_before = number(guest_run(m, "sleep 2; cat /tmp/count", r"\n\d+\r*\n").group(0))
    up_before = uptime(m)
    detach(m)

    out = m.run("domus save keep /tmp/keep.save", timeout=180)
    assert "domus: saved 'keep' to /tmp/keep.save" in out, out
    assert "keep" not in m.run("domus list")
    assert free_pages(m) == before, "the saved guest's memory went back to Domus"

    out = m.run("domus restore /tmp/keep.save", timeout=180)
    assert re.search(r"domus: restored 'keep' as domain \d+ \(96 MiB, 2 vCPUs\)", out), out
    console(m, "keep")
    assert guest_run(m, "md5sum /tmp/data", r"\n([0-9a-f]{32})  /tmp/data").group(1) == md5
    up_after = uptime(m)
    assert up_after >= up_before, f"uptime went back: {up_before} -> {up_after}"
    first = number(guest_run(m, "cat /tmp/count", r"\n\d+\r*\n").group(0))
    assert first >= count_before
    later = number(guest_run(m, "sleep 3; cat /tmp/count", r"\n\d+\r*\n").group(0))
    assert later > first, "the counting process runs on after the restore"
    assert number(guest_run(m, "grep -c ^processor /proc/cpuinfo", r"\n\d+\r*\n").group(0)) == 2
    detach(m)
    m.run("domus destroy keep")
    assert free_pages(m) == before
