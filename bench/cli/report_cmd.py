"""``smile-bench report`` (verification report, ``--verify`` of the run records) and
``smile-bench history`` (figures across runs, regressions against a baseline)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from bench.cli.options import writable_file
from bench.errors import UsageError

DEFAULT_STORE = Path("results") / "results.sqlite"


def add_parser(sub) -> None:
    r = sub.add_parser("report", help="write the verification report of a run, or verify a run")
    r.add_argument("results_dir", help="a run's results folder (from smile-bench run)")
    r.add_argument("--out", help="report HTML to write")
    r.add_argument("--pdf", help="also write the report as PDF")
    r.add_argument(
        "--verify",
        action="store_true",
        help="check the run's hash-chained records, evidence manifest, signature, signing key "
        "and results-store row",
    )
    r.add_argument(
        "--trusted-key",
        action="append",
        default=[],
        help="with --verify: a station's public key (hex or a .pub file) to trust besides this "
        "station's own (repeatable)",
    )
    r.add_argument(
        "--store",
        help="with --verify: the results store whose row for the run must agree (default: "
        "results/results.sqlite when it holds the run)",
    )
    r.add_argument("--document-id", default="SMILE-VER-RPT", help="document ID of the report")
    r.add_argument("--revision", default="A", help="document revision")
    r.set_defaults(func=cmd_report)

    h = sub.add_parser("history", help="each figure's trend across runs, regressions flagged")
    h.add_argument("--store", default=str(DEFAULT_STORE), help="results store (SQLite file)")
    h.add_argument("--baseline", help="run ID to compare against (default: each figure's first)")
    h.add_argument("--figure", action="append", help="only this figure (repeatable)")
    h.set_defaults(func=cmd_history)


def _run_dir(value: str) -> Path:
    path = Path(value)
    if not path.is_dir():
        raise UsageError(f"{value}: not a folder; expected a run's results folder")
    if not (path / "records.jsonl").exists() and not (path / "tests.json").exists():
        raise UsageError(f"{value}: not a run's results folder (no records.jsonl or tests.json)")
    return path


def cmd_report(args: argparse.Namespace) -> int:
    run = _run_dir(args.results_dir)
    console = Console(width=140)
    if args.verify:
        from bench.records import read_records, verify
        from bench.records.signing import public_key_arg, trusted_fingerprints

        trusted = trusted_fingerprints(public_key_arg(k) for k in args.trusted_key)
        problems = verify(run, trusted=trusted, store_row=_store_row(run, args.store))
        if problems:
            for p in problems:
                console.print(f"[red]{p}")
            console.print(
                f"[red]{run}: {len(problems)} problem(s); the run's records are not intact"
            )
            return 1
        end = read_records(run)[-1].payload.get("signing_key", {})
        console.print(
            f"{run}: intact — {len(read_records(run))} hash-chained records, evidence "
            f"matches the sealed manifest, signed by trusted key {end.get('fingerprint')}"
        )
        return 0
    if not args.out:
        raise UsageError("--out is required to write a report (or use --verify)")
    out = writable_file("--out", args.out, suffixes=(".html", ".htm"))
    pdf = writable_file("--pdf", args.pdf, suffixes=(".pdf",)) if args.pdf else None
    from bench.reports.verification_report import write_report

    write_report(run, out, pdf=pdf, document_id=args.document_id, revision=args.revision)
    console.print(f"wrote {out}" + (f" and {pdf}" if pdf else ""))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    store_path = Path(args.store)
    if not store_path.exists():
        raise UsageError(f"--store {store_path}: no such results store; run smile-bench run first")
    from bench.records import ResultsStore, format_history, history

    store = ResultsStore(store_path)
    try:
        trends = history(store, baseline_run_id=args.baseline, figures=args.figure)
    finally:
        store.close()
    print(format_history(trends))
    return 1 if any(t.regressed for t in trends) else 0


def _store_row(run: Path, store: str | None) -> dict | None:
    """The results store's row for the run, as verify compares it: from ``store`` (the run must
    be in it), else from the default store when that holds the run, else None (not checked)."""
    from dataclasses import asdict

    from bench.records import RecordsError, ResultsStore, read_records

    path = Path(store) if store else DEFAULT_STORE
    if not path.is_file():
        if store:
            raise UsageError(f"--store {store}: no such results store")
        return None
    try:
        run_id = str(read_records(run)[0].payload.get("run_id", ""))
    except RecordsError:  # a damaged file: verify names the problem, the store cannot be matched
        return None
    with ResultsStore(path) as db:
        row = db.run(run_id)
    if row is None:
        if store:
            return {"missing": str(path)}
        return None
    return asdict(row)
