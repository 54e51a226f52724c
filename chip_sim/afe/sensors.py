"""Sensor models: what each physical quantity becomes before the chip's codes.

Each model is a frozen, keyword-only configuration with datasheet defaults (source beside each
constant). Per-device imperfections (offsets, sensitivity errors) are drawn once per device into a
:class:`Device`; time-varying ones (white noise, bias instability) are drawn while digitising. All
draws come from the ``numpy.random.Generator`` the caller passes in.

Conventions: a "typ" datasheet figure from Bosch is one standard deviation of the production
spread (Bosch Sensortec community, BMI270 zero-rate offset thread), so it is drawn as a normal
``*_sigma``; a "max" figure is drawn uniformly within ``±*_max``. White noise is added at the output
rate with the datasheet density over the output band, rms = density × √(rate/2); the datasheet
density is measured behind the sensor's own filter, so the in-band density is what a user measures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter


def _check(name: str, value: float, lo: float, hi: float = math.inf, *, lo_open: bool = False):
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and (value > lo if lo_open else value >= lo) and value <= hi
    if not ok:
        bracket = "(" if lo_open else "["
        raise ValueError(f"{name} {value!r} is out of range; expected {bracket}{lo:g}, {hi:g}]")


def _check_bandwidth(bandwidth_hz: float | None) -> None:
    if bandwidth_hz is not None:
        _check("bandwidth_hz", bandwidth_hz, 0.0, lo_open=True)


@dataclass(frozen=True, kw_only=True)
class Accelerometer:
    """3-axis MEMS accelerometer, defaults of the Bosch BMI270 (datasheet BST-BMI270-DS000)."""

    range_g: float = 16.0  # BMI270 ±16 g range = ICD full scale (gait studies use ±16 g, DOMAIN)
    noise_ug_per_rthz: float = 160.0  # BMI270 noise density 160 µg/√Hz (DOMAIN)
    offset_sigma_mg: float = 20.0  # BMI270 zero-g offset ±20 mg typ (1σ)
    sensitivity_sigma: float = 0.005  # assumption: 0.5 % (1σ), consumer-MEMS sensitivity tolerance
    bias_instability_ug: float = 40.0  # assumption: Gauss-Markov 1σ; BMI270 states none
    bias_tau_s: float = 100.0  # assumption: correlation time of the bias wander
    bandwidth_hz: float | None = 40.0  # BMI270 normal filter mode ≈ 0.4 × ODR (ODR 100 Hz)

    def __post_init__(self) -> None:
        _check("range_g", self.range_g, 0.0, 16.0, lo_open=True)
        _check("noise_ug_per_rthz", self.noise_ug_per_rthz, 0.0)
        _check("offset_sigma_mg", self.offset_sigma_mg, 0.0)
        _check("sensitivity_sigma", self.sensitivity_sigma, 0.0, 0.2)
        _check("bias_instability_ug", self.bias_instability_ug, 0.0)
        _check("bias_tau_s", self.bias_tau_s, 0.0, lo_open=True)
        _check_bandwidth(self.bandwidth_hz)


@dataclass(frozen=True, kw_only=True)
class Gyroscope:
    """3-axis MEMS gyroscope, defaults of the Bosch BMI270 (datasheet BST-BMI270-DS000)."""

    range_dps: float = 2000.0  # BMI270 ±2000 °/s range = ICD full scale
    noise_mdps_per_rthz: float = 7.0  # BMI270 performance mode < 7 mdps/√Hz (DOMAIN)
    offset_sigma_dps: float = 0.5  # BMI270 zero-rate offset ±0.5 °/s typ (1σ)
    sensitivity_sigma: float = 0.01  # assumption: 1 % (1σ) without the BMI270's CRT trim
    bias_instability_dps: float = 0.003  # assumption: ≈ 10 °/h Gauss-Markov 1σ; BMI270 states none
    bias_tau_s: float = 100.0  # assumption
    bandwidth_hz: float | None = 40.0  # BMI270 normal filter mode ≈ 0.4 × ODR (ODR 100 Hz)

    def __post_init__(self) -> None:
        _check("range_dps", self.range_dps, 0.0, 2000.0, lo_open=True)
        _check("noise_mdps_per_rthz", self.noise_mdps_per_rthz, 0.0)
        _check("offset_sigma_dps", self.offset_sigma_dps, 0.0)
        _check("sensitivity_sigma", self.sensitivity_sigma, 0.0, 0.2)
        _check("bias_instability_dps", self.bias_instability_dps, 0.0)
        _check("bias_tau_s", self.bias_tau_s, 0.0, lo_open=True)
        _check_bandwidth(self.bandwidth_hz)


@dataclass(frozen=True, kw_only=True)
class StrainBridge:
    """Full strain-gauge bridge → PGA / instrumentation amplifier → ΣΔ ADC → fixed calibration.

    Bridge output V = GF · ε · V_exc (four active arms), so 1 µε ≈ 6 µV at 3 V (DOMAIN). The PGA
    adds its input-referred offset (per device, uniform in ±``pga_offset_max_uv``), an offset drift
    ``pga_drift_uv_per_c`` × (T − ``reference_temp_c``) with T the channel's temperature signal,
    and white input noise. The ADC reads ±``adc_vref_v`` in 2^``adc_bits`` counts (bipolar,
    two's complement); the chip converts counts to 0.1 µε codes with the nominal chain. An ADC at
    its rail reports the ICD full-scale code, so the digital core sees the saturation.
    """

    gauge_factor: float = 2.0  # metal-foil gauges, GF ≈ 2 (DOMAIN: 1 µε ≈ 6 µV at 3 V)
    excitation_v: float = 3.0  # DOMAIN
    pga_gain: float = 128.0  # DOMAIN: PGA gain ~128
    pga_offset_max_uv: float = 25.0  # TI INA333: 25 µV max at G ≥ 100
    pga_noise_nv_per_rthz: float = 50.0  # TI INA333: 50 nV/√Hz at G ≥ 100
    pga_drift_uv_per_c: float = 0.1  # TI INA333: 0.1 µV/°C at G ≥ 100
    reference_temp_c: float = 25.0  # temperature of the datasheet offset figure
    adc_bits: int = 24  # DOMAIN: 24-bit ΣΔ ADC
    adc_vref_v: float = 2.5
    bandwidth_hz: float | None = None  # the ΣΔ decimation filter is the anti-alias filter

    def __post_init__(self) -> None:
        _check("gauge_factor", self.gauge_factor, 0.0, 10.0, lo_open=True)
        _check("excitation_v", self.excitation_v, 0.0, 10.0, lo_open=True)
        _check("pga_gain", self.pga_gain, 1.0, 1000.0)
        _check("pga_offset_max_uv", self.pga_offset_max_uv, 0.0, 10_000.0)
        _check("pga_noise_nv_per_rthz", self.pga_noise_nv_per_rthz, 0.0)
        _check("pga_drift_uv_per_c", self.pga_drift_uv_per_c, -100.0, 100.0)
        _check("reference_temp_c", self.reference_temp_c, -55.0, 150.0)
        if isinstance(self.adc_bits, bool) or not isinstance(self.adc_bits, int | np.integer):
            raise ValueError(f"adc_bits {self.adc_bits!r} is not an integer; expected 8..32")
        _check("adc_bits", self.adc_bits, 8, 32)
        _check("adc_vref_v", self.adc_vref_v, 0.0, 5.0, lo_open=True)
        _check_bandwidth(self.bandwidth_hz)

    @property
    def uv_per_ue(self) -> float:
        """Bridge output per microstrain, µV (6.0 at GF 2 and 3 V)."""
        return self.gauge_factor * self.excitation_v

    @property
    def adc_full_count(self) -> int:
        """2^(bits−1): the ADC reads −full .. full−1 counts over −Vref .. +Vref."""
        return 1 << (self.adc_bits - 1)

    @property
    def adc_lsb_ue(self) -> float:
        """One ADC count referred to the bridge, in µε."""
        return self.adc_vref_v / self.adc_full_count / self.pga_gain / (self.uv_per_ue * 1e-6)

    @property
    def full_scale_ue(self) -> float:
        """Strain at which the ADC saturates, µε (≈ 3255 µε with the defaults)."""
        return self.adc_lsb_ue * self.adc_full_count

    def noise_ue_rms(self, rate_hz: float) -> float:
        """Input-noise rms in µε over the output band 0 .. rate/2, before code quantisation."""
        return self.pga_noise_nv_per_rthz * 1e-3 * math.sqrt(rate_hz / 2) / self.uv_per_ue


@dataclass(frozen=True, kw_only=True)
class TemperatureSensor:
    """Implant temperature sensor. The thermal lag (τ ≈ 263 s, DOMAIN) is already in the
    Rendering's ``temp_c``; the sensor adds its per-device error, uniform in ±``accuracy_c``, and
    the 1/128 °C quantisation of the ICD code."""

    accuracy_c: float = 0.24  # implant temperature sensors ±0.24 °C (DOMAIN)
    noise_c_rms: float = 0.0  # white noise; not stated by the source, off by default
    bandwidth_hz: float | None = None

    def __post_init__(self) -> None:
        _check("accuracy_c", self.accuracy_c, 0.0, 10.0)
        _check("noise_c_rms", self.noise_c_rms, 0.0, 10.0)
        _check_bandwidth(self.bandwidth_hz)


def _triple(values: tuple[float, ...], name: str) -> tuple[float, float, float]:
    out = tuple(float(v) for v in values)
    if len(out) != 3 or not all(math.isfinite(v) for v in out):
        raise ValueError(f"{name} {values!r} must be three finite numbers (x, y, z)")
    return out  # type: ignore[return-value]


@dataclass(frozen=True, kw_only=True)
class Device:
    """One manufactured front end: the per-device errors, fixed for its lifetime.

    Gains are multiplicative (1.0 = nominal sensitivity); offsets in the sensor's unit.
    """

    acc_gain: tuple[float, float, float] = (1.0, 1.0, 1.0)
    acc_offset_g: tuple[float, float, float] = (0.0, 0.0, 0.0)
    gyr_gain: tuple[float, float, float] = (1.0, 1.0, 1.0)
    gyr_offset_dps: tuple[float, float, float] = (0.0, 0.0, 0.0)
    pga_offset_uv: float = 0.0
    temp_offset_c: float = 0.0

    def __post_init__(self) -> None:
        for name in ("acc_gain", "acc_offset_g", "gyr_gain", "gyr_offset_dps"):
            object.__setattr__(self, name, _triple(getattr(self, name), name))
        _check("pga_offset_uv", self.pga_offset_uv, -1e6, 1e6)
        _check("temp_offset_c", self.temp_offset_c, -50.0, 50.0)

    @classmethod
    def draw(
        cls,
        rng: np.random.Generator,
        *,
        accelerometer: Accelerometer | None = None,
        gyroscope: Gyroscope | None = None,
        strain: StrainBridge | None = None,
        temperature: TemperatureSensor | None = None,
    ) -> Device:
        """A device drawn from the production spread of the given models (14 draws, fixed
        order: acc gain ×3, acc offset ×3, gyr gain ×3, gyr offset ×3, PGA offset, temp offset)."""
        acc = accelerometer or Accelerometer()
        gyr = gyroscope or Gyroscope()
        sg = strain or StrainBridge()
        tmp = temperature or TemperatureSensor()
        z = rng.standard_normal(12)
        u = rng.uniform(-1.0, 1.0, 2)
        return cls(
            acc_gain=tuple(1.0 + acc.sensitivity_sigma * z[0:3]),
            acc_offset_g=tuple(1e-3 * acc.offset_sigma_mg * z[3:6]),
            gyr_gain=tuple(1.0 + gyr.sensitivity_sigma * z[6:9]),
            gyr_offset_dps=tuple(gyr.offset_sigma_dps * z[9:12]),
            pga_offset_uv=float(sg.pga_offset_max_uv * u[0]),
            temp_offset_c=float(tmp.accuracy_c * u[1]),
        )


class BiasTrack:
    """First-order Gauss-Markov bias (stationary 1σ ``sigma``, correlation time ``tau_s``) for
    ``n`` samples at ``rate_hz``. It is drawn on a grid of at most τ/20 and held between grid
    points: a step changes it by ≈ σ·√(2·step/τ) ≤ 0.32 σ, far below one code for the defaults."""

    def __init__(
        self, sigma: float, tau_s: float, n: int, rate_hz: float, rng: np.random.Generator
    ):
        self.step = max(1, min(int(tau_s / 20 * rate_hz), 1 << 14))
        cells = -(-n // self.step) + 1
        a = math.exp(-self.step / (rate_hz * tau_s))
        w = rng.standard_normal(cells)
        w[0] /= math.sqrt(1 - a * a)  # start in the stationary distribution
        self.values = sigma * lfilter([math.sqrt(1 - a * a)], [1.0, -a], w)

    def slice(self, lo: int, hi: int) -> np.ndarray:
        c0, c1 = lo // self.step, (hi - 1) // self.step + 1
        held = np.repeat(self.values[c0:c1], self.step)
        return held[lo - c0 * self.step : hi - c0 * self.step]
