"""Published physiological figures the generator rests on, each with its source.

Sources are the ones collected in ../shared/DOMAIN.md. Where a value is an assumption of this
project rather than a published figure, the comment says so; those are the first place to look
when a figure in a report is questioned.
"""

from __future__ import annotations

from typing import Any

import numpy as np

G_MPS2 = 9.80665

# --- gait timing -----------------------------------------------------------------------------

#: Comfortable walking speed and the lab cadence there (DOMAIN: ≈1.3 m/s, 100–120 steps/min).
COMFORTABLE_SPEED_MPS = 1.3
CADENCE_AT_COMFORTABLE_SPM = 112.0
#: Cadence grows sub-linearly with speed (step length carries the rest). Exponent fitted by this
#: project to CADENCE-Adults treadmill means (≈95 spm at 0.9 m/s, ≈128 spm at 1.8 m/s).
CADENCE_SPEED_EXPONENT = 0.45
#: Stride-time coefficient of variation, healthy adults ≈2–3 % (Hausdorff 2005); impaired gait
#: is more variable (assumption: 5 %).
STRIDE_CV_HEALTHY = 0.025
STRIDE_CV_IMPAIRED = 0.05
#: Stance ≈60 % of the cycle at comfortable speed (DOMAIN); longer when slow or on crutches.
STANCE_FRACTION_COMFORTABLE = 0.60
#: Stair cadence ≈ 90–100 steps/min (assumption from stair-gait studies; not in DOMAIN).
STAIRS_CADENCE_SPM = {"stairs_up": 88.0, "stairs_down": 96.0}


def walking_cadence_spm(speed_mps: float, *, crutches: bool = False) -> float:
    """Mean cadence (steps/min) for level walking at ``speed_mps``."""
    cadence = (
        CADENCE_AT_COMFORTABLE_SPM * (speed_mps / COMFORTABLE_SPEED_MPS) ** CADENCE_SPEED_EXPONENT
    )
    # Crutch (three-point) gait is slower at the same speed: shorter, more deliberate steps
    # (assumption: 10 % fewer steps/min).
    return cadence * (0.9 if crutches else 1.0)


def jogging_cadence_spm(speed_mps: float) -> float:
    """Recreational running cadence ≈ 155–175 steps/min over 2–4 m/s (assumption)."""
    return 150.0 + 7.0 * (speed_mps - 2.0)


def stance_fraction(speed_mps: float, *, crutches: bool = False) -> float:
    """Stance share of the gait cycle: 0.60 at 1.3 m/s, rising towards 0.68 at very slow speed."""
    base = STANCE_FRACTION_COMFORTABLE + 0.06 * (COMFORTABLE_SPEED_MPS - speed_mps)
    return float(np.clip(base + (0.04 if crutches else 0.0), 0.56, 0.72))


def steps_duration_s(activity: str, params: dict[str, Any], steps: int) -> float:
    """Duration of a gait activity given in steps (used by the scenario schema)."""
    if activity == "walk":
        cadence = walking_cadence_spm(params["speed_mps"], crutches=params.get("crutches", False))
    elif activity == "jog":
        cadence = jogging_cadence_spm(params["speed_mps"])
    else:
        cadence = STAIRS_CADENCE_SPM[activity]
    # One extra stride so the last requested step lies inside the segment.
    return round(steps * 60.0 / cadence + 120.0 / cadence, 3)


# --- loads on implants (peak resultant force, multiples of body weight) ------------------------

#: Knee: Kutzner 2010 (walking 261, stairs up 316, stairs down 346, standing up 246, sitting
#: down 225, one-leg stance 259 %BW); jogging 4.2×BW (eTibia, DOMAIN). Two-leg stance ≈107 %BW and
#: stumble 350 %BW are assumptions of this project.
KNEE_PEAK_BW = {
    "walk": 2.61,
    "stairs_up": 3.16,
    "stairs_down": 3.46,
    "sit_to_stand": 2.46,
    "stand_to_sit": 2.25,
    "one_leg_stance": 2.59,
    "jog": 4.2,
    "stand": 1.07,
    "stumble": 3.5,
}
#: Hip: Bergmann 2001/1993 (walking 238 at ≈4 km/h, stairs up 251, stairs down 260, jogging ≈550,
#: stumbling 720–870 %BW). Sit/stand transitions (≈190/150 %BW) and stance (≈80 %BW) are
#: assumptions, below walking as DOMAIN notes for one-leg stance.
HIP_PEAK_BW = {
    "walk": 2.38,
    "stairs_up": 2.51,
    "stairs_down": 2.60,
    "sit_to_stand": 1.90,
    "stand_to_sit": 1.50,
    "one_leg_stance": 2.30,
    "jog": 5.5,
    "stand": 0.80,
    "stumble": 7.95,
}
#: Limb axial load (≈ vertical ground reaction force) carried through a plate or an orthosis.
#: Walking GRF peaks ≈1.1–1.2 BW, stairs ≈1.2–1.4, running ≈2.5 (textbook biomechanics,
#: assumption of this project; not in DOMAIN).
LIMB_PEAK_BW = {
    "walk": 1.15,
    "stairs_up": 1.2,
    "stairs_down": 1.4,
    "sit_to_stand": 0.6,
    "stand_to_sit": 0.55,
    "one_leg_stance": 1.0,
    "jog": 2.5,
    "stand": 0.5,
    "stumble": 2.2,
}
#: Walking load grows with speed; Bergmann's hip data rise ≈ +25 % per m/s around 1.1 m/s
#: (assumption fitted to DOMAIN's 1 km/h → 5 km/h span, which is steeper at the extremes).
LOAD_SPEED_SLOPE_PER_MPS = 0.25
LOAD_REFERENCE_SPEED_MPS = 1.1

