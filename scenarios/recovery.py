"""Recovery after knee arthroplasty: the patient's state, week by week, on four courses.

A recovery course is the truth a rehabilitation monitor is judged against: how far the knee bends,
how symmetric and how fast the patient walks, how much they walk, as functions of weeks after
surgery. The normal course follows the published cohort figures (../shared/DOMAIN.md):

- knee flexion passes 80° by weeks 1–2 and 100° by week 7 (Ebert 2014, who flags patients below
  these milestones);
- step-time asymmetry is worst at week 2 and back to baseline by about week 11 (DOMAIN, "Gait
  timing": after knee arthroplasty asymmetry peaks at week 2, baseline by week 11).

Each deviating course deviates in the ONE respect its name says and is normal otherwise, so that
an alert's reason can be judged: ``stalled_rom`` (flexion stalls near 80°), ``persisting_limp``
(symmetry index stays above the 10 % flag), ``declining_activity`` (daily steps fall from week 4),
``slow_walking`` (walking speed plateaus near 0.75 m/s from week 6).

Curves are piecewise linear through anchor points (weeks, value), so each published figure is one
visible anchor. Values the publications do not give are marked "assumption".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scenarios.model import RECOVERY_COURSES, Segment

Anchors = tuple[tuple[float, float], ...]

# --- knee flexion capacity (deg): the most the knee bends that day ---------------------------

#: Normal course. 80° at week 1 and 87° at week 2: past Ebert 2014's weeks 1–2 milestone (flag
#: < 80°); 104° at week 7: past its week-7 milestone (flag < 100°). Assumptions: 70° on the day of
#: surgery, a plateau of ≈112° by week 12 and 115° at a year.
FLEX_NORMAL: Anchors = ((0, 70), (1, 80), (2, 87), (7, 104), (12, 112), (52, 115))
#: Stalled range of motion (stiffness): follows the early course, then stalls near 80–85°, below
#: the 80–90° stairs and 93–105° chair rise need (DOMAIN, "Knee flexion needed"); under both of
#: Ebert 2014's milestones. The stall level is an assumption.
FLEX_STALLED: Anchors = ((0, 70), (1, 76), (3, 80), (12, 83), (52, 85))

# --- step-time symmetry index (%), DOMAIN: SI = (R − L) / (0.5 (R + L)) × 100 -----------------

#: Healthy baseline of step-time SI (assumption: a few % in healthy gait).
SI_BASELINE_PCT = 2.5
#: The usual flag (DOMAIN: > 10 %).
SI_FLAG_PCT = 10.0
#: Normal course: worst at week 2, back to baseline by week 11 (DOMAIN, knee arthroplasty). The
#: peak value (18 %), the value right after surgery (14 %) and the shape of the decline are
#: assumptions.
SI_NORMAL: Anchors = (
    (0, 14),
    (2, 18),
    (5, 9),
    (8, 4.5),
    (11, SI_BASELINE_PCT),
    (52, SI_BASELINE_PCT),
)
#: Persisting limp: the same early course, but the asymmetry stays above the 10 % flag
#: (assumption for the level).
SI_PERSISTING: Anchors = ((0, 14), (2, 18), (5, 15), (12, 14), (52, 13))

# --- comfortable walking speed (m/s) ----------------------------------------------------------

#: Assumption (no cohort figure in DOMAIN): from ≈0.55 m/s in the first days to ≈1.2 m/s by week
#: 10, a little below the 1.3 m/s comfortable speed of healthy adults (DOMAIN) for this age group;
#: inside the Mobilise-D hip-fracture range 0.14–1.63 m/s throughout.
SPEED_NORMAL: Anchors = ((0, 0.55), (2, 0.7), (6, 1.0), (10, 1.2), (52, 1.25))
#: Speed not recovering: the early course, then a plateau near 0.75 m/s (assumption), slower than
#: the 0.8 m/s below which community ambulation is limited.
SPEED_SLOW: Anchors = ((0, 0.55), (2, 0.7), (6, 0.75), (52, 0.78))

# --- daily steps, as a share of the course's steps_per_day -------------------------------------

#: Normal course: from a third to all of it by week 8, as the healing courses' "rising" trend
#: (assumption).
ACTIVITY_NORMAL: Anchors = ((0, 0.3), (8, 1.0), (52, 1.0))
#: Declining activity: rises like the normal course to week 4, then falls back to 30 % by week 12
#: (assumption).
ACTIVITY_DECLINING: Anchors = ((0, 0.3), (4, 0.65), (12, 0.3), (52, 0.3))

#: Walking aids (crutches / walker) for the first two weeks (assumption).
CRUTCHES_UNTIL_WEEKS = 2.0

_CURVES: dict[str, dict[str, Anchors]] = {
    "normal": {
        "flex": FLEX_NORMAL,
        "si": SI_NORMAL,
        "speed": SPEED_NORMAL,
        "activity": ACTIVITY_NORMAL,
    },
}
_CURVES["stalled_rom"] = {**_CURVES["normal"], "flex": FLEX_STALLED}
_CURVES["persisting_limp"] = {**_CURVES["normal"], "si": SI_PERSISTING}
_CURVES["declining_activity"] = {**_CURVES["normal"], "activity": ACTIVITY_DECLINING}
_CURVES["slow_walking"] = {**_CURVES["normal"], "speed": SPEED_SLOW}
assert set(_CURVES) == set(RECOVERY_COURSES)


def _curve(course: str, which: str, weeks: np.ndarray | float) -> np.ndarray:
    if course not in _CURVES:
        raise ValueError(
            f"recovery course {course!r} is unknown; expected one of {', '.join(RECOVERY_COURSES)}"
        )
    pts = _CURVES[course][which]
    w = np.asarray(weeks, dtype=float)
    if np.any(w < 0):
        raise ValueError(f"weeks after surgery {w.min():g} is negative; expected 0 or more")
    return np.interp(w, [p for p, _ in pts], [v for _, v in pts])


def knee_flex_capacity_deg(weeks: np.ndarray | float, course: str = "normal") -> np.ndarray:
    """The most the operated knee bends (deg) at ``weeks`` after surgery."""
    return _curve(course, "flex", weeks)


def symmetry_index_pct(weeks: np.ndarray | float, course: str = "normal") -> np.ndarray:
    """Step-time asymmetry (%, magnitude; the operated leg's step is the longer one)."""
    return _curve(course, "si", weeks)


def walk_speed_mps(weeks: np.ndarray | float, course: str = "normal") -> np.ndarray:
    """Comfortable walking speed (m/s)."""
    return _curve(course, "speed", weeks)


def activity_level(weeks: np.ndarray | float, course: str = "normal") -> np.ndarray:
    """Daily steps as a share of the course's ``steps_per_day`` (before day-to-day variation)."""
    return _curve(course, "activity", weeks)


@dataclass(frozen=True)
class RecoveryState:
    """The patient on one day of a recovery course."""

    weeks_post_op: float
    knee_flex_max_deg: float
    symmetry_index_pct: float  # magnitude; the operated leg's step is the longer one
    walk_speed_mps: float
    crutches: bool

    @classmethod
    def at(cls, weeks: float, course: str) -> RecoveryState:
        return cls(
            weeks_post_op=float(weeks),
            knee_flex_max_deg=round(float(knee_flex_capacity_deg(weeks, course)), 2),
            symmetry_index_pct=round(float(symmetry_index_pct(weeks, course)), 2),
            walk_speed_mps=round(float(walk_speed_mps(weeks, course)), 3),
            crutches=weeks < CRUTCHES_UNTIL_WEEKS,
        )


#: Window layout (s): walking long enough for ≈25 strides at the slowest speed, then a chair rise.
WINDOW_WALK_S = 40.0
WINDOW_CHAIR_M = 0.45


def window_timeline(state: RecoveryState) -> tuple[Segment, ...]:
    """A one-minute raw window showing the day's state.

    The patient walks at the day's speed and step-time asymmetry (with walking aids in the first
    weeks), then sits down, slides the foot back as far as the knee allows (a heel slide, as in
    the home exercise programme) and rises: the seated knee flexion is the day's capacity, so the
    implant's data show the day's range of motion. Gait knee flexion needs no cap: it scales with
    speed in the gait model (stiff-knee gait early: ≈45° swing peak at 0.6 m/s, ≈60° at 1.2 m/s,
    below every capacity of these courses)."""
    walk = {
        "speed_mps": state.walk_speed_mps,
        "symmetry_index_pct": state.symmetry_index_pct,
        "weight_bearing_pct": 100.0,  # full weight bearing as tolerated after arthroplasty
        "crutches": state.crutches,
    }
    chair = {"chair_height_m": WINDOW_CHAIR_M, "knee_flex_deg": state.knee_flex_max_deg}
    return (
        Segment("stand", 3.0),
        Segment("walk", WINDOW_WALK_S, walk),
        Segment("stand", 3.0),
        Segment("stand_to_sit", 2.5, chair),
        Segment("sit", 5.0, chair),
        Segment("sit_to_stand", 2.5, chair),
        Segment("stand", 4.0),
    )
