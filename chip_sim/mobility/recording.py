"""What the implant records for mobility: its walking bouts (the chip's STEP events between a
WALK_START and its WALK_END) and, for each bout of at least ``min_steps`` steps, a sampled window
of the IMU codes (accelerometer and gyroscope) from just before its first step to its end, at most
``WINDOW_MAX_S`` long — the firmware's policy (docs/decisions.md "Biomarkers"): the chip's
1024-sample ring buffer (the FALL detector's) gives the pre-trigger, so the window starts before
the bout is qualified."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chip_sim.afe import to_physical
from chip_sim.icd import EventCode

WINDOW_MAX_S = 60.0  # assumption: one minute of IMU data per bout is kept for the biomarkers
PRE_S = 0.5  # window start before the first step (inside the 10 s ring buffer)
MIN_STEPS = 7  # issue 7: only bouts of >= 7 steps are recorded
ACC, GYR = slice(0, 3), slice(3, 6)


@dataclass(frozen=True)
class Bout:
    """One recorded walking bout: its steps (chip decision times, s) and its IMU window."""

    step_t_s: np.ndarray
    steps: int  # the WALK_END's count (the chip's own)
    window_t0_s: float  # time of the window's first sample
    acc_mg: np.ndarray  # (n, 3), sensor frame
    gyr_dps: np.ndarray  # (n, 3), sensor frame
    rate_hz: float

    @property
    def start_s(self) -> float:
        return float(self.step_t_s[0])

    @property
    def end_s(self) -> float:
        return float(self.step_t_s[-1])


def bouts_of(
    events: np.ndarray, codes: np.ndarray, rate_hz: float, *, min_steps: int = MIN_STEPS
) -> list[Bout]:
    """The recorded bouts of a run: chip ``events`` (EVENT_DTYPE of the core) and the ICD
    ``codes`` (N, 8) the core sampled."""
    step_i = events["stream_index"][events["code"] == int(EventCode.STEP)]
    ends = events[events["code"] == int(EventCode.WALK_END)]
    out: list[Bout] = []
    prev_end = -1
    for e in ends:
        end_i, n_steps = int(e["stream_index"]), int(e["value"])
        mine = step_i[(step_i > prev_end) & (step_i <= end_i)]
        prev_end = end_i
        if n_steps < min_steps or len(mine) < min_steps:
            continue
        mine = mine[-n_steps:]  # the bout's own steps (isolated steps before it are not its own)
        w0 = max(0, int(mine[0] - PRE_S * rate_hz))
        w1 = min(len(codes), int(mine[-1] + 0.5 * rate_hz) + 1, w0 + int(WINDOW_MAX_S * rate_hz))
        window = codes[w0:w1]
        out.append(
            Bout(
                step_t_s=mine[mine < w1] / rate_hz,
                steps=n_steps,
                window_t0_s=w0 / rate_hz,
                acc_mg=to_physical(window, ACC),
                gyr_dps=to_physical(window, GYR),
                rate_hz=rate_hz,
            )
        )
    return out
