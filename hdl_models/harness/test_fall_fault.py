"""cocotb test of fall_detector and fault_detector (harness tb_fall_fault.v): FALL,
FAULT_SATURATION, FAULT_STUCK and FAULT_DROPOUT events and the STATUS fault_flags against the
golden model.

One case per simulation, described by the JSON file named in the environment variable
``FALL_FAULT_CASE_JSON`` (written by tests/hdl/test_fall_fault_equivalence.py)::

    {"name": ..., "stimulus": "<absolute path of the $readmemh hex file>", "n_samples": N,
     "registers": {"CHANNEL_ENABLE": ..., "FAULT_SAT_SAMPLES": ..., ..., "FALL_REF_SAMPLES": ...,
                   "STATUS_PERIOD_SAMPLES": ...},
     "events": [[code, sample_index, value], ...],   # chip_sim Chip(...).run(codes), these codes
     "status": [[sample_index, fault_flags], ...]}   # its STATUS records

The harness streams the samples itself; Python only starts the run, collects the event pulses
(code, sample index, value) and the STATUS flags, and waits for ``done``.
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge

from hdl_models.core_sim import first_divergence
from hdl_models.harness.common import load_case, run_stimulus

CASE_ENV = "FALL_FAULT_CASE_JSON"
FALL = 0x02
FAULT_SATURATION, FAULT_STUCK, FAULT_DROPOUT = 0x10, 0x11, 0x12
#: case register -> harness port
REGISTER_PORTS = {
    "CHANNEL_ENABLE": "channel_enable",
    "FAULT_SAT_SAMPLES": "fault_sat_samples",
    "FAULT_STUCK_SAMPLES": "fault_stuck_samples",
    "FAULT_STUCK_MASK": "fault_stuck_mask",
    "FAULT_DROPOUT_SAMPLES": "fault_dropout_samples",
    "FALL_IMPACT_MG": "fall_impact_mg",
    "FALL_SETTLE_SAMPLES": "fall_settle_samples",
    "FALL_STILL_SAMPLES": "fall_still_samples",
    "FALL_STILL_MG": "fall_still_mg",
    "FALL_MAX_COS_PERMILLE": "fall_max_cos_permille",
    "FALL_REF_DELAY_SAMPLES": "fall_ref_delay_samples",
    "FALL_REF_SAMPLES": "fall_ref_samples",
    "FALL_WAIT_SAMPLES": "fall_wait_samples",
    "FALL_RATE_DPS": "fall_rate_dps",
    "FALL_RATE_SAMPLES": "fall_rate_samples",
    "STATUS_PERIOD_SAMPLES": "status_period",
}
#: the order of chip_sim.core.events.ORDER among these codes
RANK = {FAULT_SATURATION: 0, FAULT_STUCK: 1, FAULT_DROPOUT: 2, FALL: 3}


class FallFaultTb:
    """Clock, reset and run of tb_fall_fault; events are collected as (code, sample_index,
    value), STATUS flags as (sample_index, flags)."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.events: list[tuple[int, int, int]] = []
        self.status: list[tuple[int, int]] = []

    async def _collect_faults(self) -> None:
        d = self.dut
        while True:
            await RisingEdge(d.fault_event)
            await ReadOnly()  # index and vectors change in the same time step as the pulse
            index = int(d.fault_index.value)
            for code, port in (
                (FAULT_SATURATION, d.fault_sat),
                (FAULT_STUCK, d.fault_stuck),
                (FAULT_DROPOUT, d.fault_drop),
            ):
                bits = int(port.value)
                self.events += [(code, index, ch) for ch in range(8) if (bits >> ch) & 1]

    async def _collect_falls(self) -> None:
        d = self.dut
        while True:
            await RisingEdge(d.fall_event)
            await ReadOnly()
            self.events.append((FALL, int(d.fall_index.value), int(d.fall_value.value)))

    async def _collect_status(self) -> None:
        d = self.dut
        while True:
            await RisingEdge(d.status_event)
            await ReadOnly()
            self.status.append((int(d.status_index.value), int(d.status_flags.value)))

    async def run(self, case: dict) -> None:
        collectors = [self._collect_faults(), self._collect_falls(), self._collect_status()]
        await run_stimulus(self.dut, case, REGISTER_PORTS, collectors)


@cocotb.test()
async def fall_fault_events_match_model(dut) -> None:
    """Every FALL and FAULT_* of the RTL equals the golden model's, in code, sample index and
    value (events of one sample in the model's canonical order), and the fault flags of every
    STATUS record equal the model's."""
    case = load_case(CASE_ENV)
    max_samples = int(dut.MAX_SAMPLES.value)
    assert case["n_samples"] <= max_samples, (
        f"{case['name']}: {case['n_samples']} samples, tb_fall_fault holds {max_samples}"
    )
    tb = FallFaultTb(dut)
    await tb.run(case)
    got = sorted(tb.events, key=lambda e: (e[1], RANK.get(e[0], 4), e[2]))
    want = [(int(c), int(i), int(v)) for c, i, v in case["events"]]
    assert got == want, (
        f"{case['name']}: {len(got)} RTL events, {len(want)} model events; "
        + first_divergence(got, want, "event (code, sample, value)")
    )
    want_status = [(int(i), int(f)) for i, f in case["status"]]
    assert tb.status == want_status, (
        f"{case['name']}: {len(tb.status)} RTL STATUS records, {len(want_status)} model; "
        + first_divergence(tb.status, want_status, "STATUS (sample, fault_flags)")
    )
