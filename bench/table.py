# SPDX-License-Identifier: MIT
"""Writes a bench run's Performance table (build/bench/results.json by default) into README.md,
between its `<!-- bench-table -->` and `<!-- /bench-table -->` lines, so that the table is
never typed by hand:

    /usr/bin/python3 bench/table.py [RESULTS.json] [--print]
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402

BEGIN, END = "<!-- bench-table -->", "<!-- /bench-table -->"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results", nargs="?", default=str(bench.OUT / "results.json"))
    ap.add_argument("--print", action="store_true", help="print the table, change nothing")
    args = ap.parse_args()
    table = bench.markdown_table(json.loads(Path(args.results).read_text()))
    if args.print:
        print(table, end="")
        return
    readme = bench.ROOT / "README.md"
    text = readme.read_text()
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        sys.exit(f"table.py: README.md needs one {BEGIN} line and one {END} line")
    head, rest = text.split(BEGIN + "\n")
    _, tail = rest.split(END + "\n")
    readme.write_text(head + BEGIN + "\n" + table + END + "\n" + tail)
    print(f"table.py: README.md's table now from {args.results}")


if __name__ == "__main__":
    main()
