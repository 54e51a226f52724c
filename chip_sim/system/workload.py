"""What the implant has to report: records in true time, and when the patient moves.

A *record* is what the firmware stores in its event buffer. From the golden model's events:
a walking bout of at least ``walk_bout_min_steps`` steps becomes one BOUT record at its WALK_END
(its steps are aggregated into it, as comparable implants record qualified bouts, not steps); a
shorter bout is filtered (counted); FALL, OVERLOAD_START/END, TEMP_HIGH, faults and RESET are
always recorded. In digest mode the records are one DAILY summary per day.

The chip decides an event at ``stream_index / rate_hz`` on its own clock; with a clock error of
``drift_ppm`` that is ``stream_index / (rate_hz (1 + drift_ppm 1e-6))`` in true time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chip_sim.icd import EventCode
from chip_sim.intervals import merge_intervals
from chip_sim.longterm.course import assess_healing, load_codes
from chip_sim.longterm.healing import daily_medians
from chip_sim.pipeline import CHIP_RATE_HZ, run_scenario
from scenarios.digest import render_digest
from scenarios.generator import MAX_SEED, STATIC
from scenarios.model import Scenario

RECORD_DTYPE = np.dtype(
    [
        ("t_s", "f8"),  # true time of the chip's decision
        ("kind", "U16"),
        ("value", "f8"),
        ("chip_s", "f8"),  # the same instant on the implant's clock
        ("deferrable", "?"),  # decided at the next power-up when the implant is off (DAILY, RESET)
    ]
)
#: A tiled scenario cycles through at most this many distinct renders (seeds derived from the
#: run's seed): bounds a week's cost while keeping day-to-day variation (assumption).
MAX_DISTINCT_RENDERS = 7
DIGEST_CADENCE_SPS = 100 / 60  # assumption: steps per second while walking (DOMAIN lab cadence)
DIGEST_BOUT_S = 120.0  # assumption: motion is synthesised as 2-min bouts between 07:00 and 22:00
DIGEST_OTHER_MOTION = 1.5  # assumption: total motion time = 1.5 x walking time


@dataclass(frozen=True)
class Workload:
    scenario_name: str
    seed: int
    duration_s: float
    start_hour: float
    records: np.ndarray  # RECORD_DTYPE, by time
    motion_s: np.ndarray  # (n, 2) merged intervals of motion, true time
    filtered: dict[str, int]  # chip events not recorded by policy (short bouts, aggregated steps)
    brownouts_s: tuple[tuple[float, float], ...] = ()  # the scenario's supply faults (start, end)
    digest: bool = False
    trend: np.ndarray | None = None  # per day: relative load the cloud sends the clinician


#: Why the policy filtered a chip event (counted in ``Workload.filtered``).
FILTERED = ("STEP (aggregated into BOUT)", "short bout (< min steps)", "WALK_START")


def record_of(code: int, value: int, *, min_steps: int) -> tuple[str | None, str]:
    """The record one chip event becomes: ``(kind, "")``, or ``(None, why)`` for an event the
    policy filters. A walking bout of at least ``min_steps`` steps is one BOUT at its WALK_END;
    STEP, WALK_START and shorter bouts are filtered; any other event is recorded under its
    EventCode name. Shared by the simulated implant and the real-time mode against a board."""
    if code == EventCode.WALK_END:
        return ("BOUT", "") if value >= min_steps else (None, FILTERED[1])
    if code == EventCode.STEP:
        return None, FILTERED[0]
    if code == EventCode.WALK_START:
        return None, FILTERED[2]
    try:
        return EventCode(code).name, ""
    except ValueError:
        return None, f"unknown event code {code}"


def _merge(intervals: list[tuple[float, float]]) -> np.ndarray:
    return np.array(merge_intervals(intervals), dtype=float).reshape(-1, 2)


def _derived_seed(seed: int, k: int) -> int:
    return int(np.random.SeedSequence([seed, k]).generate_state(1)[0]) % (MAX_SEED + 1)


def _local_windows(
    windows_s, offset_s: float, length_s: float, scale: float, rate_hz: float
) -> tuple[tuple[int, int], ...]:
    """True-time windows as sample windows of the repetition starting at ``offset_s`` (chip
    time), clipped to it."""
    out = []
    for a, b in windows_s:
        a_i = round((a / scale - offset_s) * rate_hz)
        b_i = round((min(b, 1e18) / scale - offset_s) * rate_hz)
        a_i, b_i = max(0, a_i), min(round(length_s * rate_hz), b_i)
        if b_i > a_i:
            out.append((a_i, b_i))
    return tuple(out)


def chip_workload(
    scenario: Scenario,
    seed: int,
    *,
    duration_s: float | None,
    min_steps: int,
    drift_ppm: float,
    supply_off_s: tuple[tuple[float, float], ...] = (),
    runs: dict | None = None,
) -> Workload:
    """Records from the golden model; a duration beyond the scenario's tiles it.

    ``supply_off_s``: true-time windows in which the system model's supply was off (brown-outs it
    caused): the golden model runs with them as brown-outs, so its detectors restart and a RESET
    (reason 1) follows each, as the chip would. A golden-model run is made once per distinct
    render and set of windows; ``runs`` keeps them across calls for the same scenario, seed and
    duration (the feedback passes of :func:`chip_sim.system.run_system`)."""
    total_s = scenario.duration_s if duration_s is None else duration_s
    reps = max(1, int(np.ceil(total_s / scenario.duration_s - 1e-9)))
    rows: list[tuple[float, str, float, float, bool]] = []
    motion: list[tuple[float, float]] = []
    brownouts: list[tuple[float, float]] = []
    filtered = dict.fromkeys(FILTERED, 0)
    # Only what the system needs is kept per distinct run (a day's signals are ~10^8 bytes).
    runs = {} if runs is None else runs
    scale = 1.0 / (1.0 + drift_ppm * 1e-6)
    for k in range(reps):
        offset_s = k * scenario.duration_s
        if offset_s >= total_s:
            break
        render = k % MAX_DISTINCT_RENDERS
        off = _local_windows(supply_off_s, offset_s, scenario.duration_s, scale, CHIP_RATE_HZ)
        key = (render, off)
        if key not in runs:
            s = seed if render == 0 else _derived_seed(seed, render)
            length = min(scenario.duration_s, total_s) if reps == 1 else None
            run = run_scenario(scenario, s, duration_s=length, supply_off=off)
            runs[key] = (
                run.output.events,
                run.rate_hz,
                run.rendering.segments,
                tuple(run.codes.brownouts),
            )
            del run
        ev, rate, segments, supply_faults = runs[key]
        for e in ev:
            code, chip_s = int(e["code"]), offset_s + e["stream_index"] / rate
            if chip_s * scale >= total_s:
                break
            if code == int(EventCode.RESET) and k > 0 and e["stream_index"] == 0:
                continue  # a repetition continues the day; it is not a power-on
            kind, why = record_of(code, int(e["value"]), min_steps=min_steps)
            if kind is None:
                filtered[why] += 1
                continue
            # A RESET is the power-up itself: decided when the chip is back (deferrable).
            rows.append((chip_s * scale, kind, float(e["value"]), chip_s, kind == "RESET"))
        for a, b in supply_faults:
            if offset_s + a / rate < total_s:
                brownouts.append(((offset_s + a / rate) * scale, (offset_s + b / rate) * scale))
        for seg in segments:
            if seg["activity"] not in STATIC:
                a, b = offset_s + seg["t_start_s"], offset_s + seg["t_end_s"]
                if a < total_s:
                    motion.append((a * scale, min(b, total_s) * scale))
    records = np.array(rows, dtype=RECORD_DTYPE)
    records = records[np.argsort(records["t_s"], kind="stable")]
    return Workload(
        scenario.name,
        seed,
        float(total_s),
        float(scenario.start_time_of_day_h),
        records,
        _merge(motion),
        filtered,
        brownouts_s=tuple(brownouts),
    )


def digest_workload(
    scenario: Scenario, seed: int, *, days: float | None, drift_ppm: float
) -> Workload:
    """One DAILY record per day (median LOAD code of the day's loading events), decided at the
    day's end or, when the implant is off then, at its next power-up (the day's statistics are
    kept in retention memory); motion synthesised from the day's steps."""
    d = render_digest(scenario, seed, rate_hz=CHIP_RATE_HZ)
    n_days = d.days if days is None else min(d.days, int(np.ceil(days)))
    day, codes = load_codes(d)
    medians = daily_medians(day, codes, d.days)
    trend = assess_healing(d).relative_load[:n_days]
    scale = 1.0 / (1.0 + drift_ppm * 1e-6)
    rows = [
        ((k + 1) * 86400.0 * scale, "DAILY", float(medians[k]), (k + 1) * 86400.0, True)
        for k in range(n_days)
    ]
    rng = np.random.default_rng([seed, 3])
    motion = []
    for k in range(n_days):
        walk_s = d.daily["steps"][k] / DIGEST_CADENCE_SPS * DIGEST_OTHER_MOTION
        for t in rng.uniform(7 * 3600, 22 * 3600 - DIGEST_BOUT_S, int(walk_s // DIGEST_BOUT_S)):
            motion.append((k * 86400.0 + t, k * 86400.0 + t + DIGEST_BOUT_S))
    loading = int(d.daily["loading_events"][:n_days].sum())
    return Workload(
        scenario.name,
        seed,
        n_days * 86400.0,
        0.0,  # a digest course's days start at midnight
        np.array(rows, dtype=RECORD_DTYPE),
        _merge(motion),
        {"loading events (aggregated into DAILY)": loading},
        digest=True,
        trend=trend,
    )
