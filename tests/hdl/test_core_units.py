"""The assembled RTL core's host port, event FIFO and functional coverage, on both simulators.

- Host protocol: every register written in range (ACK), one past each end (NACK 5, nothing
  changes), read back; read-only registers (NACK 4 on write); an unknown register (NACK 3); unknown
  TYPEs (NACK 1); bad lengths (NACK 2); an unknown command (NACK 5); a bad CRC and garbage bytes
  (dropped silently, the next frame still answered); STOP (samples ignored), START, and RESET
  (ACK, then a RESET event with reason 2 and SEQ 0, registers kept). The expected answers come
  from ``chip_sim.icd.FrameDecoder`` + ``chip_sim.core.host.HostPort`` fed the same bytes.
- FIFO overflow: a stream that decides 8 events every second sample, paced faster than the UART
  drains: the received events are the golden events in order with some missing, and every STATUS
  and the EVENTS_DROPPED register count exactly the missing ones.
- Host-port sample replay (docs/host-replay.md; Icarus nightly): STIMULUS frames over the UART —
  one while STIM_SOURCE is 0 (NACK 5), STIM_SOURCE = 1, a bad length (NACK 2), STOP, four full
  frames into the 64-row buffer (ACK) and a fifth that does not fit (NACK 6), START (the core takes
  the 60 rows), a repeat of rows taken (ACK, nothing taken), a gap (NACK 5), then the rest of 20 s
  of walking. The answers are the golden host port's; the rows decide exactly the golden events and
  STATUS. The expected core input comes from a Python run of the same script: HostPort, and a core
  that takes every buffered row while sampling — what the RTL does, since it takes a row in ~50
  clocks and a frame takes ~20 000 clocks of line.
- Functional coverage: the union of these runs and a composite event stream hits every bin
  (hdl_models/coverage.py); the table is printed in the session summary.
"""

from __future__ import annotations

import struct
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from chip_sim.core.chip import Chip
from chip_sim.core.frames import output_frames
from chip_sim.core.host import HostPort
from chip_sim.icd import (
    NO_DATA_CODE,
    STIMULUS_MAX_ROWS,
    Command,
    EventCode,
    EventPayload,
    FrameDecoder,
    FrameType,
    RegWrite,
    StimulusPayload,
    encode_frame,
)
from chip_sim.registers import RegisterFile, register_map
from hdl_models import core_sim, coverage
from tests.hdl.conftest import record_coverage, require
from tests.hdl.test_core_equivalence import check

pytestmark = pytest.mark.xdist_group("rtl_core_units")
SIMULATORS = ("icarus", "verilator")
SEED = 5
ANSWERS = (int(FrameType.ACK), int(FrameType.NACK), int(FrameType.REG_VALUE))
#: host-port replay over the UART costs Icarus ≈ 40 s (Verilator ≈ 7 s): there, nightly
NIGHTLY_REPLAY = {"icarus"}
REPLAY_SIMULATORS = [
    pytest.param(s, marks=pytest.mark.nightly) if s in NIGHTLY_REPLAY else s for s in SIMULATORS
]
STREAM = (int(FrameType.EVENT), int(FrameType.STATUS))


