#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Boots dom0 again and again until the guest reports a stall, then asks Domus what it sees.

    scripts/catch-stall.py [--smp 8] [--tries 30]     (after `make all guest`)

Run it beside a CPU hog (`( while :; do :; done ) &`) to reproduce the 8-pCPU boot stall
(RCU stalls, soft lockups of idle vCPUs) that scripts/steadiness.sh found. At the first
"soft lockup" or "rcu_sched detected stalls" line it sends Domus' debug keys d and r three
times, 4 s apart, and leaves the console in build/test-logs/catch-stall-N.log. A developer
tool, not a test.
"""
import argparse
import pathlib
import sys

import pexpect

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests/system"))
from qemu import Machine  # noqa: E402

STALL = r"soft lockup|rcu_sched detected stalls"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smp", type=int, default=8)
    ap.add_argument("--tries", type=int, default=30)
    args = ap.parse_args()
    for n in range(1, args.tries + 1):
        m = Machine(f"catch-stall-{n}", hypervisor=True, smp=args.smp)
        m.start()
        try:
            stalled = m.child.expect([STALL, r"DOMUS-GUEST-READY"], timeout=300) == 0
        except pexpect.TIMEOUT:
            stalled = True
        if stalled:
            for _ in range(3):
                m.child.send("\x01\x01\x01dr\x01\x01\x01")
                try:
                    m.child.expect(pexpect.TIMEOUT, timeout=4)
                except pexpect.EOF:
                    break
        m.child.terminate(force=True)
        print(f"boot {n}: {'STALL, see ' + str(m.log_path) if stalled else 'no stall'}",
              flush=True)
        if stalled:
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
