"""``smile-bench run``: the main job.

Runs the verification suite (``bench/verification/suite``, installed with the package) on the
station's DUT — the embedded default is the golden model with simulated instruments — and
writes under the results folder: the run's hash-chained records with their evidence, the
traceability matrix, the Allure results and HTML, and the verification report; the run is
indexed in the SQLite results store. It prints the requirement table with verdicts and figures.
``--scenario`` runs one scenario instead.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

import bench.verification.suite
from bench.cli import hil_run, scenario_run
from bench.cli.options import seed
from bench.duts.factory import parse_dut
from bench.errors import BenchError, UsageError
from bench.station import load_station
from bench.verification.accuracy_table import accuracy_rows
from bench.verification.verdict import Verdict, run_verdict

SUITE = Path(bench.verification.suite.__file__).resolve().parent  # installed with the package
DEFAULT_STORE = Path("results") / "results.sqlite"


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="run the verification campaign, or one scenario on a DUT")
    p.add_argument("--out", help="results folder (default: a new folder under results/)")
    p.add_argument(
        "--seed",
        type=seed,
        action="append",
        help="seed (repeatable; default 1 and 2; with --scenario default 1)",
    )
    p.add_argument(
        "--station",
        help="station file (TOML) or an embedded station's name: simulated (default), "
        "emulated-board, rtl, lab-example",
    )
    p.add_argument(
        "--dut",
        default=None,
        help="device under test: golden, rtl[:icarus|:verilator], emulated[:pty], serial:URL "
        "or mutant:NAME (default: the station's)",
    )
    p.add_argument(
        "--sim",
        choices=("icarus", "verilator"),
        help="with --dut rtl: the HDL simulator (default verilator)",
    )
    p.add_argument("--store", default=str(DEFAULT_STORE), help="results store (SQLite file)")
    p.add_argument("--scenario", help="run this one scenario (library name or .yaml file)")
    p.add_argument("--events-out", help="with --scenario: write the events as CSV")
    p.add_argument(
        "--capture",
        help="with --station and --scenario: the capture file to write (default under results/)",
    )
    p.add_argument(
        "--allow-expired-calibration",
        action="store_true",
        help="use instruments past their calibration due date (recorded in the capture)",
    )
    p.add_argument("--workers", type=int, default=2, help="parallel test workers (default 2)")
    p.set_defaults(func=cmd_run)

    a = sub.add_parser("accuracy", help="the golden model's accuracy table on the library")
    a.add_argument("--seeds", type=int, default=1, help="seeds per scenario (default 1)")
    a.set_defaults(func=cmd_accuracy)

    f = sub.add_parser(
        "falls", help="the falls taxonomy per fall type and site, and its look-alikes (synthetic)"
    )
    f.add_argument("--seeds", type=int, default=2, help="seeds per scenario (default 2: 1, 2)")
    f.add_argument("--dut", default="golden", help="DUT kind (default golden)")
    f.set_defaults(func=cmd_falls)


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
    dut = parse_dut(args.dut, "--dut") if args.dut else None
    if args.sim:
        if dut != "rtl":
            raise UsageError(f"--sim {args.sim}: needs --dut rtl")
        dut = f"rtl:{args.sim}"
    if args.scenario and args.station:
        args.seed = (args.seed or [1])[0]
        if dut:
            raise UsageError("--dut: with --station the station's [dut] chooses the DUT")
        return hil_run.run_one(args)
    if args.scenario:
        args.seed = (args.seed or [1])[0]
        args.dut = dut or "golden"
        return scenario_run.run_one(args)
    if args.events_out:
        raise UsageError("--events-out needs --scenario")
    if not 1 <= args.workers <= 64:
        raise UsageError(f"--workers {args.workers}: expected 1..64")
    station = load_station(args.station)
    out = _out_dir(args.out).resolve()
    seeds = args.seed or [1, 2]
    console = Console(width=150)
    console.print(
        f"smile-bench run — station {station.name}, DUT {dut or station.dut}, seeds "
        f"{', '.join(map(str, seeds))} — results in {out}"
    )
    started = time.perf_counter()
    import pytest

    pytest_args = [
        str(SUITE),
        "-q",
        "-p",
        "no:cacheprovider",
        f"--results-dir={out}",
        f"--alluredir={out / 'allure-results'}",
        f"--station={station.path}",
        *[f"--seed={s}" for s in seeds],
    ]
    if dut:
        pytest_args.append(f"--dut={dut}")
    if args.workers > 1:
        pytest_args += ["-n", str(args.workers)]
    code = int(pytest.main(pytest_args))
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        # interrupted, internal error, usage error, nothing collected: no verdict to give
        raise BenchError(
            f"the verification suite did not run to a verdict (pytest exit {code}: "
            f"{pytest.ExitCode(code).name}); results so far in {out}"
        )
    rows = (
        json.loads((out / "traceability.json").read_text())
        if (out / "traceability.json").exists()
        else []
    )
    console.print(requirement_table(rows))
    _post_process(out, Path(args.store), console)
    # an expected failure (known anomaly) leaves pytest's exit code 0: the rows decide
    verdict, _ = run_verdict(
        [r["verdict"] for r in rows], failed_tests=int(code == pytest.ExitCode.TESTS_FAILED)
    )
    passed = sum(r["verdict"] == Verdict.PASS for r in rows)
    console.print(
        f"{passed} of {len(rows)} requirements pass — {verdict.name} "
        f"({time.perf_counter() - started:.0f} s); results in {out}"
    )
    return 0 if verdict == Verdict.PASS else 1


def requirement_table(rows: list[dict]) -> Table:
    table = Table(title="requirements verified in this run")
    for col in ("requirement", "hazards", "acceptance", "measured", "tests", "verdict"):
        table.add_column(col)
    for r in rows:
        figs = []
        for f in r["figures"][:3]:
            v = f["value"]
            shown = (
                f"{v:.4g}"
                if f.get("lower") is None
                else f"{v:.3f} [{f['lower']:.3f}, {f['upper']:.3f}]"
            )
            figs.append(shown)
        color = {"pass": "green", "fail": "red"}.get(r["verdict"], "yellow")
        table.add_row(
            r["requirement"],
            " ".join(r["hazards"]),
            r["acceptance"],
            "; ".join(figs),
            str(len(r["tests"])),
            f"[{color}]{r['verdict'].upper()}"
            + (f" ({r['known_anomalies']})" if r.get("known_anomalies") else ""),
        )
    return table


def _post_process(out: Path, store_path: Path, console: Console) -> None:
    """Index the run, then the Allure HTML and the verification report — each reported, none
    allowed to hide the verdict when it cannot be produced here."""
    steps = [
        ("results store", lambda: _index(out, store_path)),
        ("Allure HTML", lambda: _allure(out)),
        ("verification report", lambda: _report(out)),
    ]
    for name, step in steps:
        try:
            console.print(f"{name}: {step()}")
        except (BenchError, ImportError, OSError) as exc:
            console.print(f"[yellow]{name}: not produced — {exc}")


def _index(out: Path, store_path: Path) -> str:
    from bench.records import ResultsStore

    store_path.parent.mkdir(parents=True, exist_ok=True)
    store = ResultsStore(store_path)
    try:
        run_id = store.index_run_dir(out)
    finally:
        store.close()
    return f"run {run_id} indexed in {store_path}"


def _allure(out: Path) -> str:
    from bench.reports.allure_html import generate_allure_html

    return str(generate_allure_html(out / "allure-results", out / "allure-report"))


def _report(out: Path) -> str:
    from bench.reports.verification_report import write_report

    html = out / "report.html"
    write_report(out, html, pdf=out / "report.pdf")
    return f"{html} and report.pdf"


def accuracy_table(rows) -> Table:
    table = Table(
        title="golden model on the scenario library (synthetic), judged as the suite does"
    )
    for col in ("requirement", "figure", "measured", "limit", "verdict"):
        table.add_column(col)
    from bench.verification.requirements import open_anomalies

    known = open_anomalies()
    for r in rows:
        color = "green" if r.passed else "red"
        # a failure an open known anomaly expects says so
        note = f" ({known[r.requirement]})" if not r.passed and r.requirement in known else ""
        table.add_row(
            r.requirement, r.figure, r.measured, r.limit, f"[{color}]{r.verdict.name}{note}"
        )
    return table


def cmd_accuracy(args: argparse.Namespace) -> int:
    if not 1 <= args.seeds <= 100:
        raise UsageError(f"--seeds {args.seeds}: expected 1..100")
    rows = accuracy_rows(range(1, args.seeds + 1))
    Console(width=140).print(accuracy_table(rows))
    return 0 if all(r.passed for r in rows) else 1


def cmd_falls(args: argparse.Namespace) -> int:
    """Per fall type and site: falls detected of falls in the truth; the same per end posture
    and site (no requirement: the evidence of KA-004); per look-alike and site: FALL events.
    Judged as SRS-013 and SRS-014 are."""
    from bench.run.play import ScenarioDut
    from bench.verification import figures
    from bench.verification.requirements import requirements
    from bench.verification.verdict import Verdict, figure_verdict
    from scenarios.falls import END_POSTURES, FALL_TYPES
    from scenarios.library import FALL_SITES

    if not 1 <= args.seeds <= 100:
        raise UsageError(f"--seeds {args.seeds}: expected 1..100")
    seeds = tuple(range(1, args.seeds + 1))
    dut = ScenarioDut(args.dut, where="--dut")
    reqs = requirements()
    seed_text = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}-{seeds[-1]}"
    table = Table(title=f"falls detected per type and site, {dut.name} (SYNTHETIC, {seed_text})")
    for col in ("fall type", "SisFall", *FALL_SITES, "all", "sensitivity", "SRS-013"):
        table.add_column(col)
    cells = figures.fall_type_cells(dut, seeds)
    ok = True
    for (t, mine), fig in zip(
        figures.cells_by_type(cells).items(), figures.fall_types(dut, seeds, cells), strict=True
    ):
        n, k = sum(c.falls for c in mine.values()), sum(c.detected for c in mine.values())
        verdict = figure_verdict("SRS-013", fig.value, None, reqs)
        ok &= verdict == Verdict.PASS
        color = "green" if verdict == Verdict.PASS else "red"
        table.add_row(
            t,
            FALL_TYPES[t].code,
            *(f"{mine[s].detected}/{mine[s].falls}" for s in FALL_SITES),
            f"{k}/{n}",
            f"{fig.value:.3f}" if n else "-",
            f"[{color}]{verdict.name}",
        )
    postures = Table(
        title=f"falls detected per end posture and site, {dut.name} (SYNTHETIC, {seed_text})"
    )
    for col in ("end posture", *FALL_SITES, "all"):
        postures.add_column(col)
    by_posture = figures.end_posture_counts(dut, seeds)
    for posture in END_POSTURES:
        mine = {s: by_posture.get((posture, s), (0, 0)) for s in FALL_SITES}
        n, k = sum(c[0] for c in mine.values()), sum(c[1] for c in mine.values())
        if n:
            postures.add_row(posture, *(f"{c[1]}/{c[0]}" for c in mine.values()), f"{k}/{n}")
    looks = Table(title=f"FALL events on the look-alikes, {dut.name} (SYNTHETIC, {seed_text})")
    for col in ("look-alike", *FALL_SITES):
        looks.add_column(col)
    false = figures.site_lookalike_falls(dut, seeds)
    for name in dict.fromkeys(n for n, _ in false):
        looks.add_row(name, *(str(false[(name, s)]) for s in FALL_SITES))
    total = sum(false.values())
    verdict = figure_verdict("SRS-014", total, None, reqs)
    ok &= verdict == Verdict.PASS
    console = Console(width=160)
    console.print(table)
    console.print(postures)
    console.print(looks)
    console.print(f"SRS-014: {total} FALL events on look-alikes - {verdict.name}")
    return 0 if ok else 1
