"""The board emulator: the golden model behind a TCP port or a pty, at the UART's byte timing."""

from __future__ import annotations

import functools
import os
import socket
import time

import numpy as np
import pytest
import serial

from bench.duts.emulator import BoardEmulator
from chip_sim.core import Chip
from chip_sim.core.frames import output_frames
from chip_sim.core.host import HostPort
from chip_sim.icd import (
    Command,
    CommandPayload,
    EventCode,
    EventPayload,
    Frame,
    FrameDecoder,
    FrameType,
    RegRead,
    RegValue,
    RegWrite,
    encode_frame,
)
from chip_sim.pipeline import run_scenario
from chip_sim.registers import RegisterFile, register_map
from scenarios import library

SPEED = 50.0
BYTE_TIME_S = 10 / 115200
STREAM_TYPES = (int(FrameType.EVENT), int(FrameType.STATUS))


@functools.cache
def walk(seconds: float = 30.0, seed: int = 1):
    """Codes and registers of the first ``seconds`` of walk_level_1p3."""
    return run_scenario(library.load("walk_level_1p3"), seed, duration_s=seconds)


def golden(codes, registers, brownouts=()) -> list[Frame]:
    return output_frames(Chip(registers).run(codes, brownouts=brownouts))


def hand_made(n: int = 1000, seed: int = 7) -> np.ndarray:
    """Standing still with sensor noise: 1 g on z, a little gyro and load, 37 °C."""
    rng = np.random.default_rng(seed)
    codes = np.zeros((n, 8), dtype=np.int16)
    codes[:, 2] = 1000
    codes[:, 7] = 37 * 128
    codes += rng.integers(-3, 4, size=(n, 8)).astype(np.int16)
    return codes


def addr(name: str) -> int:
    return register_map().by_name(name).addr


class Client:
    """A raw host on the emulator's port (pyserial), decoding what comes back."""

    def __init__(self, url: str):
        self.ser = serial.serial_for_url(url, baudrate=115200, timeout=0.02)
        self.decoder = FrameDecoder()
        self.frames: list[tuple[float, Frame]] = []
        self.seq = 0

    def send(self, frame_type: int, payload: bytes, *, corrupt: bool = False) -> int:
        seq, self.seq = self.seq, (self.seq + 1) & 0xFF
        data = bytearray(encode_frame(frame_type, seq, payload))
        if corrupt:
            data[-1] ^= 0xFF
        self.ser.write(bytes(data))
        return seq

    def poll(self, duration_s: float) -> None:
        end = time.monotonic() + duration_s
        while time.monotonic() < end:
            data = self.ser.read(4096)
            if data:
                t = time.monotonic()
                self.frames += [(t, f) for f in self.decoder.feed(data)]

    def until(self, predicate, timeout_s: float = 5.0) -> Frame:
        end = time.monotonic() + timeout_s
        seen = 0
        while time.monotonic() < end:
            for _, frame in self.frames[seen:]:
                if predicate(frame):
                    return frame
            seen = len(self.frames)
            self.poll(0.02)
        raise AssertionError(f"no such frame in {timeout_s} s; got {self.frames[-5:]}")

    def stream(self) -> list[Frame]:
        return [f for _, f in self.frames if f.frame_type in STREAM_TYPES]

    def close(self) -> None:
        self.ser.close()


def is_event(code: int, value: int | None = None):
    def predicate(frame: Frame) -> bool:
        if frame.frame_type != FrameType.EVENT:
            return False
        e = EventPayload.decode(frame.payload)
        return e.code == code and (value is None or e.value == value)

    return predicate


def open_board(transport: str, **kwargs) -> tuple[BoardEmulator, Client]:
    """An emulator and a raw client on it; for a pty the client opens the slave first."""
    if transport == "pty":
        emu = BoardEmulator("pty", **kwargs)
        client = Client(emu.url)
        emu.start()
    else:
        emu = BoardEmulator("socket://127.0.0.1:0", **kwargs).start()
        client = Client(emu.url)
    return emu, client


