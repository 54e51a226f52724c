"""Model-backed SCPI twins of the bench instruments, served on loopback by :class:`ScpiServer`.

The drivers in :mod:`bench.instruments` talk to these exactly as to the hardware; only the
resource string differs. Each twin keeps the state the real instrument would and exposes it to
Python, so a board emulator can read what the bench set up (e.g. play the AWG's waveform into
the emulated front end) and feed back what the instruments measure (e.g. the chip's supply
current for its power state).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from bench.instruments.sim.scpi_server import DATA_OUT_OF_RANGE, ScpiCommandError, ScpiServer

NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
CHANNEL = r"\(@([1-3])\)"
BOOL = r"(0|1|ON|OFF)"
#: E36312A ratings per channel: (max voltage V, max current A)
SUPPLY_RATINGS = {1: (6.18, 5.15), 2: (25.75, 1.03), 3: (25.75, 1.03)}


def _bool(text: str) -> bool:
    return text.upper() in ("1", "ON")


@dataclass
class SupplyChannelState:
    voltage_v: float = 0.0
    current_limit_a: float = 0.1
    output_enabled: bool = False


class SupplyTwin(ScpiServer):
    """E36312A twin. ``load_current_a(channel)`` is the load's current draw in A (e.g. the
    emulated chip's current for its power state); ``MEAS:CURR?`` answers it, clamped to the
    channel's current limit, and 0 while the output is off."""

    idn = "Keysight Technologies,E36312A,TWIN0001,2.1.0-twin"

    def __init__(
        self,
        load_current_a: Callable[[int], float] = lambda channel: 0.0,
        *,
        port: int = 0,
        mute: bool = False,
    ) -> None:
        super().__init__(port=port, mute=mute)
        self.load_current_a = load_current_a
        self.channels = {n: SupplyChannelState() for n in (1, 2, 3)}
        self.route(rf"VOLT(?:AGE)?\s+{NUMBER}\s*,\s*{CHANNEL}", self._set_voltage)
        self.route(rf"VOLT(?:AGE)?\?\s*{CHANNEL}", lambda m: f"{self._ch(m, 1).voltage_v:g}")
        self.route(rf"CURR(?:ENT)?\s+{NUMBER}\s*,\s*{CHANNEL}", self._set_current)
        self.route(rf"CURR(?:ENT)?\?\s*{CHANNEL}", lambda m: f"{self._ch(m, 1).current_limit_a:g}")
        self.route(rf"OUTP(?:UT)?(?::STAT(?:E)?)?\s+{BOOL}\s*,\s*{CHANNEL}", self._set_output)
        self.route(rf"OUTP(?:UT)?(?::STAT(?:E)?)?\?\s*{CHANNEL}", self._get_output)
        self.route(
            rf"MEAS(?:URE)?(?::SCAL(?:AR)?)?:CURR(?:ENT)?(?::DC)?\?\s*{CHANNEL}", self._meas_i
        )
        self.route(
            rf"MEAS(?:URE)?(?::SCAL(?:AR)?)?:VOLT(?:AGE)?(?::DC)?\?\s*{CHANNEL}", self._meas_v
        )

    def reset(self) -> None:
        self.channels = {n: SupplyChannelState() for n in (1, 2, 3)}

    def _ch(self, match: re.Match[str], group: int) -> SupplyChannelState:
        return self.channels[int(match.group(group))]

    def _set_voltage(self, m: re.Match[str]) -> None:
        channel = int(m.group(2))
        value = float(m.group(1))
        if not 0.0 <= value <= SUPPLY_RATINGS[channel][0]:
            raise ScpiCommandError(DATA_OUT_OF_RANGE)
        self.channels[channel].voltage_v = value

    def _set_current(self, m: re.Match[str]) -> None:
        channel = int(m.group(2))
        value = float(m.group(1))
        if not 0.0 <= value <= SUPPLY_RATINGS[channel][1]:
            raise ScpiCommandError(DATA_OUT_OF_RANGE)
        self.channels[channel].current_limit_a = value

    def _set_output(self, m: re.Match[str]) -> None:
        self._ch(m, 2).output_enabled = _bool(m.group(1))

    def _get_output(self, m: re.Match[str]) -> str:
        return "1" if self._ch(m, 1).output_enabled else "0"

    def _meas_i(self, m: re.Match[str]) -> str:
        channel = int(m.group(1))
        state = self.channels[channel]
        if not state.output_enabled:
            return "0"
        return f"{min(float(self.load_current_a(channel)), state.current_limit_a):.9g}"

    def _meas_v(self, m: re.Match[str]) -> str:
        state = self._ch(m, 1)
        return f"{state.voltage_v if state.output_enabled else 0.0:.9g}"


