"""What happened to each record: times per hop, fate, counts. Filled by the processes of one run
(passed to them, never module state) and read by :class:`SystemResult`."""

from __future__ import annotations

from collections import Counter

import numpy as np

PENDING, DELIVERED, LOST, UNPOWERED = 0, 1, 2, 3


#: Per-record arrays: (fill value, dtype).
_COLUMNS = {
    "t_decided": (np.nan, float),
    "t_phone": (np.nan, float),
    "t_cloud": (np.nan, float),
    "t_notify": (np.nan, float),
    "recipient": ("", "U10"),
    "ts_error_s": (np.nan, float),
    "sync_s": (np.nan, float),  # the link sync the phone dates the record from
    "fate": (PENDING, np.int8),
    "decided": (False, bool),
}


class Ledger:
    def __init__(self, records: np.ndarray):
        self.records = records
        for name, (fill, dtype) in _COLUMNS.items():
            setattr(self, name, np.full(len(records), fill, dtype=dtype))
        self.frames_lost_in_flight = 0  # brown-out while a frame was on air (record kept)
        self.tx_attempts = 0
        self.retransmissions = 0
        self.max_occupancy = 0
        self.lost_by_kind: Counter[str] = Counter()

    def resize(self, n: int) -> None:
        """Room for ``n`` records, in place (the real-time mode learns its records as they
        arrive): the first ones kept, new ones empty, their arrays at their initial values."""
        keep = min(n, len(self.records))
        records = np.zeros(n, dtype=self.records.dtype)
        records[:keep] = self.records[:keep]
        self.records = records
        for name, (fill, dtype) in _COLUMNS.items():
            column = np.full(n, fill, dtype=dtype)
            column[:keep] = getattr(self, name)[:keep]
            setattr(self, name, column)

    def unresolved(self) -> int:
        """Decided records not yet at their last hop (cloud, or the recipient)."""
        done = ~np.isnan(self.t_cloud) & ((self.recipient == "") | ~np.isnan(self.t_notify))
        return int(np.sum(self.decided & (self.fate != LOST) & ~done))