@pytest.mark.parametrize("transport", ["socket", "pty"])
def test_power_on_sends_reset_reason_0(transport):
    emu, client = open_board(transport)
    try:
        if transport == "pty":
            assert emu.url.startswith("/dev/")
            assert os.path.exists(emu.url)
        else:
            assert emu.url.startswith("socket://127.0.0.1:")
        first = client.until(lambda f: True, timeout_s=2)
        assert first == Frame.from_payload(EventPayload(int(EventCode.RESET), 0, 0, 0), 0)
        assert emu.sent[0].frame == first and emu.sent[0].delivered
    finally:
        client.close()
        emu.close()


def test_register_answers_equal_host_port():
    regs = walk().registers
    emu, client = open_board("socket", registers=regs)
    model = HostPort(RegisterFile({k: v for k, v in regs.values().items() if k in _rw()}))
    requests = [
        (FrameType.REG_READ, RegRead(addr("CHIP_ID")).encode()),
        (FrameType.REG_READ, RegRead(addr("OVERLOAD_LIMIT")).encode()),
        (FrameType.REG_WRITE, RegWrite(addr("STEP_SHARP_MIN_MG"), 77).encode()),
        (FrameType.REG_READ, RegRead(addr("STEP_SHARP_MIN_MG")).encode()),
        (FrameType.REG_WRITE, RegWrite(addr("STEP_SHARP_MIN_MG"), 99999).encode()),  # NACK 5
        (FrameType.REG_WRITE, RegWrite(addr("CHIP_ID"), 1).encode()),  # NACK 4
        (FrameType.REG_READ, RegRead(0xEE).encode()),  # NACK 3
        (FrameType.REG_READ, b"\x00\x01"),  # NACK 2
        (0x55, b""),  # NACK 1
        (FrameType.COMMAND, CommandPayload(0x09).encode()),  # NACK 5
        (FrameType.REG_READ, RegRead(addr("SAMPLE_INDEX")).encode()),  # live, 0 before START
        (FrameType.REG_READ, RegRead(addr("STEP_COUNT")).encode()),
    ]
    try:
        client.until(is_event(EventCode.RESET, 0), timeout_s=2)
        client.send(FrameType.REG_READ, RegRead(0).encode(), corrupt=True)  # dropped silently
        client.seq = 0x40
        expected = []
        for frame_type, payload in requests:
            seq = client.send(frame_type, payload)
            reply = model.answer(Frame(frame_type, seq, payload)).reply
            expected.append((reply.frame_type, reply.encode()))
        client.poll(0.3)
        answers = [(f.frame_type, f.payload) for _, f in client.frames[1:]]
        assert answers == expected
        reasons = [f.payload[2] for _, f in client.frames if f.frame_type == FrameType.NACK]
        assert reasons == [5, 4, 3, 2, 1, 5]
        seqs = [f.seq for _, f in client.frames]
        assert seqs == list(range(len(seqs)))  # one SEQ counter for all the chip sends
    finally:
        client.close()
        emu.close()


def _rw() -> set[str]:
    return {r.name for r in register_map() if r.writable}


@pytest.mark.parametrize("transport", ["socket", "pty"])
def test_stream_equals_the_golden_frames(transport):
    run = walk()
    expected = golden(run.codes.codes, run.registers)
    emu, client = open_board(transport, registers=run.registers, speed=SPEED)
    emu.load_codes(run.codes.codes)
    try:
        client.until(is_event(EventCode.RESET, 0), timeout_s=2)
        t_start = time.monotonic()
        client.send(FrameType.COMMAND, CommandPayload(int(Command.START)).encode())
        client.until(lambda f: f.frame_type == FrameType.ACK)
        client.poll(run.codes.n / 100 / SPEED + 0.3)
        got = client.stream()
        assert [(f.frame_type, f.payload) for f in got] == [
            (f.frame_type, f.payload) for f in expected
        ]
        assert len(expected) > 50
        # the sample clock: the last STATUS (sample n-1) not before n samples at 100 Hz × speed
        t_last = next(t for t, f in reversed(client.frames) if f.frame_type == FrameType.STATUS)
        assert t_last - t_start >= 0.95 * run.codes.n / 100 / SPEED
        assert [s.frame for s in emu.sent if s.frame.frame_type in STREAM_TYPES] == got
    finally:
        client.close()
        emu.close()


