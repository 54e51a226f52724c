"""The bench's VISA instrument layer: one driver class per instrument model.

Drivers run unchanged against hardware, a pyvisa-sim device file or a loopback SCPI twin
(:mod:`bench.instruments.sim`); the station file chooses the resource string and backend.
"""

from bench.instruments.awg import Keysight33500B
from bench.instruments.base import Instrument, control, in_range, in_set, measurement
from bench.instruments.counter import Keysight53230A
from bench.instruments.dmm import Keysight34465A
from bench.instruments.errors import (
    CalibrationExpiredError,
    InstrumentError,
    InstrumentTimeoutError,
    SafeShutdownError,
    SafetyLimitError,
)
from bench.instruments.safety import SafetyLimits, outputs_off_on_exit
from bench.instruments.supply import KeysightE36312A, SupplyChannel

__all__ = [
    "CalibrationExpiredError",
    "Instrument",
    "InstrumentError",
    "InstrumentTimeoutError",
    "Keysight33500B",
    "Keysight34465A",
    "Keysight53230A",
    "KeysightE36312A",
    "SafeShutdownError",
    "SafetyLimitError",
    "SafetyLimits",
    "SupplyChannel",
    "control",
    "in_range",
    "in_set",
    "measurement",
    "outputs_off_on_exit",
]
