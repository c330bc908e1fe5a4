# SPDX-License-Identifier: MIT
"""Where a trap's time goes, under TCG: boots the micro-benchmark guest under one setup with
QEMU's `-d exec,nochain` (a line per translated block executed), then counts the blocks the
hypervisor runs between two blocks of the guest. Each benchmark repeats one exit N times, so
the most frequent run lengths are the exit paths: their length is the hypervisor's own work
per exit. For Domus it also names the functions of one run of a given length.

    /usr/bin/python3 bench/profile.py domus [--xen PATH] [--show 39]
    /usr/bin/python3 bench/profile.py xen --xen ~/.cache/domus/xen-hypervisor-4.17-arm64/boot/xen-4.17-arm64

The trace (gigabytes under Xen) is deleted afterwards unless --keep.
"""

import argparse
import collections
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "system"))
sys.path.insert(0, str(ROOT / "bench"))
import bench  # noqa: E402

# Hypervisor code, by PC: Domus runs identity-mapped where QEMU loads it; Xen 4.17 at its
# virtual addresses below 1 GiB. The guest runs with its MMU off, at RAM addresses above.
EL2_RANGES = {"domus": (0x40200000, 0x40300000), "xen": (0, 0x40000000)}


def runs(trace, lo, hi, want=None, nth=150):
    """Histogram of hypervisor run lengths, per CPU (MTTCG interleaves the CPUs' lines:
    "Trace N:" says whose); and the PCs of the nth run of length want."""
    hist, run, seen, example = collections.Counter(), {}, 0, None
    with open(trace, "rb") as f:
        for line in f:
            i = line.find(b"/")
            if i < 0 or not line.startswith(b"Trace "):
                continue
            cpu = line[6:line.index(b":")]
            pc = int(line[i + 1:i + 17], 16)
            r = run.setdefault(cpu, [])
            if lo <= pc < hi:
                r.append(pc)
            elif r:
                hist[len(r)] += 1
                if want and len(r) == want:
                    seen += 1
                    if seen == nth:
                        example = r
                run[cpu] = []
    return hist, example


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("setup", choices=["domus", "xen"])
    ap.add_argument("--xen", default=str(Path.home() / ".cache/domus/xen-hypervisor-4.17-arm64/boot/xen-4.17-arm64"))
    ap.add_argument("--show", type=int, help="name the functions of a run of this length (domus)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--top", type=int, default=12, help="how many run lengths to list")
    ap.add_argument("--trace", help="count this kept trace instead of booting again")
    args = ap.parse_args()
    bench.XenMachine.xen = Path(args.xen)
    out = ROOT / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    trace = out / f"trace-{args.setup}.log"
    m = None if args.trace else bench.SETUPS[args.setup](f"profile-{args.setup}", smp=2, net=False, kernel=bench.MICRO_IMG,
                                 dom0_bootargs="n=200", log_dir=out / "logs",
                                 extra_args=["-d", "exec,nochain", "-D", str(trace)])
    if m:
        m.start()
        try:
            m.wait_for("MICROBENCH-DONE", timeout=600)
        finally:
            m.close()
    lo, hi = EL2_RANGES[args.setup]
    if args.trace:
        trace = Path(args.trace)
    hist, example = runs(trace, lo, hi, args.show)
    print(f"{args.setup}: hypervisor blocks per exit (run length: how often)")
    for length, count in hist.most_common(args.top):
        print(f"  {length:5}: {count}")
    if example:
        pcs = [hex(pc - lo) for pc in example]
        names = subprocess.run(["aarch64-linux-gnu-addr2line", "-f", "-s", "-e",
                                str(ROOT / "build" / "domus.elf")] + pcs,
                               capture_output=True, text=True).stdout.split("\n")[0::2]
        print(f"one run of {args.show} blocks: " + " ".join(names))
    if not args.keep and not args.trace:
        trace.unlink()


if __name__ == "__main__":
    main()