def test_bytes_are_paced_at_the_uart_byte_time():
    """60 REG_READs in one write: their 60 answers leave back to back at ≥ 86.8 µs per byte."""
    emu = BoardEmulator().start()
    try:
        sock = socket.create_connection(("127.0.0.1", int(emu.url.rsplit(":", 1)[1])))
        sock.settimeout(2)
        time.sleep(0.2)
        sock.recv(4096)  # the power-on RESET
        sock.sendall(b"".join(encode_frame(FrameType.REG_READ, i, b"\x00") for i in range(60)))
        received, stamps = 0, []
        while received < 60 * 12:
            data = sock.recv(4096)
            assert data
            received += len(data)
            stamps.append((time.monotonic(), received))
        sock.close()
        (t0, n0), (t1, n1) = stamps[0], stamps[-1]
        per_byte = (t1 - t0) / (n1 - n0)
        assert per_byte >= 0.97 * BYTE_TIME_S, f"{per_byte * 1e6:.1f} µs per byte"
        assert per_byte < 1.5 * BYTE_TIME_S, f"{per_byte * 1e6:.1f} µs per byte"
        print(f"byte pacing {per_byte * 1e6:.1f} µs/byte over {n1 - n0} bytes")
    finally:
        emu.close()


def test_command_reset_restarts_the_chip_and_keeps_registers():
    run = walk()
    expected = golden(run.codes.codes, run.registers)
    emu, client = open_board("socket", registers=run.registers, speed=SPEED)
    emu.load_codes(run.codes.codes)
    try:
        client.until(is_event(EventCode.RESET, 0), timeout_s=2)
        client.send(FrameType.REG_WRITE, RegWrite(addr("FALL_STILL_MG"), 321).encode())
        client.send(FrameType.COMMAND, CommandPayload(int(Command.START)).encode())
        client.until(lambda f: f.frame_type == FrameType.STATUS)  # the stream runs
        client.send(FrameType.REG_READ, RegRead(addr("SAMPLE_INDEX")).encode())
        index = RegValue.decode(client.until(lambda f: f.frame_type == FrameType.REG_VALUE).payload)
        assert index.value >= 99
        seq = client.send(FrameType.COMMAND, CommandPayload(int(Command.RESET)).encode())
        ack = client.until(lambda f: f.frame_type == FrameType.ACK and f.payload[1] == seq)
        reset = client.until(is_event(EventCode.RESET, 2))
        assert reset.seq == 0 and EventPayload.decode(reset.payload).sample_index == 0
        assert client.frames.index(next(x for x in client.frames if x[1] == ack)) < next(
            i for i, x in enumerate(client.frames) if x[1] == reset
        )
        client.poll(0.2)
        mark = len(client.frames)
        client.send(FrameType.REG_READ, RegRead(addr("SAMPLE_INDEX")).encode())
        client.send(FrameType.REG_READ, RegRead(addr("FALL_STILL_MG")).encode())
        client.poll(0.2)
        values = [RegValue.decode(f.payload).value for _, f in client.frames[mark:]]
        assert values == [0, 321]  # stopped and rewound; the register kept
        # START plays the stimulus again from its beginning
        client.send(FrameType.COMMAND, CommandPayload(int(Command.START)).encode())
        status = client.until(lambda f: f.frame_type == FrameType.STATUS)
        assert status.payload == expected[1].payload  # the stream's first frame after RESET
    finally:
        client.close()
        emu.close()


def test_stop_pauses_and_start_resumes_the_stream():
    run = walk()
    expected = golden(run.codes.codes, run.registers)
    emu, client = open_board("socket", registers=run.registers, speed=SPEED)
    emu.load_codes(run.codes.codes)
    try:
        client.until(is_event(EventCode.RESET, 0), timeout_s=2)
        client.send(FrameType.COMMAND, CommandPayload(int(Command.START)).encode())
        client.poll(0.1)
        client.send(FrameType.COMMAND, CommandPayload(int(Command.STOP)).encode())
        client.poll(0.1)
        paused = len(client.stream())
        client.poll(0.3)
        assert len(client.stream()) == paused  # nothing while stopped
        client.send(FrameType.COMMAND, CommandPayload(int(Command.START)).encode())
        client.poll(run.codes.n / 100 / SPEED)
        assert [f.payload for f in client.stream()] == [f.payload for f in expected]
    finally:
        client.close()
        emu.close()


