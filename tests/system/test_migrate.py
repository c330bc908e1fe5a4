# SPDX-License-Identifier: MIT
"""Live migration between two machines (docs/MIGRATION.md): two QEMUs, each with Domus and
dom0, whose second NICs are joined by a wire (qemu.wire) and bridged in each dom0 as migbr;
both are given the same disk image. A guest on the first moves to the second while it runs,
writes its disk and streams TCP to the second's dom0."""

import re

from qemu import wire
from test_dom0 import boot_dom0, number
from test_domu import attach, detach, free_pages, guest_run, write_config
from test_save_restore import console, counts_on, start_counting, stopped_midway, uptime


def two_hosts(boot, tmp_path, mem_b=2048, cpu_b="cortex-a57"):
    disk = tmp_path / "shared.img"
    with open(disk, "wb") as f:
        f.truncate(64 << 20)
    hosts = []
    for i, end in enumerate(wire()):
        m = boot_dom0(boot, smp=2, mem=2048 if i == 0 else mem_b,
                      cpu="cortex-a57" if i == 0 else cpu_b,
                      link=(end, f"52:54:00:99:00:0{i + 1}"), extra_args=[
            "-drive", f"if=none,id=shared,format=raw,file={disk},file.locking=off,cache=none",
            "-device", "virtio-blk-device,drive=shared"])
        # The link's NIC, by the MAC given above: virtio-mmio NICs come in reverse, so it is
        # eth0, which dom0's /init put in xenbr0.
        nic = m.run(f"grep -l 52:54:00:99:00:0{i + 1} /sys/class/net/eth*/address").split("/")[-2]
        m.run(f"brctl delif xenbr0 {nic} 2>/dev/null; "
              f"brctl addbr migbr && brctl addif migbr {nic} && ip link set {nic} up && "
              f"ip link set migbr up && ip addr add 10.99.0.{i + 1}/24 dev migbr")
        hosts.append(m)
    # (\b: "100% packet loss" has "0% packet loss" in it)
    assert re.search(r"\b0% packet loss", hosts[0].run("ping -c 2 -W 5 10.99.0.2", timeout=60))
    return hosts


def mover_config(m, memory=192):
    write_config(m, "/tmp/mover.cfg", "mover", memory, vcpus=2,
                 more="\"disk = [ 'phy:/dev/vda,xvda,w' ]\" "
                      "\"vif = [ 'bridge=migbr,mac=00:16:3e:00:00:20' ]\"")


def migrate(src, name, dst_ip):
    """`domus migrate` from src: its last line, asserted to say it moved."""
    out, status = src.shell(f"domus migrate {name} {dst_ip}", timeout=300)
    m = re.search(rf"migrated '{name}' to {dst_ip}: .* the guest stopped for (\d+\.\d+) s.*", out)
    assert status == 0 and m, out
    print("migration:", out.strip())
    return out


def suspends(m):
    """How many times the attached guest's kernel has suspended itself (Xen's suspend freezes
    its tasks and thaws them after, saying so once; its console shows only errors, dmesg
    everything)."""
    return number(guest_run(m, "dmesg | grep -c 'Restarting tasks'", r"\n\d+\r*\n").group(0))


