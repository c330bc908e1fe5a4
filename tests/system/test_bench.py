# SPDX-License-Identifier: MIT
"""Keeps bench/ from rotting: its quick mode runs and produces every row, the in-guest
micro-benchmarks' included. No timing is checked."""

import json
import subprocess

from qemu import ROOT


def test_bench_quick_mode_produces_every_row(domus_image, tmp_path):
    out = subprocess.run(["bash", "bench/run.sh", "--quick"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    result = json.loads((ROOT / "build" / "bench" / "results.json").read_text())
    rows = {r["metric"]: r for r in result["table"]}
    micro = {f"micro.{m}" for m in ("null_trap_ns", "mmio_read_ns", "ipi_ns", "ipi_min_ns",
                                    "eoi_ns", "self_sgi_ns", "timer_ns")}
    hypercall = "hypercall.privcmd_null_hypercall_ns"
    boot = {f"{m}.{f}" for m in ("boot", "boot_quiet") for f in ("wall_s", "uptime_s", "console_lines")}
    assert set(rows) >= boot | {hypercall} | micro, rows.keys()
    # `quiet` takes the kernel's log off the console: what makes native and dom0 boots alike.
    assert (rows["boot_quiet.console_lines"]["native"]["median"] * 4
            < rows["boot.console_lines"]["native"]["median"]), rows["boot.console_lines"]
    # Both hypervisors answer the null hypercall from dom0 user space; natively there is none.
    assert isinstance(rows[hypercall]["xen"], dict) and isinstance(rows[hypercall]["domus"], dict)
    assert rows[hypercall]["native"] == "no hypervisor"
    for setup in ("native", "xen", "domus"):  # the program ran everywhere, whatever it measured
        assert len(result["samples"]["micro"][setup]) == 1, setup
    for row in rows.values():
        for setup in ("native", "xen", "domus"):
            cell = row[setup]
            if row["metric"] in micro | {hypercall} and isinstance(cell, str):
                continue  # the guest said why it has no figure there: a row all the same
            assert isinstance(cell, dict) and cell["n"] == 1, (row["metric"], setup, cell)
        if all(isinstance(row[s], dict) and row[s]["median"] for s in ("native", "xen", "domus")):
            assert row["domus/native"] and row["domus/xen"]
    assert result["sizes"]["domus_image_bytes"] > 0 and result["sizes"]["domus_hyp_lines"] > 0
    assert (ROOT / "build" / "bench" / "results.png").stat().st_size > 0