def test_brownout_no_frames_while_off_then_reset_reason_1():
    codes = hand_made(1000)
    brownouts = ((300, 520),)
    regs = {"STATUS_PERIOD_SAMPLES": 50}
    expected = golden(codes, regs, brownouts)
    emu, client = open_board("socket", registers=regs, speed=20)
    emu.load_codes(codes, brownouts)
    try:
        client.until(is_event(EventCode.RESET, 0), timeout_s=2)
        client.send(FrameType.COMMAND, CommandPayload(int(Command.START)).encode())
        client.until(lambda f: f.frame_type == FrameType.ACK)
        client.send(FrameType.REG_READ, RegRead(addr("CHIP_ID")).encode())  # on before 0.15 s
        client.poll(1000 / 100 / 20 + 0.3)
        got = client.stream()
        assert [(f.frame_type, f.payload) for f in got] == [
            (f.frame_type, f.payload) for f in expected
        ]
        reset1 = next(f for f in got if is_event(EventCode.RESET, 1)(f))
        assert reset1.seq == 0
        sent = [(s.t_s, s.frame) for s in emu.sent]
        i = next(k for k, (_, f) in enumerate(sent) if f == reset1)
        gap = sent[i][0] - sent[i - 1][0]
        assert gap >= 0.9 * (520 - 299) / (100 * 20)  # silent while off
        assert any(f.frame_type == FrameType.REG_VALUE for _, f in client.frames)
    finally:
        client.close()
        emu.close()


def test_host_frames_are_ignored_while_browned_out():
    codes = hand_made(2000)
    emu, client = open_board("socket", speed=10)
    emu.load_codes(codes, ((100, 1900),))  # off from 0.1 s to 1.9 s after START
    try:
        client.until(is_event(EventCode.RESET, 0), timeout_s=2)
        client.send(FrameType.COMMAND, CommandPayload(int(Command.START)).encode())
        client.poll(0.5)
        mark = len(client.frames)
        client.send(FrameType.REG_READ, RegRead(addr("CHIP_ID")).encode())
        client.poll(0.4)
        assert client.frames[mark:] == []
        client.until(is_event(EventCode.RESET, 1), timeout_s=3)
    finally:
        client.close()
        emu.close()


def test_one_client_at_a_time_and_a_new_one_after_a_disconnect():
    emu = BoardEmulator().start()
    try:
        first = Client(emu.url)
        first.until(is_event(EventCode.RESET, 0), timeout_s=2)
        second = Client(emu.url)
        with pytest.raises(serial.SerialException, match="disconnected"):
            second.poll(0.5)  # refused: closed by the emulator
        second.close()
        first.close()
        time.sleep(0.1)
        third = Client(emu.url)
        third.send(FrameType.REG_READ, RegRead(0).encode())
        value = third.until(lambda f: f.frame_type == FrameType.REG_VALUE)
        assert RegValue.decode(value.payload).value == 0x5C1E0001
        third.close()
    finally:
        emu.close()


def test_pty_board_powers_on_when_a_host_opens_it_and_serves_the_next_host():
    with BoardEmulator("pty") as emu:
        time.sleep(0.2)
        assert emu.sent == []  # no host yet: unpowered
        client = Client(emu.url)
        client.until(is_event(EventCode.RESET, 0), timeout_s=2)
        client.close()
        time.sleep(0.1)
        again = Client(emu.url)
        again.send(FrameType.REG_READ, RegRead(addr("ICD_VERSION")).encode())
        value = again.until(lambda f: f.frame_type == FrameType.REG_VALUE)
        assert RegValue.decode(value.payload).value == 1
        assert sum(is_event(EventCode.RESET)(s.frame) for s in emu.sent) == 1
        again.close()
