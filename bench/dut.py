"""DUT backends behind one interface: ``run_scenario(name, seed) -> PipelineRun`` (the scenario,
its codes and registers, and the DUT's events and STATUS) and ``frame_bytes(run)`` (the EVENT and
STATUS frames as they came off the DUT's line). The golden model runs in-process; the RTL runs in
a simulator through cocotb; serial boards arrive with their issue and plug in here."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from bench.errors import BenchError
from chip_sim.core.chip import CoreOutput
from chip_sim.core.events import EVENT_DTYPE, STATUS_DTYPE, canonical
from chip_sim.core.frames import output_bytes
from chip_sim.icd import EventCode, EventPayload, FrameType, StatusPayload, encode_frame
from chip_sim.pipeline import PipelineRun, run_scenario
from scenarios import library

#: the longest scenario the RTL backend simulates (≈ 20 min of Verilator for 2 h at 100 Hz);
#: longer ones are refused with this reason instead of running for hours
RTL_MAX_SAMPLES = 720_000


@dataclass
class GoldenDut:
    """The golden model: scenario → front end → digital core, in this process."""

    name: str = "golden"
    _cache: dict = field(default_factory=dict, repr=False)

    def run_scenario(self, scenario_name: str, seed: int) -> PipelineRun:
        key = (scenario_name, seed)
        if key not in self._cache:
            self._cache[key] = run_scenario(library.load(scenario_name), seed)
        return self._cache[key]

    def frame_bytes(self, run: PipelineRun) -> bytes:
        """The run's events and STATUS as the DUT sends them: ICD frames."""
        return output_bytes(run.output)


class RtlUnavailableError(BenchError):
    """The RTL backend cannot run a scenario here (simulator missing, scenario too long)."""


@dataclass
class RtlDut:
    """The chip's RTL (hdl_models/rtl/smile_core.v) in Icarus or Verilator: the scenario's codes
    and registers come from the same pipeline as the golden model; the registers are written over
    the chip's UART, the samples streamed inside the HDL, and the events and STATUS are what the
    chip's UART sent, decoded by cocotbext-uart and the ICD decoder."""

    simulator: str = "verilator"
    name: str = "rtl"
    work_dir: Path | None = None
    _cache: dict = field(default_factory=dict, repr=False)
    _frames: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        check_simulator(self.simulator, installed=False)  # installed: checked when run
        self.name = f"rtl:{self.simulator}"
        if self.work_dir is None:  # run files: removed with this object
            self._tmp = tempfile.TemporaryDirectory(prefix="smile-rtl-")
            self.work_dir = Path(self._tmp.name)

    def run_scenario(self, scenario_name: str, seed: int) -> PipelineRun:
        key = (scenario_name, seed)
        if key in self._cache:
            return self._cache[key]
        from hdl_models import core_sim

        check_simulator(self.simulator)
        scenario = library.load(scenario_name)
        golden = run_scenario(scenario, seed)
        if golden.codes.n > RTL_MAX_SAMPLES:
            raise RtlUnavailableError(
                f"scenario {scenario_name} has {golden.codes.n} samples; the RTL backend "
                f"simulates at most {RTL_MAX_SAMPLES} (equivalence covers windows of it)"
            )
        rmap = golden.registers.map
        regs = {k: v for k, v in golden.registers.values().items() if rmap.by_name(k).writable}
        case = core_sim.CoreCase(
            f"{scenario.name}-s{seed}", golden.codes.codes, regs, tuple(golden.codes.brownouts)
        )
        result = simulate_rtl(case, self.simulator, self.work_dir, f"RTL run of {scenario.name}")
        trouble = [
            f"{k} = {result.counters[k]}"
            for k in ("overruns", "resp_dropped")
            if result.counters.get(k)
        ] + [f"REG_WRITE 0x{a:02X} answered 0x{t:02X}" for a, _, t, _ in result.writes if t != 0x7E]
        if trouble:
            raise BenchError(f"RTL run of {scenario_name} seed {seed}: " + "; ".join(trouble))
        out = rtl_output(result, golden.codes.brownouts)
        run = replace(golden, output=out)
        self._cache[key] = run
        self._frames[id(out)] = [
            f for f in result.stream_frames() if f["type"] in (FrameType.EVENT, FrameType.STATUS)
        ]
        return run

    def frame_bytes(self, run: PipelineRun) -> bytes:
        """The EVENT and STATUS frames the RTL sent for ``run`` (re-encoded from the decoded
        frames: identical bytes, as each passed its CRC)."""
        frames = self._frames[id(run.output)]
        return b"".join(
            encode_frame(f["type"], f["seq"], bytes.fromhex(f["payload"])) for f in frames
        )


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


def rtl_output(result, brownouts) -> CoreOutput:
    """The RTL's events and STATUS (a core_sim.CoreResult) as golden-model arrays."""
    frames = [(f["type"], bytes.fromhex(f["payload"])) for f in result.stream_frames()]
    return output_from_frames(frames, brownouts)


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


def make_dut(kind: str):
    """The scenario-level DUT for ``kind``; an unknown or misspelt kind is refused with the list
    of known ones (``bench.station.parse_dut``), never taken for the golden model."""
    from bench.station import parse_dut

    kind = parse_dut(kind, "DUT")
    if kind.startswith("mutant:"):
        from bench.verification.mutants import MutantDut

        return MutantDut(mutation=kind.split(":", 1)[1])
    if kind.startswith("serial:"):
        raise BenchError(
            f"DUT {kind!r}: a serial board runs a scenario through its station "
            "(smile-bench run --station FILE --scenario NAME); the verification suite runs on "
            "golden, rtl or a mutant"
        )
    if kind == "rtl" or kind.startswith("rtl:"):
        return RtlDut(simulator=kind.split(":", 1)[1] if ":" in kind else "verilator")
    return GoldenDut()
