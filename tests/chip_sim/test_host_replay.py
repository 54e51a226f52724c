"""The chip's side of host-port sample replay (docs/host-replay.md): STIMULUS frames answered by
``chip_sim.core.host.HostPort`` into its stimulus buffer, and the sample-by-sample core that
takes them (``chip_sim.core.reference.EpochCore``)."""

from __future__ import annotations

import numpy as np
import pytest

from chip_sim.core.chip import Chip
from chip_sim.core.config import CoreConfig
from chip_sim.core.events import canonical
from chip_sim.core.host import STIMULUS_BUFFER_SAMPLES, HostPort
from chip_sim.core.reference import EpochCore, run_epoch
from chip_sim.icd import (
    STIMULUS_MAX_ROWS,
    Ack,
    Frame,
    FrameType,
    Nack,
    NackReason,
    StimulusPayload,
)
from chip_sim.pipeline import run_scenario
from chip_sim.registers import RegisterFile
from scenarios import library


def rows(first: int, n: int) -> list[list[int]]:
    return [[first + r, 0, 1000, 0, 0, 0, 0, 37 * 128] for r in range(n)]


def send(port: HostPort, first: int, n: int, seq: int = 0):
    frame = Frame.from_payload(StimulusPayload(first, rows(first, n)), seq)
    return port.answer(frame).reply


def replay_port() -> HostPort:
    return HostPort(RegisterFile({"STIM_SOURCE": 1}))


def test_rows_in_order_are_taken_and_acknowledged():
    port = replay_port()
    assert send(port, 0, 15, seq=3) == Ack(FrameType.STIMULUS, 3)
    assert send(port, 15, 7, seq=4) == Ack(FrameType.STIMULUS, 4)
    assert port.stimulus.next_index == 22
    taken = [port.stimulus.take() for _ in range(22)]
    assert [row[0] for row in taken] == list(range(22))
    assert port.stimulus.take() is None


def test_a_full_buffer_refuses_the_whole_frame_and_takes_nothing():
    port = replay_port()
    first = 0
    while first + STIMULUS_MAX_ROWS <= STIMULUS_BUFFER_SAMPLES:
        assert isinstance(send(port, first, STIMULUS_MAX_ROWS), Ack)
        first += STIMULUS_MAX_ROWS
    assert first == 60
    reply = send(port, first, STIMULUS_MAX_ROWS, seq=9)  # 60 + 15 > 64
    assert reply == Nack(FrameType.STIMULUS, 9, NackReason.STIMULUS_FULL)
    assert len(port.stimulus.rows) == 60 and port.stimulus.next_index == 60
    for _ in range(15):
        port.stimulus.take()  # the core took some: room again
    assert isinstance(send(port, first, STIMULUS_MAX_ROWS), Ack)


def test_a_gap_is_refused_and_a_repeat_is_acknowledged_without_taking_twice():
    port = replay_port()
    send(port, 0, 15)
    send(port, 15, 15)
    assert send(port, 31, 15, seq=1) == Nack(
        FrameType.STIMULUS, 1, NackReason.VALUE_OUT_OF_RANGE
    )  # sample 30 is missing
    assert send(port, 20, 15, seq=2).reason == NackReason.VALUE_OUT_OF_RANGE  # overlaps the end
    assert send(port, 0, 15, seq=3) == Ack(FrameType.STIMULUS, 3)  # taken already
    assert send(port, 15, 15, seq=4) == Ack(FrameType.STIMULUS, 4)
    assert len(port.stimulus.rows) == 30 and port.stimulus.next_index == 30


def test_stimulus_is_refused_while_the_front_end_is_the_source_and_bad_lengths_are_nacked():
    port = HostPort()  # STIM_SOURCE 0 after reset
    assert send(port, 0, 1).reason == NackReason.VALUE_OUT_OF_RANGE
    assert not port.stimulus.rows
    port = replay_port()
    good = StimulusPayload(0, rows(0, 2)).encode()
    for payload in (good[:-1], good + b"\x00", good[:4], bytes([0, 0, 0, 0, 0])):
        reply = port.answer(Frame(FrameType.STIMULUS, 5, payload)).reply
        assert reply == Nack(FrameType.STIMULUS, 5, NackReason.BAD_LENGTH)
    assert not port.stimulus.rows
    port.stimulus.clear()
    assert send(port, 0, 1) == Ack(FrameType.STIMULUS, 0)


def test_the_resumable_core_decides_each_sample_as_the_whole_run_does():
    spec = run_scenario(library.load("walk_level_1p3"), 2, duration_s=40)
    codes = spec.codes.codes
    cfg = CoreConfig.from_registers(spec.registers)
    core = EpochCore(cfg, offset=0, reset_reason=0)
    seen_at: list[int] = []
    for row in codes.tolist():
        core.step(row)
        seen_at.append(len(core.events))
    events, status = run_epoch(codes, cfg, offset=0, reset_reason=0)
    assert (core.events, core.status) == (events, status)
    # causal: every event is known once its sample has been taken, not later
    for k, event in enumerate(core.events[1:], start=1):
        assert seen_at[event[0]] > k
    golden = Chip(spec.registers).run(codes)
    assert np.array_equal(canonical(core.events), golden.events)
    assert core.samples == len(codes)


@pytest.mark.parametrize("n", [0, STIMULUS_MAX_ROWS + 1])
def test_a_stimulus_payload_holds_one_to_fifteen_rows(n):
    with pytest.raises(ValueError, match=r"expected 1\.\.15"):
        StimulusPayload(0, rows(0, n))
