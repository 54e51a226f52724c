"""``smile-bench parity RUN_DIR RUN_DIR ...``: the same verification suite on several DUTs,
compared requirement by requirement (``bench.verification.parity``). Exit 0 when every
requirement has the same verdict on every DUT, 1 when one differs, 2 on bad input."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.verification import parity as parity_mod


def add_parser(sub) -> None:
    p = sub.add_parser("parity", help="compare the verdicts of runs of the suite on different DUTs")
    p.add_argument("runs", nargs="+", help="run folders (smile-bench run --out DIR), two or more")
    p.add_argument("--out", help="folder for parity.md and parity.json (default: the first run's)")
    p.set_defaults(func=cmd_parity)


def cmd_parity(args: argparse.Namespace) -> int:
    runs = [parity_mod.load_run(r) for r in args.runs]
    result = parity_mod.compare(runs)
    console = Console(width=150)
    table = Table(title=f"parity, seeds {', '.join(map(str, runs[0].seeds))}")
    table.add_column("requirement")
    for run in runs:
        table.add_column(run.dut)
    table.add_column("same verdict")
    table.add_column("figures equal")
    for row in result.rows:
        same = "[green]yes" if row.same_verdict else "[red]NO"
        table.add_row(
            row.requirement,
            *[v.value.upper() for v in row.verdicts],
            same,
            "yes" if row.figures_equal else "no",
        )
    console.print(table)
    md, js = parity_mod.write(result, Path(args.out) if args.out else runs[0].path)
    differ = [r.requirement for r in result.rows if not r.same_verdict]
    console.print(
        f"parity {'holds' if result.holds else 'FAILS'} on {len(result.rows)} requirements "
        f"across {', '.join(r.dut for r in runs)}"
        + (f" (verdicts differ: {', '.join(differ)})" if differ else "")
        + f"; report {md} and {js}"
    )
    return 0 if result.holds else 1
