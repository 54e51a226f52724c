"""Fracture healing judged from the plate's load per loading event (Ernst 2021).

The implant records the peak LOAD code of every loading event. Per day it keeps the median (the
confounder — a less active patient — changes the number of events, not their size), smooths it
over a week, and tracks its relative value against the highest so far. Healed = relative load
below 50 % after the peak. Delayed union is flagged when relative load is still ≥ 50 % at week 13
(DOMAIN, proposal). Everything is causal: the value of a day uses only days up to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HEALED_BELOW = 0.5
DELAYED_UNION_WEEK = 13.0  # DOMAIN proposal: flag when still ≥ 50 % at week 13
SMOOTH_DAYS = 7
#: Classification thresholds of this project (docs/chip-model.md): a load peak later than
#: 9 weeks means the curve plateaued before healing (Ernst 2016 "plateau-then-heal"); without a
#: crossing, a relative load that has fallen by 30 % from its peak is still healing ("slow"),
#: one that has not is a non-union.
LATE_PEAK_WEEKS = 9.0
STILL_FALLING_DROP = 0.30
CLASSES = ("normal", "slow", "plateau_then_heal", "non_union", "undetermined")


@dataclass(frozen=True)
class HealingAssessment:
    weeks: np.ndarray  # per day
    daily_median_code: np.ndarray
    relative_load: np.ndarray  # smoothed, causal, against the running peak
    healed_week: float | None
    delayed_union_flag_week: float | None
    peak_week: float
    classification: str


def daily_medians(event_day: np.ndarray, event_code: np.ndarray, n_days: int) -> np.ndarray:
    """Median load code of each day's loading events (NaN on a day without events)."""
    out = np.full(n_days, np.nan)
    order = np.argsort(event_day, kind="stable")
    days, codes = event_day[order], event_code[order]
    bounds = np.searchsorted(days, np.arange(n_days + 1))
    for d in range(n_days):
        if bounds[d + 1] > bounds[d]:
            out[d] = np.median(codes[bounds[d] : bounds[d + 1]])
    return out


def assess(weeks: np.ndarray, daily_median_code: np.ndarray) -> HealingAssessment:
    """Relative load, healed week, delayed-union flag and the course's class, from daily medians."""
    n = len(weeks)
    smooth = np.array(
        [np.nanmedian(daily_median_code[max(0, d - SMOOTH_DAYS + 1) : d + 1]) for d in range(n)]
    )
    peak_so_far = np.fmax.accumulate(smooth)
    relative = smooth / peak_so_far
    peak_day = int(np.nanargmax(smooth))
    healed = np.flatnonzero((relative < HEALED_BELOW) & (np.arange(n) > peak_day))
    healed_week = float(weeks[healed[0]]) if len(healed) else None
    at13 = np.flatnonzero(weeks >= DELAYED_UNION_WEEK)
    flag_week = None
    if len(at13) and relative[at13[0]] >= HEALED_BELOW:
        flag_week = float(weeks[at13[0]])
    peak_week = float(weeks[peak_day])
    if healed_week is not None:
        if peak_week > LATE_PEAK_WEEKS:
            label = "plateau_then_heal"
        elif healed_week <= DELAYED_UNION_WEEK:
            label = "normal"
        else:
            label = "slow"
    elif weeks[-1] < DELAYED_UNION_WEEK:
        label = "undetermined"
    elif peak_week > LATE_PEAK_WEEKS:
        label = "plateau_then_heal"
    elif 1.0 - relative[-1] >= STILL_FALLING_DROP:
        label = "slow"
    else:
        label = "non_union"
    return HealingAssessment(
        weeks, daily_median_code, relative, healed_week, flag_week, peak_week, label
    )
