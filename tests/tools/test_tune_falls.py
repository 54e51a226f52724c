"""tools/tune_falls.py: the fall registers are tuned on training seeds only, and its scoring
matches falls as chip_sim.accuracy does."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "tune_falls.py"


def _tool():
    spec = importlib.util.spec_from_file_location("tune_falls", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_suites_seeds_are_refused():
    r = subprocess.run(
        [sys.executable, str(TOOL), "--placement", "hip", "--seeds", "101", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert "seeds 1-10 judge the falls" in r.stderr and "Traceback" not in r.stderr


def test_a_fall_is_found_by_the_first_fall_after_its_impact_and_before_the_next():
    matched = _tool().matched
    assert matched([], [100]) == (0, 0)
    assert matched([150], [100]) == (1, 0)
    assert matched([50], [100]) == (0, 1)  # before the impact: a false FALL
    assert matched([150, 160], [100]) == (1, 1)  # the second one is false
    assert matched([150, 250], [100, 200]) == (2, 0)
    assert matched([250], [100, 200]) == (1, 0)  # found for the second fall only


def test_every_placement_judges_falls_and_look_alikes_on_its_own_sites():
    tool = _tool()
    for placement, site in (("hip", "femoral_plate"), ("tibia", "knee_tibial_tray")):
        names = dict(tool.scenarios(placement))
        assert names[f"fall_chair_forward@{site}"] == "chair_forward"
        assert names[f"lookalike_hard_sit@{site}"] == ""
        assert not any(n.endswith("@lower_back") for n in names)
    assert dict(tool.scenarios("hip"))["fall_forward"] == "topple"


def test_the_preset_grid_keeps_the_placements_windows():
    grid = _tool().grid_of("lower-back", "preset")
    assert grid["FALL_WAIT_SAMPLES"] == (60,) and grid["FALL_STILL_MG"] == (100,)
    assert _tool().grid_of("hip", "preset")["FALL_WAIT_SAMPLES"] == (120,)  # the reset value
