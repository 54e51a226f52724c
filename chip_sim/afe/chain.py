"""The signal chain, chunk by chunk: filtering and decimation, then each sensor's path to codes.

Everything here works on one chunk of output samples at a time and keeps its state (filter
states, last delivered value) between chunks, so a day of data needs no day-long temporaries.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import butter, lfilter, lfilter_zi, sosfilt, sosfilt_zi
from scipy.special import ndtri

from chip_sim.afe.sensors import BiasTrack, StrainBridge

#: Order of the sensor-bandwidth low-pass (a 2nd-order Butterworth stands in for the sensor's own
#: digital filter).
SENSOR_FILTER_ORDER = 2


def design_filter(
    input_rate_hz: float,
    q: int,
    *,
    bandwidth_hz: float | None,
    anti_alias_order: int,
    anti_alias_fraction: float,
) -> np.ndarray | None:
    """Second-order sections at the input rate: the sensor's bandwidth (skipped where it is at or
    above the input Nyquist frequency — the input is band-limited already) followed, when
    decimating by ``q`` > 1, by a Butterworth anti-alias filter at ``anti_alias_fraction`` × the
    output rate. None when nothing filters."""
    parts = []
    if bandwidth_hz is not None and bandwidth_hz < 0.5 * input_rate_hz:
        parts.append(butter(SENSOR_FILTER_ORDER, bandwidth_hz, fs=input_rate_hz, output="sos"))
    if q > 1:
        cutoff_hz = anti_alias_fraction * input_rate_hz / q
        parts.append(butter(anti_alias_order, cutoff_hz, fs=input_rate_hz, output="sos"))
    return np.vstack(parts) if parts else None


def first_valid(x: np.ndarray, default: float) -> float:
    """The first non-NaN value of ``x`` (``default`` if there is none)."""
    if not math.isnan(x[0]):
        return float(x[0])
    ok = np.flatnonzero(~np.isnan(x))
    return float(x[ok[0]]) if len(ok) else default


class Decimator:
    """One column: causal IIR at the input rate, started in the steady state of the first value
    (the front end was running before the recording started), then every ``q``-th sample. A NaN
    input (nothing delivered) is held at the last delivered value through the filter, so it does
    not poison it, and marked again at the output."""

    def __init__(self, sos: np.ndarray | None, q: int, first: float, *, may_have_nan: bool):
        self.sos, self.q, self.last = sos, q, first
        self.may_have_nan = may_have_nan
        if sos is None:
            self.zi = None
        elif len(sos) == 1:  # one section: lfilter is the faster path for the same filter
            self.ba = (sos[0, :3], sos[0, 3:])
            self.zi = lfilter_zi(*self.ba) * first
        else:
            self.zi = sosfilt_zi(sos) * first

    def push(self, x: np.ndarray, out: np.ndarray) -> np.ndarray | None:
        """Write the filtered, decimated chunk ``x`` into ``out``; return where it had no data
        (None: everywhere delivered)."""
        mask = None
        if self.may_have_nan:
            bad = np.isnan(x)
            if bad.any():
                mask = bad[:: self.q]
                x = hold_last(x, bad, self.last)
            self.last = float(x[-1])
        if self.sos is None:
            pass
        elif len(self.sos) == 1:
            x, self.zi = lfilter(*self.ba, x, zi=self.zi)
        else:
            x, self.zi = sosfilt(self.sos, x, zi=self.zi)
        out[:] = x[:: self.q]
        return mask


def hold_last(x: np.ndarray, bad: np.ndarray, last: float) -> np.ndarray:
    """``x`` with each NaN replaced by the last good value before it (``last`` at the start)."""
    pos = np.where(bad, -1, np.arange(len(x)))
    np.maximum.accumulate(pos, out=pos)
    y = x[np.maximum(pos, 0)].astype(np.float64)
    y[pos < 0] = last
    return y


#: Equiprobable 16-bit quantiles of the standard normal distribution, scaled to unit variance.
_NORMAL_TABLE = ndtri((np.arange(1 << 16) + 0.5) / (1 << 16))
_NORMAL_TABLE /= np.sqrt(np.mean(_NORMAL_TABLE**2))


def white_noise(rng: np.random.Generator, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` with unit-variance Gaussian white noise from ``rng``.

    Drawn as one of 65536 equiprobable normal quantiles per sample (tails end at ±4.3σ): a
    quarter of the cost of ``Generator.standard_normal`` — the noise of a day of eight channels
    is most of the front end's time — and indistinguishable once quantised to codes."""
    u = rng.integers(0, 1 << 16, size=out.shape, dtype=np.uint16)
    return np.take(_NORMAL_TABLE, u, out=out, mode="wrap")


