# SPDX-License-Identifier: MIT
"""`domus clone`: copies of a running stock Debian guest, each a domain of its own that runs on
from the guest's state, sharing its memory copy-on-write with the guest and each other; what
one writes, no other sees."""

import re

from test_dom0 import boot_dom0, number
from test_domu import attach, detach, free_pages, guest_run, write_config
from test_save_restore import console


def shared_mib(m, name):
    """The Shared(MiB) column of `domus list` for one domain."""
    row = re.search(rf"^{re.escape(name)}\s+\d+\s+\d+\s+\d+\s+\S+\s+[\d.]+\s+([\d.]+)\s*$",
                    m.run("domus list"), re.M)
    assert row, f"{name} is not listed"
    return float(row.group(1))


def md5_of(m, path):
    return guest_run(m, f"md5sum {path}", rf"\n([0-9a-f]{{32}})  {path}").group(1)


def test_clones_run_on_from_the_guest_and_never_see_each_others_writes(domus_image, boot):
    m = boot_dom0(boot, smp=2)
    before = free_pages(m)
    write_config(m, "/tmp/par.cfg", "par", 96, vcpus=2)
    m.run("domus create /tmp/par.cfg", timeout=120)
    attach(m, "par")
    guest_run(m, "echo I am par > /tmp/iam; echo ok", r"\nok\r*\n")
    data = guest_run(
        m, "head -c 3000000 /dev/urandom > /tmp/data; md5sum /tmp/data",
        r"\n([0-9a-f]{32})  /tmp/data").group(1)
    guest_run(m, "(i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 1; done) & "
                 "echo counting", r"\ncounting\r*\n")
    count_before = number(guest_run(m, "sleep 2; cat /tmp/count", r"\n\d+\r*\n").group(0))
    detach(m)
    with_parent = free_pages(m)

    out = m.run("domus clone par 2", timeout=180)
    assert re.search(r"domus: cloned 'par-1' as domain \d+ \(96 MiB, 2 vCPUs\)", out), out
    assert re.search(r"domus: cloned 'par-2' as domain \d+ \(96 MiB, 2 vCPUs\)", out), out
    stats = re.search(r"domus: cloned 'par' 2 times in [\d.]+ s .*: (\d+) pages shared, "
                      r"(\d+) copied", out)
    assert stats, out
    shared, copied = int(stats.group(1)), int(stats.group(2))
    assert shared > 2 * 20000 and copied < shared / 10, out
    # Two 96 MiB guests more, for what their page tables and few copies take.
    cost = with_parent - free_pages(m)
    assert cost < 2 * 96 * 256 / 4, f"two clones took {cost} pages"
    for name in ("par", "par-1", "par-2"):
        assert shared_mib(m, name) > 80, m.run("domus list")
    shared_before = shared_mib(m, "par-1")
    assert re.search(r"^par\s+\d+\s+96\s+2\s+running", m.run("domus list"), re.M)

    # Each clone runs on from the guest's state: its files, its processes.
    for name in ("par-1", "par-2"):
        m.send(f"domus console {name}\n")
        m.send("\n")
        guest_run(m, "cat /tmp/iam", r"\nI am par\r*\n")
        assert md5_of(m, "/tmp/data") == data
        first = number(guest_run(m, "cat /tmp/count", r"\n\d+\r*\n").group(0))
        assert first >= count_before
        later = number(guest_run(m, "sleep 3; cat /tmp/count", r"\n\d+\r*\n").group(0))
        assert later > first, f"{name}'s copy of the counting process runs on"
        assert number(guest_run(m, "grep -c ^processor /proc/cpuinfo",
                                r"\n\d+\r*\n").group(0)) == 2
        # Its own writes: over the shared file, and a new name.
        guest_run(m, f"echo I am {name} > /tmp/iam; echo ok", r"\nok\r*\n")
        guest_run(m, f"head -c 3000000 /dev/urandom > /tmp/data; echo {name} > /tmp/mine; "
                     "echo ok", r"\nok\r*\n")
        detach(m)

    # Nobody sees another's writes: the parent keeps its own, each clone its own.
    console(m, "par")
    assert md5_of(m, "/tmp/data") == data
    guest_run(m, "ls /tmp/mine 2>&1", r"No such file")
    later = number(guest_run(m, "sleep 2; cat /tmp/count", r"\n\d+\r*\n").group(0))
    assert later > count_before, "the guest runs on after its clones were made"
    detach(m)
    sums = {}
    for name in ("par-1", "par-2"):
        console(m, name)
        guest_run(m, "cat /tmp/mine", rf"\n{name}\r*\n")
        sums[name] = md5_of(m, "/tmp/data")
        assert sums[name] != data
        detach(m)
    assert sums["par-1"] != sums["par-2"]
    # Written pages are each one's own now: less is shared than before.
    assert shared_mib(m, "par-1") < shared_before - 2

    # Memory back to the page, whichever order they end in: a parent before its clones.
    m.run("domus destroy par")
    assert shared_mib(m, "par-1") > 0
    m.run("domus destroy par-2")
    m.run("domus destroy par-1")
    assert free_pages(m) == before
