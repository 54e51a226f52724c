"""Events as CSV: one line per event — sample_index, t_s, event, value — for `run --events-out`
and `replay --out` alike."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from chip_sim.icd import EventCode

COLUMNS = ("sample_index", "t_s", "event", "value")


def events_csv_text(events: np.ndarray, rate_hz: float) -> str:
    """``t_s`` is the sample clock since power-on (stream index / rate); ``sample_index`` is the
    chip's own, which restarts after a reset."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for e in events:
        w.writerow(
            (
                int(e["sample_index"]),
                f"{e['stream_index'] / rate_hz:.3f}",
                EventCode(int(e["code"])).name,
                int(e["value"]),
            )
        )
    return buf.getvalue()


def write_events_csv(path: str | Path, events: np.ndarray, rate_hz: float) -> Path:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(events_csv_text(events, rate_hz), encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
