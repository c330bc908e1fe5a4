# SPDX-License-Identifier: MIT
"""The hostile guest (tests/hostile/): an unprivileged domain that attacks Domus case by case and
asserts Xen 4.17's answer to each, while a stock Linux guest runs beside it. Domus and the
bystander must carry on, and every page and XenStore node must come back."""

import re

from test_dom0 import boot_dom0, number
from test_domu import attach, detach, free_pages, guest_run, write_config, xenstore_nodes

VERDICT = r"hostile: (\d+) cases, (\d+) failed"
CLOSED = "domus: the console of 'hostile' closed"
# What a terminal must never receive from a guest: the introducers of OSC and DCS strings,
# in their 7-bit (ESC ] / ESC P) and 8-bit (0x9d / 0x90, decoded as U+FFFD here) forms.
RAW_ESCAPES = re.compile("\x1b[\\]P]|[\x90\x9d\ufffd]")


def hostile_config(m, path, name, extra=""):
    m.run(f"sed 's/^name = .*/name = \"{name}\"/' /etc/domus/hostile.cfg > {path}"
          + (f" && echo 'extra = \"{extra}\"' >> {path}" if extra else ""))


def domain_id(m, name):
    found = re.search(rf"^{name}\s+(\d+)\s", m.run("domus list"), re.M)
    assert found, f"no domain {name!r} in `domus list`"
    return int(found.group(1))


def start_bystander(m):
    """A stock Debian guest booted to its shell, beside the hostile one."""
    write_config(m, "/tmp/bystander.cfg", "bystander", 128)
    m.run("domus create /tmp/bystander.cfg", timeout=120)
    attach(m, "bystander")
    guest_run(m, "echo up $((6 * 7))", r"\nup 42\r*\n")
    detach(m)


def run_hostile_beside_a_bystander(m, config="/etc/domus/hostile.cfg"):
    """Runs the hostile guest's cases beside a stock guest, and asserts that every case got
    Xen's answer, nothing raw reached the terminal, and everyone else carried on."""
    assert "vcpus = 3" in m.run(f"cat {config}")
    pages0, nodes0 = free_pages(m), xenstore_nodes(m)
    start_bystander(m)
    pages1, nodes1 = free_pages(m), xenstore_nodes(m)

    since = m.mark()
    m.send(f"domus create -c {config}\n")
    m.wait_for(r"hostile: starting", timeout=120)
    # The verdict, or the console closing without one (the domain ended early).
    end = m.wait_for(rf"{VERDICT}|{re.escape(CLOSED)}", timeout=240)
    if end.group(0) != CLOSED:
        m.wait_for(re.escape(CLOSED), timeout=60)
    m.wait_for(r"~ # ", timeout=30)
    out = m.transcript()[since:]
    # What an administrator attached to its console saw: no terminal control strings, raw.
    start, stop = out.find("hostile: escapes follow ["), out.find("] escapes done")
    assert 0 <= start < stop, "the guest never sent its escape sequences"
    escapes = out[start:stop]
    # The guest's own record, without the hypervisor's lines the terminal interleaves.
    log = "/var/log/domus/hostile.log"
    case_lines = number(m.run(f"grep -acE '^(ok|FAIL) .*: .* [(]want .*[)]' {log}"))
    last_line = m.run(f"grep -av '^[[:space:]]*$' {log} | tail -n 1").strip()
    fails = m.run(f"grep -a '^FAIL' {log} || true", timeout=60)
    # It is gone, by its own SYSTEM_OFF (after a shutdown_code of poweroff).
    m.wait_logged(r"\(domus\) d\d+: destroyed", since)
    assert "hostile" not in m.run("domus list")
    shut_down = re.findall(r"\(domus\) d\d+: shut down \((\w+)\)", m.transcript()[since:])
    # Dom0 and the bystander carry on.
    assert "alive" in m.run("echo alive").splitlines()
    attach(m, "bystander")
    guest_run(m, "echo still $((6 * 7))", r"\nstill 42\r*\n")
    detach(m)
    # Every page and node the hostile guest had came back, the bystander's too.
    assert (free_pages(m), xenstore_nodes(m)) == (pages1, nodes1)
    m.run("domus destroy bystander", timeout=60)
    assert (free_pages(m), xenstore_nodes(m)) == (pages0, nodes0)

    # What is left is the verdict on Domus' answers, and what reached the terminal: both reported.
    problems = []
    if RAW_ESCAPES.search(escapes):
        problems.append(f"raw terminal escapes reached the attached console: {escapes!r}")
    verdict = re.fullmatch(VERDICT, last_line)
    if not verdict:
        problems.append(f"no verdict: the guest's last line was {last_line!r} (it ended by "
                        f"{shut_down or 'no shutdown'}), after {case_lines} cases")
    else:
        cases, failed = int(verdict.group(1)), int(verdict.group(2))
        # One line a case, each "ok|FAIL <name>: <got> (want <want>)".
        if case_lines != cases:
            problems.append(f"{case_lines} case lines for {cases} cases")
        if cases < 200 or failed:
            problems.append(f"{failed} of {cases} cases failed (at least 200 wanted, none failed)")
        if shut_down != ["poweroff"]:
            problems.append(f"it shut down as {shut_down}, not once as poweroff")
    assert not problems, "\n".join(problems) + "\nfailed cases:\n" + fails