# --- temperature (Haidar 2006) ---------------------------------------------------------------

#: Normal post-op skin/implant temperature rise over the contralateral side, °C, by week.
POST_OP_DELTA_T_WEEKS = np.array([1.0, 6.0, 13.0, 26.0, 52.0])
POST_OP_DELTA_T_C = np.array([2.9, 1.6, 1.3, 0.9, 0.3])
#: Implant temperature sensors: thermal time constant ≈263 s, accuracy ±0.24 °C (DOMAIN).
TEMP_SENSOR_TAU_S = 263.0


def post_op_delta_t_c(weeks: np.ndarray | float) -> np.ndarray:
    """Normal post-op ΔT (°C) at ``weeks`` after surgery; log-time interpolation of Haidar 2006.

    Before week 1 the rise is held at the week-1 value (the acute phase); after week 52 it decays
    linearly to zero at week 104 (assumption).
    """
    w = np.asarray(weeks, dtype=float)
    lw = np.log(np.clip(w, 1.0, 52.0))
    out = np.interp(lw, np.log(POST_OP_DELTA_T_WEEKS), POST_OP_DELTA_T_C)
    late = w > 52.0
    if np.any(late):
        out = np.where(late, 0.3 * np.clip((104.0 - w) / 52.0, 0.0, 1.0), out)
    return out


# --- fracture healing (Ernst 2021, Seide 2012) -----------------------------------------------

#: Per course: bone load-share logistic (t50 weeks, slope weeks, final share) and, for
#: plateau-then-heal, the plateau (share, from week, to week). Tuned by this project so that the
#: relative plate load matches Ernst 2021 / Seide 2012: normal → peak after ≈24 days (published
#: 34 ± 22), 50 % at ≈8.5 weeks (published 7.8, range 3.5–13), 21 % at week 12 and 10 % at week 19
#: (published 28 % and 10 %); fast earlier; slow later but inside 13 weeks; delayed union still
#: ≥ 50 % at week 13 (DOMAIN proposal); non-union never below 50 %.
HEALING_COURSES: dict[str, dict[str, Any]] = {
    "fast": {"t50_weeks": 5.0, "slope_weeks": 1.0, "final_share": 0.95},
    "normal": {"t50_weeks": 6.7, "slope_weeks": 2.2, "final_share": 0.93},
    "slow": {"t50_weeks": 10.0, "slope_weeks": 1.8, "final_share": 0.9},
    "delayed_union": {"t50_weeks": 15.5, "slope_weeks": 2.0, "final_share": 0.9},
    "plateau_then_heal": {
        "t50_weeks": 14.0,
        "slope_weeks": 1.2,
        "final_share": 0.9,
        "plateau": (0.3, 4.0, 11.0),
    },
    "non_union": {"t50_weeks": 6.0, "slope_weeks": 2.0, "final_share": 0.25},
}
#: Weight bearing after fracture fixation rises from partial to full within weeks
#: (assumption: 35 % at surgery, time constant 2.5 weeks).
WEIGHT_BEARING_START = 0.35
WEIGHT_BEARING_TAU_WEEKS = 2.5


def weight_bearing_fraction(weeks: np.ndarray | float) -> np.ndarray:
    w = np.asarray(weeks, dtype=float)
    return WEIGHT_BEARING_START + (1 - WEIGHT_BEARING_START) * (
        1 - np.exp(-w / WEIGHT_BEARING_TAU_WEEKS)
    )


def bone_share(weeks: np.ndarray | float, course: str = "normal") -> np.ndarray:
    """Share of the limb load the healing bone carries (0 at surgery → ``final_share``)."""
    c = HEALING_COURSES[course]
    w = np.asarray(weeks, dtype=float)

    def logistic(t50: float) -> np.ndarray:
        s = 1.0 / (1.0 + np.exp(-(w - t50) / c["slope_weeks"]))
        s0 = 1.0 / (1.0 + np.exp(t50 / c["slope_weeks"]))
        return (s - s0) / (1.0 - s0)

    share = c["final_share"] * logistic(c["t50_weeks"])
    if "plateau" in c:
        level, start, end = c["plateau"]
        early = level * np.clip(w / start, 0.0, 1.0) ** 1.5
        share = np.where(w < end, early, np.maximum(level, share))
    return np.clip(share, 0.0, 1.0)


def plate_share(weeks: np.ndarray | float, course: str = "normal") -> np.ndarray:
    """Share of the limb load the plate carries: what the bone does not."""
    return 1.0 - bone_share(weeks, course)


def relative_plate_load(weeks: np.ndarray, course: str) -> np.ndarray:
    """Plate load per loading event relative to its maximum over the course (Ernst 2021)."""
    load = weight_bearing_fraction(weeks) * plate_share(weeks, course)
    return load / np.max(load)
