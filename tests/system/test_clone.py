# SPDX-License-Identifier: MIT
"""`domus clone`: copies of a running stock Debian guest, each a domain of its own that runs on
from the guest's state, sharing its memory copy-on-write with the guest and each other; what
one writes, no other sees."""

import re

from qemu import wait_ipv4
from test_dom0 import boot_dom0, number
from test_domu import attach, detach, free_pages, guest_run, write_config
from test_save_restore import console, counts_on, start_counting, stopped_midway
from test_split_drivers import in_guest, sha, wait_vifs_gone


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
    guest_run(m, "echo I am par > /tmp/iam; xenstore-write data/who par && echo ok",
              r"\nok\r*\n")
    data = guest_run(
        m, "head -c 3000000 /dev/urandom > /tmp/data; md5sum /tmp/data",
        r"\n([0-9a-f]{32})  /tmp/data").group(1)
    start_counting(m)
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
        # Its XenStore nodes are the guest's, in its own directory now, its to change.
        guest_run(m, "xenstore-read data/who control/feature-poweroff", r"\npar\r*\n1\r*\n")
        guest_run(m, f"xenstore-write data/who {name} && echo ok", r"\nok\r*\n")
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
    guest_run(m, "xenstore-read data/who", r"\npar\r*\n")
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


