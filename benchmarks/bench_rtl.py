"""RTL speed of the assembled core at its documented clock (issue target: ≥ 1× real time under
Verilator for an 8-channel 100 Hz scenario at 921.6 kHz, 9216 clocks per sample; Icarus's figure
printed beside it, cycles per second for both).

The clock and the sample streaming stay inside the HDL: ``hdl_models/harness/tb_core_main.v`` runs
the harness ``tb_core.v`` stand-alone (no cocotb, no VPI; the stimulus is ``$readmemh``-loaded),
decodes the chip's UART with the project's ``uart_rx`` and writes the bytes to a file. Python works
at frame level only, after the run: ``chip_sim.icd.FrameDecoder`` turns the bytes into frames and
their EVENT and STATUS records must equal the golden model's (``hdl_models.core_sim.expected``) —
a fast but wrong run fails the benchmark. Scenario: ``walk_level_1p3`` seed 1, the first 60 s on
Verilator and the first 10 s on Icarus (≈ 50× slower). Builds go to a temporary directory and are
timed apart from the runs. When one Verilator thread misses the target, ``--threads 2`` is tried
too and both are printed (``--threads N`` always adds it; on this design two threads were ~6×
slower than one: the per-clock work is too small to share).

Run: ``.venv/bin/python benchmarks/bench_rtl.py [--verilator-s 60] [--icarus-s 10] [--threads N]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from chip_sim.icd import FrameDecoder
from hdl_models import core_sim, sim

ROOT = Path(__file__).resolve().parents[1]
#: Walking on the hip stem: its preset leaves every register at reset, which tb_core_main (no
#: host frames) needs; the shank preset's STEP_MODE 1 would need a register write.
SCENARIO = "free_living_hip_stem"
SEED = 1
RATE_HZ = 100
CLKS_PER_SAMPLE = core_sim.CLKS_PER_SAMPLE_100HZ  # 9216 at 921.6 kHz: real time
CLOCK_NS = 1085  # the harness's clock period (1 ns unit)
TOP = "tb_core_main"
WRAPPER = ROOT / "hdl_models" / "harness" / "tb_core_main.v"
VERILATOR_FLAGS = [
    "--binary",
    "--timing",
    "-O3",
    "--x-assign",
    "fast",
    "--timescale",
    "1ns/1ps",
    "-CFLAGS",
    "-std=c++20 -fcoroutines",
    "-MAKEFLAGS",
    # the model at -O2 (verilated.mk's default is -Os), and the runtime library too: its timing
    # scheduler (verilated_timing.cpp) runs twice per clock; -O2 there was ~25 % faster here
    "OPT_FAST=-O2 OPT_GLOBAL=-O2",
    "-j",
    "0",
]


@dataclasses.dataclass
class Run:
    label: str
    sim_s: float  # scenario seconds streamed
    wall_s: float
    cycles: int  # whole run: power-on, the RESET frame, the stream, the last frames
    problems: list[str]
    n_events: int
    n_status: int

    @property
    def cycles_per_s(self) -> float:
        return self.cycles / self.wall_s

    @property
    def real_time(self) -> float:
        return self.cycles * CLOCK_NS * 1e-9 / self.wall_s


def truncated(case: core_sim.CoreCase, seconds: float) -> core_sim.CoreCase:
    n = int(seconds * RATE_HZ)
    brownouts = tuple((b0, min(b1, n)) for b0, b1 in case.brownouts if b0 < n)
    return dataclasses.replace(
        case, name=f"{case.name}-{seconds:g}s", codes=case.codes[:n], brownouts=brownouts
    )


def build_or_die(cmd: list[str], env: dict[str, str] | None) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        print(
            f"\nbuild failed: {' '.join(cmd[:3])} ...\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        )
        sys.exit(2)


def build_verilator(build: Path, threads: int) -> tuple[list[str], float]:
    env = sim.full_env("verilator")
    mdir = build / f"verilator_t{threads}"
    cmd = ["verilator", *VERILATOR_FLAGS, "--top-module", TOP, "--Mdir", str(mdir)]
    if threads > 1:
        cmd += ["--threads", str(threads)]
    cmd += [str(p) for p in core_sim.SOURCES] + [str(WRAPPER)]
    t0 = time.perf_counter()
    build_or_die(cmd, env)
    return [str(mdir / f"V{TOP}")], time.perf_counter() - t0


def build_icarus(build: Path) -> tuple[list[str], float]:
    cmdfile = build / "icarus.cmd"
    cmdfile.write_text("+timescale+1ns/1ps\n")
    out = build / f"{TOP}.vvp"
    cmd = ["iverilog", "-g2005", "-c", str(cmdfile), "-s", TOP, "-o", str(out)]
    cmd += [str(p) for p in core_sim.SOURCES] + [str(WRAPPER)]
    t0 = time.perf_counter()
    build_or_die(cmd, None)
    return ["vvp", "-n", str(out)], time.perf_counter() - t0


def run(label: str, exe: list[str], case: core_sim.CoreCase, work: Path) -> Run:
    """Run one simulation, then decode its bytes and compare with the golden model."""
    problems = [
        f"register write 0x{a:02X} needed: tb_core_main sends no host frames"
        for a, _ in core_sim.register_writes(case.registers)
    ]
    stim = work / f"{case.name}.hex"
    if not stim.is_file():
        core_sim.write_stimulus(stim, case.codes, case.brownouts)
    out = work / f"{case.name}.{label.replace(' ', '_')}.bytes"
    out.unlink(missing_ok=True)
    n = len(case.codes)
    cmd = [*exe, f"+stim={stim}", f"+out={out}", f"+n={n}", f"+cps={case.clks_per_sample}"]
    env = sim.full_env("verilator")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=work)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        problems.append(f"simulator exit {proc.returncode}: {proc.stderr.strip()[-300:]}")
    data, summary = bytearray(), {}
    for line in out.read_text().splitlines() if out.is_file() else []:
        if line.startswith("#"):
            key, value = line[1:].split()
            summary[key] = int(value)
        elif line.strip():
            data.append(int(line, 16))
    if not summary.get("done"):
        problems.append("done never rose" + (" (watchdog)" if summary.get("timeout") else ""))
    decoder = FrameDecoder()
    frames = [
        {"type": f.frame_type, "seq": f.seq, "payload": f.payload.hex()}
        for f in decoder.feed(bytes(data)) + decoder.flush()
    ]
    counters = {k: summary.get(k, 0) for k in ("overruns", "events_dropped", "status_lost")}
    result = core_sim.CoreResult(
        name=case.name,
        sim=label,
        frames=frames,
        stream_end=len(frames),
        live={},
        counters=counters,
        cycles=summary.get("cycles", 0),
        writes=[],
        host_log=[],
        wall_s=wall,
    )
    want = core_sim.expected(case)
    if msg := core_sim.first_divergence(result.events(), want.events, "event"):
        problems.append(msg + " (code, sample_index, value)")
    if msg := core_sim.first_divergence(result.status(), want.status, "STATUS"):
        problems.append(msg + " (sample_index, step_count, fault_flags, events_dropped)")
    problems += result.seq_errors()[:3]
    for name in ("overruns", "events_dropped", "status_lost", "resp_dropped", "crc_errors"):
        if summary.get(name):
            problems.append(f"harness counter {name} = {summary[name]}, want 0")
    if summary.get("streamed", n) != n:
        problems.append(f"streamed {summary.get('streamed')} samples, want {n}")
    if decoder.crc_errors or decoder.bad_length or decoder.bytes_skipped:
        problems.append(
            f"frame decoder: {decoder.crc_errors} CRC errors, {decoder.bad_length} bad lengths, "
            f"{decoder.bytes_skipped} bytes skipped"
        )
    cycles = summary.get("cycles") or summary.get("time_ns", 0) // CLOCK_NS
    return Run(
        label, n / RATE_HZ, wall, cycles, problems, len(result.events()), len(result.status())
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--verilator-s", type=float, default=60.0, help="scenario seconds (Verilator)")
    ap.add_argument("--icarus-s", type=float, default=10.0, help="scenario seconds (Icarus)")
    ap.add_argument("--threads", type=int, default=0, help="also run Verilator --threads N")
    args = ap.parse_args()

    full = core_sim.library_case(SCENARIO, SEED, clks_per_sample=CLKS_PER_SAMPLE)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bench_rtl_") as tmp:
        build = Path(tmp)
        print(
            f"RTL benchmark — {SCENARIO} seed {SEED}, 8 channels at {RATE_HZ} Hz, core clock "
            f"921.6 kHz ({CLKS_PER_SAMPLE} clocks per sample), stand-alone harness "
            f"{WRAPPER.relative_to(ROOT)}"
        )
        have_icarus = shutil.which("iverilog") is not None and shutil.which("vvp") is not None
        exe_v1, t_build = build_verilator(build, 1)
        print(f"  build: Verilator {t_build:.1f} s", end="")
        if have_icarus:
            exe_i, t_build_i = build_icarus(build)
            print(f", Icarus {t_build_i:.1f} s")
        else:
            print(", Icarus not installed")
        vcase = truncated(full, args.verilator_s)
        runs.append(run("Verilator", exe_v1, vcase, build))
        thread_counts = [args.threads] if args.threads > 1 else []
        if runs[0].real_time < 1.0 and 2 not in thread_counts:
            thread_counts.append(2)
        for n in thread_counts:
            exe, t_build = build_verilator(build, n)
            print(f"  build: Verilator --threads {n} {t_build:.1f} s")
            runs.append(run(f"Verilator --threads {n}", exe, vcase, build))
        if have_icarus:
            runs.append(run("Icarus", exe_i, truncated(full, args.icarus_s), build))

    print()
    print(
        f"  {'simulator':<22} {'sim s':>6} {'wall s':>7} {'cycles':>11} {'cycles/s':>10} "
        f"{'× real time':>11}  events status check"
    )
    for r in runs:
        print(
            f"  {r.label:<22} {r.sim_s:6.1f} {r.wall_s:7.2f} {r.cycles:11,d} "
            f"{r.cycles_per_s / 1e6:8.3f} M {r.real_time:10.2f}×  {r.n_events:6d} {r.n_status:6d} "
            f"{'OK' if not r.problems else 'WRONG'}"
        )
    wrong = [r for r in runs if r.problems]
    for r in wrong:
        print(f"  {r.label}: RTL output differs from the golden model:")
        for p in r.problems[:10]:
            print(f"    {p}")
    best = max((r for r in runs if r.label.startswith("Verilator")), key=lambda r: r.real_time)
    single = runs[0]
    ok = single.real_time >= 1.0 or best.real_time >= 1.0
    print()
    print(
        f"  Verilator >= 1x real time: {'PASS' if ok else 'FAIL'} "
        f"(best {best.real_time:.2f}× with {best.label})"
    )
    if wrong:
        print("  verdict: FAIL — the RTL's frames are wrong")
    return 0 if ok and not wrong else 1


if __name__ == "__main__":
    sys.exit(main())
