"""What the benchmark scripts share: each case runs in a fresh process pinned to one core (so
its time and peak memory are its own), best of ``--repeat`` runs."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def parse(doc: str | None, run_case: Callable[[str], dict], *, repeat: int) -> int | None:
    """The script's arguments. In a case's own process (``--case NAME``) run it, print its JSON
    and return None; otherwise return how many runs per case the user asked for."""
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--repeat", type=int, default=repeat, help="runs per case; the best counts")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        pin_one_core()
        print(json.dumps(run_case(args.case)))
        return None
    return args.repeat


def best_of(script: str, case: str, repeat: int) -> tuple[dict, list[dict]]:
    """Run ``script --case case`` ``repeat`` times, each in a fresh process: (fastest, all)."""
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, script, "--case", case], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(out.stdout))
    return min(runs, key=lambda r: r["seconds"]), runs


def times(runs: list[dict]) -> str:
    return "(all runs: " + ", ".join(f"{r['seconds']:.2f}" for r in runs) + " s)"