@dataclass(frozen=True)
class ArbPlayback:
    """What the AWG twin would play: samples (-1..1) scaled to volts at ``sample_rate_hz``."""

    name: str
    samples: np.ndarray
    sample_rate_hz: float
    amplitude_vpp: float
    offset_v: float
    output_enabled: bool

    def voltage_v(self) -> np.ndarray:
        """Output voltage per sample in V (0 V while the output is off)."""
        if not self.output_enabled:
            return np.zeros_like(self.samples)
        return self.offset_v + self.samples * (self.amplitude_vpp / 2.0)


@dataclass
class AwgState:
    waveforms: dict[str, np.ndarray] = field(default_factory=dict)
    function: str = "SIN"
    arb_name: str | None = None
    sample_rate_hz: float = 40e3
    amplitude_vpp: float = 0.1
    offset_v: float = 0.0
    output_enabled: bool = False


class AwgTwin(ScpiServer):
    """33500B twin (channel 1): stores uploaded waveforms and the playback settings."""

    idn = "Agilent Technologies,33522B,TWIN0002,5.0-twin"

    def __init__(self, *, port: int = 0, mute: bool = False) -> None:
        super().__init__(port=port, mute=mute)
        self.state = AwgState()
        self.route(r"DATA:VOL(?:ATILE)?:CLE(?:AR)?", lambda m: self.state.waveforms.clear())
        self.route(r"DATA:ARB\s+([A-Za-z]\w{0,11})\s*,(.*)", self._data_arb)
        self.route(r"FUNC(?:TION)?\s+(\w+)", self._func)
        self.route(r"FUNC(?:TION)?\?", lambda m: self.state.function)
        self.route(r"FUNC(?:TION)?:ARB\s+(\w+)", self._func_arb)
        self.route(rf"FUNC(?:TION)?:ARB:SRAT(?:E)?\s+{NUMBER}", self._srat)
        self.route(r"FUNC(?:TION)?:ARB:SRAT(?:E)?\?", lambda m: f"{self.state.sample_rate_hz:.10g}")
        self.route(rf"VOLT(?:AGE)?\s+{NUMBER}", self._volt)
        self.route(r"VOLT(?:AGE)?\?", lambda m: f"{self.state.amplitude_vpp:.6g}")
        self.route(rf"VOLT(?:AGE)?:OFFS(?:ET)?\s+{NUMBER}", self._offs)
        self.route(r"VOLT(?:AGE)?:OFFS(?:ET)?\?", lambda m: f"{self.state.offset_v:.6g}")
        self.route(rf"OUTP(?:UT)?\s+{BOOL}", self._outp)
        self.route(r"OUTP(?:UT)?\?", lambda m: "1" if self.state.output_enabled else "0")

    def reset(self) -> None:
        self.state = AwgState()

    def _data_arb(self, m: re.Match[str]) -> None:
        values = np.array([float(v) for v in m.group(2).split(",")])
        if values.size < 8 or np.any(np.abs(values) > 1.0):
            raise ScpiCommandError(DATA_OUT_OF_RANGE)
        self.state.waveforms[m.group(1)] = values

    def _func(self, m: re.Match[str]) -> None:
        self.state.function = m.group(1).upper()[:3]

    def _func_arb(self, m: re.Match[str]) -> None:
        name = m.group(1)
        if name not in self.state.waveforms:
            raise ScpiCommandError('-224,"Illegal parameter value"')
        self.state.arb_name = name

    def _srat(self, m: re.Match[str]) -> None:
        self.state.sample_rate_hz = float(m.group(1))

    def _volt(self, m: re.Match[str]) -> None:
        self.state.amplitude_vpp = float(m.group(1))

    def _offs(self, m: re.Match[str]) -> None:
        self.state.offset_v = float(m.group(1))

    def _outp(self, m: re.Match[str]) -> None:
        self.state.output_enabled = _bool(m.group(1))

    def playback(self) -> ArbPlayback | None:
        """The selected arbitrary waveform and its settings, or ``None`` if no ARB is active."""
        with self._lock:
            s = self.state
            if s.function != "ARB" or s.arb_name is None:
                return None
            return ArbPlayback(
                s.arb_name,
                s.waveforms[s.arb_name].copy(),
                s.sample_rate_hz,
                s.amplitude_vpp,
                s.offset_v,
                s.output_enabled,
            )