def test_a_guest_migrates_live_with_its_processes_disk_and_tcp_stream(domus_image, boot,
                                                                        tmp_path):
    """There and back: to a machine where its domain id is taken it suspends itself and
    reconnects its devices; back, where its id is free, it is only paused, its back ends
    handed over, its ports, grants and watches carried (docs/MIGRATION.md)."""
    a, b = two_hosts(boot, tmp_path)
    free_a, free_b = free_pages(a), free_pages(b)
    # nc's stdin a pipe nobody writes: from the console, it would read the tty and stop.
    b.run("(sleep 1000 | nc -l -p 5000 > /tmp/stream; echo closed >> /tmp/stream.done) "
          ">/dev/null 2>&1 & true")
    b.run("domus migrate --receive > /tmp/recv.log 2>&1 & true")
    # b's first guest takes id 1, the id the mover gets on a.
    write_config(b, "/tmp/sitter.cfg", "sitter", 64)
    b.run("domus create /tmp/sitter.cfg", timeout=120)
    mover_config(a)
    a.run("domus create /tmp/mover.cfg", timeout=120)
    assert re.search(r"\bmover +1\b", a.run("domus list")), a.run("domus list")
    attach(a, "mover")
    guest_run(a, "echo I am mover > /tmp/iam; xenstore-write data/answer 42; ip link set eth0 up && "
                 "ip addr add 10.99.0.10/24 dev eth0 && echo up", r"\nup\r*\n")
    # A counter, a disk it writes every 0.2 s, and a stream of numbered lines to b's dom0.
    # Both loops end at /tmp/stop, each after a whole turn: the disk then holds the count.
    guest_run(a, "(i=0; while [ ! -e /tmp/stop ]; do i=$((i+1)); echo $i > /tmp/count; "
                 "printf '%-512d' $i | dd of=/dev/xvda bs=512 count=1 oflag=direct "
                 "2>/dev/null; sleep 0.2; done) & "
                 "(i=0; while [ ! -e /tmp/stop ]; do i=$((i+1)); echo line $i; sleep 0.05; "
                 "done; echo end $i) | nc 10.99.0.2 5000 & echo started", r"\nstarted\r*\n")
    guest_run(a, "sleep 3; cat /tmp/count", r"\n\d+\r*\n")
    up_before = uptime(a)
    assert suspends(a) == 0
    detach(a)
    there = migrate(a, "mover", "10.99.0.2")
    assert "(its suspend" in there and "without its own suspend" not in there
    assert "mover" not in a.run("domus list")
    assert "received 'mover'" in b.run("cat /tmp/recv.log")

    console(b, "mover")
    assert uptime(b) >= up_before
    assert suspends(b) == 1
    guest_run(b, "xenstore-read data/answer control/feature-poweroff", r"\n42\r*\n1\r*\n")
    count = number(guest_run(b, "cat /tmp/count", r"\n\d+\r*\n").group(0))
    later = number(guest_run(b, "sleep 2; cat /tmp/count", r"\n\d+\r*\n").group(0))
    assert later > count, "the guest's processes run on on the second machine"
    up_before = uptime(b)
    detach(b)

    # Back, where its id is free: no suspend.
    a.run("domus migrate --receive > /tmp/recv.log 2>&1 & true")
    back = migrate(b, "mover", "10.99.0.1")
    assert "without its own suspend" in back, back
    assert "mover" not in b.run("domus list")
    # Its console daemon there (started by b's receiver) was stopped before its guest went,
    # not left reading a ring that is gone: its pid file and socket went with it.
    assert "unhandled data abort" not in back, back
    assert "mover" not in b.run("ls /run/domus"), "a console daemon outlived its guest"
    console(a, "mover")
    assert uptime(a) >= up_before
    assert suspends(a) == 1, "it did not suspend itself this time"
    guest_run(a, "xenstore-read data/answer control/feature-poweroff", r"\n42\r*\n1\r*\n")
    count = number(guest_run(a, "cat /tmp/count", r"\n\d+\r*\n").group(0))
    later = number(guest_run(a, "sleep 2; cat /tmp/count", r"\n\d+\r*\n").group(0))
    assert later > count, "the guest's processes run on back on the first machine"
    # Its disk has what it wrote last; the stream ends whole, every line once and in order.
    on_disk = guest_run(a, "touch /tmp/stop; sleep 1.5; "
                           "dd if=/dev/xvda bs=512 count=1 2>/dev/null | tr -d ' '; echo",
                        r"\n(\d+)\r*\n")
    last = number(guest_run(a, "cat /tmp/count", r"\n\d+\r*\n").group(0))
    assert int(on_disk.group(1)) == last
    detach(a)
    b.run("for i in $(seq 100); do [ -e /tmp/stream.done ] && break; sleep 0.2; done")
    lines = b.run("cat /tmp/stream").split("\n")
    nums = [int(x.split()[1]) for x in lines if x.startswith("line ")]
    assert nums == list(range(1, len(nums) + 1)) and len(nums) > 50, lines[-5:]
    assert any(x.startswith(f"end {len(nums)}") for x in lines), lines[-5:]
    a.run("domus destroy mover", timeout=60)
    b.run("domus destroy sitter", timeout=60)
    assert free_pages(b) == free_b
    assert free_pages(a) == free_a