def host_script(seed: int) -> list[tuple[bytes, list[tuple[int, bytes]]]]:
    """(bytes sent, expected answers as (TYPE, payload)) per step, from the golden host port."""
    rng = np.random.default_rng(seed)
    rmap = register_map()
    port, decoder = HostPort(), FrameDecoder()
    live = dict.fromkeys(core_sim.LIVE, 0)  # nothing sampled yet
    steps: list[tuple[bytes, list[tuple[int, bytes]]]] = []
    seq = 0

    def frame(frame_type: int, payload: bytes) -> bytes:
        nonlocal seq
        raw = encode_frame(frame_type, seq, payload)
        seq = (seq + 1) & 0xFF
        return raw

    def step(raw: bytes) -> None:
        answers = []
        for f in decoder.feed(raw):
            a = port.answer(f, live)
            answers.append((int(a.reply.frame_type), a.reply.encode()))
            if a.action == Command.RESET:
                reset = EventPayload(int(EventCode.RESET), 0, 0, 2)
                answers.append((int(FrameType.EVENT), reset.encode()))
        steps.append((raw, answers))

    def write(addr: int, value: int) -> None:
        step(frame(FrameType.REG_WRITE, struct.pack("<Bi", addr, value)))

    def read(addr: int) -> None:
        step(frame(FrameType.REG_READ, bytes([addr])))

    for reg in rmap:
        if reg.writable:
            for bad in (reg.max + 1, reg.min - 1):
                if -(2**31) <= bad < 2**31:
                    write(reg.addr, bad)
            write(reg.addr, int(rng.integers(reg.min, reg.max + 1)))
        else:
            write(reg.addr, 0)
        read(reg.addr)
    unknown = next(a for a in range(256) if rmap.by_addr(a) is None)
    write(unknown, 1)
    read(unknown)
    step(frame(0x55, b"\x01\x02"))  # a TYPE the ICD does not define
    step(frame(FrameType.EVENT, bytes(10)))  # a chip->host TYPE sent to the chip
    step(frame(FrameType.REG_WRITE, b"\x10\x00\x00\x00"))  # bad lengths
    step(frame(FrameType.REG_READ, b"\x10\x00"))
    step(frame(FrameType.COMMAND, b""))
    step(frame(FrameType.COMMAND, b"\x09"))  # unknown command
    bad_crc = bytearray(frame(FrameType.REG_READ, b"\x00"))
    bad_crc[-1] ^= 0x40
    step(bytes(bad_crc))
    garbage = rng.integers(0, 256, 64).astype(np.uint8)
    garbage[garbage == 0xA5] = 0x00
    step(bytes(garbage) + b"\xa5\x00")  # no frame in it (a lone SYNC0 included)
    read(0x00)  # still answered after the garbage
    step(frame(FrameType.COMMAND, bytes([Command.STOP])))
    step(frame(FrameType.COMMAND, bytes([Command.START])))
    step(frame(FrameType.COMMAND, bytes([Command.RESET])))
    read(rmap.by_name("STEP_SHARP_MIN_MG").addr)  # kept through the reset
    step(frame(FrameType.COMMAND, bytes([Command.STOP])))  # the samples that follow are ignored
    return steps


def walking_codes(n: int) -> np.ndarray:
    case = core_sim.library_case("walk_level_1p3", 1)
    return case.codes[2000 : 2000 + n]


def flood_codes(n: int) -> np.ndarray:
    """Every channel alternates NO_DATA and a changing valid code: with FAULT_DROPOUT_SAMPLES = 1
    each NO_DATA sample decides 8 FAULT_DROPOUT events."""
    codes = np.zeros((n, 8), dtype=np.int16)
    codes[:, :3] = (0, 0, 1000)
    codes += (np.arange(n) % 7).astype(np.int16)[:, None]
    codes[1::2] = NO_DATA_CODE
    return codes


def composite_codes() -> tuple[np.ndarray, dict[str, int]]:
    """Pieces of library scenarios and a temperature rise, so one run decides every event code."""
    fall = core_sim.library_case("fall_forward", 1)
    over = core_sim.library_case("overload_partial_weight_bearing", 1)
    faults = core_sim.library_case("sensor_faults", 1)
    temp = over.codes[:500].copy()
    limit = over.registers["TEMP_HIGH_LIMIT"]
    temp[:, 7] = limit - 200
    temp[100:300, 7] = limit + 100  # above the limit for 200 samples: TEMP_HIGH after 50
    pieces = [fall.codes[1500:2400], over.codes[2900:3700]]
    # sensor_faults: dropouts decided at 1502, stuck codes at 3098, saturation at 6021
    pieces += [faults.codes[1400:1600], faults.codes[2950:3150], faults.codes[5950:6100], temp]
    codes = np.concatenate(pieces)
    registers = {**over.registers, "TEMP_MIN_SAMPLES": 50}
    return codes, registers