class CounterTwin(ScpiServer):
    """53230A twin in timestamp mode: ``FETC?`` answers the first ``count`` timestamps (s) from
    ``timestamps_s`` (a sequence, or a callable returning one, called at ``INIT``)."""

    idn = "Keysight Technologies,53230A,TWIN0003,03.05-twin"

    def __init__(
        self,
        timestamps_s: Sequence[float] | Callable[[], Sequence[float]] = (),
        *,
        port: int = 0,
        mute: bool = False,
    ) -> None:
        super().__init__(port=port, mute=mute)
        self.timestamps_s = timestamps_s
        self.count = 1
        self.channel = 1
        self._acquired: list[float] | None = None
        self.route(r"CONF(?:IGURE)?:TST(?:AMP)?\s+(\d+)\s*,\s*\(@([12])\)", self._conf)
        self.route(r"INIT(?:IATE)?(?::IMM(?:EDIATE)?)?", self._init)
        self.route(r"ABOR(?:T)?", lambda m: None)
        self.route(r"FETC(?:H)?\?", self._fetch)

    def _conf(self, m: re.Match[str]) -> None:
        self.count = int(m.group(1))
        self.channel = int(m.group(2))
        self._acquired = None

    def _init(self, m: re.Match[str]) -> None:
        source = self.timestamps_s() if callable(self.timestamps_s) else self.timestamps_s
        self._acquired = [float(t) for t in list(source)[: self.count]]

    def _fetch(self, m: re.Match[str]) -> str:
        if self._acquired is None:
            raise ScpiCommandError('-230,"Data corrupt or stale"')
        return ",".join(f"{t:+.12e}" for t in self._acquired)


class DmmTwin(ScpiServer):
    """34465A twin: ``MEAS:CURR:DC?`` / ``MEAS:VOLT:DC?`` answer the given callables (A, V)."""

    idn = "Keysight Technologies,34465A,TWIN0004,A.03.01-twin"

    def __init__(
        self,
        dc_current_a: Callable[[], float] = lambda: 0.0,
        dc_voltage_v: Callable[[], float] = lambda: 0.0,
        *,
        port: int = 0,
        mute: bool = False,
    ) -> None:
        super().__init__(port=port, mute=mute)
        self.route(
            r"MEAS(?:URE)?:CURR(?:ENT)?:DC\?(?:\s+AUTO)?", lambda m: f"{dc_current_a():+.9e}"
        )
        self.route(
            r"MEAS(?:URE)?:VOLT(?:AGE)?:DC\?(?:\s+AUTO)?", lambda m: f"{dc_voltage_v():+.9e}"
        )
