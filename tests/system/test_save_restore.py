# SPDX-License-Identifier: MIT
"""`domus save` and `domus restore`: a stock Debian guest suspended into a file through Linux's
own Xen suspend path, its memory given back to Domus, and the same guest running on from the
file as a new domain: its processes, files and uptime as they were."""

import re

from qemu import wait_ipv4
from test_dom0 import boot_dom0, number
from test_domu import attach, detach, free_pages, guest_run, write_config
from test_split_drivers import in_guest, sha, wait_vifs_gone


def console(m, name):
    """Attaches to a running guest's console and waits for its prompt."""
    m.send(f"domus console {name}\n")
    m.send("\n")
    guest_run(m, "cat /tmp/iam", rf"\nI am {name}\r*\n")


def start_counting(m, period=1, before=""):
    """In the attached guest (after the shell command before, if any): a counter in
    /tmp/count, one more every period s, in the background."""
    guest_run(m, f"{before}(i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep {period}; "
                 "done) & echo counting", r"\ncounting\r*\n")


def counts_on(m, name, why):
    """Attaches to guest name and checks that its /tmp/count counter still goes up."""
    console(m, name)
    first = number(guest_run(m, "cat /tmp/count", r"\n\d+\r*\n").group(0))
    later = number(guest_run(m, "sleep 2; cat /tmp/count", r"\n\d+\r*\n").group(0))
    assert later > first, why
    detach(m)


def stopped_midway(m, cmd, log, ready, sig, ready_on=None):
    """Runs cmd in dom0's background (its output in log), waits until the shell condition
    ready holds (on ready_on, or m), sends cmd signal sig and waits for it to end: its output."""
    m.run(f"{cmd} > {log} 2>&1 & echo $! > {log}.pid; true")
    (ready_on or m).run(f"until {ready}; do sleep 0.05; done", timeout=60)
    m.run(f"kill -{sig} $(cat {log}.pid)")
    m.run(f"while kill -0 $(cat {log}.pid) 2>/dev/null; do sleep 0.1; done", timeout=60)
    return m.run(f"cat {log}")


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
    # A node of its own in XenStore: restore carries it, and Linux's own control/feature-*.
    guest_run(m, "xenstore-write data/answer 42 && echo ok", r"\nok\r*\n")
    md5 = guest_run(m, "head -c 3000000 /dev/urandom > /tmp/data; md5sum /tmp/data",
                    r"\n([0-9a-f]{32})  /tmp/data").group(1)
    start_counting(m)
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
    guest_run(m, "xenstore-read data/answer control/feature-poweroff", r"\n42\r*\n1\r*\n")
    up_after = uptime(m)
    assert up_after >= up_before, f"uptime went back: {up_before} -> {up_after}"
    # Where every task waits, into the log: if the counter ever stalls, this says on what.
    guest_run(m, "for p in /proc/[0-9]*; do echo $p $(cat $p/comm) $(cat $p/wchan); done "
                 "| grep -v kworker; echo listed", r"\nlisted\r*\n")
    first = number(guest_run(m, "sleep 1; cat /tmp/count", r"\n\d+\r*\n").group(0))
    assert first >= count_before
    later = number(guest_run(m, "sleep 3; cat /tmp/count", r"\n\d+\r*\n").group(0))
    assert later > first, "the counting process runs on after the restore"
    assert number(guest_run(m, "grep -c ^processor /proc/cpuinfo", r"\n\d+\r*\n").group(0)) == 2
    detach(m)
    m.run("domus destroy keep")
    assert free_pages(m) == before


def boot_guest(m, name, memory=64):
    write_config(m, f"/tmp/{name}.cfg", name, memory)
    m.run(f"domus create /tmp/{name}.cfg", timeout=120)
    attach(m, name)
    guest_run(m, f"echo I am {name} > /tmp/iam; echo ok", r"\nok\r*\n")


