# SPDX-License-Identifier: MIT
"""Boots the stock guest kernel and initramfs without Domus: proves the guest images work alone."""

import re


def test_native_kernel_boots_to_shell_reads_virtio_disk_brings_up_net_and_powers_off(
        guest_images, boot, pattern_disk):
    disk, sha256 = pattern_disk
    m = boot(hypervisor=False, smp=2, cpu="cortex-a57", disks=[disk], net=True)

    seconds = m.wait_ready(timeout=300)
    print(f"native boot to DOMUS-GUEST-READY: {seconds:.1f}s wall, guest uptime {m.guest_uptime}s")
    m.wait_for(r"~ # ", timeout=60)

    assert m.run("nproc") == "2"

    out = m.run("dd if=/dev/vda bs=1M count=4 2>/dev/null | sha256sum")
    assert out.split()[0] == sha256

    m.run("ip link set eth0 up")
    out = m.run("for i in $(seq 50); do [ \"$(cat /sys/class/net/eth0/operstate)\" = up ] && break;"
                " sleep 0.2; done; cat /sys/class/net/eth0/operstate /sys/class/net/eth0/carrier")
    assert out.split() == ["up", "1"]
    out = m.run("udhcpc -i eth0 -n -q -t 5 -T 2 -s /bin/true 2>&1", timeout=60)
    assert re.search(r"lease of 10\.0\.2\.\d+ obtained", out), out

    assert m.poweroff(timeout=60) == 0
