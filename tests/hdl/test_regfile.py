"""The register file RTL: generated from the single register map, and equal to the golden model
under cocotb on Icarus Verilog."""

from __future__ import annotations

import contextlib
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hdl_models.gen_regfile import generate

ROOT = Path(__file__).resolve().parents[2]
RTL = ROOT / "hdl_models" / "rtl" / "regfile.v"


def test_checked_in_rtl_is_generated_from_the_register_map():
    assert RTL.read_text() == generate(), "run: python -m hdl_models.gen_regfile > " + str(RTL)


@pytest.mark.skipif(shutil.which("iverilog") is None, reason="iverilog is not installed")
def test_regfile_rtl_matches_the_golden_model_on_icarus(tmp_path):
    from cocotb_tools.runner import get_runner

    runner = get_runner("icarus")
    runner.build(
        sources=[RTL],
        hdl_toplevel="regfile",
        build_dir=tmp_path / "build",
        always=True,
        timescale=("1ns", "1ps"),
    )
    results = tmp_path / "results.xml"
    # test() exits the process on a failing cocotb test; the verdict is read from the results.
    with contextlib.suppress(SystemExit):
        runner.test(
            hdl_toplevel="regfile",
            test_module="regfile_tb",
            test_dir=ROOT / "hdl_models" / "tests",
            build_dir=tmp_path / "build",
            results_xml=str(results),
            extra_env={"PYTHONPATH": str(ROOT)},
        )
    failures = [
        tc.get("name") + ": " + (f.get("message") or "")
        for tc in ET.parse(results).iter("testcase")
        for f in tc.iter("failure")
    ]
    cases = list(ET.parse(results).iter("testcase"))
    assert cases and not failures, failures
