"""``smile-bench biomarkers --scenario NAME [--weeks W] [--seed N] [--plot FILE.png]``: the
digital mobility biomarkers (issue 8, docs/biomarkers.md) of one scenario.

- A recovery course (a digest scenario with ``recovery``): the daily table (the implant's
  biomarkers of each day's raw window, its step count), the weekly table and the deviation
  alerts; ``--weeks W`` keeps the course's first W weeks; ``--plot`` draws the weekly recovery
  curves against the digest's truth, alerts marked.
- A full-detail scenario: every recorded walking bout, estimated against true; ``--plot`` draws
  the per-bout scatter. ``--weeks`` is refused.
- Other digests (healing, infection) have no biomarker course: refused with one line.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from bench.cli.options import seed, writable_file, write_atomic
from bench.errors import UsageError
from chip_sim.mobility.accuracy import BoutPairs
from scenarios import library
from scenarios.digest import Digest
from scenarios.model import Scenario
from scenarios.sites import SITES

#: The truth of a recovery course's days is rendered at this rate (the raw windows' IMU rate is
#: the chip's; 100 Hz truth is what the course tests and the benchmark use).
TRUTH_RATE_HZ = 100.0
_SEGMENT_BONE = {"shank": "tibia", "thigh": "femur"}


def positive_weeks(text: str) -> int:
    """argparse type for --weeks: a whole number of weeks >= 1 (the course's length is checked
    once the scenario is known)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of weeks") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is out of range; expected at least 1 week")
    return value


def add_parser(sub) -> None:
    p = sub.add_parser(
        "biomarkers",
        help="mobility biomarkers: a recovery course day by day, or a scenario's walking bouts",
        description="Digital mobility biomarkers from what the implant records: the daily and "
        "weekly tables and alerts of a recovery course, or the walking bouts of a full-detail "
        "scenario against its truth.",
    )
    p.add_argument("--scenario", required=True, help="library name or scenario .yaml file")
    p.add_argument(
        "--weeks",
        type=positive_weeks,
        help="recovery course only: keep its first W weeks (default: the whole course)",
    )
    p.add_argument("--seed", type=seed, default=1, help="random seed (default 1)")
    p.add_argument("--plot", help="figure to write (.png): recovery curves or per-bout scatter")
    p.set_defaults(func=cmd_biomarkers)


def cmd_biomarkers(args: argparse.Namespace) -> int:
    plot = writable_file("--plot", args.plot, suffixes=(".png",)) if args.plot else None
    scenario = library.load(args.scenario)  # an unknown name fails before any work
    if scenario.is_digest and scenario.recovery is None:
        raise UsageError(
            f"--scenario {args.scenario}: biomarker courses need a recovery course (tka_*) or a "
            "full-detail scenario; this is a healing or temperature course"
        )
    if scenario.is_digest:
        return _recovery(scenario, args, plot)
    if args.weeks is not None:
        raise UsageError(
            f"--weeks applies only to a recovery course; {args.scenario} is a full-detail "
            "scenario (its walking bouts are shown)"
        )
    return _bouts(scenario, args, plot)


# --- recovery course ------------------------------------------------------------------------


def course_weeks(scenario: Scenario) -> int:
    """The course's length in whole weeks."""
    return int(np.floor(scenario.digest_weeks + 1e-9))


def first_weeks(d: Digest, weeks: int) -> Digest:
    """The digest's first ``weeks`` weeks: its days, windows, loading events and temperatures
    before the cut. The windows keep their order, so :func:`course_days` gives each kept day the
    same biomarkers as on the whole course."""
    n_days = min(d.days, weeks * 7)
    end_s = n_days * 86400.0
    return replace(
        d,
        daily=d.daily[:n_days],
        loading_events=d.loading_events[d.loading_events["t_s"] < end_s],
        temp_t_s=d.temp_t_s[d.temp_t_s < end_s],
        temp_c=d.temp_c[d.temp_t_s < end_s],
        windows=[(t0, r) for t0, r in d.windows if t0 < end_s],
        events=d.events[d.events["t_s"] < end_s] if len(d.events) else d.events,
    )


