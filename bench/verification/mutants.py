"""Mutant DUTs: the golden model with one injected defect each. The verification suite must fail
on every one (ISO 13485 §7.5.6 / FDA CSA: the bench must show it catches a DUT that misbehaves).

Each mutant changes what a faulty chip or board would change — its register file, its codes, its
event stream or its bytes — and nothing in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from bench.dut import GoldenDut
from chip_sim.core import Chip, CoreOutput
from chip_sim.icd import EventCode
from chip_sim.pipeline import PipelineRun
from chip_sim.registers import RegisterFile

FIFO_DEPTH = 64


def _rerun(run: PipelineRun, codes=None, registers: RegisterFile | None = None) -> PipelineRun:
    regs = registers or run.registers
    c = run.codes if codes is None else codes
    out = Chip(regs).run(c.codes, brownouts=c.brownouts)
    return replace(run, codes=c, registers=regs, output=out)


def _with_events(run: PipelineRun, events: np.ndarray) -> PipelineRun:
    return replace(run, output=CoreOutput(events, run.output.status))


def threshold_off_by_one(run: PipelineRun) -> PipelineRun:
    """OVERLOAD_LIMIT programmed one LSB high (an off-by-one in the limit conversion)."""
    values = run.registers.values()
    regs = RegisterFile(
        {k: v for k, v in values.items() if run.registers.map.by_name(k).writable}
        | {"OVERLOAD_LIMIT": min(values["OVERLOAD_LIMIT"] + 1, 32767)}
    )
    return _rerun(run, registers=regs)


def extra_latency(run: PipelineRun) -> PipelineRun:
    """Every event decided 30 samples (300 ms at 100 Hz) late."""
    ev = run.output.events.copy()
    late = ev["code"] != int(EventCode.RESET)
    ev["stream_index"][late] += 30
    ev["sample_index"][late] += 30
    return _with_events(run, ev)


def dropped_event(run: PipelineRun) -> PipelineRun:
    """Every 40th event lost (and every FALL: the worst event to lose)."""
    ev = run.output.events
    keep = (np.arange(len(ev)) % 40 != 39) & (ev["code"] != int(EventCode.FALL))
    return _with_events(run, ev[keep])


def swapped_axis(run: PipelineRun) -> PipelineRun:
    """ACC_X and ACC_Z swapped in the front end's wiring."""
    codes = run.codes.codes.copy()
    codes[:, [0, 2]] = codes[:, [2, 0]]
    return _rerun(run, codes=replace(run.codes, codes=codes))


def stuck_fifo(run: PipelineRun) -> PipelineRun:
    """The event FIFO stops draining once it has filled: only the first 64 events leave the chip."""
    return _with_events(run, run.output.events[:FIFO_DEPTH])


MUTATIONS = {
    "threshold_off_by_one": threshold_off_by_one,
    "extra_latency": extra_latency,
    "dropped_event": dropped_event,
    "wrong_crc": None,  # bytes only: see MutantDut.frame_bytes
    "swapped_axis": swapped_axis,
    "stuck_fifo": stuck_fifo,
}

#: The requirements whose figures must catch each mutant (the kill table counts a kill only on
#: one of them failing; bench.verification.kill_table), from what each defect breaks. SRS-060
#: compares the DUT's events with the executable specification run on the DUT's own codes and
#: registers: it catches a defect in the event stream (late, lost, stuck), not one in the codes
#: or the registers, which the specification then shares.
CATCHES: dict[str, tuple[str, ...]] = {
    "threshold_off_by_one": ("SRS-020", "SRS-021", "SRS-022", "SRS-023"),
    "extra_latency": ("SRS-060", "SRS-011", "SRS-021", "SRS-040", "SRS-041", "SRS-042"),
    "dropped_event": ("SRS-060", "SRS-001", "SRS-004", "SRS-010"),
    "wrong_crc": ("SRS-050", "SRS-051"),
    "swapped_axis": ("SRS-055", "SRS-001", "SRS-010"),
    "stuck_fifo": ("SRS-060", "SRS-001", "SRS-004", "SRS-010", "SRS-072"),
}


@dataclass
class MutantDut(GoldenDut):
    mutation: str = "extra_latency"
    _mutated: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.mutation not in MUTATIONS:
            raise ValueError(f"mutant {self.mutation!r}; expected one of {', '.join(MUTATIONS)}")
        self.name = f"mutant:{self.mutation}"

    def run_scenario(self, scenario_name: str, seed: int) -> PipelineRun:
        key = (scenario_name, seed)
        if key not in self._mutated:
            run = super().run_scenario(scenario_name, seed)
            fn = MUTATIONS[self.mutation]
            self._mutated[key] = fn(run) if fn else run
        return self._mutated[key]

    def frame_bytes(self, run: PipelineRun) -> bytes:
        raw = super().frame_bytes(run)
        if self.mutation != "wrong_crc":
            return raw
        return _corrupt_crcs(raw)


def _corrupt_crcs(raw: bytes) -> bytes:
    """Flip the low CRC byte of every frame (a CRC computed over the wrong range)."""
    from chip_sim.icd import FrameDecoder

    out = bytearray()
    for f in FrameDecoder().feed(raw):
        b = bytearray(f.encode())
        b[-2] ^= 0x01
        out += b
    return bytes(out)
