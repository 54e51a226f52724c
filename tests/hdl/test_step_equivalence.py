"""step_detector (hdl_models/rtl) equals the golden model's STEP events on library scenarios.

For each scenario, the first 60 s of ``run_scenario(library.load(name), seed=1)`` give the codes;
the golden events are ``Chip(registers).run(codes)`` with code STEP (sample index, value = step
count), with the scenario's registers ("preset"), with the acceleration step registers at their
most sensitive legal values ("sensitive": low threshold, adaptive threshold and refractory period
that actually bite, which the presets alone do not exercise), and in angular-rate mode on the
sagittal axis and on its negation with short windows ("gyro", "gyro-negated"). The accelerometer
and gyroscope axes go to a
``$readmemh`` hex file and the harness ``hdl_models/harness/tb_step.v`` streams them inside the HDL;
``hdl_models/harness/test_step.py`` compares the STEP pulses exactly. isqrt32 is also checked on its
own against ``math.isqrt``. Runs on Icarus and Verilator (skipped only when not installed).

One build per simulator: the stimulus path is passed at run time (in the case JSON named by
``STEP_CASE_JSON``), not as a parameter. Builds are cached under pytest's cache,
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
from tests.chip_sim.test_core import strides
from tests.hdl.conftest import require

HDL = Path(sim.__file__).resolve().parent
RTL = HDL / "rtl"
SOURCES = [RTL / "isqrt32.v", RTL / "step_detector.v", HDL / "harness" / "tb_step.v"]
SCENARIOS = ("walk_level_1p3", "antalgic_limp", "fall_forward_knee")
DURATION_S = 60
SEED = 1
STEP_REGISTERS = (
    "STEP_SHARP_MIN_MG",
    "STEP_ADAPT_SHIFT",
    "STEP_REFRACTORY_SAMPLES",
    "STEP_MODE",
    "STEP_GYRO_AXIS",
    "STEP_SWING_MIN_DPS",
    "STEP_HS_LEVEL_DPS",
    "STEP_STANCE_MIN",
    "STEP_HALF_STRIDE_SAMPLES",
    "STEP_MAX_STRIDE_SAMPLES",
    "STEP_CONTRA_SLACK_SAMPLES",
    "STEP_GYRO_DELAY_SAMPLES",
    "STEP_TRUNK_FAST_SHIFT",
    "STEP_TRUNK_SLOW_SHIFT",
)
#: register overrides on top of the scenario's registers (each value is the register's minimum)
REGISTER_SETS: dict[str, dict[str, int]] = {
    "preset": {},
    "sensitive": {
        "STEP_SHARP_MIN_MG": 5,
        "STEP_ADAPT_SHIFT": 1,
        "STEP_REFRACTORY_SAMPLES": 5,
        "STEP_MODE": 0,
    },
    # angular-rate steps on the sagittal axis, then with the axis negated (swing reads positive:
    # the "other leg" path and its cancellation see different strides) and every window short
    "gyro": {"STEP_MODE": 1, "STEP_GYRO_AXIS": 1, "STEP_GYRO_DELAY_SAMPLES": 0},
    # STEP_MODE 1 with its gyroscope channel switched off: the acceleration path takes over
    "gyro-off": {"STEP_MODE": 1, "CHANNEL_ENABLE": 0b1100_0111},
    "gyro-negated": {
        "STEP_MODE": 1,
        "STEP_GYRO_AXIS": 4,
        "STEP_SWING_MIN_DPS": 10,
        "STEP_HS_LEVEL_DPS": 3,
        "STEP_STANCE_MIN": 0,
        "STEP_HALF_STRIDE_SAMPLES": 10,
        "STEP_MAX_STRIDE_SAMPLES": 50,
    },
    # trunk steps (STEP_MODE 2) at the registers' extremes: the fastest and the slowest running
    # means (the widest band-pass values) and every threshold low enough to bite
    "trunk-sensitive": {
        "STEP_MODE": 2,
        "STEP_TRUNK_FAST_SHIFT": 1,
        "STEP_TRUNK_SLOW_SHIFT": 10,
        "STEP_SHARP_MIN_MG": 5,
        "STEP_ADAPT_SHIFT": 1,
        "STEP_REFRACTORY_SAMPLES": 5,
    },
}


@pytest.fixture(scope="module")
def cases() -> dict[tuple[str, str], Path]:
    """(scenario, register set) -> case JSON (stimulus hex + golden STEP events), made lazily."""
    return {}


def write_stimulus(path: Path, codes: np.ndarray, channel_enable: int) -> None:
    """ax ay az gx gy gz of every row as 24 hex digits (16-bit two's complement); disabled
    channels NO_DATA."""
    six = codes[:, :6].astype(np.int64)
    for ch in range(6):
        if not (channel_enable >> ch) & 1:
            six[:, ch] = NO_DATA_CODE
    words = six & 0xFFFF
    path.write_text("".join("".join(f"{w:04x}" for w in row) + "\n" for row in words.tolist()))


def write_case(
    tag: str,
    codes: np.ndarray,
    registers: RegisterFile,
    directory: Path,
    coverage_out: Path | None = None,
) -> Path:
    """Write ``<tag>.hex`` (the stimulus) and ``<tag>.json`` (registers and the golden model's
    STEP events on ``codes``) into ``directory``; return the JSON's path."""
    events = Chip(registers).run(codes).events
    steps = events[events["code"] == int(EventCode.STEP)]
    stimulus = directory / f"{tag}.hex"
    write_stimulus(stimulus, codes, int(registers["CHANNEL_ENABLE"]))
    case = {
        "name": tag,
        "stimulus": str(stimulus.resolve()),
        "n_samples": len(codes),
        "registers": {key: int(registers[key]) for key in STEP_REGISTERS}
        | {"GYRO_ENABLE": (int(registers["CHANNEL_ENABLE"]) >> 3) & 7},
        "steps": [
            [int(i), int(v)] for i, v in zip(steps["sample_index"], steps["value"], strict=True)
        ],
    }
    if coverage_out is not None:
        case["coverage_out"] = str(coverage_out.resolve())
        case["coverage_bins"] = list(COVERAGE_BINS)
    path = directory / f"{tag}.json"
    path.write_text(json.dumps(case))
    return path


def make_case(
    name: str,
    register_set: str,
    directory: Path,
    coverage_out: Path | None = None,
    duration_s: float = DURATION_S,
) -> Path:
    """The case of library scenario ``name`` (first ``duration_s`` seconds, SEED) with the
    register set ``register_set`` over the scenario's registers."""
    run = run_scenario(library.load(name), seed=SEED)
    n = round(duration_s * run.rate_hz)
    codes = np.asarray(run.codes.codes[:n])
    registers = copy.deepcopy(run.registers)
    for key, value in REGISTER_SETS[register_set].items():
        registers.set(key, value)
    return write_case(f"{name}-{register_set}", codes, registers, directory, coverage_out)


def edge_strides() -> tuple[np.ndarray, RegisterFile]:
    """Hand-made angular-rate strides (tests/chip_sim/test_core.py ``strides``: standing codes,
    a swing before each heel strike, a reversal at it, a stance rotation after it) for the
    branches a library walk seldom takes; STEP_MODE 1 with the STEP decided 5 samples after the
    heel strike (STEP_GYRO_DELAY_SAMPLES)."""
    # no stance rotation after 800: the other leg's window closes without a step
    codes = strides((300, 400, 440, 600, 700, 800, 1000, 1100), 1600, skip_stance=(800,))
    codes = codes.astype(np.int64)
    codes[310, 2] += 400  # a shock before the other leg's window opens: not a step
    codes[668, 2] += 400  # ... and one inside it (600 + 80 +- 15): the other leg's step
    codes[1002:1005, 4] = -2000  # a swing while the heel strike's STEP is still due
    # 440 comes 40 samples after 400: its heel strike cuts the window 400 opened
    registers = RegisterFile({"STEP_MODE": 1, "STEP_GYRO_DELAY_SAMPLES": 5})
    return codes.astype(np.int16), registers


#: the harness's functional-coverage counters (tb_step.v, cov_<bin>): one per branch of the step
#: decision, so a case set that never takes a branch is visible
COVERAGE_BINS = (
    "acc_step",
    "refractory_veto",
    "adaptive_veto",
    "gyro_fallback",
    "heel_strike",
    "other_shock",
    "other_window_end",
    "other_refused",
    "early_shock",
    "window_cut",
    "armed_while_due",
    "trunk_step",
    "trunk_refractory_veto",
    "trunk_adaptive_veto",
    "trunk_below_baseline",
)

#: enough of the library walk for every library-driven bin (a bout at 5-12 s, another from 20 s)
COVERAGE_DURATION_S = 20

#: cases whose union must take every branch of the step decision (COVERAGE_BINS): the library
#: walk on the shank preset (mode 1), the acceleration path at its most sensitive registers,
#: mode 1 with the gyroscope off (the fallback), the hand-made edge strides, and the trunk mode
#: on the lower-back walk (its preset) and at its most sensitive registers
COVERAGE_CASES = (
    ("walk_level_1p3", "preset"),
    ("walk_level_1p3", "sensitive"),
    ("walk_level_1p3", "gyro-off"),
    ("edge", "strides"),
    ("walk_lower_back_wearable", "preset"),
    ("walk_lower_back_wearable", "trunk-sensitive"),
)

#: the trunk mode's own equivalence cases (the lower-back preset, and the extremes on a shank
#: walk, whose sharp shocks make a different band-passed signal)
TRUNK_CASES = (
    ("walk_lower_back_wearable", "preset"),
    ("walk_lower_back_wearable", "trunk-sensitive"),
    ("walk_level_1p3", "trunk-sensitive"),
)


def _run(simulator: str, build_root: Path, test: str, env: dict[str, str] | None = None) -> None:
    require(simulator)
    sim.build_and_test(
        simulator,
        sources=SOURCES,
        toplevel="tb_step",
        test_module="test_step",
        test_dir=HDL / "harness",
        build_dir=sim.build_dir_for(build_root, simulator, "tb_step"),
        extra_env=env,
        test_filter=test,
        seed=SEED,
    )


@pytest.mark.parametrize("register_set", ("preset", "sensitive", "gyro", "gyro-negated"))
@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("simulator", sim.SIMULATORS)
def test_step_detector_matches_model(
    simulator: str,
    scenario: str,
    register_set: str,
    build_root: Path,
    cases: dict[tuple[str, str], Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The RTL's STEP events (sample index, count) over 60 s equal chip_sim's exactly."""
    require(simulator)
    key = (scenario, register_set)
    if key not in cases:
        cases[key] = make_case(scenario, register_set, tmp_path_factory.mktemp("step_case"))
    case = json.loads(cases[key].read_text())
    assert case["steps"], f"{case['name']}: the model finds no step in {DURATION_S} s"
    _run(simulator, build_root, "steps_match_model", {"STEP_CASE_JSON": str(cases[key])})


@pytest.mark.parametrize(("scenario", "register_set"), TRUNK_CASES)
@pytest.mark.parametrize("simulator", sim.SIMULATORS)
def test_trunk_step_mode_matches_model(
    simulator: str,
    scenario: str,
    register_set: str,
    build_root: Path,
    cases: dict[tuple[str, str], Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """STEP_MODE 2 (trunk): the RTL's STEP events over 60 s equal chip_sim's exactly."""
    test_step_detector_matches_model(
        simulator, scenario, register_set, build_root, cases, tmp_path_factory
    )


@pytest.mark.parametrize("simulator", sim.SIMULATORS)
def test_isqrt32_matches_math_isqrt(simulator: str, build_root: Path) -> None:
    """isqrt32 on its own: edge and random 32-bit inputs against math.isqrt."""
    _run(simulator, build_root, "isqrt32_matches_math_isqrt")


def test_step_detector_decision_coverage_closes(build_root: Path, tmp_path: Path) -> None:
    """Functional coverage of the step decision: over COVERAGE_CASES, every branch (mode 0
    peak, refractory and adaptive vetoes, gyro fallback, heel strike, the other leg's shock,
    window end with and without the stance rotation, an early shock, a cut window, a swing
    while a STEP is due; the trunk mode's peak, vetoes and negative band) is taken at least
    once, and the RTL still equals the model on each."""
    available = [s for s in sim.SIMULATORS if sim.available(s)]
    if not available:
        pytest.skip("no HDL simulator installed (Icarus Verilog or Verilator)")
    simulator = available[0]
    totals = dict.fromkeys(COVERAGE_BINS, 0)
    per_case = {}
    for scenario, register_set in COVERAGE_CASES:
        out = tmp_path / f"{scenario}-{register_set}.coverage.json"
        if scenario == "edge":
            codes, registers = edge_strides()
            case = write_case("edge-strides", codes, registers, tmp_path, out)
        else:
            case = make_case(scenario, register_set, tmp_path, out, COVERAGE_DURATION_S)
        _run(simulator, build_root, "steps_match_model", {"STEP_CASE_JSON": str(case)})
        counts = json.loads(out.read_text())
        per_case[f"{scenario}-{register_set}"] = counts
        for name in COVERAGE_BINS:
            totals[name] += counts[name]
    unhit = [name for name, count in totals.items() if count == 0]
    assert not unhit, f"coverage bins never hit on {simulator}: {unhit}; per case: {per_case}"
