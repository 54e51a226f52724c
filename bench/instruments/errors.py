"""Exceptions of the instrument layer; each message names the instrument (its station name)."""

from __future__ import annotations

from bench.errors import BenchError


class InstrumentError(BenchError):
    """An instrument reported an error or could not be reached; names the instrument."""


class InstrumentTimeoutError(InstrumentError):
    """An instrument did not answer in time; names the instrument and the command."""


class CalibrationExpiredError(InstrumentError):
    """An instrument's calibration is overdue; names the instrument and the due date."""


class SafetyLimitError(InstrumentError):
    """A setpoint exceeds the station's safety limit; nothing was sent to the instrument."""


class SafeShutdownError(InstrumentError):
    """Switching supply outputs off failed; names every supply that did not confirm."""
