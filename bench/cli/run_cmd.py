"""``smile-bench run``: the main job.

In this version the bench verifies its own stimulus: every published figure the scenario
generator must reproduce (loads, cadence, healing, temperature, gait patterns) is measured and
judged, and the captures of the default scenarios are written for inspection. DUT verification
(golden model, RTL, boards) plugs in here as those backends arrive.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.cli import scenario_run
from bench.cli.options import seed
from bench.errors import UsageError
from bench.verification.accuracy_table import accuracy_rows
from scenarios import library
from scenarios.capture import write_capture
from scenarios.credibility import run_checks
from scenarios.generator import render
from scenarios.provenance import software_version

DEFAULT_SCENARIOS = (
    "walk_level_1p3",
    "overload_partial_weight_bearing",
    "fall_forward",
    "sensor_faults",
)


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="run the default campaign, or one scenario on a DUT")
    p.add_argument("--out", help="results folder (default: a new folder under results/)")
    p.add_argument("--seed", type=seed, default=1, help="random seed (default 1)")
    p.add_argument("--dut", default="golden", help="device under test: golden (default)")
    p.add_argument("--scenario", help="run this one scenario (library name or .yaml file)")
    p.add_argument("--events-out", help="with --scenario: write the events as CSV")
    p.set_defaults(func=cmd_run)

    a = sub.add_parser("accuracy", help="the golden model's accuracy table on the library")
    a.add_argument("--seeds", type=int, default=1, help="seeds per scenario (default 1)")
    a.set_defaults(func=cmd_accuracy)


def _out_dir(value: str | None) -> Path:
    if value is None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = Path("results") / f"run-{stamp}"
    else:
        path = Path(value)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {path}: exists and is not a folder")
    if path.exists() and any(path.iterdir()):
        raise UsageError(f"--out {path}: folder is not empty; expected a new or empty folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {path}: cannot create folder ({exc.strerror})") from None
    return path


def cmd_run(args: argparse.Namespace) -> int:
    if args.dut != "golden":
        raise UsageError(f"--dut {args.dut}: not available in this version; expected golden")
    if args.scenario:
        return scenario_run.run_one(args)
    if args.events_out:
        raise UsageError("--events-out needs --scenario")
    out = _out_dir(args.out)
    console = Console(width=140)
    console.print(f"smile-bench {software_version()} — seed {args.seed} — results in {out}")
    started = time.perf_counter()
    checks = run_checks(args.seed)
    table = Table(title="scenario credibility against published figures")
    for col in ("figure", "source", "published", "measured", "accepted", "verdict"):
        table.add_column(col)
    for c in checks:
        table.add_row(
            c.figure,
            c.source,
            c.published,
            f"{c.measured:.2f} {c.unit}",
            f"{c.lo:.1f} .. {c.hi:.1f}",
            "[green]PASS" if c.passed else "[red]FAIL",
        )
    console.print(table)

    acc_rows, _ = accuracy_rows((args.seed,))
    console.print(accuracy_table(acc_rows))
    for name in DEFAULT_SCENARIOS:
        write_capture(out / f"{name}.h5", render(library.load(name), args.seed))
    rows = [
        {
            "figure": c.figure,
            "source": c.source,
            "published": c.published,
            "measured": round(c.measured, 4),
            "unit": c.unit,
            "lo": c.lo,
            "hi": c.hi,
            "passed": c.passed,
        }
        for c in checks
    ]
    _atomic_text(out / "credibility.csv", _csv(rows))
    acc_csv = [
        {
            "figure": r.figure,
            "scope": r.scope,
            "measured": round(float(r.measured), 4),
            "unit": r.unit,
            "limit": r.limit,
            "passed": r.passed if r.judged else "",
        }
        for r in acc_rows
    ]
    _atomic_text(out / "accuracy.csv", _csv(acc_csv))
    verdicts = [c.passed for c in checks] + [r.passed for r in acc_rows if r.judged]
    summary = {
        "software_version": software_version(),
        "seed": args.seed,
        "dut": args.dut,
        "passed": sum(verdicts),
        "failed": sum(not v for v in verdicts),
        "captures": [f"{n}.h5" for n in DEFAULT_SCENARIOS],
        "duration_s": round(time.perf_counter() - started, 2),
    }
    _atomic_text(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    verdict = "PASS" if summary["failed"] == 0 else "FAIL"
    console.print(
        f"verdicts: {summary['passed']} pass, {summary['failed']} fail — {verdict}; captures, "
        f"credibility.csv, accuracy.csv and summary.json written to {out}"
    )
    return 0 if summary["failed"] == 0 else 1


def accuracy_table(rows) -> Table:
    table = Table(title="golden model accuracy on the scenario library")
    for col in ("figure", "measured", "limit", "verdict"):
        table.add_column(col)
    for r in rows:
        value = f"{r.measured:.3f}" if isinstance(r.measured, float) else str(r.measured)
        table.add_row(
            r.figure,
            f"{value} {r.unit}".strip(),
            r.limit,
            ("[green]PASS" if r.passed else "[red]FAIL") if r.judged else "info",
        )
    return table


def cmd_accuracy(args: argparse.Namespace) -> int:
    if not 1 <= args.seeds <= 100:
        raise UsageError(f"--seeds {args.seeds}: expected 1..100")
    rows, _ = accuracy_rows(range(1, args.seeds + 1))
    Console(width=140).print(accuracy_table(rows))
    return 0 if all(r.passed for r in rows) else 1


def _csv(rows: list[dict]) -> str:
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
