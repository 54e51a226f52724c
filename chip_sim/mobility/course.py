"""A recovery course, day by day and week by week, from what the implant records — and the
rehabilitation-deviation alerts.

Per day the implant gives (digest mode, docs/biomarkers.md): the chip's step count (its DAILY
record) and one raw window of a minute, recorded during the app-prompted daily exercise (a walk,
then a heel slide on a chair and a chair rise). From the window come the walking biomarkers of
its bout (:func:`chip_sim.mobility.estimate.bout_biomarkers`) and the day's *flexion capacity*:
seated, the thigh rests on the seat at a calibrated slope (the usual assumption for a shank
sensor: the thigh's pitch is known when seated), so knee flexion = the shank's inclination, read
from the accelerometer in the still, seated part of the window after the walk, minus the thigh's.

Alerts (:func:`alerts`) are judged on weekly medians (steps: weekly means), each rule raised no
earlier than the evidence allows — the normal course itself crosses every threshold early on:

- *range of motion below milestone*: flexion < 80° in week 2, or < 100° from week 7 (Ebert
  2014's milestones, DOMAIN) — not before the end of week 2, resp. 7, where they are set;
- *symmetry not recovering*: SI > 10 % (DOMAIN's flag) from week 6 — after arthroplasty the
  asymmetry peaks at week 2 and is still near 10 % at week 5;
- *activity declining*: weekly steps below 75 % of the best week so far, two weeks running, from
  week 4 — daily steps vary by ±20 %: one low week is noise;
- *speed not recovering*: walking speed < 0.85 m/s from week 6 — speed recovers over the first
  six weeks (the courses' assumption).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chip_sim.afe import to_physical
from chip_sim.mobility.estimate import Calibration, bout_biomarkers, calibration
from chip_sim.mobility.recording import ACC, GYR, bouts_of
from chip_sim.pipeline import run_rendering
from scenarios.digest import Digest
from scenarios.generator import Rendering
from scenarios.kinematics import mount_matrix

DAY_DTYPE = np.dtype(
    [
        ("day", "i4"),
        ("weeks_post_op", "f8"),
        ("steps", "i4"),
        ("cadence_spm", "f8"),
        ("speed_mps", "f8"),
        ("stride_length_m", "f8"),
        ("symmetry_index_pct", "f8"),
        ("segment_rom_deg", "f8"),
        ("knee_rom_deg", "f8"),
        ("knee_flex_max_deg", "f8"),
    ]
)
WEEK_DTYPE = np.dtype([("week", "i4"), *[(n, DAY_DTYPE[n]) for n in DAY_DTYPE.names[2:]]])

STILL_DPS = 12.0  # |angular rate| below this is still: seated fidgeting reaches ≈ 8 deg/s
STILL_G = 0.03  # | |acc| - 1 g | below this is still
STILL_MIN_S = 1.0

ROM_WEEK2_DEG, ROM_WEEK7_DEG = (
    80.0,
    100.0,
)  # Ebert 2014 (DOMAIN): flags < 80° at weeks 1-2, < 100° at week 7
SI_FLAG_PCT, SI_FROM_WEEK = 10.0, 6
ACTIVITY_DROP, ACTIVITY_WEEKS, ACTIVITY_FROM_WEEK = 0.75, 2, 4
SPEED_FLOOR_MPS, SPEED_FROM_WEEK = 0.85, 6
#: The earliest week after surgery at which each alert can be raised (the rules above).
EARLIEST_WEEK = {
    "rom_below_milestone": 2,
    "symmetry_not_recovering": SI_FROM_WEEK,
    "activity_declining": ACTIVITY_FROM_WEEK,
    "speed_not_recovering": SPEED_FROM_WEEK,
}
REASONS = (
    "rom_below_milestone",
    "symmetry_not_recovering",
    "activity_declining",
    "speed_not_recovering",
)


@dataclass(frozen=True)
class Alert:
    week: int  # weeks after surgery at the end of which the alert is raised
    reason: str
    value: float
    rule: str


def shank_inclination_deg(acc_mg: np.ndarray, orientation_deg) -> np.ndarray:
    """The segment's sagittal pitch from gravity (deg, positive with its proximal end forward):
    at rest the accelerometer reads x = -g sin(pitch), z = g cos(pitch) in the segment frame."""
    seg = acc_mg @ mount_matrix(*orientation_deg).T
    return np.rad2deg(np.arctan2(-seg[:, 0], seg[:, 2]))


def _still_runs(acc_mg: np.ndarray, gyr_dps: np.ndarray, rate_hz: float) -> list[slice]:
    """Still periods of at least ``STILL_MIN_S``: angular rate and |acceleration| near their
    medians over the window (medians, not 0 and 1 g: the front end's offsets and gain errors)."""
    rate = np.abs(gyr_dps - np.median(gyr_dps, axis=0)).max(axis=1)
    mag = np.linalg.norm(acc_mg, axis=1)
    g = np.abs(mag - np.median(mag)) / 1000.0
    still = (rate < STILL_DPS) & (g < STILL_G)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], still.astype(np.int8), [0]))))
    return [
        slice(a, b)
        for a, b in zip(edges[::2], edges[1::2], strict=True)
        if b - a >= STILL_MIN_S * rate_hz
    ]


