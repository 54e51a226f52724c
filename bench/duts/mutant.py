"""Mutant DUTs: any DUT session with one injected defect. The verification suite must fail on
every one (ISO 13485 §7.5.6 / FDA CSA: the bench must show it catches a DUT that misbehaves).

A mutant wraps a session (``bench.duts.protocol.Dut``: the golden model by default, or the RTL or
a board) and changes what a faulty chip or board would change — the register value it uses, the
wiring of its front end, its event stream or the bytes on its line — and nothing in the tests.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bench.duts.protocol import Dut, LinkStats, ReceivedFrame, Reception
from chip_sim.icd import EventCode, EventPayload, Frame, FrameDecoder, FrameType

FIFO_DEPTH = 64  # the chip's event FIFO (ICD §5)
LATE_SAMPLES = 30  # extra_latency: 300 ms at 100 Hz
RATE_HZ = 100.0

#: name -> what the defect is (the mutation itself is in MutantSession)
MUTATIONS: dict[str, str] = {
    "threshold_off_by_one": "OVERLOAD_LIMIT used one LSB above the programmed value "
    "(an off-by-one in the limit conversion)",
    "extra_latency": f"every event decided {LATE_SAMPLES} samples late",
    "dropped_event": "every 40th event lost, and every FALL (the worst event to lose)",
    "wrong_crc": "the CRC computed over the wrong range: the low CRC byte of every frame flipped",
    "swapped_axis": "ACC_X and ACC_Z swapped in the front end's wiring",
    "stuck_fifo": f"the event FIFO stops draining once full: only the first {FIFO_DEPTH} events",
}

#: The requirements whose figures must catch each mutant (the kill table counts a kill only on
#: one of them failing; bench.verification.kill_table), from what each defect breaks. SRS-060
#: compares the DUT's events with the executable specification run on the codes and registers
#: the DUT reports (its front end's samples, its registers read back): it catches a defect in
#: the event stream (late, lost, stuck, or frames the host refuses for their CRC), not one in
#: the codes or the registers, which the specification then shares.
CATCHES: dict[str, tuple[str, ...]] = {
    "threshold_off_by_one": ("SRS-020", "SRS-021", "SRS-022", "SRS-023"),
    "extra_latency": ("SRS-060", "SRS-011", "SRS-021", "SRS-040", "SRS-041", "SRS-042"),
    "dropped_event": ("SRS-060", "SRS-001", "SRS-004", "SRS-010"),
    "wrong_crc": ("SRS-050", "SRS-051", "SRS-060"),
    "swapped_axis": ("SRS-055", "SRS-001", "SRS-010"),
    "stuck_fifo": ("SRS-060", "SRS-001", "SRS-004", "SRS-010", "SRS-072"),
}


class MutantSession:
    """``inner`` with the defect ``mutation``; the Dut protocol, delegated."""

    def __init__(self, inner: Dut, mutation: str) -> None:
        if mutation not in MUTATIONS:
            raise ValueError(f"mutant {mutation!r}; expected one of {', '.join(MUTATIONS)}")
        self.inner = inner
        self.mutation = mutation
        self.name = f"mutant:{mutation}"

    def reset(self) -> None:
        self.inner.reset()

    def write_register(self, name: str, value: int) -> None:
        if self.mutation == "threshold_off_by_one" and name == "OVERLOAD_LIMIT":
            value = min(int(value) + 1, 32767)
        self.inner.write_register(name, value)

    def read_register(self, name: str) -> int:
        return self.inner.read_register(name)

    def load_stimulus(self, codes: np.ndarray, brownouts: tuple[tuple[int, int], ...] = ()) -> None:
        if self.mutation == "swapped_axis":
            codes = np.asarray(codes).copy()
            codes[:, [0, 2]] = codes[:, [2, 0]]
        self.inner.load_stimulus(codes, brownouts)

    def start(self) -> None:
        self.inner.start()

    def stop(self) -> None:
        self.inner.stop()

    def run(self, timeout_s: float | None = None) -> Reception:
        got = self.inner.run(timeout_s)
        if self.mutation == "wrong_crc":
            return _corrupt_crcs(got)
        if self.mutation in ("extra_latency", "dropped_event", "stuck_fifo"):
            return _rebuilt(got, _EVENT_MUTATIONS[self.mutation](got.frames))
        return got

    def close(self) -> None:
        self.inner.close()


def _events(frames: list[ReceivedFrame]) -> list[int]:
    """Positions of the EVENT frames other than RESET (the chip's own restarts stay)."""
    out = []
    for i, rf in enumerate(frames):
        is_event = rf.frame.frame_type == FrameType.EVENT
        if is_event and EventPayload.decode(rf.frame.payload).code != EventCode.RESET:
            out.append(i)
    return out


def _late(frames: list[ReceivedFrame]) -> list[ReceivedFrame]:
    out = list(frames)
    for i in _events(frames):
        rf = frames[i]
        e = EventPayload.decode(rf.frame.payload)
        payload = replace(e, sample_index=e.sample_index + LATE_SAMPLES).encode()
        out[i] = ReceivedFrame(
            replace(rf.frame, payload=payload), rf.t_host_s + LATE_SAMPLES / RATE_HZ
        )
    return sorted(out, key=lambda rf: rf.t_host_s)


def _dropped(frames: list[ReceivedFrame]) -> list[ReceivedFrame]:
    drop = set()
    for n, i in enumerate(_events(frames)):
        code = EventPayload.decode(frames[i].frame.payload).code
        if n % 40 == 39 or code == EventCode.FALL:
            drop.add(i)
    return [rf for i, rf in enumerate(frames) if i not in drop]


def _stuck(frames: list[ReceivedFrame]) -> list[ReceivedFrame]:
    lost = set(_events(frames)[FIFO_DEPTH:])
    return [rf for i, rf in enumerate(frames) if i not in lost]


_EVENT_MUTATIONS = {"extra_latency": _late, "dropped_event": _dropped, "stuck_fifo": _stuck}


def _rebuilt(got: Reception, frames: list[ReceivedFrame]) -> Reception:
    raw = b"".join(rf.frame.encode() for rf in frames)
    stats = replace(got.stats, frames_ok=len(frames))
    return Reception(frames, raw, stats, got.aborted)


def _corrupt_crcs(got: Reception) -> Reception:
    """Every frame's low CRC byte flipped on the line: the host's decoder refuses them all."""
    raw = bytearray()
    for rf in got.frames:
        b = bytearray(rf.frame.encode())
        b[-2] ^= 0x01
        raw += b
    decoder = FrameDecoder()
    kept: list[Frame] = decoder.feed(bytes(raw))
    stats = LinkStats(frames_ok=decoder.frames_ok, crc_errors=decoder.crc_errors)
    times = iter(rf.t_host_s for rf in got.frames)
    return Reception([ReceivedFrame(f, next(times)) for f in kept], bytes(raw), stats, got.aborted)
