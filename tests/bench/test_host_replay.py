"""Host-port sample replay on a board (docs/host-replay.md): ``SerialDut(stimulus="host")``
streams a scenario's codes in STIMULUS frames to the board emulator over a real socket or pty;
the frames the board sends must be the golden model's for the same codes, brown-outs included,
also when the link loses and corrupts bytes both ways."""

from __future__ import annotations

import numpy as np
import pytest

from bench.duts.emulator import BoardEmulator
from bench.duts.factory import open_dut
from bench.duts.link_proxy import LinkProxy
from bench.duts.protocol import DutError
from bench.duts.serial_board import SerialDut, is_reset_event
from bench.run.play import ScenarioDut, play, program
from chip_sim.core import Chip
from chip_sim.core.frames import output_frames
from chip_sim.icd import FrameType, NackReason, StimulusPayload, encode_frame
from chip_sim.pipeline import run_scenario
from scenarios import library

STREAM_TYPES = (int(FrameType.EVENT), int(FrameType.STATUS))


def golden_payloads(spec, brownouts=()) -> list[tuple[int, bytes]]:
    out = Chip(spec.registers).run(spec.codes.codes, brownouts=brownouts)
    return [(f.frame_type, f.payload) for f in output_frames(out)]


def sent_payloads(emulator: BoardEmulator) -> list[tuple[int, bytes]]:
    return [(f.frame_type, f.payload) for f in emulator.sent_frames(*STREAM_TYPES)]


@pytest.mark.parametrize("kind", ["emulated", "emulated:pty"])
def test_a_scenario_replayed_on_the_emulated_board_gives_the_golden_output(kind):
    board = ScenarioDut(kind).run_scenario("walk_level_1p3", 1)
    golden = ScenarioDut("golden").run_scenario("walk_level_1p3", 1)
    assert np.array_equal(board.output.events, golden.output.events)
    assert np.array_equal(board.output.status, golden.output.status)
    assert len(board.output.events) > 200  # steps, bouts: a run worth comparing


def test_brown_outs_are_the_supply_and_the_next_epoch_replays_from_sample_zero():
    spec = run_scenario(library.load("system_faults"), 1)
    assert spec.codes.brownouts  # two in the scenario
    dut = open_dut("emulated")
    try:
        played = play(dut, spec)
    finally:
        dut.close()
    golden = Chip(spec.registers).run(spec.codes.codes, brownouts=spec.codes.brownouts)
    assert np.array_equal(played.run.output.events, golden.events)
    resets = golden.events[golden.events["code"] == 0x30]
    assert list(resets["value"]) == [0, 1, 1]  # power-on, then one per brown-out


def test_a_lossy_link_both_ways_delivers_every_row_once_and_in_order():
    spec = run_scenario(library.load("walk_level_1p3"), 3, duration_s=25)
    rng = np.random.default_rng(11)
    with (
        BoardEmulator(baudrate=921_600) as emulator,
        LinkProxy(
            "127.0.0.1",
            int(emulator.url.rsplit(":", 1)[1]),
            rng=rng,
            direction="both",
            drop_rate=2e-4,
            ber=2e-5,
        ) as proxy,
    ):
        # the ACK timeout is short to keep the test short; a late ACK only costs a go-back
        dut = SerialDut(proxy.url, name="lossy", stimulus="host", timeout_s=0.2, retries=8)
        try:
            assert dut.wait_for(is_reset_event(0), timeout_s=2.0) is not None
            program(dut, spec)
            dut.load_stimulus(spec.codes.codes)
            reception = dut.run()
        finally:
            dut.close()
        touched = proxy.bytes_dropped + proxy.bits_flipped
    assert reception.aborted is None
    assert touched > 0  # the link did lose bytes
    # what left the chip is the golden output: each row was taken once, in order
    sent = sent_payloads(emulator)
    assert sent == golden_payloads(spec)  # the board's power-on RESET is the golden one's


def test_rows_sent_while_the_chip_is_stopped_fill_its_buffer_then_are_refused():
    with BoardEmulator(baudrate=921_600) as emulator:
        dut = SerialDut(emulator.url, name="stopped", stimulus="host")
        try:
            assert dut.wait_for(is_reset_event(0), timeout_s=2.0) is not None
            dut.write_register("STIM_SOURCE", 1)
            dut.stop()  # the core takes nothing
            replies = []
            for k in range(5):
                rows = [[k] * 8] * 15
                frame = encode_frame(
                    FrameType.STIMULUS, 100 + k, StimulusPayload(15 * k, rows).encode()
                )
                dut._send(frame)
                replies += dut._stimulus_replies(int(FrameType.STIMULUS))
            assert [getattr(r, "reason", 0) for r in replies] == [
                0,
                0,
                0,
                0,
                NackReason.STIMULUS_FULL,
            ]
            assert dut.read_register("SAMPLE_INDEX") == 0
            dut.start()  # the core takes the 60 buffered rows
            assert dut.read_register("SAMPLE_INDEX") == 60
        finally:
            dut.close()


def test_a_real_board_without_a_supply_refuses_a_stimulus_with_brown_outs():
    with BoardEmulator() as emulator:
        dut = SerialDut(emulator.url, name="serial:lab", stimulus="host")
        try:
            with pytest.raises(
                DutError, match=r"serial:lab: the stimulus has brown-outs .* no supply"
            ):
                dut.load_stimulus(np.zeros((100, 8), np.int16), ((10, 20),))
        finally:
            dut.close()
