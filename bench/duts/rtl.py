"""The RTL as a session DUT (``bench.duts.protocol.Dut``): ``hdl_models/rtl/smile_core.v`` in
Icarus or Verilator through cocotb. Every simulation starts from power-on, so the session replays
the register writes it has made so far before each request or run (the chip's registers are what
those writes made them). Frames carry the simulated time of their last byte, counted from the
first sample's strobe; ``real_time=True`` paces samples at 100 Hz (9216 clocks), otherwise the
harness's elastic pacing gives the same frames in far fewer clocks but no meaningful times."""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import numpy as np

from bench.dut import RtlUnavailableError, check_simulator, simulate_rtl
from bench.duts.protocol import LinkStats, NackError, ReceivedFrame, Reception
from chip_sim.icd import Frame, FrameDecoder, FrameType, encode_frame
from chip_sim.registers import register_map


class RtlSession:
    def __init__(self, simulator: str = "verilator", *, real_time: bool = True) -> None:
        check_simulator(simulator)
        self.simulator = simulator
        self.name = f"rtl:{simulator}"
        self.real_time = real_time
        self._writes: list[tuple[int, int]] = []
        self._codes = np.zeros((0, 8), dtype=np.int16)
        self._brownouts: tuple[tuple[int, int], ...] = ()
        self._seq = 0
        self._runs = 0
        self._tmp = tempfile.TemporaryDirectory(prefix="smile-rtl-session-")

    def _simulate(self, script: list[bytes], codes: np.ndarray, brownouts=()):
        from hdl_models import core_sim

        steps = [(raw, [(0, b"")]) for raw in script]  # each step waits for one answer
        case = core_sim.CoreCase(
            f"s{self._runs}",
            codes,
            {},
            tuple(brownouts),
            clks_per_sample=core_sim.CLKS_PER_SAMPLE_100HZ if self.real_time else 0,
            host_script=steps,
        )
        self._runs += 1
        return simulate_rtl(case, self.simulator, Path(self._tmp.name), self.name)

    def _frame(self, frame_type: int, payload: bytes) -> bytes:
        raw = encode_frame(frame_type, self._seq, payload)
        self._seq = (self._seq + 1) & 0xFF
        return raw

    def _replayed(self) -> list[bytes]:
        return [self._frame(FrameType.REG_WRITE, struct.pack("<Bi", a, v)) for a, v in self._writes]

    def _answer(self, request: bytes, what: str) -> bytes:
        result = self._simulate([*self._replayed(), request], np.zeros((0, 8), np.int16))
        frames = result.host_log[-1]["frames"]
        if not frames:
            raise RtlUnavailableError(f"{self.name}: no answer to {what}")
        answer = frames[0]
        payload = bytes.fromhex(answer["payload"])
        if answer["type"] == FrameType.NACK:
            raise NackError(self.name, what, payload[2])
        return payload

    def reset(self) -> None:
        """Every simulation starts from power-on with the recorded writes; nothing to do."""

    def write_register(self, name: str, value: int) -> None:
        addr = register_map().by_name(name).addr
        self._answer(
            self._frame(FrameType.REG_WRITE, struct.pack("<Bi", addr, int(value))),
            f"REG_WRITE {name} = {value}",
        )
        self._writes.append((addr, int(value)))

    def read_register(self, name: str) -> int:
        addr = register_map().by_name(name).addr
        payload = self._answer(self._frame(FrameType.REG_READ, bytes([addr])), f"REG_READ {name}")
        return int.from_bytes(payload[1:5], "little", signed=True)

    def load_stimulus(self, codes: np.ndarray, brownouts: tuple[tuple[int, int], ...] = ()) -> None:
        self._codes = np.asarray(codes, dtype=np.int16)
        self._brownouts = tuple(brownouts)

    def start(self) -> None:
        """Sampling starts with run() (the chip samples after power-on)."""

    def stop(self) -> None:
        """Sampling ends with the stimulus."""

    def run(self, timeout_s: float | None = None) -> Reception:
        result = self._simulate(self._replayed(), self._codes, self._brownouts)
        t0_ns = result.t_stream_ns
        frames, raw = [], bytearray()
        for f in result.stream_frames():
            if f["type"] not in (FrameType.EVENT, FrameType.STATUS):
                continue
            frame = Frame(f["type"], f["seq"], bytes.fromhex(f["payload"]))
            frames.append(ReceivedFrame(frame, (f["t_ns"] - t0_ns) / 1e9))
            raw += frame.encode()
        decoder = FrameDecoder()
        decoder.feed(bytes(raw))
        return Reception(frames, bytes(raw), LinkStats(frames_ok=decoder.frames_ok))

    def close(self) -> None:
        self._tmp.cleanup()
