"""Daily activity from the chip's events: steps per day and cadence while walking."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chip_sim.accuracy import detected_bouts
from chip_sim.icd import EventCode


@dataclass(frozen=True)
class DailyActivity:
    steps: int
    bouts: int
    walking_s: float
    cadence_spm: float  # median over bouts of (steps − 1) / bout duration


def daily_activity(events: np.ndarray, rate_hz: float, *, walk_start_steps: int) -> DailyActivity:
    """Steps are the STEP events; bouts are the chip's confirmed walking bouts, each from its
    first to its last step."""
    step_t = events["stream_index"][events["code"] == int(EventCode.STEP)] / rate_hz
    cadences, walking = [], 0.0
    bouts = detected_bouts(events, rate_hz, walk_start_steps)
    for a, b in bouts:
        n = int(np.sum((step_t >= a) & (step_t <= b)))
        if b > a and n >= 2:
            cadences.append((n - 1) / (b - a) * 60.0)
            walking += b - a
    return DailyActivity(
        len(step_t), len(bouts), walking, float(np.median(cadences)) if cadences else float("nan")
    )