def test_bad_save_files_are_refused_with_their_reason_and_leave_nothing_behind(domus_image,
                                                                              boot):
    m = boot_dom0(boot, smp=2)
    boot_guest(m, "bad")
    detach(m)
    assert "saved 'bad'" in m.run("domus save bad /tmp/good.save", timeout=180)
    free = free_pages(m)
    size = number(m.run("stat -c %s /tmp/good.save"))
    # Checked in file order, so the first 4 KiB are enough to show each fault but the last
    # (dom0's /tmp has room for one more whole copy).
    m.run("head -c 100000 /tmp/good.save > /tmp/cut.save; "
          "for f in flip version arch cpu; do head -c 4096 /tmp/good.save > /tmp/$f.save; done; "
          "printf X | dd of=/tmp/flip.save bs=1 seek=100 conv=notrunc; "  # the configuration
          "printf '\\002' | dd of=/tmp/version.save bs=1 seek=8 conv=notrunc; "
          "printf '\\144\\206' | dd of=/tmp/arch.save bs=1 seek=12 conv=notrunc; "
          # Another CPU model: MIDR 0x410fd083 (a Cortex-A72) where the file has the A57's.
          "printf '\\203\\320\\017\\101\\0\\0\\0\\0' | dd of=/tmp/cpu.save bs=1 seek=24 "
          "conv=notrunc; "
          "head -c 4096 /dev/zero > /tmp/zero.save; "
          "domus-selftest save-pstate /tmp/good.save /tmp/el2.save 0x9")
    assert number(m.run("stat -c %s /tmp/el2.save")) == size
    refusals = {
        "cut": r"truncated: the file ends",
        "flip": r"corrupted: checksum of the record at byte 32 \(type 1\)",
        "version": r"save format version 2; this Domus reads version 1",
        "arch": r"saved on another architecture \(0x8664\)",
        "cpu": r"written on another CPU model \(MIDR 0x410fd083; this machine's is 0x411fd070\)",
        "zero": r"not a Domus save file",
        # Every check of the file passes; Domus itself refuses a vCPU at EL2.
        "el2": r"Domus refused the state of vCPU 0: Invalid argument",
    }
    for name, why in refusals.items():
        out = m.run(f"domus restore /tmp/{name}.save; echo rc=$?", timeout=180)
        assert re.search(rf"domus: /tmp/{name}.save: not restored: .*{why}", out), (name, out)
        assert "rc=1" in out, (name, out)
        assert "bad" not in m.run("domus list"), name
        assert free_pages(m) == free, f"{name}: a refused restore left memory behind"
    # A file whose XenStore record names a node the guest may not write: refused, nothing left.
    # (dom0's /tmp has room for one whole copy beside the good file.)
    m.run("rm -f /tmp/el2.save")
    for node in ("../0/evil", "memory/target", "device/vif/0/backend", "control/shutdown"):
        m.run(f"rm -f /tmp/node.save; "
              f"domus-selftest save-xsnode /tmp/good.save /tmp/node.save {node}")
        out = m.run("domus restore /tmp/node.save; echo rc=$?", timeout=180)
        assert f"domus: bad: a XenStore node the guest may not have: {node}" in out, out
        assert "rc=1" in out, out
        assert "bad" not in m.run("domus list"), node
        assert free_pages(m) == free, f"{node}: a refused restore left memory behind"
    # One it may: restored.
    m.run("rm -f /tmp/node.save; "
          "domus-selftest save-xsnode /tmp/good.save /tmp/node.save data/mine")
    assert re.search(r"restored 'bad' as domain \d+",
                     m.run("domus restore /tmp/node.save", timeout=180))
    console(m, "bad")
    guest_run(m, "xenstore-read data/mine", r"\nx\r*\n")
    detach(m)
    m.run("domus destroy bad")
    # The good file still restores.
    assert re.search(r"restored 'bad' as domain \d+",
                     m.run("domus restore /tmp/good.save", timeout=180))
    console(m, "bad")
    detach(m)
    m.run("domus destroy bad")


def test_a_save_that_fails_halfway_resumes_the_guest_where_it_was(domus_image, boot):
    m = boot_dom0(boot, smp=2)
    boot_guest(m, "full")
    start_counting(m)
    detach(m)
    # A file system with room for the first records and pages, not for 64 MiB.
    m.run("mkdir -p /tmp/small && mount -t tmpfs -o size=1m tmpfs /tmp/small")
    out = m.run("domus save full /tmp/small/full.save; echo rc=$?", timeout=180)
    assert re.search(r"domus: full: not saved: .*No space left on device", out), out
    assert "domus: full: resumed" in out and "rc=1" in out, out
    assert number(m.run("ls -A /tmp/small | wc -l")) == 0, "a partial file was left"
    assert re.search(r"^full\s+\d+\s+64\s+1\s+running", m.run("domus list"), re.M)
    console(m, "full")
    first = number(guest_run(m, "cat /tmp/count", r"\n\d+\r*\n").group(0))
    later = number(guest_run(m, "sleep 3; cat /tmp/count", r"\n\d+\r*\n").group(0))
    assert later > first, "the guest runs on after the cancelled suspend"
    detach(m)

    # Stopped by a signal (Ctrl-C at its terminal) half-way: the same, not a suspended guest
    # and a dead command. Its file's temporary name is a FIFO nobody reads: the save stops
    # there, the guest suspended, once the pipe's buffer is full.
    m.run("mkfifo /tmp/full.save.tmp")
    out = stopped_midway(m, "domus save full /tmp/full.save", "/tmp/save.log",
                         "domus list | grep -q '^full .* shutdown' && sleep 1", "INT")
    assert "domus: full: not saved: interrupted by SIGINT" in out, out
    assert "domus: full: resumed" in out, out
    assert number(m.run("ls /tmp/full.save* 2>/dev/null | wc -l")) == 0, "a file was left"
    assert re.search(r"^full\s+\d+\s+64\s+1\s+running", m.run("domus list"), re.M)
    counts_on(m, "full", "the guest runs on after the interrupted save")
    m.run("domus destroy full")


