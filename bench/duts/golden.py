"""The golden model as a session DUT (``bench.duts.protocol.Dut``): the register file and host
port of ``chip_sim``, the core run on the loaded stimulus, and the frames timed as the chip's UART
would send them — each frame's last byte leaves at max(its decision, the previous frame's end) plus
its own bytes at 115 200 baud. The host clock of this DUT is that simulated time."""

from __future__ import annotations

import numpy as np

from bench.duts.protocol import LinkStats, NackError, ReceivedFrame, Reception
from bench.timeline import wire_time_s
from chip_sim.core.chip import Chip
from chip_sim.core.events import live_registers
from chip_sim.core.frames import indexed_frames
from chip_sim.registers import RegisterFile, register_map

RATE_HZ = 100.0


class GoldenSession:
    name = "golden"

    def __init__(self, registers: RegisterFile | None = None) -> None:
        self.registers = registers if registers is not None else RegisterFile()
        self._codes = np.zeros((0, 8), dtype=np.int16)
        self._brownouts: tuple[tuple[int, int], ...] = ()
        self._sampling = True
        self._live = {"STEP_COUNT": 0, "FAULT_FLAGS": 0, "EVENTS_DROPPED": 0, "SAMPLE_INDEX": 0}

    def _addr(self, name: str) -> int:
        return register_map().by_name(name).addr

    def reset(self) -> None:
        self._live = dict.fromkeys(self._live, 0)

    def write_register(self, name: str, value: int) -> None:
        reason = self.registers.write(self._addr(name), int(value))
        if reason:
            raise NackError(self.name, f"REG_WRITE {name} = {value}", reason)

    def read_register(self, name: str) -> int:
        value, reason = self.registers.read(self._addr(name), self._live)
        if reason:
            raise NackError(self.name, f"REG_READ {name}", reason)
        return int(value)

    def load_stimulus(self, codes: np.ndarray, brownouts: tuple[tuple[int, int], ...] = ()) -> None:
        self._codes = np.asarray(codes, dtype=np.int16)
        self._brownouts = tuple(brownouts)

    def start(self) -> None:
        self._sampling = True

    def stop(self) -> None:
        self._sampling = False

    def run(self, timeout_s: float | None = None) -> Reception:
        out = Chip(self.registers).run(self._codes, brownouts=self._brownouts)
        frames, raw, end_s = [], bytearray(), 0.0
        for index, frame in indexed_frames(out):
            end_s = max(index / RATE_HZ, end_s) + wire_time_s(len(frame.payload))
            frames.append(ReceivedFrame(frame, end_s))
            raw += frame.encode()
        self._live.update(live_registers(out.events, len(self._codes), self._brownouts))
        stats = LinkStats(frames_ok=len(frames))
        return Reception(frames, bytes(raw), stats, samples=self._codes)

    def close(self) -> None:
        pass
