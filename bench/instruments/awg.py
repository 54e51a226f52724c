"""Keysight 33500B waveform generator: arbitrary waveforms for the sensor front end (channel 1).

SCPI commands used:

==============================  ===========================================
``DATA:VOL:CLE``                clear the volatile waveform memory
``DATA:ARB <name>,<v>,<v>,...`` upload samples (-1..1) under ``name``
``FUNC ARB``                    arbitrary-waveform function
``FUNC:ARB <name>``             select the uploaded waveform
``FUNC:ARB:SRAT <Sa/s>``        sample rate
``VOLT <Vpp>``, ``VOLT?``       amplitude, Vpp
``VOLT:OFFS <V>``, ``VOLT:OFFS?``  offset, V
``OUTP <0|1>``, ``OUTP?``       output off / on
``*IDN?``, ``SYST:ERR?``        identification, error queue
==============================  ===========================================

Samples go as one ASCII ``DATA:ARB`` command (the instrument has no append, so a waveform cannot
be split over commands; pyvisa splits the transfer itself). Length is limited to
:data:`MAX_ARB_SAMPLES` to keep one upload under a few seconds.
"""

from __future__ import annotations

import re

import numpy as np

from bench.instruments.base import Instrument, control, in_range, in_set, to_bool

MIN_ARB_SAMPLES = 8
MAX_ARB_SAMPLES = 65_536
SAMPLE_RATE_RANGE_HZ = (1e-6, 160e6)
AMPLITUDE_RANGE_VPP = (1e-3, 10.0)  # into 50 Ω
OFFSET_RANGE_V = (-5.0, 5.0)
ARB_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,11}$")


class Keysight33500B(Instrument):
    """Keysight 33500B generator; ``upload_arb`` loads and selects an arbitrary waveform."""

    kind = "awg"

    sample_rate_hz = control(
        "FUNC:ARB:SRAT?",
        "FUNC:ARB:SRAT {value:.10g}",
        "Arbitrary-waveform sample rate in Sa/s (1 µSa/s to 160 MSa/s).",
        validator=in_range,
        values=SAMPLE_RATE_RANGE_HZ,
    )
    amplitude_vpp = control(
        "VOLT?",
        "VOLT {value:.6g}",
        "Amplitude in Vpp (1 mVpp to 10 Vpp; checked against max_awg_amplitude_vpp).",
        validator=in_range,
        values=AMPLITUDE_RANGE_VPP,
        limit="max_awg_amplitude_vpp",
    )
    offset_v = control(
        "VOLT:OFFS?",
        "VOLT:OFFS {value:.6g}",
        "DC offset in V (-5 V to 5 V; checked against max_awg_offset_v).",
        validator=in_range,
        values=OFFSET_RANGE_V,
        limit="max_awg_offset_v",
    )
    output_enabled = control(
        "OUTP?",
        "OUTP {value:d}",
        "Output state, True = on.",
        validator=in_set,
        values=(True, False),
        get_process=to_bool,
    )

    def upload_arb(
        self,
        name: str,
        samples: np.ndarray,
        sample_rate_hz: float,
        amplitude_vpp: float,
        offset_v: float = 0.0,
    ) -> None:
        """Upload ``samples`` (-1..1, 8..65 536 of them) as ``name``, select it and set its rate,
        amplitude and offset. Everything is validated before the first command is sent."""
        data = self._validated_samples(name, samples)
        checks = (
            ("sample_rate_hz", sample_rate_hz, SAMPLE_RATE_RANGE_HZ),
            ("amplitude_vpp", amplitude_vpp, AMPLITUDE_RANGE_VPP),
            ("offset_v", offset_v, OFFSET_RANGE_V),
        )
        for setting, value, values in checks:
            try:
                in_range(value, values)
            except ValueError as exc:
                raise ValueError(f"{self.name}: {setting} {exc}") from None
        self.check_limit("amplitude_vpp", amplitude_vpp, "max_awg_amplitude_vpp")
        self.check_limit("offset_v", offset_v, "max_awg_offset_v")
        self.write("DATA:VOL:CLE")
        self.write(f"DATA:ARB {name}," + ",".join(f"{x:.6g}" for x in data))
        self.write("FUNC ARB")
        self.write(f"FUNC:ARB {name}")
        self.sample_rate_hz = sample_rate_hz
        self.amplitude_vpp = amplitude_vpp
        self.offset_v = offset_v

    def _validated_samples(self, name: str, samples: np.ndarray) -> np.ndarray:
        if not ARB_NAME_RE.match(name):
            raise ValueError(
                f"{self.name}: arbitrary waveform name {name!r}; expected a letter followed by up "
                "to 11 letters, digits or underscores"
            )
        data = np.asarray(samples, dtype=float)
        if data.ndim != 1 or not MIN_ARB_SAMPLES <= data.size <= MAX_ARB_SAMPLES:
            raise ValueError(
                f"{self.name}: waveform {name!r} has shape {data.shape}; expected one dimension "
                f"of {MIN_ARB_SAMPLES} to {MAX_ARB_SAMPLES} samples"
            )
        bad = ~np.isfinite(data) | (np.abs(data) > 1.0)
        if bad.any():
            index = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{self.name}: waveform {name!r} sample {index} is {data[index]:g}; expected "
                f"-1 ≤ sample ≤ 1 ({int(bad.sum())} samples out of range, none clipped)"
            )
        return data

    def output(self, on: bool) -> None:
        """Switch the output on or off (``OUTP 1`` / ``OUTP 0``)."""
        self.output_enabled = bool(on)
