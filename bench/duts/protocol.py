"""The one interface every DUT backend offers the bench (issue 6).

A session with a chip: reset it, write and read registers (NACKs raise :class:`NackError`),
give it a stimulus (codes for simulated DUTs; a real board gets its analog stimulus through the
waveform generator), start and stop sampling, and collect what it sent — every frame with the
host's receipt time on ``time.monotonic()``'s clock — plus the link statistics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from bench.errors import BenchError
from chip_sim.icd import Frame, NackReason


class DutError(BenchError):
    """A DUT failed in a way the bench cannot recover from; the message names the DUT."""


class NackError(DutError):
    """The chip refused a host frame; ``reason`` is the ICD NACK reason."""

    def __init__(self, dut: str, what: str, reason: int):
        self.reason = int(reason)
        try:
            name = NackReason(reason).name
        except ValueError:
            name = f"reason {reason}"
        super().__init__(f"{dut}: {what} refused with NACK {self.reason} ({name})")


class DutGoneError(DutError):
    """The DUT stopped answering or its link closed mid-run ("aborted: <reason>")."""


@dataclass(frozen=True)
class ReceivedFrame:
    """One frame as the host received it: ``t_host_s`` on ``time.monotonic()``'s clock (for
    simulated DUTs: the simulated time of the last byte, in seconds)."""

    frame: Frame
    t_host_s: float


@dataclass
class LinkStats:
    frames_ok: int = 0
    crc_errors: int = 0
    bad_length: int = 0
    bytes_skipped: int = 0
    seq_gaps: int = 0
    reconnects: int = 0


@dataclass
class Reception:
    """What a run brought back: frames in arrival order, the raw bytes, the link statistics and,
    when the run ended early, why ("aborted: <reason>"). ``samples``: the codes (N, 8) the DUT's
    front end delivered to its core, where the DUT reports them — a simulated core, its stimulus
    as it took it; a board, its SAMPLES stream — or None."""

    frames: list[ReceivedFrame] = field(default_factory=list)
    raw: bytes = b""
    stats: LinkStats = field(default_factory=LinkStats)
    aborted: str | None = None
    samples: np.ndarray | None = None


@runtime_checkable
class Dut(Protocol):
    name: str

    def reset(self) -> None:
        """COMMAND RESET; returns once the chip's RESET event (reason 2) has arrived."""

    def write_register(self, name: str, value: int) -> None:
        """REG_WRITE; raises NackError when the chip refuses."""

    def read_register(self, name: str) -> int:
        """REG_READ; raises NackError when the chip refuses."""

    def load_stimulus(self, codes: np.ndarray, brownouts: tuple[tuple[int, int], ...] = ()) -> None:
        """The ICD codes (N, 8) the chip's front end will deliver once sampling starts."""

    def start(self) -> None:
        """COMMAND START: sampling begins with the loaded stimulus."""

    def stop(self) -> None:
        """COMMAND STOP."""

    def run(self, timeout_s: float | None = None) -> Reception:
        """Start, stream the whole stimulus, stop; everything received meanwhile."""

    def close(self) -> None:
        """Release the link and any simulator."""
