"""The RTL as a session DUT (``bench.duts.protocol.Dut``): ``hdl_models/rtl/smile_core.v`` in
Icarus or Verilator through cocotb. Every simulation starts from power-on, so the session replays
the register writes it has made so far before each request or run (the chip's registers are what
those writes made them). Frames carry the simulated time of their last byte, counted from the
first sample's strobe; ``real_time=True`` paces samples at 100 Hz (9216 clocks), otherwise the
harness's elastic pacing gives the same frames in far fewer clocks but no meaningful times.

``batch_writes=True`` (how a scenario is played, ``bench.run.play``): a register write is checked
against the register map at once (a refused value raises :class:`NackError` as the chip would)
and written by the harness over the chip's UART at the start of the run, where the RTL's own
answer to every write must be an ACK — one simulation per run instead of one per write."""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from pathlib import Path

import numpy as np

from bench.duts.protocol import DutError, LinkStats, NackError, ReceivedFrame, Reception
from chip_sim.icd import Frame, FrameDecoder, FrameType, encode_frame
from chip_sim.registers import RegisterFile, register_map

#: the longest stimulus the RTL backend simulates (≈ 20 min of Verilator for 2 h at 100 Hz);
#: longer ones are refused with this reason instead of running for hours
RTL_MAX_SAMPLES = 720_000
ACK = int(FrameType.ACK)


class RtlUnavailableError(DutError):
    """The RTL backend cannot run here (simulator missing or failing, stimulus too long)."""


def check_simulator(simulator: str, *, installed: bool = True) -> None:
    """RtlUnavailableError unless ``simulator`` is one the RTL runs on (and, with ``installed``,
    is installed here)."""
    from hdl_models import sim

    if simulator not in sim.SIMULATORS:
        raise RtlUnavailableError(
            f"simulator {simulator!r}; expected one of {', '.join(sim.SIMULATORS)}"
        )
    if installed and not sim.available(simulator):
        raise RtlUnavailableError(f"simulator {simulator} is not installed here")


def simulate_rtl(case, simulator: str, work_dir: Path, who: str):
    """``hdl_models.core_sim.run_core`` with the bench's build cache, run files under
    ``work_dir``; a simulator failure becomes a one-line RtlUnavailableError naming ``who``."""
    from hdl_models import core_sim, sim

    try:
        return core_sim.run_core(case, simulator, build_cache(), work_dir / case.name)
    except sim.SimulatorError as exc:
        raise RtlUnavailableError(f"{who}: {exc}") from None


def build_cache() -> Path:
    """Where the RTL backend keeps its simulator builds between runs (an unchanged Verilator
    rebuild takes 0.1 s instead of 15 s): $XDG_CACHE_HOME/smile-bench/hdl_build, one folder per
    checkout of the RTL (two checkouts building into one folder broke Verilator's incremental
    link) and per pytest-xdist worker."""
    from hdl_models import sim

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    checkout = hashlib.sha1(str(Path(sim.__file__).resolve().parent).encode()).hexdigest()[:10]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return base / "smile-bench" / "hdl_build" / checkout / worker


class RtlSession:
    def __init__(
        self, simulator: str = "verilator", *, real_time: bool = True, batch_writes: bool = False
    ) -> None:
        check_simulator(simulator)
        self.simulator = simulator
        self.name = f"rtl:{simulator}"
        self.real_time = real_time
        self.batch_writes = batch_writes
        self._shadow = RegisterFile()  # what the register map accepts (batch_writes)
        self._confirmed: dict[int, int] = {}  # address -> value the RTL ACKed in the last run
        self._writes: list[tuple[int, int]] = []
        self._codes = np.zeros((0, 8), dtype=np.int16)
        self._brownouts: tuple[tuple[int, int], ...] = ()
        self._seq = 0
        self._runs = 0
        self._tmp = tempfile.TemporaryDirectory(prefix="smile-rtl-session-")

    def _simulate(self, script: list[bytes], codes: np.ndarray, brownouts=(), registers=None):
        from hdl_models import core_sim

        if len(codes) > RTL_MAX_SAMPLES:
            raise RtlUnavailableError(
                f"{self.name}: a stimulus of {len(codes)} samples; the RTL backend simulates at "
                f"most {RTL_MAX_SAMPLES} (equivalence covers windows of longer ones)"
            )
        steps = [(raw, [(0, b"")]) for raw in script]  # each step waits for one answer
        case = core_sim.CoreCase(
            f"s{self._runs}",
            codes,
            dict(registers or {}),
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
        if self.batch_writes:
            reason = self._shadow.write(addr, int(value))
            if reason:
                raise NackError(self.name, f"REG_WRITE {name} = {value}", reason)
            self._writes.append((addr, int(value)))
            return
        self._answer(
            self._frame(FrameType.REG_WRITE, struct.pack("<Bi", addr, int(value))),
            f"REG_WRITE {name} = {value}",
        )
        self._writes.append((addr, int(value)))

    def read_register(self, name: str) -> int:
        """In ``batch_writes`` mode a register written and ACKed in the last run reads as the
        value the RTL acknowledged (its register file holds what it ACKs: tests/hdl/
        test_regfile.py); anything else is read from a simulation of its own."""
        addr = register_map().by_name(name).addr
        if self.batch_writes and addr in self._confirmed:
            return self._confirmed[addr]
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
        if self.batch_writes:  # the harness writes them (last value per register) and checks
            rmap = register_map()
            regs = {rmap.by_addr(a).name: v for a, v in self._writes}
            result = self._simulate([], self._codes, self._brownouts, regs)
        else:
            result = self._simulate(self._replayed(), self._codes, self._brownouts)
        trouble = [
            f"{k} = {result.counters[k]}"
            for k in ("overruns", "resp_dropped")
            if result.counters.get(k)
        ] + [f"REG_WRITE 0x{a:02X} answered 0x{t:02X}" for a, _, t, _ in result.writes if t != ACK]
        if trouble:
            raise DutError(f"{self.name}: " + "; ".join(trouble))
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
        if self.batch_writes:  # every write ACKed by the RTL in this run (checked above)
            self._confirmed = dict(self._writes)
        stats = LinkStats(frames_ok=decoder.frames_ok)
        return Reception(frames, bytes(raw), stats, samples=self._codes)

    def close(self) -> None:
        self._tmp.cleanup()
