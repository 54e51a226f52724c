"""What happened to each record: times per hop, fate, counts. Filled by the processes of one run
(passed to them, never module state) and read by :class:`SystemResult`."""

from __future__ import annotations

from collections import Counter

import numpy as np

PENDING, DELIVERED, LOST, UNPOWERED = 0, 1, 2, 3


class Ledger:
    def __init__(self, records: np.ndarray):
        n = len(records)
        self.records = records
        self.t_decided = np.full(n, np.nan)
        self.t_phone = np.full(n, np.nan)
        self.t_cloud = np.full(n, np.nan)
        self.t_notify = np.full(n, np.nan)
        self.recipient = np.full(n, "", dtype="U10")
        self.ts_error_s = np.full(n, np.nan)
        self.sync_s = np.full(n, np.nan)  # the link sync the phone dates the record from
        self.fate = np.full(n, PENDING, dtype=np.int8)
        self.decided = np.zeros(n, dtype=bool)
        self.frames_lost_in_flight = 0  # brown-out while a frame was on air (record kept)
        self.tx_attempts = 0
        self.retransmissions = 0
        self.max_occupancy = 0
        self.lost_by_kind: Counter[str] = Counter()

    def unresolved(self) -> int:
        """Decided records not yet at their last hop (cloud, or the recipient)."""
        done = ~np.isnan(self.t_cloud) & ((self.recipient == "") | ~np.isnan(self.t_notify))
        return int(np.sum(self.decided & (self.fate != LOST) & ~done))