def seated_inclination_deg(
    codes: np.ndarray, rate_hz: float, after_s: float, orientation_deg
) -> float:
    """The shank's inclination while seated in the exercise after ``after_s``: of the still
    periods after it — standing, seated, standing again, as the app guides — the middle one."""
    acc, gyr = to_physical(codes, ACC), to_physical(codes, GYR)
    runs = [r for r in _still_runs(acc, gyr, rate_hz) if r.stop > after_s * rate_hz]
    if len(runs) < 3:
        return float("nan")
    return float(np.median(shank_inclination_deg(acc[runs[1]], orientation_deg)))


def flexion_capacity_deg(
    seated_shank_deg: float, height_m: float, cal: Calibration | None = None
) -> float:
    """Knee flexion = shank pitch − thigh pitch; seated, the thigh rests on the seat, sloping
    down to the knee by a calibrated angle that depends on the patient's height
    (``calibration.yaml``: seated_thigh_pitch_deg)."""
    a, b = (cal or calibration()).seated_thigh_pitch_deg
    return seated_shank_deg - (a + b * height_m)


def window_day(r: Rendering, seed: int) -> dict[str, float]:
    """The biomarkers of one day's raw window (its longest recorded bout and the sit after it)."""
    run = run_rendering(r, seed)
    p = r.scenario.patient
    bouts = bouts_of(run.output.events, run.codes.codes, run.rate_hz)
    out = {n: float("nan") for n in DAY_DTYPE.names[3:]}
    if not bouts:
        return out
    b = max(bouts, key=lambda b: b.steps)
    e = bout_biomarkers(
        b,
        implant_site=p.implant_site,
        instrumented_side=p.instrumented_side,
        sensor_orientation_deg=p.sensor_orientation_deg,
    )
    for n in ("cadence_spm", "speed_mps", "stride_length_m", "segment_rom_deg", "knee_rom_deg"):
        out[n] = float(e[n])
    # The operated leg's step is the longer one: the magnitude is what recovers.
    out["symmetry_index_pct"] = abs(float(e["symmetry_index_pct"]))
    out["knee_flex_max_deg"] = flexion_capacity_deg(
        seated_inclination_deg(run.codes.codes, run.rate_hz, b.end_s, p.sensor_orientation_deg),
        p.height_m,
    )
    return out


def course_days(d: Digest, seed: int) -> np.ndarray:
    """DAY_DTYPE per day of the digest that has a window (the others carry steps only)."""
    days = np.zeros(d.days, dtype=DAY_DTYPE)
    days["day"] = d.daily["day"]
    days["weeks_post_op"] = d.daily["weeks_post_op"]
    days["steps"] = d.daily["steps"]  # the chip's DAILY count (SRS-086 verifies its accuracy)
    for n in DAY_DTYPE.names[3:]:
        days[n] = np.nan
    ss = np.random.SeedSequence([seed, 88])
    for (t0, r), child in zip(d.windows, ss.spawn(len(d.windows)), strict=True):
        day = int(t0 // 86400)
        w = window_day(r, int(child.generate_state(1)[0]))
        for n, v in w.items():
            days[n][day] = v
    return days


def weekly(days: np.ndarray) -> np.ndarray:
    """Per completed week after surgery: medians of the windows' biomarkers, mean daily steps."""
    weeks = np.floor(days["weeks_post_op"]).astype(int)
    out = []
    for w in np.unique(weeks):
        m = weeks == w
        if m.sum() < 7:
            continue
        row = [w, round(float(days["steps"][m].mean()))]
        row += [float(np.nanmedian(days[n][m])) for n in WEEK_DTYPE.names[2:]]
        out.append(tuple(row))
    return np.array(out, dtype=WEEK_DTYPE)


def alerts(weeks: np.ndarray) -> list[Alert]:
    """The first alert of each reason (module notes: rules and earliest weeks)."""
    found: dict[str, Alert] = {}

    def raise_(w: int, reason: str, value: float, rule: str) -> None:
        found.setdefault(reason, Alert(w + 1, reason, value, rule))

    best = 0.0
    low_run = 0
    for row in weeks:
        w = int(row["week"])  # the week [w, w + 1) after surgery, judged at its end
        flex = float(row["knee_flex_max_deg"])
        if w == 1 and flex < ROM_WEEK2_DEG:
            raise_(w, "rom_below_milestone", flex, f"flexion < {ROM_WEEK2_DEG:g} deg in week 2")
        if w >= 6 and flex < ROM_WEEK7_DEG:
            raise_(w, "rom_below_milestone", flex, f"flexion < {ROM_WEEK7_DEG:g} deg from week 7")
        si = float(row["symmetry_index_pct"])
        if w + 1 >= SI_FROM_WEEK and si > SI_FLAG_PCT:
            raise_(
                w, "symmetry_not_recovering", si, f"SI > {SI_FLAG_PCT:g} % from week {SI_FROM_WEEK}"
            )
        steps = float(row["steps"])
        low_run = low_run + 1 if best and steps < ACTIVITY_DROP * best else 0
        if w + 1 >= ACTIVITY_FROM_WEEK and low_run >= ACTIVITY_WEEKS:
            raise_(
                w,
                "activity_declining",
                steps / best,
                f"steps < {ACTIVITY_DROP:.0%} of the best week, {ACTIVITY_WEEKS} weeks running",
            )
        best = max(best, steps)
        speed = float(row["speed_mps"])
        if w + 1 >= SPEED_FROM_WEEK and speed < SPEED_FLOOR_MPS:
            raise_(
                w,
                "speed_not_recovering",
                speed,
                f"speed < {SPEED_FLOOR_MPS:g} m/s from week {SPEED_FROM_WEEK}",
            )
    return sorted(found.values(), key=lambda a: (a.week, a.reason))
