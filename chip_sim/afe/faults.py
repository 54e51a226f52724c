"""Front-end faults: what a failing bridge, sensor or supply does to the codes.

Unlike the scenario's sensor faults (``scenarios.faults``, already in the Rendering's signals),
these act inside the front end, each only within its interval ``[t_start_s, t_start_s +
duration_s)`` — rounded to output samples, at least one sample long:

- ``open`` — bridge or sensor open: no data, code −32768;
- ``short`` — code 0;
- ``stuck`` — the codes freeze at the last value before the interval;
- ``saturation`` — driven to the positive full-scale code of the channel;
- ``drift`` — an offset ramping linearly from 0 to ``magnitude`` (in the Rendering's unit of the
  channel: m/s², °/s, µε, °C) over the interval, added to the physical input, so it passes through
  the sensor's range clipping and quantisation; it clears at the end of the interval;
- ``emi_burst`` — broadband Gaussian noise of rms ``magnitude`` (same units) added to the physical
  input, clipped at full scale by the chain;
- ``brownout`` — the supply sags: every code of every channel freezes at its last value; the
  interval is reported in ``Codes.brownouts`` so the digital core can emit RESET (brown-out).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from chip_sim.afe.channels import (
    FULL_SCALE_CODE,
    GROUPS,
    LSB_INPUT,
    N_CHANNELS,
    NO_DATA,
    group_of,
)
from scenarios.faults import DRIFT_DEFAULT

KINDS = ("open", "short", "stuck", "saturation", "drift", "emi_burst", "brownout")
#: Faults added to the physical input (before the sensor model), the rest replace codes.
ADDITIVE = ("drift", "emi_burst")
#: Default EMI rms as a fraction of the channel's full scale (assumption: "large" = a quarter).
EMI_DEFAULT_FRACTION = 0.25


@dataclass(frozen=True)
class FrontEndFault:
    """One fault of the front end; ``channel`` is an ICD index 0–7 or a group name ("acc", "gyr",
    "strain", "temp"), and None for ``brownout``."""

    kind: str
    channel: int | str | None
    t_start_s: float
    duration_s: float
    magnitude: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"fault kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.kind == "brownout":
            if self.channel is not None:
                raise ValueError(
                    f"brownout channel {self.channel!r} must be None: a brownout hits all channels"
                )
        elif isinstance(self.channel, str):
            if self.channel not in GROUPS:
                raise ValueError(
                    f"fault channel {self.channel!r} is not one of {', '.join(GROUPS)} "
                    f"or an index 0..{N_CHANNELS - 1}"
                )
        elif (
            isinstance(self.channel, bool)
            or not isinstance(self.channel, int | np.integer)
            or not 0 <= self.channel < N_CHANNELS
        ):
            raise ValueError(
                f"fault channel {self.channel!r} is out of range; expected an index "
                f"0..{N_CHANNELS - 1} or one of {', '.join(GROUPS)}"
            )
        for name in ("t_start_s", "duration_s"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
                raise ValueError(f"fault {name} {v!r} is not a number")
        if not (math.isfinite(self.t_start_s) and self.t_start_s >= 0):
            raise ValueError(f"fault t_start_s {self.t_start_s!r} is out of range; expected ≥ 0 s")
        if not (math.isfinite(self.duration_s) and self.duration_s > 0):
            raise ValueError(
                f"fault duration_s {self.duration_s!r} is out of range; expected > 0 s"
            )
        m = self.magnitude
        if self.kind not in ADDITIVE:
            if m is not None:
                raise ValueError(
                    f"{self.kind} fault takes no magnitude, got {m!r}; only "
                    f"{' and '.join(ADDITIVE)} do"
                )
        elif m is not None and (
            isinstance(m, bool)
            or not isinstance(m, int | float | np.integer | np.floating)
            or not math.isfinite(m)
            or (self.kind == "emi_burst" and m <= 0)
        ):
            expected = "> 0" if self.kind == "emi_burst" else "a finite number"
            raise ValueError(f"{self.kind} magnitude {m!r} is out of range; expected {expected}")

    @property
    def channels(self) -> tuple[int, ...]:
        """The ICD channel indices the fault hits (all eight for a brownout)."""
        if self.channel is None:
            return tuple(range(N_CHANNELS))
        if isinstance(self.channel, str):
            return GROUPS[self.channel]
        return (int(self.channel),)

    def samples(self, rate_hz: float, n: int) -> tuple[int, int]:
        """The interval as output samples [i0, i1), clamped to 0..n; i0 == i1 == n if it starts
        after the end."""
        i0 = min(round(self.t_start_s * rate_hz), n)
        i1 = min(max(round((self.t_start_s + self.duration_s) * rate_hz), i0 + 1), n)
        return i0, i1

    def magnitude_for(self, channel: int) -> float:
        """The magnitude in the channel's Rendering unit, with the defaults filled in."""
        if self.magnitude is not None:
            return float(self.magnitude)
        if self.kind == "drift":
            return float(DRIFT_DEFAULT[group_of(channel)])
        if self.kind == "emi_burst":
            return EMI_DEFAULT_FRACTION * FULL_SCALE_CODE[channel] * LSB_INPUT[channel]
        raise ValueError(f"{self.kind} fault has no magnitude")


