"""A day of mixed daily living, expanded from a seed into primitive activities.

Bout lengths follow free-living statistics: 75 % of daily walking bouts are shorter than 40 steps
and free-living cadence is lower than in the lab (DOMAIN: mean 76 steps/min, which includes the
pauses inside bouts). Sleep from 23:00 to 07:00; the waking day alternates sitting, standing and
walking, with stairs and sit/stand transitions where a person would make them.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from scenarios.model import Segment
from scenarios.physiology import steps_duration_s

SLEEP_START_H, SLEEP_END_H = 23.0, 7.0
#: Bout length (steps): lognormal with median 18 and σ 1.1 puts ≈75 % of bouts under 40 steps
#: (DOMAIN); parameters fitted by this project.
BOUT_MEDIAN_STEPS, BOUT_SIGMA = 18.0, 1.1
#: Steps per waking second this routine produces before scaling (measured over many seeds).
UNSCALED_STEPS_PER_WAKING_S = 0.188


def _asleep(hour: float) -> bool:
    h = hour % 24
    return h >= SLEEP_START_H or h < SLEEP_END_H


def expand_daily_living(seg: Segment, start_hour: float, rng: np.random.Generator) -> list[Segment]:
    """Primitive segments filling ``seg.duration_s`` from ``start_hour`` (local time of day)."""
    total = seg.duration_s
    waking_h = 24.0 - (SLEEP_START_H - SLEEP_END_H + 24) % 24
    steps_per_waking_s = seg.p("steps_per_day") / (waking_h * 3600)
    out: list[Segment] = []
    t = 0.0
    posture = "stand"
    chair = 0.45

    def add(activity: str, duration: float, **params) -> None:
        nonlocal t
        duration = round(min(duration, total - t), 3)
        if duration >= 0.5:
            out.append(Segment(activity, duration, params, seg.line))
            t += duration

    def to(target: str) -> None:
        nonlocal posture
        if posture == target:
            return
        if posture == "lie":
            add("sit", 30.0, chair_height_m=chair)  # sitting up on the bed edge
            posture = "sit"
        if posture == "sit" and target == "stand":
            add("sit_to_stand", 2.5, chair_height_m=chair)
        elif posture == "stand" and target == "sit":
            add("stand_to_sit", 2.5, chair_height_m=chair)
        elif target == "lie":
            if posture == "stand":
                add("stand_to_sit", 2.5, chair_height_m=chair)
            add("lie", 2.0, posture="supine")
        posture = target

    while total - t > 0.5:
        hour = start_hour + t / 3600
        if _asleep(hour):
            to("lie")
            until = ((SLEEP_END_H - hour % 24) % 24) * 3600
            add("lie", max(until, 60.0), posture=str(rng.choice(["supine", "left", "right"])))
            continue
        # Waking: sit for a while, then a few bouts separated by standing.
        to("sit")
        add("sit", float(rng.exponential(12 * 60) + 60), chair_height_m=chair)
        to("stand")
        for _ in range(int(rng.integers(1, 5))):
            steps = int(np.clip(rng.lognormal(np.log(BOUT_MEDIAN_STEPS), BOUT_SIGMA), 4, 3000))
            # Scale bouts so the day's total lands near the requested steps per day.
            steps = max(4, round(steps * steps_per_waking_s / UNSCALED_STEPS_PER_WAKING_S))
            speed = float(np.clip(rng.normal(1.15, 0.15), 0.7, 1.6))
            if rng.random() < 0.08:
                flights = str(rng.choice(["stairs_up", "stairs_down"]))
                params = {"step_height_m": 0.17, "weight_bearing_pct": 100.0, "steps": 14}
                add(flights, steps_duration_s(flights, params, 14), **params)
            params = {
                "speed_mps": speed,
                "symmetry_index_pct": 0.0,
                "weight_bearing_pct": 100.0,
                "crutches": False,
                "steps": steps,
            }
            add("walk", steps_duration_s("walk", params, steps), **params)
            add("stand", float(rng.uniform(3, 60)))
    if out and total - t > 0:  # the last sliver too short for a segment of its own
        out[-1] = replace(out[-1], duration_s=round(out[-1].duration_s + total - t, 6))
    return out
