"""The eight sensor channels of ICD section 1, as the front end sees them, and its result.

Names, LSBs, full scales and the no-data code come from the one source of truth,
:mod:`chip_sim.icd` (``chip_sim/spec/icd.yaml``): ACC_X/Y/Z 1 mg (±16000), GYR_X/Y/Z 0.1 °/s
(±20000), LOAD 0.1 µε (±32767), TEMP 1/128 °C (±32640). Code −32768 (:data:`NO_DATA`) means "the
sensor delivered nothing" and is never the result of clipping.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chip_sim.icd import CHANNELS, NO_DATA_CODE
from scenarios.physiology import G_MPS2

CHANNEL_NAMES = tuple(c.name for c in CHANNELS)
N_CHANNELS = len(CHANNELS)
#: Channel groups by the names the scenario layer uses for its signals.
GROUPS: dict[str, tuple[int, ...]] = {
    "acc": (0, 1, 2),
    "gyr": (3, 4, 5),
    "strain": (6,),
    "temp": (7,),
}
NO_DATA = NO_DATA_CODE
#: Full-scale code per channel; codes clip to ± this value.
FULL_SCALE_CODE = tuple(c.full_scale_code for c in CHANNELS)
#: One code in the ICD unit of each channel (``ICD_UNITS``: mg, deg/s, microstrain, degC).
LSB_ICD = tuple(c.lsb for c in CHANNELS)
ICD_UNITS = tuple(c.unit for c in CHANNELS)
#: The Rendering's unit per ICD unit: m/s², °/s, µε, °C.
_TO_INPUT_UNIT = {"mg": 1e-3 * G_MPS2, "deg/s": 1.0, "microstrain": 1.0, "degC": 1.0}
INPUT_UNITS = ("m/s²", "m/s²", "m/s²", "°/s", "°/s", "°/s", "µε", "°C")


def to_physical(codes: np.ndarray, channels: slice = slice(None)) -> np.ndarray:
    """ICD codes (..., 8) — or the ``channels`` slice of them — in ICD units (:data:`ICD_UNITS`)
    as float64; NaN where the sensor delivered no data."""
    sub = codes[..., channels]
    out = sub * np.asarray(LSB_ICD[channels])
    out[sub == NO_DATA] = np.nan
    return out


#: One code in the unit of the scenario Rendering's signal.
LSB_INPUT = tuple(c.lsb * _TO_INPUT_UNIT[c.unit] for c in CHANNELS)
#: The ICD's range of chip sample rates (register-configurable).
MIN_RATE_HZ, MAX_RATE_HZ = 50, 1600


def group_of(channel: int) -> str:
    """The group name ("acc", "gyr", "strain", "temp") of an ICD channel index."""
    for name, members in GROUPS.items():
        if channel in members:
            return name
    raise ValueError(f"channel {channel!r} is out of range; expected 0..{N_CHANNELS - 1}")


@dataclass(frozen=True, eq=False)
class Codes:
    """What the front end hands to the digital core.

    ``codes`` is (N, 8) int16 in ICD channel order at ``rate_hz``; ``brownouts`` lists the
    (start_sample, end_sample) intervals, end exclusive, during which the supply browned out and
    every code froze — the digital core reports each with a RESET, reason brown-out.
    """

    codes: np.ndarray
    rate_hz: int
    brownouts: tuple[tuple[int, int], ...] = ()

    @property
    def n(self) -> int:
        return len(self.codes)

    @property
    def duration_s(self) -> float:
        return self.n / self.rate_hz

    @property
    def t_s(self) -> np.ndarray:
        return np.arange(self.n) / self.rate_hz

    def physical(self) -> np.ndarray:
        """The codes in ICD units (:data:`ICD_UNITS`) as float64 (N, 8); NaN where no data."""
        return to_physical(self.codes)
