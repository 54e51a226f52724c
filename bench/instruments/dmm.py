"""Keysight 34465A Truevolt digital multimeter (DC current and DC voltage, autoranged).

SCPI commands used:

==========================  ===========================================
``MEAS:CURR:DC? AUTO``      one autoranged DC current reading, A
``MEAS:VOLT:DC? AUTO``      one autoranged DC voltage reading, V
``*IDN?``, ``SYST:ERR?``    identification, error queue
==========================  ===========================================

``MEASure?`` configures, triggers and reads in one query; it suits single readings at the bench's
pace (a few per second). Faster series would use ``CONF`` / ``SAMP:COUN`` / ``READ?``.
"""

from __future__ import annotations

from bench.instruments.base import Instrument, measurement


class Keysight34465A(Instrument):
    """Keysight 34465A DMM."""

    kind = "dmm"

    dc_current_a = measurement("MEAS:CURR:DC? AUTO", "One autoranged DC current reading in A.")
    dc_voltage_v = measurement("MEAS:VOLT:DC? AUTO", "One autoranged DC voltage reading in V.")

    def measure_dc_current(self) -> float:
        """One autoranged DC current reading in A."""
        return self.dc_current_a

    def measure_dc_voltage(self) -> float:
        """One autoranged DC voltage reading in V."""
        return self.dc_voltage_v