def test_a_migration_the_target_refuses_or_stops_halfway_leaves_the_guest_running_here(
        domus_image, boot, tmp_path):
    a, b = two_hosts(boot, tmp_path, mem_b=1024)
    free_a, free_b = free_pages(a), free_pages(b)
    # A target without the memory refuses at once, and says why.
    b.run("domus migrate --receive > /tmp/recv.log 2>&1 & true")
    write_config(a, "/tmp/big.cfg", "big", 640)
    a.run("domus create /tmp/big.cfg", timeout=120)
    out, status = a.shell("domus migrate big 10.99.0.2", timeout=300)
    assert status == 1 and "not enough free memory" in out and "runs on here" in out, out
    print("refused:", out.strip())
    assert "running" in a.run("domus list | grep big")
    a.run("domus destroy big", timeout=60)

    # The receiver is stopped as soon as the stream starts: the guest stays where it was.
    mover_config(a)
    a.run("domus create /tmp/mover.cfg", timeout=120)
    attach(a, "mover")
    start_counting(a, 0.2, before="echo I am mover > /tmp/iam; ")
    detach(a)
    b.run("domus migrate --receive > /tmp/recv.log 2>&1 & p=$!; "
          "(until grep -q receiving /tmp/recv.log; do sleep 0.01; done; kill -TERM $p) "
          ">/dev/null 2>&1 & true")
    out, status = a.shell("domus migrate mover 10.99.0.2", timeout=300)
    assert status == 1 and "not migrated" in out and "runs on here" in out, out
    print("stopped:", out.strip())
    assert "not received" in b.run("sleep 2; cat /tmp/recv.log")
    console(a, "mover")
    count = number(guest_run(a, "cat /tmp/count", r"\n\d+\r*\n").group(0))
    later = number(guest_run(a, "sleep 2; cat /tmp/count", r"\n\d+\r*\n").group(0))
    assert later > count, "the guest runs on on the source"
    detach(a)
    assert "mover" not in b.run("domus list")
    assert free_pages(b) == free_b

    # A sender killed in the middle (SIGKILL: nothing of its own runs) leaves the guest
    # running at the source with its dirty log on; `domus resume` turns the log off.
    b.run("domus migrate --receive > /tmp/recv.log 2>&1 & echo $! > /tmp/recv.pid; true")
    a.run("domus migrate mover 10.99.0.2 > /tmp/send.log 2>&1 & echo $! > /tmp/send.pid; true")
    b.run("until grep -q receiving /tmp/recv.log; do sleep 0.05; done", timeout=60)
    a.run("kill -KILL $(cat /tmp/send.pid)")
    assert "running" in a.run("domus list | grep mover")
    out, status = a.shell("domus resume mover")
    assert status == 0 and "dirty logging, left on by a migration that did not finish, is off" \
        in out, out
    out, status = a.shell("domus resume mover")
    assert status == 1 and "mover is not suspended" in out, out
    b.run("kill -TERM $(cat /tmp/recv.pid); sleep 2")
    assert "not received" in b.run("cat /tmp/recv.log")
    assert "mover" not in b.run("domus list")
    assert free_pages(b) == free_b

    # A sender stopped by SIGTERM (or Ctrl-C) in the middle undoes it all itself: its log
    # off, the guest running here; the target destroys what it had built.
    b.run("domus migrate --receive > /tmp/recv.log 2>&1 & true")
    out = stopped_midway(a, "domus migrate mover 10.99.0.2", "/tmp/send.log",
                         "grep -q receiving /tmp/recv.log", "TERM", ready_on=b)
    assert "not migrated: interrupted by SIGTERM" in out and "runs on here" in out, out
    out, status = a.shell("domus resume mover")
    assert status == 1 and "mover is not suspended" in out and "dirty logging" not in out, out
    assert "not received" in b.run("sleep 2; cat /tmp/recv.log")
    assert "mover" not in b.run("domus list")
    assert free_pages(b) == free_b
    counts_on(a, "mover", "the guest runs on on the source")

    # Stopped once the guest is paused for the handover of its back ends (its id is free on
    # b): it runs on here, its disk and network back ends bound again. It rewrites 32 MiB
    # of random bytes over and over (a page of zeros goes by name only), so its last round
    # takes seconds: the signal lands in it.
    console(a, "mover")
    guest_run(a, "dd if=/dev/urandom of=/tmp/random bs=1M count=32 2>/dev/null; "
                 "(while :; do dd if=/tmp/random of=/tmp/churn bs=1M conv=notrunc 2>/dev/null; "
                 "done) & echo churning", r"\nchurning\r*\n", timeout=120)
    detach(a)
    b.run("domus migrate --receive > /tmp/recv.log 2>&1 & true")
    out = stopped_midway(a, "domus migrate mover 10.99.0.2", "/tmp/send.log",
                         "domus list | grep -q 'mover .*paused'", "TERM")
    assert "not migrated: interrupted by SIGTERM" in out and "runs on here" in out, out
    assert "suspends itself instead" not in out, out
    print("stopped in its handover:", out.strip())
    mid = re.search(r"\bmover +(\d+)", a.run("domus list")).group(1)
    backends = a.run("ls /sys/bus/xen-backend/drivers/vbd /sys/bus/xen-backend/drivers/vif")
    assert f"vbd-{mid}-51712" in backends and f"vif-{mid}-0" in backends, backends
    assert "mover" not in b.run("sleep 2; domus list")
    counts_on(a, "mover", "the guest runs on on the source after its handover was undone")
    console(a, "mover")
    guest_run(a, "dd if=/dev/xvda bs=512 count=1 iflag=direct 2>/dev/null | wc -c", r"\n512\r*\n")
    detach(a)

    # Killed outright there (nothing of its own runs): the guest stays paused, its back ends
    # unbound, its XenStore connection frozen, until `domus resume` gives them back.
    b.run("domus migrate --receive > /tmp/recv.log 2>&1 & true")
    stopped_midway(a, "domus migrate mover 10.99.0.2", "/tmp/send.log",
                   "domus list | grep -q 'mover .*paused'", "KILL")
    assert "paused" in a.run("domus list | grep mover")
    assert f"vbd-{mid}-51712" not in a.run("ls /sys/bus/xen-backend/drivers/vbd")
    out, status = a.shell("domus resume mover")
    assert status == 0 and "are its own again; it runs on" in out, out
    backends = a.run("ls /sys/bus/xen-backend/drivers/vbd /sys/bus/xen-backend/drivers/vif")
    assert f"vbd-{mid}-51712" in backends and f"vif-{mid}-0" in backends, backends
    counts_on(a, "mover", "the guest runs on after `domus resume`")
    console(a, "mover")
    guest_run(a, "dd if=/dev/xvda bs=512 count=1 iflag=direct 2>/dev/null | wc -c", r"\n512\r*\n")
    detach(a)
    assert "not received" in b.run("sleep 2; cat /tmp/recv.log")
    assert "mover" not in b.run("domus list")
    a.run("domus destroy mover", timeout=60)
    assert free_pages(a) == free_a
    assert free_pages(b) == free_b


