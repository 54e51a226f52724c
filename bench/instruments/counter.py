"""Keysight 53230A universal counter, time-stamping edges of the board's event line.

The 53230A's *timestamp* measurement (programming guide: ``CONFigure:TSTamp``, a 53230A-only
function) records the time of each input edge, gap-free, relative to the first one; ``FETCh?``
returns the readings as comma-separated seconds. We use the form ``CONF:TST <count>,(@<ch>)``
(count = number of edges to record, channel 1 or 2) as in the bench brief; check the exact
parameter order against the programming guide of the firmware on the bench before first use.

SCPI commands used:

==============================  ===========================================
``CONF:TST <count>,(@<ch>)``    timestamp mode, ``count`` edges on channel ``ch``
``INIT``                        start the acquisition (waits for the edges)
``ABOR``                        stop an acquisition
``FETC?``                       the timestamps, comma-separated seconds
``*IDN?``, ``SYST:ERR?``        identification, error queue
==============================  ===========================================
"""

from __future__ import annotations

import numpy as np

from bench.instruments.base import Instrument, in_range, in_set, to_floats
from bench.instruments.errors import InstrumentError

COUNTER_CHANNELS = (1, 2)
MAX_TIMESTAMPS = 1_000_000  # reading memory of the 53230A


class Keysight53230A(Instrument):
    """Keysight 53230A counter in timestamp mode."""

    kind = "counter"

    def configure_timestamps(self, count: int, channel: int = 1) -> None:
        """Record ``count`` edges (1..1 000 000) on ``channel`` (1 or 2) at the next ``start``."""
        if isinstance(count, bool) or not isinstance(count, int):
            raise ValueError(f"{self.name}: timestamp count {count!r} is not an integer")
        try:
            in_range(count, (1, MAX_TIMESTAMPS))
            in_set(channel, COUNTER_CHANNELS)
        except ValueError as exc:
            raise ValueError(f"{self.name}: {exc}") from None
        self.write(f"CONF:TST {count},(@{channel})")

    def start(self) -> None:
        """Start the acquisition (``INIT``)."""
        self.write("INIT")

    def abort(self) -> None:
        """Stop an acquisition (``ABOR``)."""
        self.write("ABOR")

    def fetch_timestamps_s(self) -> np.ndarray:
        """The recorded edge times in s (``FETC?``), as a float array."""
        answer = self.ask("FETC?")
        try:
            return np.asarray(to_floats(answer), dtype=float)
        except ValueError:
            raise self._bad_answer("FETC?", answer) from None

    def _bad_answer(self, command: str, answer: str) -> InstrumentError:
        shown = answer if len(answer) <= 60 else answer[:57] + "..."
        return InstrumentError(f"{self.name}: answer {shown!r} to {command!r} is not numeric")
