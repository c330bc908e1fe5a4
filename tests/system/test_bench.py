# SPDX-License-Identifier: MIT
"""Keeps bench/ from rotting: its quick mode runs and produces every row. No timing is checked."""

import json
import subprocess

from qemu import ROOT


def test_bench_quick_mode_produces_every_row(domus_image, tmp_path):
    out = subprocess.run(["bash", "bench/run.sh", "--quick"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    result = json.loads((ROOT / "build" / "bench" / "results.json").read_text())
    rows = {r["metric"]: r for r in result["table"]}
    assert set(rows) >= {"boot.wall_s", "boot.uptime_s"}, rows.keys()
    for row in rows.values():
        for setup in ("native", "xen", "domus"):
            assert isinstance(row[setup], dict) and row[setup]["n"] == 1, (row["metric"], setup)
        assert row["domus/native"] and row["domus/xen"]
    assert result["sizes"]["domus_image_bytes"] > 0 and result["sizes"]["domus_hyp_lines"] > 0
    assert (ROOT / "build" / "bench" / "results.png").stat().st_size > 0
