"""The assembled RTL core (hdl_models/rtl/smile_core.v) equals the golden model on library
scenarios: every EVENT (code, sample_index, value) and STATUS (sample_index, step_count,
fault_flags, events_dropped), the live registers read back over the UART afterwards, and SEQ
continuity. Brown-outs are included (the harness holds the core in reset, the registers are kept).

Cases come from ``hdl_models.core_sim.library_case`` (whole scenario up to 180 s, else a 120 s
window from 10 s before the first bout, or a weeks-long course's first full-detail window). The
default run holds a fast subset on both simulators; ``make nightly`` runs every library scenario.
A mismatch fails with the first divergent event and a VCD around it (rerun on Icarus), attached to
the Allure result.
"""

from __future__ import annotations

import pytest

from hdl_models import core_sim, coverage
from scenarios import library
from tests.hdl.conftest import record_coverage, require

SEED = 1
FAST = (
    "walk_level_1p3",
    "fall_forward",
    "sensor_faults",
    "overload_partial_weight_bearing",
    "system_faults",
)
SCENARIOS = [
    name if name in FAST else pytest.param(name, marks=pytest.mark.nightly)
    for name in library.library_names()
]


def check(case: core_sim.CoreCase, simulator: str, build_root, work_dir, want=None):
    """Run ``case`` and fail with the first divergence and a waveform around it."""
    want = want or core_sim.expected(case)
    result = core_sim.run_core(case, simulator, build_root, work_dir)
    record_coverage(coverage.hits(result))
    problems = core_sim.compare(result, want)
    if problems:
        wave = core_sim.waveform_of(case, result, want, build_root, work_dir)
        attach(wave)
        pytest.fail(
            f"{case.name} on {simulator}: RTL differs from the golden model: "
            + "; ".join(problems[:4])
            + (f"; waveform {wave}" if wave else "; no waveform (Icarus not installed)"),
            pytrace=False,
        )
    return result, want


def attach(path) -> None:
    if path is None:
        return
    try:
        import allure
    except ImportError:
        return
    allure.attach.file(str(path), name=path.name, extension="vcd")


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_rtl_events_equal_golden(scenario, simulator, build_root, tmp_path, record_property):
    require(simulator)
    case = core_sim.library_case(scenario, SEED)
    result, want = check(case, simulator, build_root, tmp_path)
    assert len(result.events()) == len(want.events) > 0
    record_property("samples", len(case.codes))
    record_property("events", len(want.events))
    record_property("cycles", result.cycles)
