"""The RTL backend behind the bench's DUT interface: ``smile-bench run --dut rtl --scenario``, and
the verification suite run on it through the plugin's ``--dut`` option."""

from __future__ import annotations

import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from bench.duts.factory import DutKindError, open_dut, parse_dut
from bench.duts.golden import GoldenSession
from bench.duts.mutant import MutantSession
from bench.duts.rtl import RtlSession
from bench.run.play import ScenarioDut
from chip_sim.icd import FrameDecoder
from tests.hdl.conftest import require

CLI = [sys.executable, "-m", "bench.cli.main"]
ROOT = Path(__file__).resolve().parents[2]


def smile(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp / "cache")}
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=env, timeout=600, cwd=ROOT
    )


def test_run_one_scenario_on_the_rtl_equals_golden(tmp_path):
    require("icarus")
    p = smile("run", "--dut", "rtl", "--sim", "icarus", "--scenario", "fall_forward", tmp=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "fall_forward on DUT rtl:icarus" in p.stdout
    assert "falls detected / truth (false)" in p.stdout
    assert "rtl:icarus vs golden model: events and STATUS identical" in p.stdout


def test_sim_without_rtl_and_unknown_simulator_are_refused(tmp_path):
    p = smile(
        "run", "--dut", "golden", "--sim", "icarus", "--scenario", "fall_forward", tmp=tmp_path
    )
    assert p.returncode == 2
    assert p.stderr.strip().splitlines()[-1].endswith("--sim icarus: needs --dut rtl")
    assert "Traceback" not in p.stderr
    with pytest.raises(DutKindError, match="expected rtl, rtl:icarus or rtl:verilator"):
        parse_dut("rtl:modelsim", "--dut")
    assert parse_dut("rtl:verilator", "--dut") == "rtl:verilator"


def test_an_unknown_dut_kind_is_refused_with_the_known_ones():
    """A misspelt kind once gave the golden model silently: a run would have verified the model
    while the user believed it verified the RTL or a board."""
    known = (
        "expected golden, rtl, rtl:icarus, rtl:verilator, serial:URL, emulated, emulated:pty or "
        "mutant:NAME"
    )
    for opener in (open_dut, ScenarioDut):
        with pytest.raises(DutKindError, match=f"DUT 'gloden'; {known}"):
            opener("gloden")
        with pytest.raises(DutKindError, match="mutant:NAME"):
            opener("mutant:no_such")
    with pytest.raises(DutKindError, match="DUT 'emulated:tcp'"):
        ScenarioDut("emulated:tcp")
    assert ScenarioDut("serial:socket://127.0.0.1:5000").name == "serial:socket://127.0.0.1:5000"
    assert isinstance(open_dut("golden"), GoldenSession)
    mutant = open_dut("mutant:stuck_fifo")
    assert isinstance(mutant, MutantSession) and isinstance(mutant.inner, GoldenSession)


def test_rtl_dut_gives_the_golden_runs_and_frames():
    """The backend's PipelineRun carries the RTL's events and STATUS in the golden arrays'
    layout (stream indices across the brown-outs of system_faults) and its frame bytes decode."""
    require("icarus")
    rtl, golden = ScenarioDut("rtl:icarus"), ScenarioDut("golden")
    assert isinstance(rtl.session(), RtlSession) and rtl.name == "rtl:icarus"
    a = rtl.run_scenario("system_faults", 1)
    b = golden.run_scenario("system_faults", 1)
    assert len(b.codes.brownouts) == 2
    assert np.array_equal(a.output.events, b.output.events)
    assert np.array_equal(a.output.status, b.output.status)
    # The same EVENT and STATUS frames; SEQ is the chip's one per-direction counter (ICD), which
    # the ACKs of the preset's register writes also advance: increasing, not equal to the model's.
    ra = list(FrameDecoder().feed(rtl.frame_bytes(a)))
    gb = list(FrameDecoder().feed(golden.frame_bytes(b)))
    assert [(f.frame_type, f.payload) for f in ra] == [(f.frame_type, f.payload) for f in gb]
    assert all((y.seq - x.seq) % 256 >= 1 for x, y in pairwise(ra))
