"""Run the assembled RTL core (``rtl/smile_core.v`` in ``tests/tb_core.v``) on a stream of ICD codes
and compare what it sends with the golden model.

:func:`run_core` writes the stimulus (``$readmemh`` hex, brown-outs as a flag) and the case JSON,
runs the cocotb bench ``hdl_models/harness/test_core.py`` on Icarus or Verilator and returns the
frames the chip sent, decoded by cocotbext-uart and ``chip_sim.icd.FrameDecoder``.
:func:`expected` is the golden model's answer for the same case and :func:`compare` names the first
divergent event or STATUS. The core's clock is 921.6 kHz; ``clks_per_sample = 9216`` is 100 Hz in
real time, 0 the harness's elastic pacing (same output, far fewer clocks; see tb_core.v).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from chip_sim.core.chip import Chip, CoreOutput
from chip_sim.core.events import live_registers
from chip_sim.icd import EventCode, EventPayload, FrameType, StatusPayload
from chip_sim.registers import RegisterFile, register_map
from hdl_models import sim

HDL = Path(__file__).resolve().parent
RTL = HDL / "rtl"
SOURCES = [
    RTL / name
    for name in (
        "crc16.v",
        "uart_tx.v",
        "uart_rx.v",
        "frame_tx.v",
        "host_rx.v",
        "regfile.v",
        "isqrt32.v",
        "step_detector.v",
        "fault_detector.v",
        "fall_detector.v",
        "overload_detector.v",
        "temp_detector.v",
        "sync_fifo.v",
        "smile_core.v",
    )
] + [HDL / "harness" / "tb_core.v"]
TOPLEVEL = "tb_core"
CLOCK_HZ = 921_600
CLKS_PER_SAMPLE_100HZ = CLOCK_HZ // 100
MAX_SAMPLES = 131_072
#: live (read-only) registers read back after a run
LIVE = ("STEP_COUNT", "FAULT_FLAGS", "EVENTS_DROPPED", "SAMPLE_INDEX")

Event = tuple[int, int, int]  # code, sample_index, value
Status = tuple[int, int, int, int]  # sample_index, step_count, fault_flags, events_dropped


@dataclass(frozen=True)
class CoreCase:
    """One simulation: codes (N, 8) int16, brown-outs as (start, end) sample ranges, registers to
    write before streaming (by name), pacing, an optional host script and waveform window."""

    name: str
    codes: np.ndarray
    registers: Mapping[str, int] = field(default_factory=dict)
    brownouts: tuple[tuple[int, int], ...] = ()
    clks_per_sample: int = 0
    host_script: Sequence[tuple[bytes, Sequence[tuple[int, bytes]]]] = ()
    dump_window: tuple[int, int] | None = None


@dataclass
class CoreResult:
    name: str
    sim: str
    frames: list[dict]
    stream_end: int
    live: dict[str, int | None]
    counters: dict[str, int]
    cycles: int
    writes: list
    host_log: list
    wall_s: float
    t_stream_ns: float = 0.0  # simulated time when streaming began
    waveform: Path | None = None

    def stream_frames(self) -> list[dict]:
        return self.frames[: self.stream_end]

    def events(self) -> list[Event]:
        return [
            (e.code, e.sample_index, e.value)
            for f in self.stream_frames()
            if f["type"] == FrameType.EVENT
            for e in [EventPayload.decode(bytes.fromhex(f["payload"]))]
        ]

    def status(self) -> list[Status]:
        return [
            (s.sample_index, s.step_count, s.fault_flags, s.events_dropped)
            for f in self.stream_frames()
            if f["type"] == FrameType.STATUS
            for s in [StatusPayload.decode(bytes.fromhex(f["payload"]))]
        ]

    def seq_errors(self) -> list[str]:
        """Frames whose SEQ is not the previous + 1 (mod 256); a RESET event restarts at 0."""
        problems, prev = [], None
        for k, f in enumerate(self.frames):
            p = bytes.fromhex(f["payload"])
            is_reset = f["type"] == FrameType.EVENT and p[0] == EventCode.RESET
            want = 0 if is_reset or prev is None else (prev + 1) & 0xFF
            if f["seq"] != want:
                problems.append(f"frame {k} (type 0x{f['type']:02X}) SEQ {f['seq']}, want {want}")
            prev = f["seq"]
        return problems


def write_stimulus(path: Path, codes: np.ndarray, brownouts: Sequence[tuple[int, int]]) -> None:
    """One line per sample: flag nibble (1 = unpowered) then channels 7..0 as 16-bit hex."""
    words = codes.astype(np.int64) & 0xFFFF
    off = np.zeros(len(codes), dtype=bool)
    for b0, b1 in brownouts:
        off[b0:b1] = True
    lines = []
    for flag, row in zip(off.tolist(), words[:, ::-1].tolist(), strict=True):
        lines.append(("1" if flag else "0") + "".join(f"{c:04x}" for c in row))
    path.write_text("\n".join(lines) + "\n")


def _ranges(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of the runs of True in ``mask``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def register_writes(registers: Mapping[str, int]) -> list[list[int]]:
    """(addr, value) of every register that differs from its reset value, in address order."""
    rmap = register_map()
    reset = rmap.reset_values()
    writes = []
    for name, value in registers.items():
        if rmap.by_name(name).writable and reset[name] != value:
            writes.append([rmap.by_name(name).addr, int(value)])
    return sorted(writes)


def run_core(
    case: CoreCase,
    simulator: str,
    build_root: Path,
    work_dir: Path,
    *,
    waves: bool = False,
) -> CoreResult:
    """Simulate ``case`` on ``simulator``; every file goes to ``work_dir``."""
    codes = np.asarray(case.codes)
    if codes.ndim != 2 or codes.shape[1] != 8:
        raise ValueError(f"case {case.name}: codes have shape {codes.shape}; expected (N, 8)")
    work_dir.mkdir(parents=True, exist_ok=True)
    # the harness memory holds MAX_SAMPLES: a longer stream goes in chunks, loaded one after the
    # other into the same running chip (its state carries over, as on a real bench)
    off = np.zeros(len(codes), dtype=bool)
    for b0, b1 in case.brownouts:
        off[b0:b1] = True
    chunks = []
    for k, lo in enumerate(range(0, len(codes), MAX_SAMPLES)):
        part = codes[lo : lo + MAX_SAMPLES]
        stim = work_dir / f"{case.name}.{k}.hex"
        runs = _ranges(off[lo : lo + MAX_SAMPLES])
        write_stimulus(stim, part, runs)
        chunks.append({"path": str(stim), "n": len(part)})
    results = work_dir / f"{case.name}.{simulator}.results.json"
    results.unlink(missing_ok=True)
    rmap = register_map()
    dump = None
    wave_path = None
    if case.dump_window is not None and simulator == "icarus":
        wave_path = work_dir / f"{case.name}.fst"
        dump = {"path": str(wave_path), "from": case.dump_window[0], "to": case.dump_window[1]}
    spec = {
        "name": case.name,
        "stimulus": chunks,
        "n_samples": len(codes),
        "clks_per_sample": case.clks_per_sample,
        "writes": register_writes(case.registers),
        "host_script": [
            [raw.hex(), [[t, p.hex()] for t, p in answers]] for raw, answers in case.host_script
        ],
        "live": {name: rmap.by_name(name).addr for name in LIVE},
        "dump": dump,
        "results": str(results),
    }
    case_json = work_dir / f"{case.name}.{simulator}.case.json"
    case_json.write_text(json.dumps(spec))
    t0 = time.perf_counter()
    sim.build_and_test(
        simulator,
        sources=SOURCES,
        toplevel=TOPLEVEL,
        test_module="test_core",
        test_dir=HDL / "harness",
        build_dir=sim.build_dir_for(build_root, simulator, TOPLEVEL, {"MAX_SAMPLES": MAX_SAMPLES}),
        parameters={"MAX_SAMPLES": MAX_SAMPLES},
        extra_env={"CORE_CASE_JSON": str(case_json)},
        waves=waves,
        timing=True,
        hdl_dumps=dump is not None,
    )
    wall = time.perf_counter() - t0
    r = json.loads(results.read_text())
    return CoreResult(
        name=case.name,
        sim=simulator,
        frames=r["frames"],
        stream_end=r["stream_end"],
        live=r["live"],
        counters=r["counters"],
        cycles=r["cycles"],
        writes=r["writes"],
        host_log=r["host_log"],
        wall_s=wall,
        t_stream_ns=float(r["t_stream_ns"]),
        waveform=wave_path if wave_path and wave_path.is_file() else None,
    )


@dataclass(frozen=True)
class Expected:
    events: list[Event]
    status: list[Status]
    live: dict[str, int]
    output: CoreOutput


def expected(case: CoreCase) -> Expected:
    """The golden model's events, STATUS records and live registers for ``case``."""
    rmap = register_map()
    regs = RegisterFile({k: v for k, v in case.registers.items() if rmap.by_name(k).writable})
    out = Chip(regs).run(np.asarray(case.codes, dtype=np.int16), brownouts=case.brownouts)
    events = [(int(e["code"]), int(e["sample_index"]), int(e["value"])) for e in out.events]
    status = [
        (int(s["sample_index"]), int(s["step_count"]), int(s["fault_flags"]), 0) for s in out.status
    ]
    live = live_registers(out.events, len(case.codes), case.brownouts)
    return Expected(events, status, live, out)


