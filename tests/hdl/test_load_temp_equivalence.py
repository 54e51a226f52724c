"""overload_detector and temp_detector (hdl_models/rtl) equal the golden model's OVERLOAD_START,
OVERLOAD_END and TEMP_HIGH events.

Cases (golden events are ``Chip(registers).run(codes)`` filtered to those three codes, compared as
(code, sample_index, value)):

- "overload-preset": all of ``run_scenario(library.load("overload_partial_weight_bearing"),
  seed=1)`` with its registers (a real OVERLOAD_LIMIT);
- "overload-edge": the same codes with OVERLOAD_MIN_SAMPLES = 1 and OVERLOAD_HYST = 0 (the
  registers' minimums: a single sample starts an overload, the end level equals the limit);
- "temperature": a hand-made 3000-sample temperature stream crossing TEMP_HIGH_LIMIT, with dips
  inside the hysteresis band (no re-arm), exactly at the limit, below it (re-arm), NO_DATA gaps and
  runs shorter than TEMP_MIN_SAMPLES = 50, so TEMP_HIGH fires several times.

Channels 6 (load) and 7 (temperature) go to a ``$readmemh`` hex file (disabled channels NO_DATA)
and the harness ``hdl_models/harness/tb_load_temp.v`` streams them inside the HDL;
``hdl_models/harness/test_load_temp.py`` compares the events exactly. Runs on Icarus and Verilator
(skipped only when not installed).

One build per simulator: the stimulus path is passed at run time (in the case JSON named by
``LOAD_TEMP_CASE_JSON``), not as a parameter. Builds are cached under pytest's cache,
one directory shared by the xdist workers (the build is locked: hdl_models.sim).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from chip_sim.core.chip import Chip
from chip_sim.icd import NO_DATA_CODE, EventCode
from chip_sim.pipeline import run_scenario
from chip_sim.registers import RegisterFile
from hdl_models import sim
from scenarios import library
from tests.hdl.conftest import require

HDL = Path(sim.__file__).resolve().parent
RTL = HDL / "rtl"
SOURCES = [RTL / "overload_detector.v", RTL / "temp_detector.v", HDL / "harness" / "tb_load_temp.v"]
SCENARIO = "overload_partial_weight_bearing"
SEED = 1
REGISTERS = (
    "OVERLOAD_LIMIT",
    "OVERLOAD_MIN_SAMPLES",
    "OVERLOAD_HYST",
    "TEMP_HIGH_LIMIT",
    "TEMP_HYST",
    "TEMP_MIN_SAMPLES",
)
CODES = (EventCode.OVERLOAD_START, EventCode.OVERLOAD_END, EventCode.TEMP_HIGH)
CASES = ("overload-preset", "overload-edge", "temperature")
TEMP_MIN_SAMPLES = 50


@pytest.fixture(scope="module")
def cases() -> dict[str, Path]:
    """case name -> case JSON (stimulus hex + golden events), made lazily."""
    return {}


def temperature_codes(rng: np.random.Generator, limit: int, hyst: int) -> np.ndarray:
    """3000 samples of codes; channel 7 is a temperature stream around ``limit``, channel 6 a
    small load with NO_DATA gaps, the accelerometer at rest."""
    segments = [  # (samples, temperature code around which to dither by +-3, or None = NO_DATA)
        (300, limit - 100),
        (200, limit + 50),  # fires after TEMP_MIN_SAMPLES
        (40, limit - hyst // 2),  # inside the hysteresis band: not re-armed
        (200, limit + 60),  # no event
        (30, limit - hyst - 30),  # below the band: re-armed
        (40, limit + 40),  # shorter than TEMP_MIN_SAMPLES
        (5, None),  # NO_DATA resets the run
        (45, limit + 40),  # still short
        (3, limit),  # exactly at the limit (not above, not below the band)
        (120, limit + 80),  # fires
        (100, limit - hyst - 10),  # re-armed
        (30, limit + 20),
        (20, limit - hyst + 1),  # inside the band
        (70, limit + 20),  # the band dip reset the 30-sample run: fires 50 samples in
        (200, limit - 300),  # re-armed
        (49, limit + 10),  # one short of the minimum
        (1, limit - hyst),  # exactly the band's lower edge (not below it)
        (50, limit + 10),  # exactly the minimum: fires on its last sample
        (60, limit - hyst - 1),  # re-armed
    ]
    temps: list[int] = []
    for length, level in segments:
        if level is None:
            temps += [NO_DATA_CODE] * length
        elif length <= 5:
            temps += [level] * length  # exact values, no dither
        else:
            temps += [int(v) for v in level + rng.integers(-3, 4, size=length)]
    n = 3000
    temps += [int(v) for v in limit + 30 + rng.integers(-3, 4, size=n - len(temps))]  # fires
    codes = np.zeros((n, 8), dtype=np.int16)
    codes[:, 2] = 1000  # 1 g on z
    codes[:, 6] = rng.integers(-200, 200, size=n)
    codes[rng.random(n) < 0.02, 6] = NO_DATA_CODE
    codes[:, 7] = temps
    return codes


def write_stimulus(path: Path, codes: np.ndarray, channel_enable: int) -> None:
    """load temp of every row as 8 hex digits (16-bit two's complement); disabled channels
    NO_DATA."""
    lt = codes[:, 6:8].astype(np.int64)
    for k, ch in enumerate((6, 7)):
        if not (channel_enable >> ch) & 1:
            lt[:, k] = NO_DATA_CODE
    words = lt & 0xFFFF
    path.write_text("".join(f"{a:04x}{b:04x}\n" for a, b in words.tolist()))


def make_case(name: str, directory: Path) -> Path:
    """Write ``<name>.hex`` and ``.json`` into ``directory``; return the JSON."""
    if name == "temperature":
        registers = RegisterFile({"TEMP_MIN_SAMPLES": TEMP_MIN_SAMPLES})
        codes = temperature_codes(
            np.random.default_rng(SEED),
            int(registers["TEMP_HIGH_LIMIT"]),
            int(registers["TEMP_HYST"]),
        )
    else:
        run = run_scenario(library.load(SCENARIO), seed=SEED)
        codes = np.asarray(run.codes.codes)
        registers = copy.deepcopy(run.registers)
        if name == "overload-edge":
            registers.set("OVERLOAD_MIN_SAMPLES", 1)
            registers.set("OVERLOAD_HYST", 0)
    events = Chip(registers).run(codes).events
    events = events[np.isin(events["code"], [int(c) for c in CODES])]
    stimulus = directory / f"{name}.hex"
    write_stimulus(stimulus, codes, int(registers["CHANNEL_ENABLE"]))
    case = {
        "name": name,
        "stimulus": str(stimulus.resolve()),
        "n_samples": len(codes),
        "registers": {key: int(registers[key]) for key in REGISTERS},
        "events": [
            [int(c), int(i), int(v)]
            for c, i, v in zip(events["code"], events["sample_index"], events["value"], strict=True)
        ],
    }
    path = directory / f"{name}.json"
    path.write_text(json.dumps(case))
    return path


@pytest.mark.parametrize("case_name", CASES)
@pytest.mark.parametrize("simulator", sim.SIMULATORS)
def test_load_temp_detectors_match_model(
    simulator: str,
    case_name: str,
    build_root: Path,
    cases: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The RTL's OVERLOAD_START/END and TEMP_HIGH events equal chip_sim's exactly."""
    require(simulator)
    if case_name not in cases:
        cases[case_name] = make_case(case_name, tmp_path_factory.mktemp("load_temp_case"))
    case = json.loads(cases[case_name].read_text())
    codes = [e[0] for e in case["events"]]
    if case_name == "temperature":
        assert codes.count(int(EventCode.TEMP_HIGH)) >= 2, f"{case_name}: {case['events']}"
    else:
        for code in (EventCode.OVERLOAD_START, EventCode.OVERLOAD_END):
            assert int(code) in codes, f"{case_name}: the model has no {code.name}"
    sim.build_and_test(
        simulator,
        sources=SOURCES,
        toplevel="tb_load_temp",
        test_module="test_load_temp",
        test_dir=HDL / "harness",
        build_dir=sim.build_dir_for(build_root, simulator, "tb_load_temp"),
        extra_env={"LOAD_TEMP_CASE_JSON": str(cases[case_name])},
        test_filter="load_temp_events_match_model",
        seed=SEED,
    )
