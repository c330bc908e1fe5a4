# SPDX-License-Identifier: MIT
"""Split drivers between stock Linux ends: a guest's xen-blkfront meets dom0's xen-blkback
through grants and event channels that Domus carries; the toolstack writes both ends'
XenStore records and does the hotplug work (loop devices)."""

import os
import re

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


def wait_ipv4(run, dev):
    """The address DHCP gave dev (polls: the client runs in the background from boot)."""
    out = run(f"for i in $(seq 150); do ip -4 addr show {dev} | grep -q 'inet ' && break; "
              f"sleep 0.2; done; ip -4 addr show {dev}")
    found = re.search(r"inet (10\.0\.2\.\d+)/", out)
    assert found, f"{dev} got no address from DHCP:\n{out}"
    return found.group(1)


def in_guest(m, cmd, timeout=60):
    """Runs cmd in the attached guest's shell; its output, up to a marker."""
    tag = os.urandom(4).hex()
    out = guest_run(m, f"{cmd}; echo END{tag}$((0))", f"\n(.*)END{tag}0", timeout=timeout)
    return out.group(1)


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
    assert sha(m.run("sleep 1; wc -c /tmp/rx; sha256sum /tmp/rx")) == sent
    attach(m, "beta")
    assert sha(in_guest(m, "sleep 1; wc -c /tmp/rx; sha256sum /tmp/rx")) == sent
    assert alpha_ip in in_guest(m, "cat /proc/net/arp")
    detach(m)

    for name in ("alpha", "beta"):
        m.run(f"domus destroy {name}", timeout=60)
    # netback unregisters the vifs as their records go; they leave the bridge with them.
    left = m.run("for i in $(seq 50); do ls /sys/class/net | grep -q vif || break; sleep 0.2; "
                 "done; ls /sys/class/net")
    assert "vif" not in left
    assert "vif/" not in m.run("xenstore-ls -f /local/domain/0 2>&1")
    assert free_pages(m) == before
    assert xenstore_nodes(m) == nodes
