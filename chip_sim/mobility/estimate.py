"""Biomarkers of one recorded walking bout, from the chip's step times and the bout's IMU window.

Methods (docs/biomarkers.md):

- *steps*: the chip's WALK_END count.
- *strides* of the instrumented leg: from mid-swing to mid-swing, the largest sagittal angular
  rate of each gait cycle (the gyroscope turned into the segment frame by the implant's mounting,
  known from the post-operative X-ray); *stride time* their median interval; *cadence* 120 /
  stride time (two steps per stride; a missed or extra step decision does not disturb it). A
  trunk sensor sees no leg swing: there stride time and cadence come from the step decisions.
- *legs*: in a stride holding exactly two chip steps, the first is the instrumented leg's heel
  strike (it ends the swing), the second the other leg's; other strides label none.
- *segment range of motion* (tibia for shank implants, femur for thigh implants): the sagittal
  rate integrated over each stride, the integration drift removed as a linear trend (a stride
  starts and ends in the same pose), max - min; the bout's figure is the median over strides.
- *knee range of motion*: not observable from one segment; estimated from the segment's range of
  motion by a linear model calibrated on a separate calibration set (``calibration.yaml``).
- *stride length*: a calibrated model, c0 + c1 · ROM + (c2 + c3 · ROM) · stride time (ROM in
  rad): speed grows with the segment's excursion, stride length is speed times stride time. No
  leg-length term: the scenario generator's walking speed does not depend on the patient's height
  (a simplification of the synthetic population; a calibration on patients would add one);
  *speed* = stride length / stride time; *distance* = steps / 2 · stride length.
- *symmetry index*: SI = (R - L) / (0.5 (R + L)) · 100 on the legs' median step times (a leg's
  step ends at its own heel strike; ../shared/DOMAIN.md).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

import numpy as np
import yaml
from scipy.signal import find_peaks

from chip_sim.mobility.recording import Bout
from scenarios.kinematics import mount_matrix
from scenarios.sites import SITES

BOUT_DTYPE = np.dtype(
    [
        ("start_s", "f8"),
        ("end_s", "f8"),
        ("steps", "i4"),
        ("cadence_spm", "f8"),
        ("stride_time_s", "f8"),
        ("stride_length_m", "f8"),
        ("speed_mps", "f8"),
        ("distance_m", "f8"),
        ("segment_rom_deg", "f8"),
        ("knee_rom_deg", "f8"),
        ("symmetry_index_pct", "f8"),
    ]
)
MIN_SWING_DPS = 20.0  # below this the bout shows no swing (assumption: slowest crutch gait ≈ 60)
SWING_FRACTION = 0.5  # a mid-swing peak reaches at least half the bout's 99th percentile
MIN_STRIDE_S = 0.5  # strides are longer than 0.5 s (jogging at 180 steps/min: 0.67 s)
CALIBRATION = Path(__file__).with_name("calibration.yaml")


@dataclass(frozen=True)
class Calibration:
    """Per segment ("shank", "thigh"): stride length (m) = stride[0] + stride[1] · ROM (rad)
    + stride[2] · stride time (s) + stride[3] · ROM (rad) · stride time (s); knee ROM (deg) =
    knee[0] + knee[1] · segment ROM (deg)."""

    stride: dict[str, tuple[float, float, float, float]]
    knee: dict[str, tuple[float, float]]
    seated_thigh_pitch_deg: tuple[float, float] = (-90.0, 0.0)  # deg: a + b · height (m)
    source: str = ""


@cache
def calibration() -> Calibration:
    """The stored calibration (``python -m chip_sim.mobility.calibrate`` writes it)."""
    data = yaml.safe_load(CALIBRATION.read_text())
    return Calibration(
        stride={k: tuple(v) for k, v in data["stride"].items()},
        knee={k: tuple(v) for k, v in data["knee"].items()},
        seated_thigh_pitch_deg=tuple(data["seated_thigh_pitch_deg"]),
        source=str(data.get("calibration_set", "")),
    )


def swing_peaks(rate_dps: np.ndarray, rate_hz: float) -> np.ndarray:
    """Sample indices of the instrumented segment's mid-swing: the largest sagittal angular rate
    of each stride (one per gait cycle of that leg, the classic shank-gyroscope gait event). The
    swing's sign depends on the segment and the mounting: the direction with the higher peaks."""
    best = np.zeros(0, dtype=int)
    best_height = 0.0
    for sign in (1.0, -1.0):
        x = sign * rate_dps
        top = float(np.nanpercentile(x, 99)) if len(x) else 0.0
        if top <= MIN_SWING_DPS:
            continue
        peaks, props = find_peaks(
            np.nan_to_num(x), height=SWING_FRACTION * top, distance=int(MIN_STRIDE_S * rate_hz)
        )
        height = float(np.median(props["peak_heights"])) if len(peaks) else 0.0
        if height > best_height:
            best, best_height = peaks, height
    return best


