"""The analog front end: a scenario Rendering's physical signals → the i16 codes of ICD section 1.

Per channel group, chunk by chunk::

    physical signal at the input rate
      → sensor bandwidth low-pass and, when decimating, the anti-alias filter (causal IIR)
      → every q-th sample (output rate)
      → + front-end drift / EMI faults (physical units)
      → sensor model (gain error, offset, bias wander, white noise, range) or the strain chain
        (bridge → PGA → ΣΔ ADC → fixed calibration), quantised to codes
    then NaN inputs → −32768, code-replacing faults, brownouts.

``FrontEndConfig.ideal()`` is the replay front end for recorded real data: scaling and rounding
only (no noise, offset, gain error or sensor filter; the anti-alias filter only when decimating).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from chip_sim.afe.chain import (
    Decimator,
    LinearPath,
    StrainPath,
    design_filter,
    first_valid,
    replay_codes,
)
from chip_sim.afe.channels import (
    FULL_SCALE_CODE,
    GROUPS,
    LSB_INPUT,
    MAX_RATE_HZ,
    MIN_RATE_HZ,
    N_CHANNELS,
    NO_DATA,
    Codes,
)
from chip_sim.afe.faults import (
    FrontEndFault,
    additive_terms,
    apply_brownouts,
    from_scenario,
    replace_codes,
)
from chip_sim.afe.sensors import (
    Accelerometer,
    BiasTrack,
    Device,
    Gyroscope,
    StrainBridge,
    TemperatureSensor,
)
from scenarios.physiology import G_MPS2

if TYPE_CHECKING:
    from scenarios.generator import Rendering

#: Output samples per processing chunk (bounds the temporaries, keeps them in cache).
CHUNK_SAMPLES = 1 << 16


@dataclass(frozen=True, kw_only=True)
class FrontEndConfig:
    """What is wired: the four sensor models and the anti-alias filter.

    The anti-alias filter is a Butterworth of ``anti_alias_order`` with its cut-off at
    ``anti_alias_fraction`` × the output rate: the defaults (4th order at 0.35 × 100 Hz = 35 Hz)
    attenuate 70 Hz (aliasing to 30 Hz) by 24 dB and pass 2 Hz within 0.001 dB.
    ``replay=True`` makes the ideal front end for recorded data (see :meth:`ideal`).
    """

    accelerometer: Accelerometer = field(default_factory=Accelerometer)
    gyroscope: Gyroscope = field(default_factory=Gyroscope)
    strain: StrainBridge = field(default_factory=StrainBridge)
    temperature: TemperatureSensor = field(default_factory=TemperatureSensor)
    anti_alias_order: int = 4
    anti_alias_fraction: float = 0.35
    replay: bool = False

    def __post_init__(self) -> None:
        for name, kind in (
            ("accelerometer", Accelerometer),
            ("gyroscope", Gyroscope),
            ("strain", StrainBridge),
            ("temperature", TemperatureSensor),
        ):
            if not isinstance(getattr(self, name), kind):
                raise TypeError(f"{name} {getattr(self, name)!r} is not a {kind.__name__}")
        order = self.anti_alias_order
        if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= 10:
            raise ValueError(f"anti_alias_order {order!r} is out of range; expected 1..10")
        frac = self.anti_alias_fraction
        if not (isinstance(frac, int | float) and 0 < frac < 0.5):
            raise ValueError(f"anti_alias_fraction {frac!r} is out of range; expected (0, 0.5)")
        if not isinstance(self.replay, bool):
            raise ValueError(f"replay {self.replay!r} must be True or False")

    @classmethod
    def ideal(cls) -> FrontEndConfig:
        """The replay front end: code = round(physical / LSB) (half to even), clipped to full
        scale, NaN → −32768 — no noise, offset, gain error or sensor bandwidth; when the input rate
        is above the output rate, only the anti-alias filter and decimation. For replaying
        recorded real data, which already carries its sensor's imperfections."""
        return cls(replay=True)


