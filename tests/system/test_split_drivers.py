# SPDX-License-Identifier: MIT
"""Split drivers between stock Linux ends: a guest's xen-blkfront meets dom0's xen-blkback
through grants and event channels that Domus carries; the toolstack writes both ends'
XenStore records and does the hotplug work (loop devices)."""

import os
import re

from qemu import wait_ipv4
from test_dom0 import boot_dom0
from test_domu import attach, detach, free_pages, guest_run, write_config, xenstore_nodes


def sha(out):
    return re.search(r"\b([0-9a-f]{64})\b", out).group(1)


GUEST_SHA = r"\n([0-9a-f]{64})  %s\r*\n"


def test_disk_written_in_a_guest_is_in_its_image_after_destroy_and_in_the_next_guest(
        domus_image, boot):
    m = boot_dom0(boot, smp=2)
    m.run("dd if=/dev/zero of=/tmp/disk.img bs=1M count=16 2>/dev/null")
    before, nodes = free_pages(m), xenstore_nodes(m)
    write_config(m, "/tmp/w.cfg", "writer", 192,
                 more="\"disk = [ 'file:/tmp/disk.img,xvda,w' ]\"")
    m.run("domus create /tmp/w.cfg", timeout=120)
    attach(m, "writer")
    guest_run(m, "cat /sys/block/xvda/size", r"\n32768\r*\n")
    # 4 MiB of random bytes through blkfront, with direct I/O so they reach dom0 now.
    out = guest_run(m, "dd if=/dev/urandom of=/tmp/p bs=1M count=4 2>/dev/null; "
                    "dd if=/tmp/p of=/dev/xvda bs=1M oflag=direct 2>/dev/null; sync; "
                    "sha256sum /tmp/p", GUEST_SHA % "/tmp/p")
    written = out.group(1)
    detach(m)
    m.run("domus destroy writer", timeout=60)
    # The data is in the image file, and no loop device or backend is left behind.
    assert sha(m.run("dd if=/tmp/disk.img bs=1M count=4 2>/dev/null | sha256sum")) == written
    assert "/tmp/disk.img" not in m.run("losetup -a")
    assert "vbd/1" not in m.run("xenstore-ls -f /local/domain/0 2>&1")
    image = sha(m.run("sha256sum /tmp/disk.img"))

    # A second guest gets the same image read-only: it reads what the first wrote (all
    # 16 MiB, through many requests) and its kernel refuses to write.
    write_config(m, "/tmp/r.cfg", "reader", 192,
                 more="\"disk = [ 'file:/tmp/disk.img,xvda,r' ]\"")
    m.run("domus create /tmp/r.cfg", timeout=120)
    attach(m, "reader")
    assert guest_run(m, "dd if=/dev/xvda bs=1M count=4 2>/dev/null | sha256sum",
                     GUEST_SHA % "-").group(1) == written
    assert guest_run(m, "dd if=/dev/xvda bs=64k 2>/dev/null | sha256sum",
                     GUEST_SHA % "-").group(1) == image
    refused = guest_run(m, "cat /sys/block/xvda/ro; dd if=/dev/zero of=/dev/xvda bs=4k "
                        "count=1 oflag=direct; echo rc=$?", r"\n(\d)\r*\n([^\n]*)\n.*rc=(\d+)")
    assert refused.group(1) == "1", "blkfront did not see the disk as read-only"
    assert refused.group(3) == "1" and "Operation not permitted" in refused.group(2)
    detach(m)
    m.run("domus destroy reader", timeout=60)
    assert sha(m.run("sha256sum /tmp/disk.img")) == image
    assert "/tmp/disk.img" not in m.run("losetup -a")
    assert free_pages(m) == before
    assert xenstore_nodes(m) == nodes


