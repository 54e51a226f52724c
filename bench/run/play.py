"""One routine plays a scenario on any DUT session: program its registers, deliver the stimulus,
run, collect the frames, turn them into the core's output, so that the figures are computed the
same way whatever the DUT — golden model, RTL, a board, a mutant.

The scenario's specification run (``chip_sim.pipeline.run_scenario``: rendering, front-end
codes, registers from the implant site, and the golden core's output) is the stimulus and the
register set; the DUT's own output replaces the golden one in the :class:`PipelineRun` the
verification suite judges, so SRS-060 compares the DUT with the executable specification on the
very codes and registers the bench sent it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from bench.duts.factory import open_dut, parse_dut, rtl_simulator
from bench.duts.protocol import Dut, DutGoneError, Reception
from chip_sim.core.chip import CoreOutput
from chip_sim.core.events import EVENT_DTYPE, STATUS_DTYPE, canonical
from chip_sim.icd import EventCode, EventPayload, FrameType, StatusPayload
from chip_sim.pipeline import PipelineRun, run_scenario
from chip_sim.registers import RegisterFile, register_map
from scenarios import library


@dataclass(frozen=True)
class Played:
    """A scenario played on a DUT: the run with the DUT's output, and what came off its line."""

    run: PipelineRun
    reception: Reception


def program(dut: Dut, run: PipelineRun) -> list[str]:
    """Write every writable register the run sets away from its reset value; the names written."""
    rmap = register_map()
    reset = rmap.reset_values()
    written = []
    for name, value in run.registers.values().items():
        if rmap.by_name(name).writable and reset[name] != value:
            dut.write_register(name, value)
            written.append(name)
    return written


def play(dut: Dut, spec: PipelineRun, *, timeout_s: float | None = None) -> Played:
    """``spec``'s registers and stimulus on ``dut``; the run as the DUT made it: its events and
    STATUS, the registers it holds (each written one read back after the run) and the codes
    its front end delivered, where it reports them."""
    written = program(dut, spec)
    dut.load_stimulus(spec.codes.codes, tuple(spec.codes.brownouts))
    reception = dut.run(timeout_s=timeout_s)
    if reception.aborted:
        raise DutGoneError(
            f"{dut.name}: {spec.scenario.name} seed {spec.seed}: {reception.aborted}"
        )
    out = output_from_frames(
        [(rf.frame.frame_type, rf.frame.payload) for rf in reception.frames], spec.codes.brownouts
    )
    held = {name: dut.read_register(name) for name in written}
    registers = spec.registers
    if any(held[n] != spec.registers[n] for n in held):
        registers = RegisterFile(_writable(spec.registers) | held)
    codes = spec.codes
    if reception.samples is not None and not np.array_equal(reception.samples, codes.codes):
        codes = replace(codes, codes=np.asarray(reception.samples))
    return Played(replace(spec, output=out, registers=registers, codes=codes), reception)


def _writable(registers: RegisterFile) -> dict[str, int]:
    rmap = registers.map
    return {k: v for k, v in registers.values().items() if rmap.by_name(k).writable}


def output_from_frames(frames, brownouts) -> CoreOutput:
    """EVENT and STATUS frames ((TYPE, payload) pairs, in arrival order) as golden-model arrays:
    each RESET opens an epoch that starts at stream index 0 or at the end of a brown-out."""
    starts = [0] + [int(b1) for _, b1 in sorted(brownouts)]
    events, status, epoch = [], [], -1
    for frame_type, payload in frames:
        if frame_type == FrameType.EVENT:
            e = EventPayload.decode(payload)
            epoch += e.code == EventCode.RESET
            offset = starts[min(max(epoch, 0), len(starts) - 1)]
            events.append((offset + e.sample_index, e.sample_index, e.code, e.value))
        elif frame_type == FrameType.STATUS:
            st = StatusPayload.decode(payload)
            offset = starts[min(max(epoch, 0), len(starts) - 1)]
            status.append(
                (
                    offset + st.sample_index,
                    st.sample_index,
                    st.step_count,
                    st.fault_flags,
                    st.events_dropped,
                )
            )
    return CoreOutput(
        canonical(np.array(events, dtype=EVENT_DTYPE)), np.array(status, dtype=STATUS_DTYPE)
    )


class ScenarioDut:
    """Library scenarios played on the DUT ``kind`` names (``bench.duts.factory``), one fresh
    session per scenario and seed, each played once and kept: what the verification suite's
    ``dut`` fixture and ``smile-bench run --scenario`` use. A board (``serial:URL``, ``emulated``)
    takes the scenario's codes by host-port replay (docs/host-replay.md), so that it sees the
    very codes the golden model judges."""

    def __init__(self, kind: str, *, where: str = "DUT") -> None:
        self.kind = parse_dut(kind, where)
        self.name = f"rtl:{rtl_simulator(self.kind)}" if self.kind.startswith("rtl") else self.kind
        self._played: dict[tuple[str, int], Played] = {}

    def session(self) -> Dut:
        # the RTL takes the register writes in one simulation with the stimulus; no real-time
        # pacing (the figures use sample indices, not host times)
        return open_dut(self.kind, real_time=False, batch_writes=True, stimulus="host")

    def run_scenario(self, scenario_name: str, seed: int) -> PipelineRun:
        key = (scenario_name, seed)
        if key not in self._played:
            spec = run_scenario(library.load(scenario_name), seed)
            dut = self.session()
            try:
                played = play(dut, spec)
            finally:
                dut.close()
            self._played[key] = played
        return self._played[key].run

    def frame_bytes(self, run: PipelineRun) -> bytes:
        """The bytes that came off the DUT's line while it ran ``run`` (the EVENT and STATUS
        frames, as sent: a frame the host refused is in them too)."""
        return next(p.reception.raw for p in self._played.values() if p.run is run)