class FrontEnd:
    """The analog front end of the chip; :meth:`digitise` turns a Rendering into codes."""

    def __init__(self, *, config: FrontEndConfig | None = None) -> None:
        config = FrontEndConfig() if config is None else config
        if not isinstance(config, FrontEndConfig):
            raise TypeError(f"config {config!r} is not a FrontEndConfig")
        self._config = config

    @property
    def config(self) -> FrontEndConfig:
        return self._config

    def digitise(
        self,
        r: Rendering,
        *,
        rng: np.random.Generator,
        rate_hz: int = 100,
        faults: tuple[FrontEndFault, ...] = (),
        device: Device | None = None,
    ) -> Codes:
        """Codes (N, 8) int16 at ``rate_hz`` for the Rendering ``r`` (a scenarios Rendering or
        anything with its ``rate_hz`` and signal arrays).

        ``rate_hz`` must equal or divide ``r.rate_hz`` and lie in the ICD's 50..1600 Hz;
        N = ceil(len / q) for q = r.rate_hz / rate_hz. ``device`` fixes the per-device errors; by
        default it is drawn from ``rng`` (see :meth:`Device.draw`); the replay front end uses the
        nominal ``Device()``. The scenario's own brownouts (``r.scenario.faults``) join
        ``faults``.
        """
        cfg = self._config
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        q = _decimation(float(r.rate_hz), rate_hz)
        rate_hz = int(rate_hz)
        n_in = _check_rendering(r)
        faults = tuple(faults)
        for f in faults:
            if not isinstance(f, FrontEndFault):
                raise TypeError(f"fault {f!r} is not a FrontEndFault")
        scenario = getattr(r, "scenario", None)
        faults += from_scenario(getattr(scenario, "faults", ()))
        if device is not None and not isinstance(device, Device):
            raise TypeError(f"device {device!r} is not a Device")
        # Fixed draw order, whatever the arguments: the device (drawn even when one is given, so
        # the noise never depends on it), a seed for the fault noise (so adding a fault changes
        # nothing outside its interval), the bias wander, then the white noise chunk by chunk.
        drawn = Device.draw(
            rng,
            accelerometer=cfg.accelerometer,
            gyroscope=cfg.gyroscope,
            strain=cfg.strain,
            temperature=cfg.temperature,
        )
        if device is None:
            device = Device() if cfg.replay else drawn
        fault_rng = np.random.default_rng(int(rng.integers(0, 2**63 - 1)))
        n = -(-n_in // q)
        paths = _paths(cfg, device, rate_hz, n, rng)
        adds = additive_terms(faults, rate_hz, n, fault_rng)
        codes = np.empty((n, N_CHANNELS), dtype=np.int16)
        run = _Run(cfg, r, q, paths, adds)
        for lo in range(0, n, CHUNK_SAMPLES):
            run.chunk(lo, min(lo + CHUNK_SAMPLES, n), codes, rng)
        replace_codes(codes, faults, rate_hz)
        brownouts = apply_brownouts(codes, faults, rate_hz)
        return Codes(codes=codes, rate_hz=rate_hz, brownouts=brownouts)


def _decimation(input_rate_hz: float, rate_hz) -> int:
    if isinstance(rate_hz, bool) or not isinstance(rate_hz, int | float | np.integer | np.floating):
        raise ValueError(
            f"rate_hz {rate_hz!r} is not a number; expected {MIN_RATE_HZ}..{MAX_RATE_HZ}"
        )
    if not (MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ and float(rate_hz).is_integer()):
        raise ValueError(
            f"rate_hz {rate_hz!r} is out of range; expected an integer "
            f"{MIN_RATE_HZ}..{MAX_RATE_HZ} Hz (ICD section 1)"
        )
    factor = input_rate_hz / rate_hz
    if factor < 1 - 1e-9 or abs(factor - round(factor)) > 1e-9:
        raise ValueError(
            f"output rate_hz {rate_hz:g} must equal or divide the input rate {input_rate_hz:g} Hz "
            f"(the factor is {factor:g}, expected a whole number ≥ 1)"
        )
    return round(factor)


def _check_rendering(r) -> int:
    n = len(r.temp_c)
    if n == 0:
        raise ValueError("the rendering has no samples; expected at least one")
    for name, shape in (
        ("acc_mps2", (n, 3)),
        ("gyr_dps", (n, 3)),
        ("strain_ue", (n,)),
        ("temp_c", (n,)),
    ):
        got = np.shape(getattr(r, name))
        if got != shape:
            raise ValueError(f"rendering {name} has shape {got}; expected {shape}")
    if not (math.isfinite(r.rate_hz) and r.rate_hz > 0):
        raise ValueError(f"rendering rate_hz {r.rate_hz!r} is out of range; expected > 0")
    return n


def _paths(cfg: FrontEndConfig, device: Device, rate_hz: int, n: int, rng: np.random.Generator):
    if cfg.replay:
        return {}
    band = math.sqrt(rate_hz / 2)
    acc, gyr, tmp = cfg.accelerometer, cfg.gyroscope, cfg.temperature
    lsb_acc_g, lsb_gyr = LSB_INPUT[0] / G_MPS2, LSB_INPUT[3]  # one code in g and in °/s

    def tracks(sigma_code: float, tau_s: float):
        if sigma_code <= 0:
            return None
        return [BiasTrack(sigma_code, tau_s, n, rate_hz, rng) for _ in range(3)]

    return {
        "acc": LinearPath(
            scale=np.array(device.acc_gain) / LSB_INPUT[0],
            offset_code=np.array(device.acc_offset_g) / lsb_acc_g,
            noise_code=acc.noise_ug_per_rthz * 1e-6 * band / lsb_acc_g,
            clip_code=min(acc.range_g / lsb_acc_g, FULL_SCALE_CODE[0]),
            bias=tracks(acc.bias_instability_ug * 1e-6 / lsb_acc_g, acc.bias_tau_s),
        ),
        "gyr": LinearPath(
            scale=np.array(device.gyr_gain) / lsb_gyr,
            offset_code=np.array(device.gyr_offset_dps) / lsb_gyr,
            noise_code=gyr.noise_mdps_per_rthz * 1e-3 * band / lsb_gyr,
            clip_code=min(gyr.range_dps / lsb_gyr, FULL_SCALE_CODE[3]),
            bias=tracks(gyr.bias_instability_dps / lsb_gyr, gyr.bias_tau_s),
        ),
        "strain": StrainPath(
            cfg.strain,
            pga_offset_uv=device.pga_offset_uv,
            rate_hz=rate_hz,
            lsb_ue=LSB_INPUT[6],
            full_scale_code=FULL_SCALE_CODE[6],
        ),
        "temp": LinearPath(
            scale=np.array([1.0 / LSB_INPUT[7]]),
            offset_code=np.array([device.temp_offset_c / LSB_INPUT[7]]),
            noise_code=tmp.noise_c_rms / LSB_INPUT[7],
            clip_code=FULL_SCALE_CODE[7],
        ),
    }


#: Processing order within a chunk: temperature first, the PGA offset drift needs it.
ORDER = ("temp", "acc", "gyr", "strain")


class _Run:
    """The state of one digitise call: filters, paths, fault terms and reused buffers."""

    def __init__(self, cfg: FrontEndConfig, r, q: int, paths: dict, adds: list):
        self.cfg, self.q, self.paths, self.adds = cfg, q, paths, adds
        self.inputs = {
            "acc": r.acc_mps2,
            "gyr": r.gyr_dps,
            "strain": r.strain_ue[:, None],
            "temp": r.temp_c[:, None],
        }
        bandwidth = {
            "acc": cfg.accelerometer.bandwidth_hz,
            "gyr": cfg.gyroscope.bandwidth_hz,
            "strain": cfg.strain.bandwidth_hz,
            "temp": cfg.temperature.bandwidth_hz,
        }
        self.decimators = {}
        for name, x in self.inputs.items():
            sos = design_filter(
                float(r.rate_hz),
                q,
                bandwidth_hz=None if cfg.replay else bandwidth[name],
                anti_alias_order=cfg.anti_alias_order,
                anti_alias_fraction=cfg.anti_alias_fraction,
            )
            default = cfg.strain.reference_temp_c if name == "temp" else 0.0
            has_nan = _nan_columns(x)
            self.decimators[name] = [
                Decimator(sos, q, first_valid(x[:, k], default), may_have_nan=has_nan[k])
                for k in range(x.shape[1])
            ]
        # Flat buffers, viewed as contiguous (axes, n) for every chunk length.
        self.buf = {name: np.empty(len(GROUPS[name]) * CHUNK_SAMPLES) for name in ORDER}
        self.work = {name: np.empty(len(GROUPS[name]) * CHUNK_SAMPLES) for name in ORDER}
        self.temp_c = np.empty(CHUNK_SAMPLES)

    def chunk(self, lo: int, hi: int, codes: np.ndarray, rng: np.random.Generator) -> None:
        """Codes of output samples [lo, hi) into ``codes``."""
        m = hi - lo
        for name in ORDER:
            chans = GROUPS[name]
            k_n = len(chans)
            raw = self.inputs[name][lo * self.q : hi * self.q]
            y = self.buf[name][: k_n * m].reshape(k_n, m)
            work = self.work[name][: k_n * m].reshape(k_n, m)
            masks = [d.push(raw[:, k], y[k]) for k, d in enumerate(self.decimators[name])]
            if name == "temp":
                temp_c = self.temp_c[:m]
                temp_c[:] = y[0]  # the physical temperature, before any fault on the sensor
            for a in self.adds:
                if a.channel in chans:
                    a.add_to(y[chans.index(a.channel)], lo, hi)
            if self.cfg.replay:
                for k, ch in enumerate(chans):
                    replay_codes(y[k], LSB_INPUT[ch], FULL_SCALE_CODE[ch])
            elif name == "strain":
                self.paths[name].codes(y[0], temp_c, rng, work[0])
            else:
                self.paths[name].codes(y, lo, rng, work)
            for k, ch in enumerate(chans):
                codes[lo:hi, ch] = y[k]
                if masks[k] is not None:
                    codes[lo:hi, ch][masks[k]] = NO_DATA


def _nan_columns(x: np.ndarray) -> list[bool]:
    """Which columns of ``x`` hold a NaN (one fast reduction when none does)."""
    if not np.isnan(np.max(x)):
        return [False] * x.shape[1]
    return [bool(np.isnan(x[:, k]).any()) for k in range(x.shape[1])]