def test_ext2_made_in_a_guest_on_dom0s_real_disk_mounts_in_dom0_and_read_only_in_the_next(
        domus_image, boot, tmp_path):
    """'phy:/dev/vda': dom0's virtio disk (a file on the QEMU host) goes to the guest whole."""
    host_disk = tmp_path / "real.img"
    with open(host_disk, "wb") as f:
        f.truncate(32 << 20)
    m = boot_dom0(boot, smp=2, disks=[host_disk])
    before, nodes = free_pages(m), xenstore_nodes(m)
    write_config(m, "/tmp/fs.cfg", "maker", 192, more="\"disk = [ 'phy:/dev/vda,xvdb,w' ]\"")
    m.run("domus create /tmp/fs.cfg", timeout=120)
    attach(m, "maker")
    guest_run(m, "mke2fs -q /dev/xvdb; echo mkfs=$?", r"mkfs=0", timeout=120)
    out = guest_run(m, "mkdir -p /mnt && mount -t ext2 /dev/xvdb /mnt && "
                    "dd if=/dev/urandom of=/mnt/f bs=64k count=48 2>/dev/null && "
                    "umount /mnt && mount -t ext2 /dev/xvdb /mnt && sha256sum /mnt/f; "
                    "umount /mnt; echo umount=$?", GUEST_SHA % "/mnt/f")
    made = out.group(1)
    guest_run(m, "", r"umount=0")
    detach(m)
    m.run("domus destroy maker", timeout=60)

    # dom0 mounts what the guest made on its own disk.
    assert sha(m.run("mkdir -p /mnt && mount -t ext2 /dev/vda /mnt && sha256sum /mnt/f && "
                     "umount /mnt", timeout=60)) == made

    # The next guest gets the disk read-only: the file is there, writes are refused.
    m.run("sed -i 's/xvdb,w/xvdb,r/; s/maker/user/' /tmp/fs.cfg")
    m.run("domus create /tmp/fs.cfg", timeout=120)
    attach(m, "user")
    # Asked for read-write, the mount falls back to read-only: the device is.
    out = guest_run(m, "mkdir -p /mnt && mount -t ext2 /dev/xvdb /mnt && sha256sum /mnt/f",
                    GUEST_SHA % "/mnt/f")
    assert out.group(1) == made
    guest_run(m, "grep xvdb /proc/mounts", r"/dev/xvdb /mnt ext[24] ro[,\s]")
    guest_run(m, "touch /mnt/g; echo touch=$?", r"Read-only file system[^\n]*\n.*touch=1")
    guest_run(m, "umount /mnt; echo umount=$?", r"umount=0")
    detach(m)
    m.run("domus destroy user", timeout=60)
    assert "vbd/" not in m.run("xenstore-ls -f /local/domain/0 2>&1")
    assert free_pages(m) == before
    assert xenstore_nodes(m) == nodes


def in_guest(m, cmd, timeout=60):
    """Runs cmd in the attached guest's shell; its output, up to a marker."""
    tag = os.urandom(4).hex()
    # The markers as printed ("B...1"), not as typed ("B...$((1))"): a console being attached
    # replays what the guest printed before, and the shell's echo of cmd wraps.
    out = guest_run(m, f"echo B{tag}$((1)); {cmd}; echo E{tag}$((0))",
                    f"B{tag}1\r*\n(.*)E{tag}0", timeout=timeout)
    return out.group(1)


def wait_received(run, path, size, timeout=60):
    """Waits until a listening nc has written all size bytes to path: the sender's end returns
    once the data is sent, the receiver writes it out in its own time."""
    out = run(f"for i in $(seq {timeout * 10}); do [ \"$(wc -c < {path})\" = {size} ] && break; "
              f"sleep 0.1; done; wc -c < {path}; sha256sum {path}", timeout=timeout + 30)
    assert re.search(rf"^\s*{size}\r*$", out, re.M), f"{path}: not {size} bytes: {out}"
    return out


def wait_vifs_gone(m, timeout=60):
    """dom0's network list once netback has unregistered every vif: it does that as their
    XenStore records go, in its own time after the toolstack returns."""
    return m.run(f"for i in $(seq {timeout * 10}); do ls /sys/class/net | grep -q vif || break; "
                 f"sleep 0.1; done; ls /sys/class/net", timeout=timeout + 30)


def wait_in_guest(m, path, present=True, timeout=60):
    """Waits in the attached guest until path appears (or, present=False, goes), as a user's
    script waits for a device: a front end connects (or closes) in the guest's own time after
    the toolstack's attach (detach) returns, and the device shows up in sysfs only then."""
    test = f"[ -e {path} ]" if present else f"[ ! -e {path} ]"
    out = in_guest(m, f"for i in $(seq {timeout * 10}); do {test} && break; sleep 0.1; done; "
                      f"{test} && echo waited=yes", timeout=timeout + 30)
    assert "waited=yes" in out, f"{path} {'never came' if present else 'never went'}: {out}"


