"""``smile-bench run --dut golden --scenario NAME``: one scenario through a DUT, detections
against truth."""

from __future__ import annotations

import argparse

import numpy as np
from rich.console import Console
from rich.table import Table

from bench.cli.options import writable_file
from bench.errors import UsageError
from bench.verification.events_csv import write_events_csv
from chip_sim.icd import EventCode
from chip_sim.longterm.course import assess_healing, assess_infection
from chip_sim.pipeline import run_scenario
from scenarios import library
from scenarios.digest import render_digest


def run_one(args: argparse.Namespace) -> int:
    events_out = (
        writable_file("--events-out", args.events_out, suffixes=(".csv",))
        if args.events_out
        else None
    )
    scenario = library.load(args.scenario)
    if scenario.is_digest:
        if events_out:
            raise UsageError(
                f"--events-out: {scenario.name} is a weeks-long course assessed from "
                "daily digests; it has no event stream"
            )
        return _run_course(scenario, args)
    from bench.run.play import ScenarioDut

    dut = ScenarioDut(args.dut, where="--dut")
    run = dut.run_scenario(args.scenario, args.seed)
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
    if dut.name != "golden":
        golden = run_scenario(scenario, args.seed).output
        same = np.array_equal(golden.events, run.output.events) and np.array_equal(
            golden.status, run.output.status
        )
        console.print(
            f"{dut.name} vs golden model: "
            + ("events and STATUS identical" if same else "[red]events or STATUS DIFFER")
        )
        if not same:
            return 1
    if events_out:
        write_events_csv(events_out, run.output.events, run.rate_hz)
        console.print(f"wrote {events_out}")
    return 0


def _run_course(scenario, args: argparse.Namespace) -> int:
    """Weeks-long courses: the implant's long-horizon assessments against the course's truth."""
    d = render_digest(scenario, args.seed, rate_hz=100)
    console = Console(width=140)
    console.print(
        f"{scenario.name} on DUT {args.dut} (long-horizon metrics), seed {args.seed}: {d.days} days"
    )
    t = Table(title="long-horizon assessment against truth")
    for col in ("figure", "chip", "truth"):
        t.add_column(col)
    if scenario.healing is not None:
        h = assess_healing(d)
        truth_healed = d.events[d.events["kind"] == "healed"]["value"]
        t.add_row("healing class", h.classification, scenario.healing.course)
        t.add_row(
            "healed (relative load < 50 %), week",
            "-" if h.healed_week is None else f"{h.healed_week:.1f}",
            f"{truth_healed[0]:.1f}" if len(truth_healed) else "-",
        )
        t.add_row(
            "delayed union flag, week",
            "-" if h.delayed_union_flag_week is None else f"{h.delayed_union_flag_week:.1f}",
            "",
        )
    inf = assess_infection(d, args.seed)
    onset = d.events[d.events["kind"] == "infection_onset"]["t_s"]
    t.add_row(
        "infection flag, day",
        "-" if inf.flag_t_s is None else f"{inf.flag_t_s / 86400:.2f}",
        f"onset {onset[0] / 86400:.2f}" if len(onset) else "no infection",
    )
    console.print(t)
    return 0