def _recovery(scenario: Scenario, args: argparse.Namespace, plot) -> int:
    from chip_sim.mobility.course import alerts, course_days, weekly
    from scenarios.digest import render_digest

    length = course_weeks(scenario)
    if args.weeks is not None and not 1 <= args.weeks <= length:
        raise UsageError(
            f"--weeks {args.weeks}: out of range; {scenario.name} is {length} weeks long "
            f"(expected 1..{length})"
        )
    n_weeks = args.weeks or length
    d = render_digest(scenario, args.seed, rate_hz=TRUTH_RATE_HZ)
    if n_weeks < length:
        d = first_weeks(d, n_weeks)
    days = course_days(d, args.seed)
    weeks = weekly(days)
    found = alerts(weeks)
    p = scenario.patient
    bone = _SEGMENT_BONE.get(SITES[p.implant_site].segment, "segment")
    print(
        f"biomarkers — {scenario.name}, seed {args.seed}: recovery course "
        f"{scenario.recovery.course}, {n_weeks} of {length} weeks, {p.implant_site} "
        f"({len(d.windows)} daily windows)"
    )
    print()
    print(daily_table(days, bone))
    print()
    print(weekly_table(weeks, bone))
    print()
    print(alert_table(found))
    if plot is not None:
        from chip_sim.mobility.figures import recovery_curve

        png = recovery_curve(
            weeks,
            d.daily,
            found,
            title=f"{scenario.name}, seed {args.seed}: implant weekly values vs truth",
        )
        write_atomic(plot, png)
        print(f"\nWrote {plot}")
    return 0


def _f(value: float, spec: str, width: int) -> str:
    return f"{value:{width}{spec}}" if np.isfinite(value) else f"{'-':>{width}}"


def _columns(bone: str) -> list[tuple[str, str, str, int]]:
    """(field, heading, format, width) shared by the daily and weekly tables."""
    return [
        ("steps", "steps", "d", 7),
        ("cadence_spm", "cad/min", ".1f", 9),
        ("speed_mps", "speed m/s", ".2f", 11),
        ("stride_length_m", "stride m", ".2f", 10),
        ("symmetry_index_pct", "SI %", ".1f", 7),
        ("segment_rom_deg", f"{bone} ROM", ".1f", 11),
        ("knee_rom_deg", "knee ROM", ".1f", 10),
        ("knee_flex_max_deg", "flexion", ".1f", 9),
    ]


def daily_table(days: np.ndarray, bone: str = "tibia") -> str:
    """One line per day: the chip's step count and the biomarkers of the day's raw window (ROM in
    deg while walking; flexion = the knee's flexion capacity, seated, deg)."""
    cols = _columns(bone)
    head = f"{'day':>4}{'weeks':>7}" + "".join(f"{h:>{w}}" for _, h, _, w in cols)
    lines = [
        f"Daily biomarkers ({len(days)} days; ROM and knee ROM while walking, flexion = knee "
        "flexion capacity seated, deg; - = not measured that day)",
        head,
    ]
    for row in days:
        cells = "".join(_f(int(row[n]) if s == "d" else float(row[n]), s, w) for n, _, s, w in cols)
        lines.append(f"{int(row['day']):>4}{float(row['weeks_post_op']):>7.2f}{cells}")
    return "\n".join(lines)


def weekly_table(weeks: np.ndarray, bone: str = "tibia") -> str:
    """One line per completed week after surgery: mean daily steps, median biomarkers."""
    cols = _columns(bone)
    head = f"{'week':>4}" + "".join(f"{h:>{w}}" for _, h, _, w in cols)
    lines = ["Weekly (steps: mean per day; biomarkers: median of the days)", head]
    for row in weeks:
        cells = "".join(_f(int(row[n]) if s == "d" else float(row[n]), s, w) for n, _, s, w in cols)
        lines.append(f"{int(row['week']):>4}{cells}")
    return "\n".join(lines)