class Script:
    """Host frames and the golden chip's answers to them, step by step."""

    def __init__(self, registers: dict[str, int]) -> None:
        rmap = register_map()
        self.registers = {k: v for k, v in registers.items() if rmap.by_name(k).writable}
        self.port = HostPort(RegisterFile(self.registers))
        self.decoder = FrameDecoder()
        self.sampling = True  # after the power-on reset
        self.taken: list[tuple[int, ...]] = []
        self.steps: list[tuple[bytes, list[tuple[int, bytes]]]] = []
        self.seq = 0

    def send(self, frame_type: int, payload: bytes) -> None:
        raw = encode_frame(frame_type, self.seq, payload)
        self.seq = (self.seq + 1) & 0xFF
        answers = []
        for frame in self.decoder.feed(raw):
            answer = self.port.answer(frame)
            answers.append((int(answer.reply.frame_type), answer.reply.encode()))
            if answer.action in (Command.START, Command.STOP):
                self.sampling = answer.action == Command.START
        if self.sampling and self.port.registers["STIM_SOURCE"] == 1:
            while (row := self.port.stimulus.take()) is not None:
                self.taken.append(row)
        self.steps.append((raw, answers))

    def stimulus(self, codes: np.ndarray, first: int, count: int = STIMULUS_MAX_ROWS) -> None:
        rows = codes[first : first + count].tolist()
        self.send(FrameType.STIMULUS, StimulusPayload(first, rows).encode())

    def command(self, cmd: Command) -> None:
        self.send(FrameType.COMMAND, bytes([cmd]))


def replay_case() -> tuple[core_sim.CoreCase, Script, np.ndarray]:
    walk = core_sim.library_case("walk_level_1p3", 1)
    codes = walk.codes[1000:3000]  # 20 s of walking: steps, a bout, STATUS
    script = Script(dict(walk.registers))
    addr = register_map().by_name("STIM_SOURCE").addr
    script.stimulus(codes, 0)  # STIM_SOURCE 0: NACK 5
    script.send(FrameType.REG_WRITE, RegWrite(addr, 1).encode())
    good = StimulusPayload(0, codes[:2].tolist()).encode()
    script.send(FrameType.STIMULUS, good[:4] + bytes([3]) + good[5:])  # count 3, 2 rows: NACK 2
    script.command(Command.STOP)
    for k in range(5):  # 4 × 15 fit in 64 rows, the fifth does not: NACK 6
        script.stimulus(codes, 15 * k)
    script.command(Command.START)  # the 60 rows are taken
    script.stimulus(codes, 30)  # taken already: ACK, nothing taken
    script.stimulus(codes, 90)  # a gap (60 expected): NACK 5
    first = 60
    while first < len(codes):
        script.stimulus(codes, first, min(STIMULUS_MAX_ROWS, len(codes) - first))
        first += STIMULUS_MAX_ROWS
    case = core_sim.CoreCase(
        "replay", np.zeros((0, 8), np.int16), walk.registers, host_script=script.steps
    )
    return case, script, codes


@pytest.fixture(scope="module")
def runs(build_root, tmp_path_factory):
    """Simulations shared by the tests below: (case kind, simulator) -> (case, result)."""
    done: dict[tuple[str, str], tuple] = {}

    def get(kind: str, simulator: str):
        require(simulator)
        if (kind, simulator) not in done:
            work = tmp_path_factory.mktemp(f"core-{kind}-{simulator}")
            replay = None
            if kind == "host":
                case = core_sim.CoreCase("host", walking_codes(300), host_script=host_script(SEED))
            elif kind == "replay":
                replay = replay_case()
                case = replay[0]
            elif kind == "fifo":
                case = core_sim.CoreCase(
                    "fifo",
                    flood_codes(600),
                    {"FAULT_DROPOUT_SAMPLES": 1, "STATUS_PERIOD_SAMPLES": 10},
                    clks_per_sample=200,
                )
            else:
                codes, regs = composite_codes()
                case = core_sim.CoreCase("composite", codes, regs)
            if kind == "composite":
                result, _ = check(case, simulator, build_root, work)
            else:
                result = core_sim.run_core(case, simulator, build_root, work)
                record_coverage(coverage.hits(result))
            done[(kind, simulator)] = (replay or case, result)
        return done[(kind, simulator)]

    return get


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_host_protocol_matches_model(runs, simulator):
    case, result = runs("host", simulator)
    assert len(result.host_log) == len(case.host_script)
    for k, ((raw, want), got) in enumerate(zip(case.host_script, result.host_log, strict=True)):
        frames = [(f["type"], bytes.fromhex(f["payload"])) for f in got["frames"]]
        assert frames == [(t, p) for t, p in want], (
            f"step {k}: sent {raw.hex()}: RTL answered {frames}, model {want}"
        )
    assert result.seq_errors() == []
    # after STOP the 300 samples were ignored
    assert result.live["SAMPLE_INDEX"] == 0
    assert result.events()[-1] == (int(EventCode.RESET), 0, 2)


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_fifo_overflow_drops_and_counts(runs, simulator):
    case, result = runs("fifo", simulator)
    want = core_sim.expected(case)
    got = result.events()
    assert result.counters["fifo_was_full"] == 1
    assert result.counters["overruns"] == 0
    # the received events are the model's, in order, some missing
    it = iter(want.events)
    assert all(any(g == w for w in it) for g in got), "RTL sent an event the model did not decide"
    dropped = len(want.events) - len(got)
    assert dropped > 100
    assert result.live["EVENTS_DROPPED"] == dropped
    # every STATUS counts exactly the events missing up to its sample
    statuses = result.status()
    assert len(statuses) >= 10
    for index, _steps, _flags, reported in statuses:
        missing = sum(e[1] <= index for e in want.events) - sum(e[1] <= index for e in got)
        assert reported == missing & 0xFFFF, f"STATUS at sample {index}"


