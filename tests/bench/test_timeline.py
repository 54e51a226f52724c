"""Clock alignment from STATUS frames and event latency on the host clock."""

from __future__ import annotations

import numpy as np
import pytest

from bench.duts.protocol import ReceivedFrame
from bench.timeline import (
    AlignmentError,
    event_latencies,
    fit_alignment,
    latency_rows,
    wire_time_s,
)
from chip_sim.icd import EventCode, EventPayload, Frame, StatusPayload

RATE = 100.0


def status(i: int, t: float) -> ReceivedFrame:
    return ReceivedFrame(Frame.from_payload(StatusPayload(i, 0, 0, 0), 0), t)


def test_fit_recovers_offset_and_drift_under_queueing_delays():
    rng = np.random.default_rng(7)
    offset, drift = 2.5, 50e-6
    frames = []
    for i in range(99, 6000, 100):
        delay = 0.0 if i % 700 == 99 else float(rng.exponential(0.002))  # some frames not delayed
        host = offset + (1 + drift) * i / RATE + wire_time_s(12) + delay
        frames.append(status(i, host))
    al = fit_alignment(frames, RATE)
    assert al.offset_s == pytest.approx(offset, abs=2e-4)
    assert al.drift_ppm == pytest.approx(50, abs=2)
    assert 0 < al.residual_s < 0.004 and al.n_status == len(frames)


def test_event_latency_is_host_receipt_minus_true_onset():
    offset = 10.0
    frames = [status(i, offset + i / RATE + wire_time_s(12)) for i in (99, 199, 299)]
    # heel strike at 1.000 s, STEP decided at sample 103, received 5 ms after its decision
    step = Frame.from_payload(EventPayload(int(EventCode.STEP), 0, 103, 1), 0)
    frames.append(ReceivedFrame(step, offset + 1.03 + 0.005))
    truth = np.array(
        [(1.0, "heel_strike", 1.0)], dtype=[("t_s", "f8"), ("kind", "U16"), ("value", "f8")]
    )
    al = fit_alignment(frames, RATE)
    lat = event_latencies(frames, truth, RATE, al)
    assert len(lat) == 1 and lat[0].latency_s == pytest.approx(0.035, abs=1e-6)
    assert latency_rows(lat) == [
        {"event": "STEP", "n": 1, "p50_ms": 35.0, "p95_ms": 35.0, "max_ms": 35.0}
    ]


def test_too_few_status_frames_is_a_clear_error():
    with pytest.raises(AlignmentError, match="2 STATUS frames; at least 3"):
        fit_alignment([status(99, 1.0), status(199, 2.0)], RATE)
