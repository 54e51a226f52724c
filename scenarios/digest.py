"""Digest mode for weeks-long courses (fracture healing, recovery after knee arthroplasty,
infection): statistics per loading event and per day, a coarse temperature series, and sampled raw
windows rendered at full detail.

Sixteen weeks at 1 kHz would be ~10¹⁰ samples; the digest carries what a healing or infection
analysis needs — load per loading event (Ernst 2021: judge healing per event, not on daily totals,
because activity confounds totals), daily temperature, and for a recovery course the day's walking
speed, step-time symmetry and knee flexion capacity with a raw window every day that shows them
(scenarios.recovery) — in seconds of compute.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.signal import lfilter

from scenarios import recovery as rec
from scenarios.generator import DEFAULT_TRUTH_RATE_HZ, EVENT_DTYPE, Rendering, check_seed, render
from scenarios.model import Scenario, Segment
from scenarios.physiology import (
    LIMB_PEAK_BW,
    LOAD_REFERENCE_SPEED_MPS,
    LOAD_SPEED_SLOPE_PER_MPS,
    TEMP_SENSOR_TAU_S,
    bone_share,
    plate_share,
    relative_plate_load,
    weight_bearing_fraction,
)
from scenarios.sites import SITES
from scenarios.temperature import tissue_temperature_c

TEMP_STEP_S = 300.0
WINDOW_S = 60.0
WINDOW_HOUR = 10.0  # windows start at 10:00 on their day
WINDOW_EVERY_DAYS = 7
#: Recovery courses get a window every day: the biomarkers are judged per week, on several days.
RECOVERY_WINDOW_EVERY_DAYS = 1
STAGES = ("inflammatory", "soft_callus", "hard_callus", "remodelling")

DAILY_DTYPE = np.dtype(
    [
        ("day", "i4"),
        ("weeks_post_op", "f8"),
        ("steps", "i4"),
        ("loading_events", "i4"),
        ("load_per_event_median_n", "f8"),
        ("load_per_event_p90_n", "f8"),
        ("daily_load_sum_kn", "f8"),
        ("relative_load", "f8"),
        ("bone_share", "f8"),
        ("healing_stage", "U16"),
        ("healed", "?"),
        ("temp_mean_c", "f8"),
        ("temp_min_c", "f8"),
        ("temp_max_c", "f8"),
        ("delta_t_true_c", "f8"),
        ("infected", "?"),
    ]
)
#: A recovery course's daily table: the columns above plus the day's truth of comfortable walking
#: speed, step-time symmetry index (DOMAIN's R − L definition, so its sign follows the
#: instrumented side) and knee flexion capacity. Other courses keep DAILY_DTYPE unchanged (their
#: tables and captures stay as they were, and hold no NaN columns).
RECOVERY_DAILY_DTYPE = np.dtype(
    [
        *DAILY_DTYPE.descr,
        ("walk_speed_mps", "f8"),
        ("symmetry_index_pct", "f8"),
        ("knee_flex_max_deg", "f8"),
    ]
)
LOADING_DTYPE = np.dtype([("t_s", "f8"), ("peak_load_n", "f4")])
WINDOW_DTYPE = np.dtype(
    [("t_start_s", "f8"), ("first_sample", "i8"), ("n_samples", "i8"), ("weeks_post_op", "f8")]
)


@dataclass
class Digest:
    scenario: Scenario
    seed: int
    rate_hz: float
    daily: np.ndarray  # DAILY_DTYPE, RECOVERY_DAILY_DTYPE for a recovery course
    loading_events: np.ndarray  # LOADING_DTYPE, course time
    temp_t_s: np.ndarray
    temp_c: np.ndarray
    windows: list[tuple[float, Rendering]]  # (course time of the window start, rendering)
    events: np.ndarray  # EVENT_DTYPE, course time: stage changes, healed, infection onset

    @property
    def days(self) -> int:
        return len(self.daily)


def _steps_per_day(
    scenario: Scenario, days: np.ndarray, weeks_post_op: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    healing, recovery = scenario.healing, scenario.recovery
    target = healing.steps_per_day if healing else 4000.0
    trend = healing.activity_trend if healing else "steady"
    weeks = days / 7.0
    if recovery is not None:
        target = recovery.steps_per_day
        level = rec.activity_level(weeks_post_op, recovery.course)
    elif trend == "rising":  # typical after surgery: from a third of the target to all of it
        level = 0.3 + 0.7 * np.clip(weeks / 8.0, 0, 1)
    elif trend == "declining":  # the confounder: less activity, same healing
        level = 1.0 - 0.6 * np.clip(weeks / 12.0, 0, 1)
    else:
        level = np.ones_like(weeks)
    # Day-to-day variation of activity ≈20 % (assumption).
    return np.maximum(100, np.round(target * level * np.exp(rng.normal(0, 0.2, len(days))))).astype(
        int
    )


def render_digest(
    scenario: Scenario, seed: int, *, rate_hz: float = DEFAULT_TRUTH_RATE_HZ
) -> Digest:
    if not scenario.is_digest:
        raise ValueError(f"scenario {scenario.name!r} is not a weeks-long course; use render()")
    check_seed(seed)
    rng = np.random.default_rng(seed)
    p = scenario.patient
    site = SITES[p.implant_site]
    n_days = int(np.ceil(scenario.digest_weeks * 7))
    days = np.arange(n_days)
    w0 = p.weeks_post_op
    weeks = w0 + (days + 0.5) / 7.0
    healing = scenario.healing
    course = healing.course if healing else None
    recovery = scenario.recovery
    states = (
        [rec.RecoveryState.at(w, recovery.course) for w in weeks] if recovery is not None else []
    )

    steps = _steps_per_day(scenario, days, weeks, rng)
    loading = steps // 2  # stances of the instrumented leg
    if course is not None:
        nominal_n = (
            LIMB_PEAK_BW["walk"]
            * site.load_share
            * p.weight_n
            * weight_bearing_fraction(weeks)
            * plate_share(weeks, course)
        )
        rel = relative_plate_load(np.linspace(0, scenario.digest_weeks + w0, 4000), course)
        relative = np.interp(weeks, np.linspace(0, scenario.digest_weeks + w0, 4000), rel)
        share_bone = bone_share(weeks, course)
    else:
        nominal_n = np.full(n_days, site.peak_load_bw("walk") * p.weight_n)
        if states:  # the joint load follows the day's walking speed, as in the gait model
            speed = np.array([s.walk_speed_mps for s in states])
            nominal_n *= 1 + LOAD_SPEED_SLOPE_PER_MPS * (speed - LOAD_REFERENCE_SPEED_MPS)
        relative = np.full(n_days, np.nan)
        share_bone = np.full(n_days, np.nan)

    # Loading events: times spread over the waking day, peaks varying 6 % event to event.
    starts = np.repeat(days * 86400.0, loading)
    t_events = starts + rng.uniform(7 * 3600, 22 * 3600, len(starts))
    t_events.sort(kind="stable")  # sorted within each day, days already in order
    per_event = np.repeat(nominal_n, loading) * (1 + 0.06 * rng.standard_normal(len(starts)))
    loading_events = np.empty(len(starts), dtype=LOADING_DTYPE)
    loading_events["t_s"] = t_events
    loading_events["peak_load_n"] = per_event
    bounds = np.concatenate(([0], np.cumsum(loading)))

    temp_t = np.arange(0.0, n_days * 86400.0, TEMP_STEP_S)
    tissue = tissue_temperature_c(scenario.temperature, temp_t, weeks_post_op0=w0, start_hour=0.0)
    # The sensor's thermal lag (τ ≈ 263 s) applied at the series' own 5-min step, then the
    # sensor's short-term noise.
    a = np.exp(-TEMP_STEP_S / TEMP_SENSOR_TAU_S)
    temp, _ = lfilter([1 - a], [1, -a], tissue, zi=[a * tissue[0]])
    temp += rng.normal(0, 0.05, len(temp_t))
    no_rhythm = replace(scenario.temperature, circadian_amplitude_c=0.0)
    true_delta = (
        tissue_temperature_c(no_rhythm, days * 86400.0 + 43200.0, weeks_post_op0=w0, start_hour=0.0)
        - scenario.temperature.baseline_c
    )
    per_day = temp.reshape(n_days, -1)
    inf = scenario.temperature.infection
    infected = (w0 * 7 + days + 1 > inf.onset_day) if inf else np.zeros(n_days, bool)

    daily = np.empty(n_days, dtype=RECOVERY_DAILY_DTYPE if states else DAILY_DTYPE)
    daily["day"] = days
    daily["weeks_post_op"] = weeks
    daily["steps"] = steps
    daily["loading_events"] = loading
    for d in range(n_days):
        ev = per_event[bounds[d] : bounds[d + 1]]
        daily["load_per_event_median_n"][d] = np.median(ev)
        daily["load_per_event_p90_n"][d] = np.percentile(ev, 90)
        daily["daily_load_sum_kn"][d] = ev.sum() / 1000.0
    daily["relative_load"] = relative
    daily["bone_share"] = share_bone
    daily["healing_stage"] = [
        _stage(w, b) if course else "" for w, b in zip(weeks, share_bone, strict=True)
    ]
    daily["healed"] = relative < 0.5 if course else False
    if course is not None:
        peak_day = int(np.argmax(relative))
        daily["healed"][:peak_day] = False  # below half before the peak is the early rise
    daily["temp_mean_c"] = per_day.mean(axis=1)
    daily["temp_min_c"] = per_day.min(axis=1)
    daily["temp_max_c"] = per_day.max(axis=1)
    daily["delta_t_true_c"] = true_delta
    daily["infected"] = infected
    if states:
        sign = 1.0 if p.instrumented_side == "right" else -1.0
        daily["walk_speed_mps"] = [s.walk_speed_mps for s in states]
        daily["symmetry_index_pct"] = [sign * s.symmetry_index_pct for s in states]
        daily["knee_flex_max_deg"] = [s.knee_flex_max_deg for s in states]

    events: list[tuple[float, str, float]] = []
    if course is not None:
        stage_idx = np.array([STAGES.index(s) for s in daily["healing_stage"]])
        for d in np.flatnonzero(np.diff(stage_idx)) + 1:
            events.append((d * 86400.0, "healing_stage", float(stage_idx[d])))
        healed_days = np.flatnonzero(daily["healed"])
        if len(healed_days):
            events.append((healed_days[0] * 86400.0, "healed", float(weeks[healed_days[0]])))
    if inf is not None and 0 <= inf.onset_day - w0 * 7 < n_days:
        events.append(((inf.onset_day - w0 * 7) * 86400.0, "infection_onset", inf.rise_c))

    windows = []
    every = RECOVERY_WINDOW_EVERY_DAYS if states else WINDOW_EVERY_DAYS
    for d in range(0, n_days, every):
        timeline = rec.window_timeline(states[d]) if states else None
        windows.append(_window(scenario, d, int(rng.integers(2**31)), rate_hz, timeline))
    return Digest(
        scenario,
        seed,
        rate_hz,
        daily,
        loading_events,
        temp_t,
        temp,
        windows,
        np.array(sorted(events), dtype=EVENT_DTYPE),
    )


def _stage(weeks: float, bone: float) -> str:
    if weeks < 1.0:
        return STAGES[0]
    if bone < 0.35:
        return STAGES[1]
    return STAGES[2] if bone < 0.75 else STAGES[3]


def _window(
    scenario: Scenario,
    day: int,
    seed: int,
    rate_hz: float,
    timeline: tuple[Segment, ...] | None = None,
) -> tuple[float, Rendering]:
    """A window on ``day`` at the patient's state of that day, rendered in full detail: the
    given ``timeline`` (a recovery course's day), else walking at the healing state's speed."""
    weeks = scenario.patient.weeks_post_op + (day + WINDOW_HOUR / 24) / 7.0
    if timeline is None:
        wb = float(weight_bearing_fraction(weeks)) if scenario.healing else 1.0
        speed = round(0.4 + 0.8 * wb, 3)  # walking speed recovers with weight bearing (assumption)
        walk = {
            "speed_mps": speed,
            "symmetry_index_pct": 0.0,
            "weight_bearing_pct": 100.0 * wb,
            "crutches": weeks < 4,
        }
        timeline = (
            Segment("stand", 5.0),
            Segment("walk", WINDOW_S - 10.0, walk),
            Segment("stand", 5.0),
        )
    sc = replace(
        scenario,
        timeline=timeline,
        faults=(),
        start_time_of_day_h=WINDOW_HOUR,
        patient=replace(scenario.patient, weeks_post_op=weeks),
    )
    return day * 86400.0 + WINDOW_HOUR * 3600, render(sc, seed, rate_hz=rate_hz)