def test_guests_reach_dom0_each_other_and_the_host_side_through_dom0s_bridge(domus_image, boot,
                                                                               tmp_path):
    """A packet's whole path: netfront, the ring in granted pages, netback's vif in dom0,
    the bridge xenbr0, and dom0's virtio-net out to QEMU's user-mode network."""
    served = tmp_path / "served.bin"
    served.write_bytes(os.urandom(4 << 20))
    served_sha = sha(os.popen(f"sha256sum {served}").read())
    m = boot_dom0(boot, smp=2, netdev_opts=f"guestfwd=tcp:10.0.2.100:7000-cmd:cat {served}")
    dom0_ip = wait_ipv4(m.run, "xenbr0")
    before, nodes = free_pages(m), xenstore_nodes(m)
    for name, mac in (("alpha", "00:16:3e:00:00:0a"), ("beta", "00:16:3e:00:00:0b")):
        write_config(m, f"/tmp/{name}.cfg", name, 160,
                     more=f"\"vif = [ 'bridge=xenbr0,mac={mac}' ]\"")
        m.run(f"domus create /tmp/{name}.cfg", timeout=120)
    links = m.run("ls /sys/class/net/xenbr0/brif")
    assert "vif1.0" in links and "vif2.0" in links and "eth0" in links

    # beta listens; dom0 listens. A listener's stdin is a pipe that stays open: busybox nc
    # would read the console otherwise, and at its stdin's end it cuts the connection short.
    attach(m, "beta")
    assert "00:16:3e:00:00:0b" in in_guest(m, "cat /sys/class/net/eth0/address")
    beta_ip = wait_ipv4(lambda c: in_guest(m, c), "eth0")
    in_guest(m, "(sleep 300 | nc -l -p 5002 > /tmp/rx &)")
    detach(m)
    m.run("(sleep 300 | nc -l -p 5001 > /tmp/rx &)")

    attach(m, "alpha")
    alpha_ip = wait_ipv4(lambda c: in_guest(m, c), "eth0")
    assert len({dom0_ip, alpha_ip, beta_ip}) == 3
    for ip in (dom0_ip, beta_ip):
        assert "3 packets received" in in_guest(m, f"ping -c 3 -W 5 {ip}", timeout=60)
    sent = sha(in_guest(m, "dd if=/dev/urandom of=/tmp/p bs=1M count=4 2>/dev/null; "
                          "sha256sum /tmp/p"))
    # TCP, 4 MiB each way: to dom0, to beta, and from a server on the QEMU host side.
    in_guest(m, f"timeout 60 nc {dom0_ip} 5001 < /tmp/p; timeout 60 nc {beta_ip} 5002 < /tmp/p",
             timeout=150)
    assert sha(in_guest(m, "timeout 60 nc 10.0.2.100 7000 | sha256sum", timeout=90)) == served_sha
    detach(m)
    assert sha(wait_received(m.run, "/tmp/rx", 4 << 20)) == sent
    attach(m, "beta")
    assert sha(wait_received(lambda c, timeout: in_guest(m, c, timeout), "/tmp/rx", 4 << 20)) == sent
    assert alpha_ip in in_guest(m, "cat /proc/net/arp")
    detach(m)

    for name in ("alpha", "beta"):
        m.run(f"domus destroy {name}", timeout=60)
    # netback unregisters the vifs as their records go; they leave the bridge with them.
    left = wait_vifs_gone(m)
    assert "vif" not in left
    assert "vif/" not in m.run("xenstore-ls -f /local/domain/0 2>&1")
    assert free_pages(m) == before
    assert xenstore_nodes(m) == nodes