def first_divergence(got: Sequence, want: Sequence, what: str) -> str | None:
    """A message naming the first item where RTL and model differ, or None when equal."""
    for k, (g, w) in enumerate(zip(got, want, strict=False)):
        if g != w:
            return f"{what} {k}: RTL {g}, model {w}"
    if len(got) == len(want):
        return None
    k = min(len(got), len(want))
    extra = got[k] if len(got) > k else want[k]
    who = "RTL has an extra" if len(got) > k else "RTL misses the"
    return f"{what} {k}: {who} {what} {extra}"


def compare(result: CoreResult, want: Expected) -> list[str]:
    """Every difference between the RTL's run and the golden model's, first divergence first."""
    problems = []
    if msg := first_divergence(result.events(), want.events, "event"):
        problems.append(msg + " (code, sample_index, value)")
    if msg := first_divergence(result.status(), want.status, "STATUS"):
        problems.append(msg + " (sample_index, step_count, fault_flags, events_dropped)")
    for name, value in want.live.items():
        if result.live.get(name) != value:
            problems.append(f"register {name}: RTL {result.live.get(name)}, model {value}")
    problems += result.seq_errors()[:3]
    for name in ("overruns", "events_dropped", "status_lost", "resp_dropped"):
        if result.counters.get(name):
            problems.append(f"harness counter {name} = {result.counters[name]}, want 0")
    for addr, value, ftype, payload in result.writes:
        if ftype != FrameType.ACK:
            problems.append(f"REG_WRITE 0x{addr:02X} = {value}: answer 0x{ftype:02X} {payload}")
    return problems


