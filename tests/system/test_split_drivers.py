# SPDX-License-Identifier: MIT
"""Split drivers between stock Linux ends: a guest's xen-blkfront meets dom0's xen-blkback
through grants and event channels that Domus carries; the toolstack writes both ends'
XenStore records and does the hotplug work (loop devices)."""

import re

from test_dom0 import boot_dom0
from test_domu import attach, detach, free_pages, guest_run, write_config, xenstore_nodes


def sha(out):
    return re.search(r"\b([0-9a-f]{64})\b", out).group(1)


def test_disk_written_in_a_guest_is_in_its_image_after_destroy_and_nothing_is_left(domus_image,
                                                                                  boot):
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
                    "sha256sum /tmp/p", r"\n([0-9a-f]{64})  /tmp/p\r*\n")
    written = out.group(1)
    detach(m)
    m.run("domus destroy writer", timeout=60)
    # The data is in the image file, and no loop device or backend is left behind.
    assert sha(m.run("dd if=/tmp/disk.img bs=1M count=4 2>/dev/null | sha256sum")) == written
    assert "/tmp/disk.img" not in m.run("losetup -a")
    assert "vbd/1" not in m.run("xenstore-ls -f /local/domain/0 2>&1")
    assert free_pages(m) == before
    assert xenstore_nodes(m) == nodes