def test_disks_and_networks_come_and_go_in_a_running_guest(domus_image, boot):
    m = boot_dom0(boot, smp=2)
    dom0_ip = wait_ipv4(m.run, "xenbr0")
    m.run("dd if=/dev/zero of=/tmp/hot.img bs=1M count=8 2>/dev/null")
    before, nodes = free_pages(m), xenstore_nodes(m)
    write_config(m, "/tmp/hot.cfg", "hot", 160)
    m.run("domus create /tmp/hot.cfg", timeout=120)
    # At once, while the guest boots: Linux enumerates its devices and only then watches
    # for new ones; a disk landing in between is seen only when the toolstack rewrites
    # its front end's state (devices.c, nudge_frontend).
    out = m.run("domus block-attach hot 'file:/tmp/hot.img,xvdb,w'", timeout=60)
    assert "has not connected" not in out, out
    out = m.run("domus network-attach hot 'mac=00:16:3e:00:00:0c'", timeout=60)
    assert "vif 0: 00:16:3e:00:00:0c on xenbr0" in out and "has not connected" not in out, out
    # What a user gets wrong is refused with the reason.
    for cmd, why in (("block-attach hot 'file:/tmp/hot.img,xvdb,w'", "xvdb is attached already"),
                     ("block-attach hot 'file:/tmp/none.img,xvdc,w'", "No such file"),
                     ("block-detach hot xvdc", "xvdc is not attached"),
                     ("network-detach hot 3", "vif 3 is not attached"),
                     ("network-attach hot 'bridge=nobr0'", "dom0 has no bridge nobr0"),
                     ("block-attach nosuch 'file:/tmp/hot.img,xvdb,w'", "no domain 'nosuch'")):
        out, status = m.shell(f"domus {cmd}", timeout=60)
        assert status == 1 and why in out, f"domus {cmd}: {status}: {out}"

    attach(m, "hot")
    wait_in_guest(m, "/sys/block/xvdb")
    wait_in_guest(m, "/sys/class/net/eth0")
    assert in_guest(m, "cat /sys/block/xvdb/size").split()[-1] == "16384"
    written = sha(in_guest(m, "dd if=/dev/urandom of=/tmp/p bs=64k count=16 2>/dev/null; "
                              "dd if=/tmp/p of=/dev/xvdb bs=64k oflag=direct 2>/dev/null; "
                              "sha256sum /tmp/p"))
    # eth0 came after boot: configure it by hand, as a user would.
    assert "00:16:3e:00:00:0c" in in_guest(m, "cat /sys/class/net/eth0/address")
    in_guest(m, "ip link set eth0 up; udhcpc -n -q -i eth0 -s /etc/udhcpc.script -t 10 -T 1 "
                ">/dev/null 2>&1", timeout=60)
    assert "2 packets received" in in_guest(m, f"ping -c 2 -W 5 {dom0_ip}")
    detach(m)

    m.run("domus block-detach hot xvdb", timeout=60)
    m.run("domus network-detach hot 0", timeout=60)
    attach(m, "hot")
    wait_in_guest(m, "/sys/block/xvdb", present=False)
    wait_in_guest(m, "/sys/class/net/eth0", present=False)
    gone = in_guest(m, "ls /sys/block /sys/class/net")
    assert "xvdb" not in gone and "eth0" not in gone
    detach(m)
    # The data stays in the image; no loop device, vif or record is left behind.
    assert sha(m.run("dd if=/tmp/hot.img bs=64k count=16 2>/dev/null | sha256sum")) == written
    assert "/tmp/hot.img" not in m.run("losetup -a")
    assert "vif" not in wait_vifs_gone(m)
    assert "backend" not in m.run("xenstore-ls -f /local/domain/0 2>&1")
    m.run("domus destroy hot", timeout=60)
    assert free_pages(m) == before
    assert xenstore_nodes(m) == nodes


def test_a_disk_detached_while_mounted_gives_the_guest_io_errors_not_a_hang(domus_image, boot):
    """Linux 6.1's blkfront no longer refuses to close a disk in use (as older ones did): it
    marks it dead and lets go, under Xen as here. What was synced is in the image; what the
    guest writes after fails with an error; the guest and dom0 carry on."""
    m = boot_dom0(boot, smp=2)
    m.run("dd if=/dev/zero of=/tmp/m.img bs=1M count=8 2>/dev/null")
    write_config(m, "/tmp/m.cfg", "holder", 160, more="\"disk = [ 'file:/tmp/m.img,xvdb,w' ]\"")
    m.run("domus create /tmp/m.cfg", timeout=120)
    attach(m, "holder")
    assert "mounted" in in_guest(m, "mke2fs -q /dev/xvdb && mkdir -p /mnt && "
                                    "mount -t ext2 /dev/xvdb /mnt && echo one > /mnt/a && sync && "
                                    "echo mounted", timeout=120)
    detach(m)
    m.run("domus block-detach holder xvdb", timeout=60)
    attach(m, "holder")
    out = in_guest(m, "echo disks=$(ls /sys/block | grep -c xvd); dd if=/dev/zero of=/mnt/b "
                      "bs=4k count=4 conv=fsync; echo dd=$?; umount /mnt; echo umount=$?",
                   timeout=60)
    assert "disks=0" in out and "dd=1" in out and "umount=0" in out, out
    assert "Input/output error" in out, out
    assert "still 42" in in_guest(m, "echo still $((6 * 7))")
    detach(m)
    assert "/tmp/m.img" not in m.run("losetup -a")
    assert m.run("mkdir -p /mnt && mount -t ext2 -o loop,ro /tmp/m.img /mnt && cat /mnt/a && "
                 "umount /mnt").split() == ["one"]
    m.run("domus destroy holder", timeout=60)
    assert "backend" not in m.run("xenstore-ls -f /local/domain/0 2>&1")


