"""One timeline for the DUT's sample clock and the host's clock, and event latency on it.

The chip counts samples; the host stamps every frame it receives on ``time.monotonic()``. STATUS
frames carry the chip's sample index at the end of their sample, so their receipt times fit

    t_host − t_tx = offset + (1 + drift) · sample_index / rate_hz

where ``t_tx`` is the frame's own time on the wire (its bytes at the UART's byte time): the
remaining delay (queueing behind other frames, the host's read latency) is never negative, so the
least-delayed STATUS frames mark the line — the line is refitted on the least-delayed third of the
frames and shifted down to the lower envelope of the residuals. The alignment residual is the
RMS of the residuals about that line.

An event's latency is its frame's host receipt time minus the true onset of what it reports
(``/truth/events`` of the scenario, stimulus time = sample time of the DUT), mapped to the host
clock: physical onset → decision → frame on the wire → host, all on one clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.duts.protocol import ReceivedFrame
from chip_sim.icd import EventCode, EventPayload, FrameType, StatusPayload

BYTE_S = 10 / 115_200  # one 8N1 byte at the ICD's default baud
FRAME_OVERHEAD_BYTES = 7  # SYNC0 SYNC1 TYPE SEQ LEN + CRC

#: which truth event marks the onset of what an event code reports, and how long before the
#: decision it may lie (a step is decided ~30 ms after heel strike, a fall ~1.5 s after impact)
ONSETS: dict[EventCode, tuple[str, float]] = {
    EventCode.STEP: ("heel_strike", 0.6),
    EventCode.FALL: ("fall_impact", 5.0),
    EventCode.OVERLOAD_START: ("overload_start", 2.0),
    EventCode.OVERLOAD_END: ("overload_end", 2.0),
    EventCode.FAULT_DROPOUT: ("dropout_start", 5.0),
    EventCode.FAULT_STUCK: ("stuck_start", 30.0),
    EventCode.FAULT_SATURATION: ("saturation_start", 10.0),
}


class AlignmentError(ValueError):
    """Too few STATUS frames to align the clocks."""


@dataclass(frozen=True)
class Alignment:
    offset_s: float  # host time of the DUT's sample time 0
    drift: float  # host seconds per DUT second, minus 1
    residual_s: float  # RMS of the STATUS residuals about the line
    n_status: int

    def host_time(self, dut_time_s: float | np.ndarray) -> float | np.ndarray:
        return self.offset_s + (1.0 + self.drift) * np.asarray(dut_time_s)

    @property
    def drift_ppm(self) -> float:
        return self.drift * 1e6


def wire_time_s(frame_payload_bytes: int) -> float:
    return (frame_payload_bytes + FRAME_OVERHEAD_BYTES) * BYTE_S


def fit_alignment(frames: list[ReceivedFrame], rate_hz: float) -> Alignment:
    """Fit the DUT sample clock to the host clock from the STATUS frames of one epoch (frames
    after the first RESET that follows a STATUS are ignored: the sample index restarted)."""
    xs, ys = [], []
    for rf in frames:
        f = rf.frame
        restarted = f.frame_type == FrameType.EVENT and xs
        if restarted and EventPayload.decode(f.payload).code == EventCode.RESET:
            break
        if f.frame_type != FrameType.STATUS:
            continue
        s = StatusPayload.decode(f.payload)
        xs.append(s.sample_index / rate_hz)
        ys.append(rf.t_host_s - wire_time_s(len(f.payload)))
    if len(xs) < 3:
        raise AlignmentError(f"{len(xs)} STATUS frames; at least 3 are needed to align clocks")
    x, y = np.asarray(xs), np.asarray(ys)
    # Queueing delays are one-sided, so a plain least-squares line leans towards the delayed
    # frames: refit on the least-delayed third a few times, then shift to the lower envelope.
    keep = np.ones(len(x), dtype=bool)
    for _ in range(4):
        slope, intercept = np.polyfit(x[keep], y[keep], 1)
        resid = y - (intercept + slope * x)
        keep = resid <= np.percentile(resid, 33)
        if keep.sum() < 3:
            break
    intercept += resid.min()  # the least-delayed frame marks the line
    resid -= resid.min()
    return Alignment(
        float(intercept), float(slope - 1.0), float(np.sqrt(np.mean(resid**2))), len(x)
    )


@dataclass(frozen=True)
class EventLatency:
    code: EventCode
    sample_index: int
    onset_s: float  # stimulus time of the true onset
    latency_s: float  # host receipt − onset, on the host clock


def event_latencies(
    frames: list[ReceivedFrame], truth_events: np.ndarray, rate_hz: float, alignment: Alignment
) -> list[EventLatency]:
    """Each EVENT frame of a code in ONSETS matched to the latest unused truth onset of its kind
    that lies before its decision (within the kind's window)."""
    used: set[tuple[str, int]] = set()
    out = []
    kinds = truth_events["kind"].astype(str)
    times = truth_events["t_s"].astype(float)
    for rf in frames:
        if rf.frame.frame_type != FrameType.EVENT:
            continue
        e = EventPayload.decode(rf.frame.payload)
        try:
            code = EventCode(e.code)
        except ValueError:
            continue
        if code not in ONSETS:
            continue
        kind, window_s = ONSETS[code]
        decided_s = e.sample_index / rate_hz
        idx = np.flatnonzero(
            (kinds == kind) & (times <= decided_s + 1.0 / rate_hz) & (times >= decided_s - window_s)
        )
        idx = [k for k in idx[::-1] if (kind, int(k)) not in used]
        if not idx:
            continue
        k = idx[0]
        used.add((kind, int(k)))
        onset = float(times[k])
        out.append(
            EventLatency(
                code, e.sample_index, onset, rf.t_host_s - float(alignment.host_time(onset))
            )
        )
    return out


def latency_rows(latencies: list[EventLatency]) -> list[dict]:
    """Per event code: count, p50 / p95 / max in ms (0.1 ms resolution)."""
    rows = []
    for code in sorted({lat.code for lat in latencies}):
        v = np.array([lat.latency_s for lat in latencies if lat.code == code]) * 1000.0
        rows.append(
            {
                "event": code.name,
                "n": len(v),
                "p50_ms": round(float(np.percentile(v, 50)), 1),
                "p95_ms": round(float(np.percentile(v, 95)), 1),
                "max_ms": round(float(v.max()), 1),
            }
        )
    return rows
