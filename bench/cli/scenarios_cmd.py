"""``smile-bench scenarios list|render|check``."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from bench.cli.options import positive_seconds, seed, writable_file
from bench.errors import UsageError
from scenarios import library
from scenarios.capture import write_capture, write_digest_capture
from scenarios.digest import render_digest
from scenarios.errors import ScenarioValidationError
from scenarios.generator import DEFAULT_TRUTH_RATE_HZ, render
from scenarios.schema import load_scenario_file


def add_parser(sub) -> None:
    p = sub.add_parser("scenarios", help="list, render and check patient-motion scenarios")
    ssub = p.add_subparsers(dest="action", required=True, parser_class=type(p))

    ls = ssub.add_parser("list", help="the scenario library")
    ls.set_defaults(func=cmd_list)

    r = ssub.add_parser("render", help="render a scenario to a capture file (ICD section 4)")
    r.add_argument("scenario", help="library name or path of a scenario .yaml file")
    r.add_argument("--seed", type=seed, default=1, help="random seed (default 1)")
    r.add_argument("--duration-s", type=positive_seconds, help="render only the first S seconds")
    r.add_argument(
        "--rate-hz",
        type=float,
        default=DEFAULT_TRUTH_RATE_HZ,
        help=f"truth rate (default {DEFAULT_TRUTH_RATE_HZ:g} Hz)",
    )
    r.add_argument("--out", required=True, help="capture file to write (.h5)")
    r.add_argument("--plot", help="also plot signals with truth overlaid (.png)")
    r.set_defaults(func=cmd_render)

    c = ssub.add_parser("check", help="validate scenario files, reporting every problem")
    c.add_argument("files", nargs="+", help="scenario .yaml files")
    c.set_defaults(func=cmd_check)


def _duration_text(scenario) -> str:
    s = scenario.duration_s
    if scenario.is_digest:
        return f"{scenario.digest_weeks:g} weeks"
    if s >= 3600:
        return f"{s / 3600:g} h"
    return f"{s:.0f} s"


def cmd_list(args: argparse.Namespace) -> int:
    table = Table(title="scenario library", show_lines=False)
    for col in ("name", "duration", "implant site", "exercises"):
        table.add_column(col)
    for name in library.library_names():
        s = library.load(name)
        table.add_row(name, _duration_text(s), s.patient.implant_site, ", ".join(s.exercises))
    Console(width=160).print(table)
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    out = writable_file("--out", args.out, suffixes=(".h5", ".hdf5"))
    plot = writable_file("--plot", args.plot, suffixes=(".png",)) if args.plot else None
    scenario = library.load(args.scenario)
    try:
        if scenario.is_digest:
            if args.duration_s is not None:
                raise UsageError(
                    f"--duration-s: {scenario.name} is a {scenario.digest_weeks:g}-week "
                    "course rendered as a digest; it has no partial render"
                )
            digest = render_digest(scenario, args.seed, rate_hz=args.rate_hz)
            write_digest_capture(out, digest)
            print(
                f"wrote {out}: digest of {digest.days} days, {len(digest.windows)} raw windows, "
                f"seed {args.seed}"
            )
            if plot:
                from bench.reports.scenario_plot import plot_digest

                plot_digest(digest, plot)
        else:
            r = render(scenario, args.seed, rate_hz=args.rate_hz, duration_s=args.duration_s)
            write_capture(out, r)
            print(
                f"wrote {out}: {r.duration_s:g} s at {r.rate_hz:g} Hz, "
                f"{len(r.events)} truth events, seed {args.seed}"
            )
            if plot:
                from bench.reports.scenario_plot import plot_rendering

                plot_rendering(r, plot)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if plot:
        print(f"wrote {plot}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    bad = 0
    for f in args.files:
        try:
            s = load_scenario_file(f)
        except ScenarioValidationError as exc:
            bad += 1
            for problem in exc.problems:
                print(problem)
            continue
        print(f"{f}: ok ({s.name}, {_duration_text(s)})")
    if bad:
        print(f"{bad} of {len(args.files)} file(s) invalid")
        return 2
    return 0