def test_destroying_a_guest_with_disk_and_network_io_in_flight_cleans_up_its_backends(domus_image,
                                                                                     boot):
    m = boot_dom0(boot, smp=2)
    dom0_ip = wait_ipv4(m.run, "xenbr0")
    m.run("dd if=/dev/zero of=/tmp/busy.img bs=1M count=32 2>/dev/null")
    before, nodes = free_pages(m), xenstore_nodes(m)
    write_config(m, "/tmp/busy.cfg", "busy", 160,
                 more="\"disk = [ 'file:/tmp/busy.img,xvda,w' ]\" "
                      "\"vif = [ 'mac=00:16:3e:00:00:0d' ]\"")
    m.run("domus create /tmp/busy.cfg", timeout=120)
    m.run("(sleep 300 | nc -l -p 5003 > /dev/null &)")
    attach(m, "busy")
    wait_ipv4(lambda c: in_guest(m, c), "eth0")
    # Reads, writes and a TCP stream that would run for minutes, all at once.
    in_guest(m, "(while :; do dd if=/dev/xvda of=/dev/null bs=64k iflag=direct 2>/dev/null; "
                "done &); (while :; do dd if=/dev/urandom of=/dev/xvda bs=64k count=256 "
                "oflag=direct 2>/dev/null; done &); "
                f"(dd if=/dev/zero bs=64k count=100000 2>/dev/null | nc {dom0_ip} 5003 &)")
    # Three seconds of that, so that the destroy finds requests in flight on every path.
    in_guest(m, "sleep 3; cat /sys/block/xvda/stat")
    detach(m)
    m.run("domus destroy busy", timeout=60)
    # Nothing of the guest is left in dom0, and dom0 carries on.
    assert "/tmp/busy.img" not in m.run("losetup -a")
    assert "vif" not in wait_vifs_gone(m)
    assert "backend" not in m.run("xenstore-ls -f /local/domain/0 2>&1")
    assert free_pages(m) == before
    assert xenstore_nodes(m) == nodes
    # The same disk and bridge serve the next guest.
    m.run("sed -i 's/busy\"/again\"/' /tmp/busy.cfg && domus create /tmp/busy.cfg", timeout=120)
    attach(m, "again")
    assert in_guest(m, "cat /sys/block/xvda/size").split()[-1] == "65536"
    wait_ipv4(lambda c: in_guest(m, c), "eth0")
    assert "2 packets received" in in_guest(m, f"ping -c 2 -W 5 {dom0_ip}")
    detach(m)
    m.run("domus destroy again", timeout=60)
    assert free_pages(m) == before


def test_a_failing_backing_store_gives_the_guest_io_errors_not_a_hang(domus_image, boot):
    """The image lives on a 1 MiB tmpfs: writes past that fail in dom0's loop device,
    blkback answers them with errors, and the guest's dd sees them and ends."""
    m = boot_dom0(boot, smp=2)
    m.run("mkdir -p /small && mount -t tmpfs -o size=1m tmpfs /small && "
          "dd if=/dev/zero of=/small/disk.img bs=1M seek=16 count=0 2>/dev/null")
    write_config(m, "/tmp/full.cfg", "full", 160,
                 more="\"disk = [ 'file:/small/disk.img,xvda,w' ]\"")
    m.run("domus create /tmp/full.cfg", timeout=120)
    attach(m, "full")
    out = in_guest(m, "dd if=/dev/urandom of=/dev/xvda bs=64k count=64 oflag=direct; "
                      "echo rc=$?", timeout=120)
    assert "rc=1" in out and re.search(r"I/O error|Input/output error", out), out
    # The guest is still well: reads of what fitted work.
    assert "rc=0" in in_guest(m, "dd if=/dev/xvda of=/dev/null bs=64k count=4 iflag=direct; "
                                 "echo rc=$?")
    detach(m)
    m.run("domus destroy full", timeout=60)
    assert "/small/disk.img" not in m.run("losetup -a")
    # The loop device lets go of the file in its own time after the detach: the tmpfs
    # unmounts once it has.
    m.run("for i in $(seq 600); do umount /small 2>/dev/null && break; sleep 0.1; done; "
          "! grep -q /small /proc/mounts", timeout=90)