class LinearPath:
    """A digital sensor's axes in code units: code = rint(clip(x·scale + offset + bias + noise)).

    ``x`` is (axes, n) in the Rendering's unit; ``scale`` and ``offset`` are per axis (sensitivity
    error and offset included); ``noise_code`` is the white-noise rms in codes; ``clip_code`` the
    sensor's range in codes (its output pins there when it saturates)."""

    def __init__(
        self,
        *,
        scale: np.ndarray,
        offset_code: np.ndarray,
        noise_code: float,
        clip_code: float,
        bias: list[BiasTrack] | None = None,
    ):
        self.scale = np.asarray(scale, dtype=np.float64)[:, None]
        self.offset = np.asarray(offset_code, dtype=np.float64)[:, None]
        self.noise_code, self.clip_code, self.bias = noise_code, clip_code, bias

    def codes(self, y: np.ndarray, lo: int, rng: np.random.Generator, work: np.ndarray) -> None:
        """Turn ``y`` (axes, n), output samples from ``lo`` on, into codes in place."""
        y *= self.scale
        y += self.offset
        if self.bias is not None:
            for k, track in enumerate(self.bias):
                y[k] += track.slice(lo, lo + y.shape[1])
        if self.noise_code > 0:
            white_noise(rng, work)
            work *= self.noise_code
            y += work
        np.clip(y, -self.clip_code, self.clip_code, out=y)
        np.rint(y, out=y)


class StrainPath:
    """Bridge → PGA → ΣΔ ADC → the chip's fixed calibration to 0.1 µε codes (see
    :class:`~chip_sim.afe.sensors.StrainBridge`)."""

    def __init__(
        self,
        cfg: StrainBridge,
        *,
        pga_offset_uv: float,
        rate_hz: float,
        lsb_ue: float,
        full_scale_code: int,
    ):
        counts_per_v = cfg.pga_gain * cfg.adc_full_count / cfg.adc_vref_v
        self.counts_per_ue = cfg.uv_per_ue * 1e-6 * counts_per_v
        self.offset_counts = pga_offset_uv * 1e-6 * counts_per_v
        self.drift_counts_per_c = cfg.pga_drift_uv_per_c * 1e-6 * counts_per_v
        self.reference_temp_c = cfg.reference_temp_c
        self.noise_counts = cfg.pga_noise_nv_per_rthz * 1e-9 * math.sqrt(rate_hz / 2) * counts_per_v
        self.full = cfg.adc_full_count
        self.codes_per_count = cfg.adc_lsb_ue / lsb_ue
        self.full_scale_code = full_scale_code

    def codes(
        self, c: np.ndarray, temp_c: np.ndarray, rng: np.random.Generator, work: np.ndarray
    ) -> None:
        """Turn strain ``c`` (µε, 1-D) into codes in place; ``temp_c`` is the PGA's temperature."""
        c *= self.counts_per_ue
        c += self.offset_counts
        if self.drift_counts_per_c:
            np.subtract(temp_c, self.reference_temp_c, out=work)
            work *= self.drift_counts_per_c
            c += work
        if self.noise_counts > 0:
            white_noise(rng, work)
            work *= self.noise_counts
            c += work
        np.rint(c, out=c)  # ADC counts
        np.clip(c, -self.full, self.full - 1, out=c)
        rails = c.min() <= -self.full or c.max() >= self.full - 1
        high = c >= self.full - 1 if rails else None
        low = c <= -self.full if rails else None
        c *= self.codes_per_count  # the chip's fixed calibration
        np.rint(c, out=c)
        np.clip(c, -self.full_scale_code, self.full_scale_code, out=c)
        if rails:  # an ADC at its rail reads full scale, so the digital core sees the saturation
            c[high] = self.full_scale_code
            c[low] = -self.full_scale_code


def replay_codes(y: np.ndarray, lsb: float, full_scale_code: int) -> None:
    """Ideal quantiser in place: round(y / lsb), half to even, clipped to ± full scale."""
    y /= lsb
    np.rint(y, out=y)
    np.clip(y, -full_scale_code, full_scale_code, out=y)