def test_equivalence_failure_names_event_and_attaches_waveform(build_root, tmp_path):
    """A deliberately wrong expectation (the model run with another step threshold) fails with the
    first divergent event and a waveform (FST, from Icarus) around it."""
    require("icarus")
    case = core_sim.CoreCase("wrong", walking_codes(1500))
    want = core_sim.expected(replace(case, registers={"STEP_SHARP_MIN_MG": 400}))
    with pytest.raises(pytest.fail.Exception) as failure:
        check(case, "icarus", build_root, tmp_path, want=want)
    message = str(failure.value)
    assert "RTL differs from the golden model: event " in message
    assert "RTL (1, " in message and "model (1, " in message  # the first differing STEP
    wave = next((tmp_path / "waves").glob("*.fst"))
    assert str(wave) in message
    assert wave.stat().st_size > 10_000  # the signals of 220 samples, compressed


def test_functional_coverage_closes(runs):
    """Every bin is hit by the runs of this module on the simulators installed; the table goes to
    the session summary (and into the failure message when a bin is unhit)."""
    total: Counter = Counter()
    for simulator in SIMULATORS:
        for kind in ("host", "fifo", "composite", "replay"):
            if kind == "replay" and simulator in NIGHTLY_REPLAY:
                continue  # the other simulator's replay hits the same bins
            try:
                _case, result = runs(kind, simulator)
            except pytest.skip.Exception:
                continue
            total.update(coverage.hits(result))
    assert total, "no simulator installed"
    missing = coverage.unhit(total)
    assert not missing, f"unhit coverage bins: {missing}\n{coverage.table(total)}"


def test_the_replay_script_exercises_every_answer():
    _, script, codes = replay_case()
    reasons = [p[2] for steps in script.steps for t, p in steps[1] if t == FrameType.NACK]
    assert reasons == [5, 2, 6, 5]
    assert script.taken == [tuple(r) for r in codes.tolist()]  # each row once, in order


@pytest.mark.parametrize("simulator", REPLAY_SIMULATORS)
def test_rtl_answers_stimulus_frames_as_the_golden_host_port(runs, simulator):
    (_, script, _), result = runs("replay", simulator)
    got = [
        (f["type"], bytes.fromhex(f["payload"]))
        for step in result.host_log
        for f in step["frames"]
        if f["type"] in ANSWERS
    ]
    want = [(t, p) for _, answers in script.steps for t, p in answers]
    assert got == want
    assert result.seq_errors() == []
    assert result.counters["resp_dropped"] == 0 and result.counters["crc_errors"] == 0


@pytest.mark.parametrize("simulator", REPLAY_SIMULATORS)
def test_rows_replayed_into_the_rtl_decide_the_golden_events(runs, simulator):
    (_, script, codes), result = runs("replay", simulator)
    golden = output_frames(Chip(script.registers).run(codes))
    got = [(f["type"], f["payload"]) for f in result.frames if f["type"] in STREAM]
    want = [(f.frame_type, f.payload.hex()) for f in golden]
    assert got == want  # the power-on RESET opens both
    assert sum(1 for t, _ in got if t == FrameType.EVENT) > 20  # steps and a bout
    assert result.live["SAMPLE_INDEX"] == len(codes)
