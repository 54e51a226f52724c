"""Implant temperature: normal post-op decay (Haidar 2006), daily rhythm, infection, sensor lag."""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from scenarios.model import TemperatureCourse
from scenarios.physiology import TEMP_SENSOR_TAU_S, post_op_delta_t_c

SECONDS_PER_WEEK = 7 * 86400.0
#: Daily rhythm of tissue temperature peaks in the late afternoon (≈16:00) and is lowest before
#: dawn (circadian core-temperature rhythm; phase is textbook physiology, amplitude a parameter).
CIRCADIAN_PEAK_H = 16.0


def tissue_temperature_c(
    course: TemperatureCourse, t_s: np.ndarray, *, weeks_post_op0: float, start_hour: float
) -> np.ndarray:
    """Temperature at the implant (°C) at times ``t_s`` after the scenario start, before the
    sensor's thermal lag."""
    weeks = weeks_post_op0 + t_s / SECONDS_PER_WEEK
    delta = post_op_delta_t_c(weeks) if course.post_op_decay else np.zeros_like(weeks)
    inf = course.infection
    if inf is not None:
        onset_weeks = inf.onset_day / 7.0
        ramp = np.clip((weeks - onset_weeks) * 7.0 / inf.ramp_days, 0.0, 1.0)
        ramp = 0.5 * (1 - np.cos(np.pi * ramp))
        frozen = post_op_delta_t_c(onset_weeks) if course.post_op_decay else 0.0
        # Infection stops the decay and adds its rise on top (DOMAIN, Haidar 2006).
        delta = np.where(weeks >= onset_weeks, frozen + inf.rise_c * ramp, delta)
    hour = start_hour + t_s / 3600.0
    rhythm = course.circadian_amplitude_c * np.cos(2 * np.pi * (hour - CIRCADIAN_PEAK_H) / 24.0)
    return course.baseline_c + delta + rhythm


def sensor_temperature_c(
    course: TemperatureCourse, n: int, rate_hz: float, *, weeks_post_op0: float, start_hour: float
) -> np.ndarray:
    """Temperature the implant's sensor reports at ``rate_hz`` for ``n`` samples, with its
    first-order thermal lag (τ ≈ 263 s, DOMAIN). Evaluated at 1 Hz and interpolated: the lag makes
    anything faster invisible."""
    duration_s = n / rate_hz
    grid = np.arange(0.0, duration_s + 2.0, 1.0)
    tissue = tissue_temperature_c(
        course, grid, weeks_post_op0=weeks_post_op0, start_hour=start_hour
    )
    a = np.exp(-1.0 / TEMP_SENSOR_TAU_S)
    lagged, _ = lfilter([1 - a], [1, -a], tissue, zi=[a * tissue[0]])
    k = round(rate_hz)
    if abs(rate_hz - k) < 1e-9:  # integer rate: interpolate per 1-s cell, no n-long time axis
        frac = (np.arange(k) / k).astype(np.float32)
        cells = (
            lagged[:-1, None].astype(np.float32)
            + np.diff(lagged)[:, None].astype(np.float32) * frac
        )
        return cells.ravel()[:n]
    return np.interp(np.arange(n) / rate_hz, grid, lagged).astype(np.float32)
