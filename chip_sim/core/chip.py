"""``Chip``: the golden model's public face — registers in, codes in, events out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from chip_sim.core import reference, vectorised
from chip_sim.core.config import CoreConfig
from chip_sim.core.events import run_epochs
from chip_sim.errors import ChipError
from chip_sim.icd import EventCode
from chip_sim.registers import RegisterFile

N_CHANNELS = 8


@dataclass(frozen=True)
class CoreOutput:
    """Events (``chip_sim.core.events.EVENT_DTYPE``) and STATUS records, canonical order."""

    events: np.ndarray
    status: np.ndarray

    def of(self, code: EventCode) -> np.ndarray:
        return self.events[self.events["code"] == int(code)]


class Chip:
    """The digital core. ``registers`` maps register names to values (others keep their reset
    values); ``implementation`` is "vectorised" (fast, default) or "reference" (sample by sample,
    the executable specification)."""

    def __init__(
        self,
        registers: Mapping[str, int] | RegisterFile | None = None,
        *,
        implementation: str = "vectorised",
    ):
        if implementation not in ("vectorised", "reference"):
            raise ChipError(
                f"implementation {implementation!r}; expected 'vectorised' or 'reference'"
            )
        self.registers = (
            registers if isinstance(registers, RegisterFile) else RegisterFile(registers)
        )
        self.implementation = implementation

    def run(self, codes: np.ndarray, *, brownouts: tuple[tuple[int, int], ...] = ()) -> CoreOutput:
        """Process a stream of ICD codes, shape (N, 8), dtype int16. ``brownouts`` are
        (start, end) sample ranges during which the chip is unpowered; it restarts after each."""
        codes = check_codes(codes)
        n = len(codes)
        for b in brownouts:
            if len(b) != 2 or not 0 <= b[0] < b[1] <= n:
                raise ChipError(
                    f"brownout {b!r}; expected (start, end) with 0 <= start < end <= {n}"
                )
        cfg = CoreConfig.from_registers(self.registers)
        impl = vectorised if self.implementation == "vectorised" else reference
        events, status = run_epochs(impl.run_epoch, codes, cfg, tuple(brownouts))
        return CoreOutput(events, status)


def check_codes(codes: object) -> np.ndarray:
    if not isinstance(codes, np.ndarray):
        raise ChipError(f"codes must be a numpy array of int16, got {type(codes).__name__}")
    if codes.dtype != np.int16:
        raise ChipError(f"codes have dtype {codes.dtype}; expected int16 (ICD section 1 codes)")
    if codes.ndim != 2 or codes.shape[1] != N_CHANNELS:
        raise ChipError(f"codes have shape {codes.shape}; expected (N, {N_CHANNELS})")
    return codes