def from_scenario(scenario_faults) -> tuple[FrontEndFault, ...]:
    """The scenario faults the front end acts on. Each ``brownout`` becomes a front-end brownout.
    A ``stuck`` sensor repeats its last output register, so it becomes a front-end ``stuck`` (the
    held physical value in the Rendering would otherwise pick up the front end's noise again).
    The other channel faults (dropout, saturation, bias drift) are already in the signals."""
    out = []
    for f in scenario_faults:
        if f.kind == "brownout":
            out.append(FrontEndFault("brownout", None, float(f.t_start_s), float(f.duration_s)))
        elif f.kind == "stuck":
            out.append(FrontEndFault("stuck", f.channel, float(f.t_start_s), float(f.duration_s)))
    return tuple(out)


@dataclass(frozen=True)
class Additive:
    """A fault's contribution to one channel's physical input over output samples [i0, i1)."""

    channel: int
    i0: int
    i1: int
    values: np.ndarray

    def add_to(self, y: np.ndarray, lo: int, hi: int) -> None:
        """Add to ``y``, one channel's chunk covering output samples [lo, hi)."""
        a, b = max(lo, self.i0), min(hi, self.i1)
        if a < b:
            y[a - lo : b - lo] += self.values[a - self.i0 : b - self.i0]


def additive_terms(
    faults: tuple[FrontEndFault, ...], rate_hz: float, n: int, rng: np.random.Generator
) -> list[Additive]:
    """The drift ramps and EMI noise of ``faults``, drawn in fault order, channel order."""
    out = []
    for f in faults:
        if f.kind not in ADDITIVE:
            continue
        i0, i1 = f.samples(rate_hz, n)
        if i0 >= i1:
            continue
        for ch in f.channels:
            mag = f.magnitude_for(ch)
            if f.kind == "drift":
                values = mag * (np.arange(1, i1 - i0 + 1) / (i1 - i0))
            else:
                values = mag * rng.standard_normal(i1 - i0)
            out.append(Additive(ch, i0, i1, values))
    return out


def replace_codes(codes: np.ndarray, faults: tuple[FrontEndFault, ...], rate_hz: float) -> None:
    """Apply the code-replacing channel faults in the order given, in place."""
    n = len(codes)
    for f in faults:
        if f.kind in ADDITIVE or f.kind == "brownout":
            continue
        i0, i1 = f.samples(rate_hz, n)
        if i0 >= i1:
            continue
        for ch in f.channels:
            if f.kind == "open":
                codes[i0:i1, ch] = NO_DATA
            elif f.kind == "short":
                codes[i0:i1, ch] = 0
            elif f.kind == "saturation":
                codes[i0:i1, ch] = FULL_SCALE_CODE[ch]
            else:  # stuck
                codes[i0:i1, ch] = codes[max(i0 - 1, 0), ch]


def apply_brownouts(
    codes: np.ndarray, faults: tuple[FrontEndFault, ...], rate_hz: float
) -> tuple[tuple[int, int], ...]:
    """Freeze every channel during each brownout; return the merged (start, end) intervals."""
    n = len(codes)
    spans = sorted(f.samples(rate_hz, n) for f in faults if f.kind == "brownout")
    merged: list[list[int]] = []
    for i0, i1 in spans:
        if i0 >= i1:
            continue
        if merged and i0 <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], i1)
        else:
            merged.append([i0, i1])
    for i0, i1 in merged:
        codes[i0:i1] = codes[max(i0 - 1, 0)]
    return tuple((i0, i1) for i0, i1 in merged)
