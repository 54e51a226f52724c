"""A weeks-long course (scenario digest) as the implant measures it, and its assessments."""

from __future__ import annotations

import numpy as np

from chip_sim.longterm import healing, infection
from scenarios.digest import Digest
from scenarios.sites import SITES

#: Temperature sensor accuracy ±0.24 °C (DOMAIN): a fixed offset per device.
TEMP_ACCURACY_C = 0.24


def load_codes(d: Digest) -> tuple[np.ndarray, np.ndarray]:
    """(day, LOAD code) of each loading event's peak, through the site's bridge calibration."""
    per_n = SITES[d.scenario.patient.implant_site].strain_ue_per_n
    codes = np.round(d.loading_events["peak_load_n"].astype(np.float64) * per_n * 10)
    codes = np.clip(codes, -32767, 32767)
    return (d.loading_events["t_s"] // 86400).astype(np.int64), codes


def temp_codes(d: Digest, rng: np.random.Generator) -> np.ndarray:
    offset = rng.uniform(-TEMP_ACCURACY_C, TEMP_ACCURACY_C)
    return np.clip(np.round((d.temp_c + offset) * 128), -32640, 32640)


def assess_healing(d: Digest) -> healing.HealingAssessment:
    day, codes = load_codes(d)
    # A day's judgement is made at its start, so week 13 is day 91.
    weeks = d.scenario.patient.weeks_post_op + d.daily["day"] / 7.0
    return healing.assess(weeks, healing.daily_medians(day, codes, d.days))


def assess_infection(d: Digest, seed: int) -> infection.InfectionAssessment:
    rng = np.random.default_rng([seed, 2])
    return infection.assess(
        d.temp_t_s, temp_codes(d, rng), weeks_post_op0=d.scenario.patient.weeks_post_op
    )