def alert_table(found) -> str:
    """One line per alert (week = weeks after surgery at whose end it is raised), or no alert."""
    if not found:
        return "Alerts\nno alert"
    lines = ["Alerts", f"{'week':>4}  {'reason':<26}{'value':>9}  rule"]
    for a in found:
        lines.append(f"{a.week:>4}  {a.reason:<26}{a.value:>9.3g}  {a.rule}")
    return "\n".join(lines)


# --- full-detail scenario -------------------------------------------------------------------

#: (field, heading, format) of the per-bout table, estimated and true side by side.
_BOUT_COLUMNS = (
    ("steps", "steps", "d"),
    ("cadence_spm", "cadence", ".1f"),
    ("speed_mps", "speed", ".2f"),
    ("stride_length_m", "stride", ".2f"),
    ("segment_rom_deg", "segment ROM", ".1f"),
    ("knee_rom_deg", "knee ROM", ".1f"),
    ("symmetry_index_pct", "SI %", ".1f"),
)


def _bouts(scenario: Scenario, args: argparse.Namespace, plot) -> int:
    from chip_sim.mobility.accuracy import run_bouts
    from chip_sim.mobility.day import day_summary, format_day
    from chip_sim.pipeline import run_scenario

    run = run_scenario(scenario, args.seed)
    pairs = run_bouts(run, f"{scenario.name} seed {args.seed}")
    p = scenario.patient
    print(
        f"biomarkers — {scenario.name}, seed {args.seed}: full-detail scenario, "
        f"{p.implant_site}, {len(pairs.est)} walking bouts recorded "
        f"({int(pairs.level.sum())} level walking)"
    )
    print()
    print(bout_table(pairs))
    print()
    print(format_day(*day_summary(run, pairs)))
    if plot is not None:
        from chip_sim.mobility.figures import bout_scatter

        png = bout_scatter(pairs, title=f"{scenario.name}, seed {args.seed}: estimated vs true")
        write_atomic(plot, png)
        print(f"\nWrote {plot}")
    return 0


def bout_table(pairs: BoutPairs) -> str:
    """One line per bout: start, level walking or not, and each biomarker estimated/true; then
    the mean absolute error over the level-walking bouts."""
    if len(pairs.est) == 0:
        return "Bouts (estimated/true)\nno walking bout recorded"
    width = 14
    head = f"{'bout':>4}{'start s':>9}{'level':>6}" + "".join(
        f"{h:>{width}}" for _, h, _ in _BOUT_COLUMNS
    )
    lines = ["Bouts (estimated/true; units: steps/min, m/s, m, deg, %)", head]

    def cell(est: np.void, true: np.void, name: str, spec: str) -> str:
        pair = []
        for v in (est[name], true[name]):
            v = int(v) if spec == "d" else float(v)
            pair.append(f"{v:{spec}}" if np.isfinite(v) else "-")
        return "/".join(pair)

    for i in range(len(pairs.est)):
        est, true = pairs.est[i], pairs.true[i]
        cells = "".join(f"{cell(est, true, n, s):>{width}}" for n, _, s in _BOUT_COLUMNS)
        level = "yes" if pairs.level[i] else "no"
        lines.append(f"{i + 1:>4}{float(est['start_s']):>9.1f}{level:>6}{cells}")
    errs = []
    for n, _, _ in _BOUT_COLUMNS:
        e = pairs.est[n][pairs.level].astype(float)
        t = pairs.true[n][pairs.level].astype(float)
        ok = np.isfinite(e) & np.isfinite(t)
        mae = float(np.mean(np.abs(e[ok] - t[ok]))) if ok.any() else float("nan")
        errs.append(f"{_f(mae, '.3g', width)}")
    lines.append(f"{'MAE, level walking':<19}" + "".join(errs))
    return "\n".join(lines)
