"""What the core emits: events and STATUS records, in a canonical order.

Within one sample several events can be decided; both implementations sort by
(stream index, ORDER rank, value) so that their outputs compare exactly.
"""

from __future__ import annotations

import numpy as np

from chip_sim.icd import EventCode

EVENT_DTYPE = np.dtype(
    [
        ("stream_index", "i8"),  # position in the input code stream (across resets)
        ("sample_index", "i8"),  # ICD sample_index: since the last reset
        ("code", "u1"),
        ("value", "i8"),
    ]
)
STATUS_DTYPE = np.dtype(
    [
        ("stream_index", "i8"),
        ("sample_index", "i8"),
        ("step_count", "i8"),
        ("fault_flags", "i8"),
        ("events_dropped", "i8"),
    ]
)

ORDER = [
    EventCode.RESET,
    EventCode.FAULT_SATURATION,
    EventCode.FAULT_STUCK,
    EventCode.FAULT_DROPOUT,
    EventCode.WALK_END,
    EventCode.STEP,
    EventCode.WALK_START,
    EventCode.FALL,
    EventCode.OVERLOAD_END,
    EventCode.OVERLOAD_START,
    EventCode.TEMP_HIGH,
]
RANK = np.zeros(256, dtype=np.int64)
for _rank, _code in enumerate(ORDER):
    RANK[int(_code)] = _rank


def canonical(events: list[tuple[int, int, int, int]] | np.ndarray) -> np.ndarray:
    arr = np.array(events, dtype=EVENT_DTYPE) if not isinstance(events, np.ndarray) else events
    if len(arr) == 0:
        return np.zeros(0, dtype=EVENT_DTYPE)
    order = np.lexsort((arr["value"], RANK[arr["code"]], arr["stream_index"]))
    return arr[order]


def run_epochs(run_epoch, codes: np.ndarray, cfg, brownouts: tuple[tuple[int, int], ...] = ()):
    """Split a stream at its brown-outs: the chip is off during each and restarts after it (RESET
    reason 1). ``run_epoch`` is either implementation's; events come back in canonical order."""
    events, status = [], []
    start, reason = 0, 0
    for b0, b1 in sorted(brownouts):
        e, s = run_epoch(codes[start:b0], cfg, offset=start, reset_reason=reason)
        events += e
        status += s
        start, reason = b1, 1
    e, s = run_epoch(codes[start:], cfg, offset=start, reset_reason=reason)
    return canonical(events + e), np.array(status + s, dtype=STATUS_DTYPE)


def live_registers(events: np.ndarray, n_samples: int, brownouts=()) -> dict[str, int]:
    """The read-only state registers after a run of ``n_samples`` samples (``events`` in
    canonical order): they belong to the last epoch — its steps and the samples taken since its
    reset. The golden core drops no event."""
    resets = np.flatnonzero(events["code"] == int(EventCode.RESET))
    epoch = events[resets[-1] :] if len(resets) else events
    steps = epoch[epoch["code"] == int(EventCode.STEP)]
    return {
        "STEP_COUNT": int(steps["value"][-1]) if len(steps) else 0,
        "EVENTS_DROPPED": 0,
        "SAMPLE_INDEX": n_samples - max([0] + [int(b1) for _, b1 in brownouts]),
    }
