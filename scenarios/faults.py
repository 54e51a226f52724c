"""Sensor and system faults injected into rendered signals, and recorded as truth.

Channel faults change what the sensor delivers (the physical truth, such as ``load_n``, stays):
``dropout`` — the sensor delivers nothing (NaN); ``stuck`` — it repeats the value it had at the
fault's start; ``saturation`` — the quantity is driven beyond the sensor's range (an EMI burst or a
shock), ``magnitude`` in the channel's unit; ``bias_drift`` — an offset growing linearly to
``magnitude`` over the fault and staying. System faults (``brownout``, ``link_gap``) leave the
signals alone: the chip and the link models act on them.
"""

from __future__ import annotations

import numpy as np

from scenarios.model import Fault

#: Defaults beyond the ICD full scale (16 g, 2000 °/s, 3276.7 µε, 255 °C) for saturation, and a
#: plausible drift per channel (assumption).
SATURATION_DEFAULT = {"acc": 20 * 9.80665, "gyr": 2500.0, "strain": 4000.0, "temp": 300.0}
DRIFT_DEFAULT = {"acc": 0.5, "gyr": 20.0, "strain": 200.0, "temp": 1.0}
CHANNEL_INDEX = {"acc": 0, "gyr": 3, "strain": 6, "temp": 7}  # first ICD channel of the group


def apply_faults(signals: dict[str, np.ndarray], faults: tuple[Fault, ...], rate_hz: float) -> None:
    """Modify ``signals`` (keys acc, gyr, strain, temp) in place."""
    for f in faults:
        if f.channel is None:
            continue
        x = signals[f.channel]
        i0 = min(round(f.t_start_s * rate_hz), len(x) - 1)
        i1 = min(round((f.t_start_s + f.duration_s) * rate_hz), len(x))
        if f.kind == "dropout":
            x[i0:i1] = np.nan
        elif f.kind == "stuck":
            x[i0:i1] = x[i0]
        elif f.kind == "saturation":
            mag = f.magnitude if f.magnitude is not None else SATURATION_DEFAULT[f.channel]
            x[i0:i1] = np.where(x[i0:i1] < 0, -abs(mag), abs(mag))
        elif f.kind == "bias_drift":
            mag = f.magnitude if f.magnitude is not None else DRIFT_DEFAULT[f.channel]
            ramp = np.clip((np.arange(i0, len(x)) - i0) / max(i1 - i0, 1), 0.0, 1.0) * mag
            x[i0:] += ramp if x.ndim == 1 else ramp[:, None]


def fault_truth(faults: tuple[Fault, ...]) -> list[tuple[float, str, float]]:
    """Truth events for faults: value = first ICD channel of the group, or −1 for system faults."""
    out = []
    for f in faults:
        ch = float(CHANNEL_INDEX[f.channel]) if f.channel else -1.0
        out.append((f.t_start_s, f"{f.kind}_start", ch))
        out.append((f.t_start_s + f.duration_s, f"{f.kind}_end", ch))
    return out
