"""Infection flagged from temperature that fails to follow the normal post-op decay.

At week 2, infected and clean knees differ by only 0.27 °C (DOMAIN, Haidar 2006): an absolute
threshold cannot work. The implant compares its own temperature with the published decay curve:
the patient's offset (baseline, sensor accuracy ±0.24 °C) is learned over days 2–6 after surgery,
then the 24-hour mean of (temperature − offset − expected post-op rise) is watched; a residual
above ``threshold_c`` is an infection flag. The 24-hour window removes the daily rhythm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios.physiology import post_op_delta_t_c

BASELINE_DAYS = (2.0, 6.0)
WINDOW_S = 86400.0
THRESHOLD_C = (
    0.4  # this project: ≥ 5 × the day-to-day noise of a 24 h mean, < the 1 °C minimum rise
)


@dataclass(frozen=True)
class InfectionAssessment:
    t_s: np.ndarray  # evaluation times (course time)
    residual_c: np.ndarray  # 24 h mean residual at each time (NaN before it can be judged)
    flag_t_s: float | None


def assess(
    t_s: np.ndarray,
    temp_code: np.ndarray,
    *,
    weeks_post_op0: float,
    threshold_c: float = THRESHOLD_C,
) -> InfectionAssessment:
    """``temp_code`` are TEMP codes (1/128 °C) at times ``t_s`` (s since the course start)."""
    temp_c = temp_code / 128.0
    weeks = weeks_post_op0 + t_s / (7 * 86400.0)
    expected = post_op_delta_t_c(weeks)
    excess = temp_c - expected
    days = weeks * 7.0
    base_mask = (days >= BASELINE_DAYS[0]) & (days < BASELINE_DAYS[1])
    if not base_mask.any():
        return InfectionAssessment(t_s, np.full(len(t_s), np.nan), None)
    baseline = float(np.mean(excess[base_mask]))
    step = float(np.median(np.diff(t_s)))
    w = max(1, round(WINDOW_S / step))
    csum = np.concatenate(([0.0], np.cumsum(excess - baseline)))
    residual = np.full(len(t_s), np.nan)
    start = np.flatnonzero(days >= BASELINE_DAYS[1])
    first = max(int(start[0]) if len(start) else len(t_s), w - 1)
    idx = np.arange(first, len(t_s))
    residual[idx] = (csum[idx + 1] - csum[idx + 1 - w]) / w
    above = np.flatnonzero(residual > threshold_c)
    return InfectionAssessment(t_s, residual, float(t_s[above[0]]) if len(above) else None)
