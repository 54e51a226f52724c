"""``smile-bench run --station FILE --scenario NAME``: one scenario on a station's DUT and
instruments; prints the latency and accuracy tables and writes a capture with a /dut group."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.cli.options import writable_file
from bench.run.station import run_station_scenario
from bench.station import load_station


def run_one(args: argparse.Namespace) -> int:
    station = load_station(args.station)
    if args.capture:
        capture = writable_file("--capture", args.capture, suffixes=(".h5",))
    else:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        Path("results").mkdir(exist_ok=True)
        capture = Path("results") / f"capture-{Path(args.scenario).stem}-{stamp}.h5"
    console = Console(width=140)
    console.print(
        f"station {station.name}: DUT {station.dut}, scenario {args.scenario}, seed {args.seed}"
    )
    r = run_station_scenario(
        station,
        args.scenario,
        args.seed,
        capture=capture,
        allow_expired_calibration=args.allow_expired_calibration,
    )
    rec = r.reception
    console.print(
        f"{len(rec.frames)} frames received; CRC errors {rec.stats.crc_errors}, SEQ gaps "
        f"{rec.stats.seq_gaps}, reconnects {rec.stats.reconnects}"
    )
    if r.alignment is not None:
        a = r.alignment
        console.print(
            f"clock alignment from {a.n_status} STATUS frames: drift {a.drift_ppm:+.1f} ppm, "
            f"residual {a.residual_s * 1000:.3f} ms"
        )
    t = Table(title="latency: host receipt − true onset (ms)")
    for col in ("event", "n", "p50", "p95", "max"):
        t.add_column(col, justify="right" if col != "event" else "left")
    for row in r.latency:
        t.add_row(
            row["event"],
            str(row["n"]),
            f"{row['p50_ms']:.1f}",
            f"{row['p95_ms']:.1f}",
            f"{row['max_ms']:.1f}",
        )
    console.print(t)
    a = r.accuracy
    acc = Table(title="detections against truth")
    acc.add_column("figure")
    acc.add_column("value")
    acc.add_row("heel strikes (truth) / STEP events", f"{a.step_count_truth} / {a.step_count_chip}")
    acc.add_row("step sensitivity / PPV", f"{a.steps.sensitivity:.3f} / {a.steps.ppv:.3f}")
    acc.add_row(
        "falls detected / truth (false)", f"{a.falls_detected} / {a.falls_truth} ({a.false_falls})"
    )
    acc.add_row(
        "overloads detected / truth (false)",
        f"{a.overloads_detected} / {a.overloads_truth} ({a.false_overloads})",
    )
    console.print(acc)
    for key, value in r.readings.items():
        console.print(f"{key}: {value * 1000:.3f} mA")
    for note in r.notes:
        console.print(f"note: {note}")
    console.print(f"capture: {r.capture}")
    if rec.aborted:
        console.print(f"[red]{rec.aborted}[/red] — everything received so far is in the capture")
        return 1
    return 0