def test_a_restored_guest_reconnects_its_disk_and_network_and_keeps_its_tcp_stream(domus_image,
                                                                                 boot):
    """Linux's frontends reconnect through the usual XenStore handshake with the backends the
    restore gives the new domain: what was written to the disk before is read back after, the
    interface keeps its MAC, and a TCP stream to dom0 across the save and restore arrives
    whole and in order."""
    m = boot_dom0(boot, smp=2)
    dom0_ip = wait_ipv4(m.run, "xenbr0")
    m.run("dd if=/dev/zero of=/tmp/sr.img bs=1M count=16 2>/dev/null")
    mac = "00:16:3e:00:00:21"
    write_config(m, "/tmp/net.cfg", "net", 96,
                 more=f"\"disk = [ 'file:/tmp/sr.img,xvda,w' ]\" \"vif = [ 'bridge=xenbr0,mac={mac}' ]\"")
    # dom0 listens for the guest's stream (a pipe for stdin, which busybox nc would read).
    m.run("(sleep 300 | nc -l -p 5001 > /tmp/rx &)")
    m.run("domus create /tmp/net.cfg", timeout=120)
    attach(m, "net")
    guest_run(m, "echo I am net > /tmp/iam; echo ok", r"\nok\r*\n")
    wait_ipv4(lambda c: in_guest(m, c), "eth0")
    before = sha(in_guest(m, "dd if=/dev/urandom of=/tmp/p bs=1M count=2 2>/dev/null; "
                             "dd if=/tmp/p of=/dev/xvda bs=1M oflag=direct 2>/dev/null; "
                             "sha256sum /tmp/p"))
    # 60 numbered lines over 30 s, sent as they are made: the save and restore fall inside.
    in_guest(m, f"((seq 1 60 | while read i; do echo line $i; sleep 0.5; done) | "
                f"nc {dom0_ip} 5001 &)")
    detach(m)
    m.run("sleep 2")
    assert "saved 'net'" in m.run("domus save net /tmp/net.save", timeout=180)
    assert "vif" not in wait_vifs_gone(m)
    assert "/tmp/sr.img" not in m.run("losetup -a")
    assert re.search(r"restored 'net' as domain \d+", m.run("domus restore /tmp/net.save",
                                                             timeout=180))
    console(m, "net")
    assert mac in in_guest(m, "cat /sys/class/net/eth0/address")
    assert sha(in_guest(m, "dd if=/dev/xvda bs=1M count=2 iflag=direct 2>/dev/null | sha256sum",
                        timeout=90)) == before
    after = sha(in_guest(m, "dd if=/dev/urandom of=/tmp/q bs=1M count=1 2>/dev/null; "
                            "dd if=/tmp/q of=/dev/xvda bs=1M seek=4 oflag=direct 2>/dev/null; "
                            "sha256sum /tmp/q"))
    assert "3 packets received" in in_guest(m, f"ping -c 3 -W 5 {dom0_ip}", timeout=60)
    detach(m)
    out = m.run("for i in $(seq 600); do grep -q '^line 60$' /tmp/rx && break; sleep 0.1; done; "
                "cat /tmp/rx", timeout=120)
    assert re.findall(r"^line (\d+)\r*$", out, re.M) == [str(i) for i in range(1, 61)], out
    m.run("domus destroy net", timeout=60)
    assert sha(m.run("dd if=/tmp/sr.img bs=1M count=2 2>/dev/null | sha256sum")) == before
    assert sha(m.run("dd if=/tmp/sr.img bs=1M skip=4 count=1 2>/dev/null | sha256sum")) == after


def test_a_guest_saved_on_one_machine_runs_on_on_another(domus_image, boot, tmp_path):
    """Another host: a second QEMU (its counter started later than the guest's ran, so the
    restored guest's counter offset wraps) restores the file from a disk both machines have,
    and the guest carries on there."""
    disk = tmp_path / "shared.img"
    with open(disk, "wb") as f:
        f.truncate(256 << 20)
    first = boot_dom0(boot, smp=2, disks=[disk])
    first.run("mke2fs -q /dev/vda && mkdir -p /mnt && mount /dev/vda /mnt", timeout=120)
    boot_guest(first, "mover")
    start_counting(first)
    # Long enough that the guest's counter is ahead of the second machine's at the restore.
    first.run("sleep 15")
    up_before = uptime(first)
    detach(first)
    assert "saved 'mover'" in first.run("domus save mover /mnt/mover.save", timeout=180)
    first.run("umount /mnt && sync")
    first.close()

    second = boot_dom0(boot, smp=2, disks=[disk])
    second.run("mkdir -p /mnt && mount /dev/vda /mnt")
    assert re.search(r"restored 'mover' as domain 1 ",
                     second.run("domus restore /mnt/mover.save", timeout=180))
    console(second, "mover")
    assert uptime(second) >= up_before
    count = number(guest_run(second, "sleep 1; cat /tmp/count", r"\n\d+\r*\n").group(0))
    later = number(guest_run(second, "sleep 3; cat /tmp/count", r"\n\d+\r*\n").group(0))
    assert later > count, "the guest's processes run on on the second machine"
    detach(second)
    second.run("domus destroy mover")
