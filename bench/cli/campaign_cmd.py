"""``smile-bench campaign``: many (scenario, seed) runs in parallel, pooled into figures.

Runs on a local process pool (default, with a progress bar on stderr) or, with ``--scheduler``, on
a Dask distributed cluster. Every input is checked — scenario names, seeds, the scheduler, the
output folder — before anything is written; the run's hash-chained records go to ``--out`` and the
run is indexed in the results store.
"""

from __future__ import annotations

import argparse
import math
import os
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.campaign import (
    ALL,
    DEFAULT_STORE,
    CampaignResult,
    Pooled,
    dask_executor,
    local_executor,
    run_campaign,
    validate_plan,
)
from bench.campaign.executors import MAX_WORKERS
from bench.cli.options import seed
from bench.errors import UsageError
from scenarios.generator import MAX_SEED


def add_parser(sub) -> None:
    p = sub.add_parser(
        "campaign", help="run scenarios × seeds in parallel (local pool or Dask) and pool them"
    )
    p.add_argument(
        "--scenarios", required=True, help="NAME[,NAME...]: library names or scenario files"
    )
    p.add_argument("--seeds", type=int, required=True, help="number of seeds per scenario (≥ 1)")
    p.add_argument("--first-seed", type=seed, default=1, help="first seed (default 1)")
    p.add_argument(
        "--workers", type=int, help="local worker processes (default: the number of CPUs)"
    )
    p.add_argument("--scheduler", help="run on the Dask cluster at tcp://HOST:PORT")
    p.add_argument("--out", help="records folder (default: results/campaign-<UTC stamp>)")
    p.add_argument("--store", default=str(DEFAULT_STORE), help="results store (SQLite file)")
    p.set_defaults(func=cmd_campaign)


def _scenario_names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",")]
    if not text.strip() or any(not n for n in names):
        raise UsageError(f"--scenarios {text!r}: expected NAME[,NAME...] without empty names")
    return names


def _seeds(count: int, first: int) -> list[int]:
    if count < 1:
        raise UsageError(f"--seeds {count}: expected a number of seeds ≥ 1")
    if first + count - 1 > MAX_SEED:
        raise UsageError(f"--first-seed {first} with --seeds {count}: seeds exceed {MAX_SEED}")
    return list(range(first, first + count))


def _workers(args: argparse.Namespace) -> int:
    if args.scheduler is not None:
        if args.workers is not None:
            raise UsageError(
                f"--workers {args.workers}: sizes the local pool; with --scheduler the "
                "cluster's workers run the tasks"
            )
        return 0
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    if not 1 <= workers <= MAX_WORKERS:
        raise UsageError(f"--workers {workers}: expected 1..{MAX_WORKERS}")
    return workers


def _out_dir(value: str | None) -> Path:
    if value is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        return Path("results") / f"campaign-{stamp}"
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {path}: exists and is not a folder")
    if path.is_dir() and any(path.iterdir()):
        raise UsageError(f"--out {path}: folder is not empty; expected a new or empty folder")
    return path


def _store(value: str) -> Path:
    path = Path(value)
    if path.is_dir():
        raise UsageError(f"--store {value}: is a folder; expected a SQLite file name")
    existing = path.parent if str(path.parent) else Path(".")
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        raise UsageError(f"--store {value}: folder {existing} is not writable")
    return path


def cmd_campaign(args: argparse.Namespace) -> int:
    names = _scenario_names(args.scenarios)
    seeds = _seeds(args.seeds, args.first_seed)
    workers = _workers(args)
    validate_plan(names, seeds)
    out = _out_dir(args.out)
    store = _store(args.store)
    executor = dask_executor(args.scheduler) if args.scheduler else local_executor(workers)
    with executor:
        result = run_campaign(names, seeds, executor=executor, out_dir=out, store=store)
    console = Console(width=150)
    console.print(pooled_table(result))
    for e in result.errors:
        console.print(f"[red]{e.scenario} seed {e.seed}: no record — {e.message}")
    for w in result.warnings:
        console.print(f"[yellow]warning: {w}")
    console.print(
        f"{len(result.records)} of {len(names) * len(seeds)} runs in {result.elapsed_s:.1f} s "
        f"({result.runs_per_s:.2f} runs/s) on {result.executor} — {result.verdict}"
    )
    console.print(f"records: {result.run_dir.resolve()} (run {result.run_id})")
    console.print(f"results store: {store.resolve()}")
    return 0 if result.verdict == "complete" else 1


def pooled_table(result: CampaignResult) -> Table:
    table = Table(title=f"campaign pooled figures ({result.executor})")
    for col in (
        "scenario",
        "runs",
        "step sens [95 % CI]",
        "step PPV [95 % CI]",
        "falls det/truth",
        "fall latency max",
        "overloads det/truth",
        "false alarms",
    ):
        table.add_column(col, justify="left" if col == "scenario" else "right")
    for scope, p in result.pooled.items():
        table.add_row(*_row(p), end_section=scope != ALL and _is_last(result, scope))
    return table


def _is_last(result: CampaignResult, scope: str) -> bool:
    scopes = [s for s in result.pooled if s != ALL]
    return bool(scopes) and scope == scopes[-1]


def _row(p: Pooled) -> tuple[str, ...]:
    def prop(x) -> str:
        return "–" if x.n == 0 else f"{x.estimate:.3f} [{x.lower:.3f}, {x.upper:.3f}]"

    lat = p.fall_latency.max_s
    return (
        f"[bold]{p.scope}" if p.scope == ALL else p.scope,
        str(p.runs),
        prop(p.step_sensitivity),
        prop(p.step_ppv),
        f"{p.falls_detected}/{p.falls_truth}",
        "–" if math.isnan(lat) else f"{lat:.2f} s",
        f"{p.overloads_detected}/{p.overloads_truth}",
        str(p.false_alarms),
    )