def test_a_clone_has_no_devices_until_given_its_own_and_the_guest_keeps_its_disk_and_network(
        domus_image, boot):
    """Two guests on one disk would corrupt it, two with one MAC on one bridge are not a
    network: a clone gets neither (docs/CLONE.md), and a network card of its own, with a MAC
    of its own, once it runs. The guest keeps its disk and network card across the cloning."""
    m = boot_dom0(boot, smp=2)
    before = free_pages(m)
    dom0_ip = wait_ipv4(m.run, "xenbr0")
    m.run("dd if=/dev/zero of=/tmp/cl.img bs=1M count=16 2>/dev/null")
    mac = "00:16:3e:00:00:31"
    write_config(m, "/tmp/dev.cfg", "dev", 96,
                 more=f"\"disk = [ 'file:/tmp/cl.img,xvda,w' ]\" "
                      f"\"vif = [ 'bridge=xenbr0,mac={mac}' ]\"")
    m.run("domus create /tmp/dev.cfg", timeout=120)
    attach(m, "dev")
    guest_run(m, "echo I am dev > /tmp/iam; echo ok", r"\nok\r*\n")
    wait_ipv4(lambda c: in_guest(m, c), "eth0")
    written = sha(in_guest(m, "dd if=/dev/urandom of=/tmp/p bs=1M count=2 2>/dev/null; "
                              "dd if=/tmp/p of=/dev/xvda bs=1M oflag=direct 2>/dev/null; "
                              "sha256sum /tmp/p"))
    detach(m)

    out = m.run("domus clone dev", timeout=180)
    assert re.search(r"cloned 'dev-1' as domain (\d+)", out), out
    clone_id = re.search(r"cloned 'dev-1' as domain (\d+)", out).group(1)
    # No back end serves the clone: dom0 has the guest's one vif and one loop device.
    backends = m.run("xenstore-ls -f /local/domain/0/backend")
    assert not re.search(rf"/backend/\w+/{clone_id}/", backends), backends
    assert re.search(r"/backend/vbd/\d+/", backends), backends
    assert re.findall(r"\bvif\d+\.\d+", m.run("ls /sys/class/net")) == ["vif1.0"]
    # What closed the clone's copies of them is gone from its XenStore.
    assert "domus-gone" not in m.run(f"xenstore-ls -f /local/domain/{clone_id}")

    # The guest's own disk and network card carry on.
    console(m, "dev")
    assert sha(in_guest(m, "dd if=/dev/xvda bs=1M count=2 iflag=direct 2>/dev/null | sha256sum",
                        timeout=90)) == written
    assert "3 packets received" in in_guest(m, f"ping -c 3 -W 5 {dom0_ip}", timeout=60)
    detach(m)

    # The clone runs, without them, and takes a network card of its own.
    out = m.run("domus network-attach dev-1 'mac=00:16:3e:00:00:32'", timeout=60)
    assert "has not connected" not in out, out
    # Its shell says it is "dev": it is the guest's copy.
    m.send("domus console dev-1\n")
    m.send("\n")
    guest_run(m, "cat /tmp/iam", r"\nI am dev\r*\n")
    ifname = None
    for _ in range(100):
        out = in_guest(m, "grep -l 00:16:3e:00:00:32 /sys/class/net/*/address; sleep 0.1")
        hit = re.search(r"/sys/class/net/(\w+)/address", out)
        if hit:
            ifname = hit.group(1)
            break
    assert ifname, "the clone's new network card did not appear"
    # Its copies of the guest's disk and card were closed and unplugged before (clone.c).
    assert "xvda" not in in_guest(m, "ls /sys/block")
    assert in_guest(m, "ls /sys/class/net").split() == sorted([ifname, "lo"])
    in_guest(m, f"ip link set {ifname} up; udhcpc -n -q -i {ifname} -s /etc/udhcpc.script "
                "-t 10 -T 1 >/dev/null 2>&1", timeout=60)
    assert "3 packets received" in in_guest(m, f"ping -c 3 -W 5 -I {ifname} {dom0_ip}",
                                            timeout=60)
    detach(m)

    # A clone of the clone: its kernel has the card hotplugged into dev-1 (no config names
    # it); that one too is closed, and the new clone takes a card of its own at that number.
    out = m.run("domus clone dev-1", timeout=180)
    assert re.search(r"cloned 'dev-1-1' as domain \d+", out) and "did not close" not in out, out
    out = m.run("domus network-attach dev-1-1 'mac=00:16:3e:00:00:33'", timeout=60)
    assert "vif 0: 00:16:3e:00:00:33" in out and "has not connected" not in out, out
    m.send("domus console dev-1-1\n")
    m.send("\n")
    guest_run(m, "cat /tmp/iam", r"\nI am dev\r*\n")
    for _ in range(100):
        if "00:16:3e:00:00:33" in in_guest(m, "cat /sys/class/net/*/address; sleep 0.1"):
            break
    nets = in_guest(m, "ls /sys/class/net").split()
    assert len(nets) == 2 and "lo" in nets, nets
    detach(m)
    m.run("domus destroy dev-1-1", timeout=60)
    m.run("domus destroy dev-1", timeout=60)
    m.run("domus destroy dev", timeout=60)
    wait_vifs_gone(m)
    assert free_pages(m) == before
    assert sha(m.run("dd if=/tmp/cl.img bs=1M count=2 2>/dev/null | sha256sum")) == written


def test_a_clone_stopped_by_sigint_leaves_no_clone_and_the_guest_running(domus_image, boot):
    m = boot_dom0(boot, smp=2)
    before = free_pages(m)
    write_config(m, "/tmp/par.cfg", "par", 64)
    m.run("domus create /tmp/par.cfg", timeout=120)
    attach(m, "par")
    start_counting(m, before="echo I am par > /tmp/iam; ")
    detach(m)
    # 64 clones take about a second to build: Ctrl-C comes as soon as the guest is stopped.
    out = stopped_midway(m, "domus clone par 64", "/tmp/clone.log",
                         "domus list | grep -q '^par .* shutdown'", "INT")
    assert "domus: par: not cloned: interrupted by SIGINT" in out, out
    assert "domus: par: resumed" in out and "cloned 'par'" not in out, out
    listed = m.run("domus list")
    assert not re.search(r"^par-\d+", listed, re.M), listed
    assert re.search(r"^par\s+\d+\s+64\s+1\s+running", listed, re.M), listed
    counts_on(m, "par", "the guest runs on after the interrupted clone")
    m.run("domus destroy par", timeout=60)
    assert free_pages(m) == before
