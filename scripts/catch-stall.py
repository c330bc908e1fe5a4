#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Boots dom0 again and again until the guest reports a stall, then asks Domus what it sees.

    scripts/catch-stall.py [--smp 8] [--tries 30] [--gdb-port 1234]   (after `make all guest`)

Run it beside a CPU hog (`( while :; do :; done ) &`): it found the 8-pCPU boot stall (RCU
stalls, soft lockups of idle vCPUs; fixed in the scheduler) and is how to look for another.
At the first "soft lockup" or "rcu_sched detected stalls" line it sends Domus' debug keys d
and r three times, 8 s apart, and with --gdb-port also reads each pCPU's registers through
QEMU's gdb stub (gdb-multiarch) after each; the console is left in
build/test-logs/catch-stall-N.log. A developer tool, not a test.
"""
import argparse
import pathlib
import subprocess
import sys

import pexpect

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests/system"))
from qemu import Machine  # noqa: E402

STALL = r"soft lockup|rcu_sched detected stalls"

# What each pCPU is doing, read through QEMU's gdb stub: where it is (pc, its exception
# level and interrupt mask in cpsr), what it last trapped on, and its timers.
GDB_REGS = ("$pc", "$cpsr", "$ELR_EL2", "$ESR_EL2", "$SPSR_EL2", "$VTTBR_EL2",
            "$CNTV_CTL_EL0", "$CNTV_CVAL_EL0", "$CNTHP_CTL_EL2", "$CNTHP_CVAL_EL2")


def gdb_snapshot(port):
    cmds = ["set pagination off", "set architecture aarch64", f"target remote :{port}",
            "info threads"]
    cmds += [f"thread apply all printf \"{r[1:]} %#lx\\n\", {r}" for r in GDB_REGS]
    argv = ["gdb-multiarch", "-batch", "-nx"]
    for c in cmds:
        argv += ["-ex", c]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    return out.stdout + out.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smp", type=int, default=8)
    ap.add_argument("--tries", type=int, default=30)
    ap.add_argument("--gdb-port", type=int, default=0,
                    help="also read each pCPU's registers through QEMU's gdb stub on this port")
    args = ap.parse_args()
    for n in range(1, args.tries + 1):
        extra = ["-gdb", f"tcp:127.0.0.1:{args.gdb_port}"] if args.gdb_port else []
        m = Machine(f"catch-stall-{n}", hypervisor=True, smp=args.smp, extra_args=extra)
        m.start()
        try:
            stalled = m.child.expect([STALL, r"DOMUS-GUEST-READY"], timeout=300) == 0
        except pexpect.TIMEOUT:
            stalled = True
        if stalled:
            for i in range(3):
                m._note(f"stall seen: Domus' debug keys d and r, {i + 1} of 3")
                m.child.send("\x01\x01\x01dr\x01\x01\x01")
                try:
                    m.child.expect(pexpect.TIMEOUT, timeout=8)
                except pexpect.EOF:
                    break
                if args.gdb_port:
                    m._note(f"stall seen: each pCPU through gdb, {i + 1} of 3")
                    m._log.write(gdb_snapshot(args.gdb_port))
        m.close()
        print(f"boot {n}: {'STALL, see ' + str(m.log_path) if stalled else 'no stall'}",
              flush=True)
        if stalled:
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