def test_a_target_with_another_cpu_model_refuses_the_guest_which_runs_on_here(domus_image, boot,
                                                                            tmp_path):
    """A guest's kernel chose its errata workarounds and CPU features for the CPU it booted on:
    a machine of another model (here a Cortex-A72 for the guest's Cortex-A57) refuses it from
    the stream's first bytes, and the guest runs on where it was."""
    a, b = two_hosts(boot, tmp_path, cpu_b="cortex-a72")
    free_a, free_b = free_pages(a), free_pages(b)
    b.run("domus migrate --receive > /tmp/recv.log 2>&1 & true")
    write_config(a, "/tmp/stay.cfg", "stay", 64)
    a.run("domus create /tmp/stay.cfg", timeout=120)
    attach(a, "stay")
    start_counting(a, before="echo I am stay > /tmp/iam; ")
    detach(a)
    out, status = a.shell("domus migrate stay 10.99.0.2", timeout=300)
    assert status == 1, out
    assert re.search(r"10\.99\.0\.2 says: .*written on another CPU model \(MIDR 0x411fd070; "
                     r"this machine's is 0x410fd083\)", out), out
    assert "runs on here" in out, out
    assert "stay" not in b.run("domus list")
    console(a, "stay")
    first = number(guest_run(a, "cat /tmp/count", r"\n\d+\r*\n").group(0))
    later = number(guest_run(a, "sleep 2; cat /tmp/count", r"\n\d+\r*\n").group(0))
    assert later > first, "the guest runs on at the source"
    detach(a)
    a.run("domus destroy stay", timeout=60)
    assert free_pages(a) == free_a and free_pages(b) == free_b