def label_steps(step_t_s: np.ndarray, strides_s: np.ndarray) -> np.ndarray:
    """Per chip step: +1 the instrumented leg's heel strike, -1 the other leg's, 0 unknown. In each
    stride (mid-swing to mid-swing of the instrumented leg) that holds exactly two steps, the
    first is the instrumented leg's (its heel strike ends the swing), the second the other's; a
    stride with a missed or an extra step labels none."""
    labels = np.zeros(len(step_t_s), dtype=int)
    for a, b in pairwise(strides_s):
        inside = np.flatnonzero((step_t_s > a) & (step_t_s <= b))
        if len(inside) == 2:
            labels[inside] = (1, -1)
    return labels


def sagittal_rate_dps(bout: Bout, sensor_orientation_deg: tuple[float, float, float]) -> np.ndarray:
    """Angular rate about the medio-lateral axis of the segment (deg/s)."""
    mount = mount_matrix(*sensor_orientation_deg)
    return (bout.gyr_dps @ mount.T)[:, 1]


def stride_roms_deg(rate_dps: np.ndarray, t0_s: float, rate_hz: float, strikes_s) -> np.ndarray:
    """Range of the integrated sagittal angle over each stride between consecutive ``strikes_s``,
    after removing the linear drift of the integration."""
    out = []
    for a, b in itertools.pairwise(strikes_s):
        i, j = round((a - t0_s) * rate_hz), round((b - t0_s) * rate_hz)
        if i < 0 or j >= len(rate_dps) or j - i < 4:
            continue
        w = rate_dps[i : j + 1]
        angle = np.concatenate(([0.0], np.cumsum(0.5 * (w[1:] + w[:-1])) / rate_hz))
        angle -= np.linspace(0.0, angle[-1], len(angle))
        out.append(float(angle.max() - angle.min()))
    return np.array(out)


def step_time_si_pct(t_s: np.ndarray, labels: np.ndarray, side: str) -> float:
    """SI on the legs' median step times. ``labels``: +1 the instrumented leg's heel strike, -1
    the other leg's, 0 unknown; a step time counts only between two known, alternating strikes
    (a leg's step ends at its own heel strike)."""
    dt = np.diff(t_s)
    prev, cur = labels[:-1], labels[1:]
    own_steps = dt[(cur == 1) & (prev == -1)]
    other_steps = dt[(cur == -1) & (prev == 1)]
    if not len(own_steps) or not len(other_steps):
        return float("nan")
    own, other = float(np.median(own_steps)), float(np.median(other_steps))
    right, left = (own, other) if side == "right" else (other, own)
    return (right - left) / (0.5 * (right + left)) * 100.0


def bout_biomarkers(
    bout: Bout,
    *,
    implant_site: str,
    instrumented_side: str,
    sensor_orientation_deg: tuple[float, float, float] = (0.0, 0.0, 0.0),
    cal: Calibration | None = None,
) -> np.void:
    """One BOUT_DTYPE row for ``bout``."""
    cal = cal or calibration()
    segment = SITES[implant_site].segment
    t = bout.step_t_s
    row = np.zeros((), dtype=BOUT_DTYPE)
    row["start_s"], row["end_s"], row["steps"] = t[0], t[-1], bout.steps
    rate = sagittal_rate_dps(bout, sensor_orientation_deg)
    swings = swing_peaks(rate, bout.rate_hz)
    strides_s = bout.window_t0_s + swings / bout.rate_hz
    stride_s = float(np.median(np.diff(strides_s))) if len(swings) > 1 else np.nan
    # Two steps per stride of one leg: cadence from the gyroscope's strides, which a missed or
    # an extra step decision does not disturb. A trunk sensor has no leg swing to see (its rate
    # shows turns, not strides): there the cadence comes from the step decisions.
    if segment == "trunk":
        stride_s = 2.0 * (t[-1] - t[0]) / (len(t) - 1) if len(t) > 1 else np.nan
        strides_s = np.zeros(0)
    row["cadence_spm"] = 120.0 / stride_s
    roms = stride_roms_deg(rate, bout.window_t0_s, bout.rate_hz, strides_s)
    rom = float(np.median(roms)) if len(roms) else np.nan
    row["segment_rom_deg"] = rom
    if segment in cal.stride:
        c0, c1, c2, c3 = cal.stride[segment]
        k0, k1 = cal.knee[segment]
        rom_rad = np.deg2rad(rom)
        length = c0 + c1 * rom_rad + (c2 + c3 * rom_rad) * stride_s
        row["knee_rom_deg"] = k0 + k1 * rom
    else:  # a trunk sensor sees neither leg's segment
        length = np.nan
        row["knee_rom_deg"] = np.nan
    row["stride_time_s"] = stride_s
    row["stride_length_m"] = length
    row["speed_mps"] = length / stride_s
    row["distance_m"] = bout.steps / 2.0 * length
    row["symmetry_index_pct"] = step_time_si_pct(t, label_steps(t, strides_s), instrumented_side)
    return row
