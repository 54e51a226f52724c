"""``smile-bench run --dut golden --scenario NAME``: one scenario through a DUT, detections
against truth."""

from __future__ import annotations

import argparse

import numpy as np
from rich.console import Console
from rich.table import Table

from bench.cli.options import writable_file
from bench.verification.events_csv import write_events_csv
from chip_sim.icd import EventCode
from chip_sim.pipeline import run_scenario
from scenarios import library


def run_one(args: argparse.Namespace) -> int:
    events_out = (
        writable_file("--events-out", args.events_out, suffixes=(".csv",))
        if args.events_out
        else None
    )
    scenario = library.load(args.scenario)
    if scenario.is_digest:
        from bench.errors import UsageError

        raise UsageError(
            f"--scenario {scenario.name}: a {scenario.digest_weeks:g}-week course has "
            "no sample stream to run; use a full-detail scenario"
        )
    run = run_scenario(scenario, args.seed)
    a = run.accuracy()
    console = Console(width=140)
    console.print(
        f"{scenario.name} on DUT {args.dut}, seed {args.seed}: {run.codes.n} samples at "
        f"{run.rate_hz:g} Hz, {len(run.output.events)} events"
    )
    counts = Table(title="events")
    counts.add_column("event")
    counts.add_column("count", justify="right")
    for code in EventCode:
        k = int(np.sum(run.output.events["code"] == int(code)))
        if k:
            counts.add_row(code.name, str(k))
    console.print(counts)
    t = Table(title="detections against truth")
    for col in ("figure", "value"):
        t.add_column(col)
    t.add_row("heel strikes (truth) / STEP events", f"{a.step_count_truth} / {a.step_count_chip}")
    t.add_row("step sensitivity / PPV (±150 ms)", f"{a.steps.sensitivity:.3f} / {a.steps.ppv:.3f}")
    t.add_row("step-count error", f"{a.step_count_error * 100:+.1f} %")
    if len(a.steps.offsets_s):
        t.add_row(
            "step decision − heel strike, median", f"{np.median(a.steps.offsets_s) * 1000:.0f} ms"
        )
    t.add_row(
        "walking sensitivity / specificity (per s)",
        f"{a.walking_sensitivity:.3f} / {a.walking_specificity:.3f}",
    )
    t.add_row(
        "falls detected / truth (false)", f"{a.falls_detected} / {a.falls_truth} ({a.false_falls})"
    )
    if a.fall_latencies_s:
        t.add_row(
            "fall latency after impact, p50 / max",
            f"{np.median(a.fall_latencies_s):.2f} / {max(a.fall_latencies_s):.2f} s",
        )
    t.add_row(
        "overloads detected / truth (false)",
        f"{a.overloads_detected} / {a.overloads_truth} ({a.false_overloads})",
    )
    if a.overload_latencies_s:
        t.add_row(
            "overload latency, p50 / max",
            f"{np.median(a.overload_latencies_s) * 1000:.0f} / "
            f"{max(a.overload_latencies_s) * 1000:.0f} ms",
        )
    console.print(t)
    if events_out:
        write_events_csv(events_out, run.output.events, run.rate_hz)
        console.print(f"wrote {events_out}")
    return 0
