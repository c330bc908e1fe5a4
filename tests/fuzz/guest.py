# SPDX-License-Identifier: MIT
"""Random hypercalls from an unprivileged domain (`make fuzz-guest`; not part of CI).

Boots Domus with dom0 in QEMU, notes Domus' free memory, and for each seed starts the hostile
guest in its fuzz mode (tests/hostile/fuzz.c: every vCPU makes CALLS hypercalls with random,
valid-looking numbers and arguments, then powers off). Afterwards Domus must still be there
(no panic on its console), dom0 must answer, the guest must have reported all its calls, and
free memory must be what it was before, to the page. Prints one line per seed and a total.

  python3 tests/fuzz/guest.py [--seeds 1,2] [--calls 1000000] [--vcpus 2]
"""

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "system"))

from qemu import LOG_DIR, Machine  # noqa: E402
from test_dom0 import number  # noqa: E402

FREE = ("domus info | awk '/^free_pages|^dom0_p2m_pages|^dom0_maptrack_pages/ "
        "{ n += $NF } END { print n }'")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1", help="comma-separated seeds, one guest each")
    ap.add_argument("--calls", type=int, default=1000000, help="hypercalls per vCPU")
    ap.add_argument("--vcpus", type=int, default=2)
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]

    m = Machine("fuzz-guest", smp=2, log_dir=LOG_DIR)
    m.start()
    total, failures = 0, []
    try:
        m.wait_ready(timeout=300)
        m.wait_for(r"~ # ", timeout=60)
        before = number(m.run(FREE))
        for seed in seeds:
            name = f"fuzz{seed}"
            m.run(f"sed 's/^name = .*/name = \"{name}\"/; s/^vcpus = .*/vcpus = {args.vcpus}/' "
                  f"/etc/domus/hostile.cfg > /tmp/{name}.cfg && "
                  f"echo 'extra = \"fuzz seed={seed} calls={args.calls}\"' >> /tmp/{name}.cfg")
            since = m.mark()
            t0 = time.monotonic()
            m.run(f"domus create /tmp/{name}.cfg", timeout=60)
            # It ends by powering off; on_poweroff destroys it.
            m.wait_logged(r"\(domus\) d\d+: destroyed", since, timeout=3600)
            seconds = time.monotonic() - t0
            log = m.run(f"cat /var/log/domus/{name}.log", timeout=60)
            done = re.search(r"fuzz: done: (\d+) calls in (\d+) s, seed (\d+), (\d+) exceptions", log)
            after = number(m.run(FREE))
            panic = "PANIC" in m.transcript()[since:]
            alive = "alive" in m.run("echo alive")
            calls = int(done.group(1)) if done else 0
            total += calls
            line = (f"seed {seed}: {calls} hypercalls in {seconds:.0f} s, free pages "
                    f"{before} -> {after}, " + ("Domus PANIC" if panic else "Domus up") +
                    (", dom0 answers" if alive else ", dom0 silent"))
            print(line, flush=True)
            if not done or panic or not alive or after != before:
                failures.append(line)
        m.run("domus dmesg | tail -n 5")
    finally:
        m.close()
    print(f"fuzz-guest: {total} hypercalls over {len(seeds)} seeds, "
          f"{len(failures)} runs with a failure (log: {m.log_path})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