def test_a_guest_that_says_nothing_after_its_move_is_reached_through_the_targets_bridge(
        domus_image, boot, tmp_path):
    """A guest that does not announce itself after a move (no ARP, no IPv6, no DHCP client) is
    still reached from both machines: the target's bridge had learned its MAC on the wire, from
    the guest's frames while it lived on the first machine, and without being told would send
    frames for it back out there until the entry aged, for 300 s (vif.h, vif_bridge_forget)."""
    a, b = two_hosts(boot, tmp_path)
    b.run("domus migrate --receive > /tmp/recv.log 2>&1 & true")
    mac = "00:16:3e:00:00:30"
    write_config(a, "/tmp/quiet.cfg", "quiet", 64,
                 more=f"\"vif = [ 'bridge=migbr,mac={mac}' ]\"")
    a.run("domus create /tmp/quiet.cfg", timeout=120)
    # Neighbours by hand on both sides: with ARP off, nobody asks and nobody answers.
    bridge_macs = [h.run("cat /sys/class/net/migbr/address").strip() for h in (a, b)]
    for h in (a, b):
        h.run(f"arp -s 10.99.0.10 {mac}")
    attach(a, "quiet")
    # Its one frame before the move, to b: b's bridge learns its MAC on the wire.
    guest_run(a, "kill $(pidof udhcpc) 2>/dev/null; "
                 "echo 1 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6 && "
                 "ip link set eth0 up arp off && ip addr add 10.99.0.10/24 dev eth0 && "
                 f"arp -s 10.99.0.1 {bridge_macs[0]} && arp -s 10.99.0.2 {bridge_macs[1]} && "
                 "ping -c 1 -W 5 10.99.0.2 > /dev/null && echo said-one-thing",
              r"\nsaid-one-thing\r*\n")
    detach(a)
    migrate(a, "quiet", "10.99.0.2")
    # Its vif in b's bridge takes frames once netback there has connected (state 4).
    qid = re.search(r"\bquiet +(\d+)\b", b.run("domus list")).group(1)
    state = f"/local/domain/0/backend/vif/{qid}/0/state"
    b.run(f"i=0; until [ \"$(xenstore-read {state})\" = 4 ] || [ $i -ge 100 ]; do sleep 0.1; "
          "i=$((i + 1)); done", timeout=30)
    assert b.run(f"xenstore-read {state}") == "4"
    assert "forget" not in b.run("cat /tmp/recv.log")
    for h in (b, a):
        assert re.search(r"\b0% packet loss", h.run("ping -c 3 -W 2 10.99.0.10", timeout=60))
    b.run("domus destroy quiet", timeout=60)
