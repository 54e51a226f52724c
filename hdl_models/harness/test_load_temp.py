"""cocotb test of overload_detector and temp_detector (harness tb_load_temp.v): OVERLOAD_START,
OVERLOAD_END and TEMP_HIGH events against the golden model.

One case per simulation, described by the JSON file named in the environment variable
``LOAD_TEMP_CASE_JSON`` (written by tests/hdl/test_load_temp_equivalence.py)::

    {"name": ..., "stimulus": "<absolute path of the $readmemh hex file>", "n_samples": N,
     "registers": {"OVERLOAD_LIMIT": ..., "OVERLOAD_MIN_SAMPLES": ..., "OVERLOAD_HYST": ...,
                   "TEMP_HIGH_LIMIT": ..., "TEMP_HYST": ..., "TEMP_MIN_SAMPLES": ...},
     "events": [[code, sample_index, value], ...]}   # chip_sim Chip(...).run(codes), these codes

The harness streams the samples itself; Python only starts the run, collects each event pulse of
both detectors (code, sample index, value) and waits for ``done`` — event level, no per-sample
crossings.
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge

from hdl_models.core_sim import first_divergence
from hdl_models.harness.common import load_case, run_stimulus

CASE_ENV = "LOAD_TEMP_CASE_JSON"
#: case register -> harness port
REGISTER_PORTS = {
    "OVERLOAD_LIMIT": "overload_limit",
    "OVERLOAD_MIN_SAMPLES": "overload_min_samples",
    "OVERLOAD_HYST": "overload_hyst",
    "TEMP_HIGH_LIMIT": "temp_high_limit",
    "TEMP_HYST": "temp_hyst",
    "TEMP_MIN_SAMPLES": "temp_min_samples",
}


def signed32(value: int) -> int:
    return value - (1 << 32) if value & (1 << 31) else value


class LoadTempTb:
    """Clock, reset and run of tb_load_temp; events are collected as (code, sample_index, value)."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.events: list[tuple[int, int, int]] = []

    async def _collect(self, prefix: str) -> None:
        pulse = getattr(self.dut, f"{prefix}_event")
        code = getattr(self.dut, f"{prefix}_code")
        index = getattr(self.dut, f"{prefix}_index")
        value = getattr(self.dut, f"{prefix}_value")
        while True:
            await RisingEdge(pulse)
            await ReadOnly()  # code, index and value change in the same time step as the pulse
            self.events.append((int(code.value), int(index.value), signed32(int(value.value))))

    async def run(self, case: dict) -> None:
        await run_stimulus(
            self.dut, case, REGISTER_PORTS, [self._collect("ov"), self._collect("tmp")]
        )


@cocotb.test()
async def load_temp_events_match_model(dut) -> None:
    """Every OVERLOAD_START/END and TEMP_HIGH of the RTL equals the golden model's, in code, sample
    index and value (events of one sample in the model's canonical order)."""
    case = load_case(CASE_ENV)
    max_samples = int(dut.MAX_SAMPLES.value)
    assert case["n_samples"] <= max_samples, (
        f"{case['name']}: {case['n_samples']} samples, tb_load_temp holds {max_samples}"
    )
    tb = LoadTempTb(dut)
    await tb.run(case)
    # the order of chip_sim.core.events.ORDER: OVERLOAD_END, OVERLOAD_START, TEMP_HIGH
    rank = {0x04: 0, 0x03: 1, 0x20: 2}
    got = sorted(tb.events, key=lambda e: (e[1], rank.get(e[0], 3), e[2]))
    want = [(int(c), int(i), int(v)) for c, i, v in case["events"]]
    assert got == want, (
        f"{case['name']}: {len(got)} RTL events, {len(want)} model events; "
        + first_divergence(got, want, "event (code, sample, value)")
    )