def test_hostile_guest_gets_xens_answer_to_every_case_and_harms_no_one(domus_image, boot):
    run_hostile_beside_a_bystander(boot_dom0(boot, smp=2))


def test_hostile_guest_with_ram_in_stage2_blocks_cannot_make_a_split_without_a_table(
        domus_image, boot):
    """With stage2_blocks=on a guest's RAM is in 2 MiB blocks: removing one page splits its
    block, which a guest that has used up its stage-2 tables must see refused cleanly (the
    case in tests/hostile/stage2.c, told by its command line which answer is Xen's)."""
    m = boot_dom0(boot, smp=2, domus_args="stage2_blocks=on")
    hostile_config(m, "/tmp/hostile.cfg", "hostile", extra="stage2_blocks")
    run_hostile_beside_a_bystander(m, "/tmp/hostile.cfg")


def race_rounds(m, name):
    out = m.run(f"grep -o 'race round [0-9]*' /var/log/domus/{name}.log | tail -n 1")
    found = re.search(r"race round (\d+)", out)
    return int(found.group(1)) if found else 0


def wait_for_race_progress(m, name, after):
    """Waits (up to 60 s) until the guest's log reports a round past `after`."""
    out = m.run(f"for i in $(seq 600); do n=$(grep -o 'race round [0-9]*' /var/log/domus/{name}.log"
                f" | tail -n 1 | cut -d' ' -f3); [ \"${{n:-0}}\" -gt {after} ] && break; sleep 0.1;"
                f" done; echo round=${{n:-0}}", timeout=90)
    n = int(re.search(r"round=(\d+)", out).group(1))
    assert n > after, f"the race made no progress past round {after}"
    return n


def test_pausing_and_destroying_a_guest_in_a_psci_cpu_on_off_race_hangs_nothing(domus_image, boot):
    m = boot_dom0(boot, smp=2)
    hostile_config(m, "/tmp/race.cfg", "race", extra="race")
    pages, nodes = free_pages(m), xenstore_nodes(m)
    since = m.mark()
    m.run("domus create /tmp/race.cfg", timeout=60)
    domid = domain_id(m, "race")
    # The guest announces its race phase on its console, then a line every 100 rounds.
    m.send("domus console race\n")
    m.wait_for("hostile: PSCI race phase", timeout=120)
    m.wait_for(r"hostile: race round \d+", timeout=120)
    detach(m)
    rounds = race_rounds(m, "race")
    for _ in range(8):
        m.run("domus pause race", timeout=30)
        assert re.search(r"^race\s+\d+\s+\d+\s+3\s+paused", m.run("domus list"), re.M)
        m.run("domus unpause race", timeout=30)
        rounds = wait_for_race_progress(m, "race", rounds)
    # Destroyed in the middle of the race: the command returns and the domain is gone.
    m.run("domus destroy race", timeout=60)
    m.wait_logged(rf"\(domus\) d{domid}: destroyed", since, timeout=60)
    assert "race" not in m.run("domus list")
    assert "alive" in m.run("echo alive").splitlines()
    assert (free_pages(m), xenstore_nodes(m)) == (pages, nodes)