def divergent_sample(result: CoreResult, want: Expected) -> int | None:
    """Sample index (stream position) around which RTL and model first differ."""
    got, exp = result.events(), want.events
    for g, w in zip(got, exp, strict=False):
        if g != w:
            return min(g[1], w[1])
    if len(got) != len(exp):
        k = min(len(got), len(exp))
        return (got[k] if len(got) > k else exp[k])[1]
    for g, w in zip(result.status(), want.status, strict=False):
        if g != w:
            return min(g[0], w[0])
    return None


#: the longest stretch of a scenario run whole on the RTL (all full-detail library scenarios fit)
WHOLE_MAX_S = 180.0
#: window of the long scenarios (the 24 h day, the morning): it starts 10 s before the first bout
WINDOW_S = 120.0


def library_case(name: str, seed: int, *, clks_per_sample: int = 0) -> CoreCase:
    """The RTL case of library scenario ``name``: the whole scenario when it lasts at most
    WHOLE_MAX_S, else a WINDOW_S window from 10 s before its first walking bout; for a weeks-long
    course, its first full-detail digest window. Codes come through the front end exactly as in
    ``chip_sim.pipeline.run_scenario`` (same seed, same registers)."""
    from chip_sim.pipeline import digitise, run_scenario
    from chip_sim.presets import registers_for
    from scenarios import library
    from scenarios.digest import render_digest
    from scenarios.sites import SITES

    scenario = library.load(name)
    if scenario.is_digest:
        digest = render_digest(scenario, seed)
        rendering = digest.windows[0][1]
        codes = digitise(rendering, seed)
        site = SITES[scenario.patient.implant_site]
        regs = registers_for(
            scenario.patient.implant_site,
            overload_limit_n=rendering.overload_limit_n,
            strain_ue_per_n=site.strain_ue_per_n,
        )
        return CoreCase(
            f"{name}-s{seed}",
            codes.codes,
            regs.values(),
            tuple(codes.brownouts),
            clks_per_sample,
        )
    run = run_scenario(scenario, seed)
    codes, brownouts = run.codes.codes, tuple(run.codes.brownouts)
    rate = run.rate_hz
    if len(codes) > WHOLE_MAX_S * rate:
        starts = run.output.of(EventCode.WALK_START)["stream_index"]
        first = int(starts[0]) if len(starts) else 0
        lo = max(0, first - int(10 * rate))
        hi = lo + int(WINDOW_S * rate)
        codes = codes[lo:hi]
        brownouts = tuple(
            (max(b0, lo) - lo, min(b1, hi) - lo) for b0, b1 in brownouts if b1 > lo and b0 < hi
        )
    return CoreCase(f"{name}-s{seed}", codes, run.registers.values(), brownouts, clks_per_sample)


def waveform_of(
    case: CoreCase, result: CoreResult, want: Expected, build_root: Path, work_dir: Path
) -> Path | None:
    """Rerun ``case`` on Icarus with a waveform (FST) of the samples around the first divergence
    (200 before, 20 after); its path, or None when Icarus is not installed."""
    if not sim.available("icarus"):
        return None
    k = divergent_sample(result, want) or 0
    from dataclasses import replace

    rerun = replace(case, dump_window=(max(0, k - 200), k + 20))
    wave_dir = work_dir / "waves"
    return run_core(rerun, "icarus", build_root, wave_dir).waveform
