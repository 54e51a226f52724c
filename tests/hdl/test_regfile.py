"""The register file RTL: generated from the single register map, and equal to the golden model
under cocotb on both simulators."""

from __future__ import annotations

from pathlib import Path

import pytest

from hdl_models import sim
from hdl_models.gen_regfile import generate
from tests.hdl.conftest import require

ROOT = Path(__file__).resolve().parents[2]
RTL = ROOT / "hdl_models" / "rtl" / "regfile.v"


def test_checked_in_rtl_is_generated_from_the_register_map():
    assert RTL.read_text() == generate(), "run: python -m hdl_models.gen_regfile > " + str(RTL)


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
def test_regfile_rtl_matches_the_golden_model(simulator, tmp_path):
    require(simulator)
    sim.build_and_test(
        simulator,
        sources=[RTL],
        toplevel="regfile",
        test_module="regfile_tb",
        test_dir=ROOT / "hdl_models" / "harness",
        build_dir=tmp_path / f"build-{simulator}",
    )
