"""cocotb tests of step_detector and isqrt32 (harness tb_step.v): STEP events against the golden
model, square roots against ``math.isqrt``.

One case per simulation, described by the JSON file named in the environment variable
``STEP_CASE_JSON`` (written by tests/hdl/test_step_equivalence.py)::

    {"name": ..., "stimulus": "<absolute path of the $readmemh hex file>", "n_samples": N,
     "registers": {"STEP_SHARP_MIN_MG": ..., ..., "STEP_MAX_STRIDE_SAMPLES": ...,
                   "GYRO_ENABLE": <CHANNEL_ENABLE bits 3-5>},
     "steps": [[sample_index, value], ...],          # chip_sim Chip(...).run(codes), STEP only
     "coverage_out": "<path>",                       # optional: where the coverage counts go
     "coverage_bins": ["acc_step", ...]}             # ... and which cov_<bin> ports to read

The harness streams the samples itself; Python only starts the run, collects each STEP pulse
(sample index, cumulative count) and waits for ``done`` — event level, no per-sample crossings.
``isqrt32_matches_math_isqrt`` needs no case; pytest runs each test on its own (test filter).
"""

from __future__ import annotations

import json
from math import isqrt
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge

from hdl_models.core_sim import first_divergence
from hdl_models.harness.common import CLOCK_PERIOD_NS, load_case, run_stimulus

CASE_ENV = "STEP_CASE_JSON"


async def start(dut) -> None:
    """Clock, idle inputs and reset of tb_step."""
    Clock(dut.clk, CLOCK_PERIOD_NS, unit="ns").start()
    dut.load.value = 0
    dut.sqrt_start.value = 0
    dut.sqrt_x.value = 0
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 3)
    dut.rst_n.value = 1
    await FallingEdge(dut.clk)


#: case register -> harness port
REGISTER_PORTS = {
    "STEP_SHARP_MIN_MG": "step_sharp_min_mg",
    "STEP_ADAPT_SHIFT": "step_adapt_shift",
    "STEP_REFRACTORY_SAMPLES": "step_refractory_samples",
    "GYRO_ENABLE": "gyro_enable",
    "STEP_MODE": "step_mode",
    "STEP_GYRO_AXIS": "step_gyro_axis",
    "STEP_SWING_MIN_DPS": "step_swing_min_dps",
    "STEP_HS_LEVEL_DPS": "step_hs_level_dps",
    "STEP_STANCE_MIN": "step_stance_min",
    "STEP_HALF_STRIDE_SAMPLES": "step_half_stride_samples",
    "STEP_MAX_STRIDE_SAMPLES": "step_max_stride_samples",
    "STEP_CONTRA_SLACK_SAMPLES": "step_contra_slack_samples",
    "STEP_GYRO_DELAY_SAMPLES": "step_gyro_delay_samples",
    "STEP_TRUNK_FAST_SHIFT": "step_trunk_fast_shift",
    "STEP_TRUNK_SLOW_SHIFT": "step_trunk_slow_shift",
}


class StepTb:
    """Clock, reset and run of tb_step; STEP pulses are collected as (sample_index, count)."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.steps: list[tuple[int, int]] = []

    async def _collect(self) -> None:
        while True:
            await RisingEdge(self.dut.step)
            await ReadOnly()  # index and count change in the same time step as the pulse
            self.steps.append((int(self.dut.step_index.value), int(self.dut.step_count.value)))

    async def run(self, case: dict) -> None:
        self.dut.sqrt_start.value = 0  # the harness's stand-alone isqrt32 stays idle
        self.dut.sqrt_x.value = 0
        await run_stimulus(self.dut, case, REGISTER_PORTS, [self._collect()])


@cocotb.test()
async def steps_match_model(dut) -> None:
    """Every STEP of the RTL equals the golden model's, in sample index and cumulative count."""
    case = load_case(CASE_ENV)
    max_samples = int(dut.MAX_SAMPLES.value)
    assert case["n_samples"] <= max_samples, (
        f"{case['name']}: {case['n_samples']} samples, tb_step holds {max_samples}"
    )
    tb = StepTb(dut)
    await tb.run(case)
    assert int(dut.overrun.value) == 0, "a sample strobe found step_detector busy"
    want = [(int(i), int(v)) for i, v in case["steps"]]
    if case.get("coverage_out"):
        counts = {name: int(getattr(dut, f"cov_{name}").value) for name in case["coverage_bins"]}
        Path(case["coverage_out"]).write_text(json.dumps(counts))
    assert tb.steps == want, (
        f"{case['name']}: {len(tb.steps)} RTL steps, {len(want)} model steps; "
        + first_divergence(tb.steps, want, "step (sample, count)")
    )


async def root_of(dut, x: int) -> int:
    """isqrt32 of ``x``: start pulse on a falling edge, result at o_done."""
    dut.sqrt_x.value = x
    dut.sqrt_start.value = 1
    await FallingEdge(dut.clk)
    dut.sqrt_start.value = 0
    await RisingEdge(dut.sqrt_done)
    await ReadOnly()
    root = int(dut.sqrt_root.value)
    await FallingEdge(dut.clk)
    assert int(dut.sqrt_busy.value) == 0, f"isqrt32 still busy after o_done (x = {x})"
    return root


@cocotb.test()
async def isqrt32_matches_math_isqrt(dut) -> None:
    """floor(sqrt(x)) for edge values (0, n² - 1, n², n² + 1, 2^30, 3·32767², 2^32 - 1) and 500
    random 32-bit inputs equals math.isqrt."""
    await start(dut)
    edges = {0, 1, 2, 3, 2**30 - 1, 2**30, 3 * 32767**2, 2**32 - 1}
    for n in (1, 2, 3, 1000, 4095, 4096, 32767, 32768, 46340, 46341, 55000, 65535):
        edges |= {n * n - 1, n * n, n * n + 1}
    rng = np.random.default_rng([cocotb.RANDOM_SEED, *b"isqrt32"])
    values = sorted(v for v in edges if 0 <= v < 2**32)
    values += [int(v) for v in rng.integers(0, 2**32, size=250, dtype=np.uint64)]
    values += [int(v) for v in rng.integers(0, 2**30, size=250, dtype=np.uint64)]
    for x in values:
        got = await root_of(dut, x)
        assert got == isqrt(x), f"isqrt32({x}) = {got}, math.isqrt = {isqrt(x)}"
