"""fall_detector and fault_detector (hdl_models/rtl) equal the golden model's FALL,
FAULT_SATURATION, FAULT_STUCK and FAULT_DROPOUT events and STATUS fault_flags.

Cases (golden events are ``Chip(registers).run(codes)`` filtered to those four codes, compared as
(code, sample_index, value); the STATUS records' fault_flags are compared too). The codes are the
first 90 s (the whole run if shorter) of ``run_scenario(library.load(name), seed=1)``, with the
run's registers, none of these scenarios has a brown-out (asserted):

- "fall_forward", "fall_backward": one FALL each (preset registers);
- "lookalike_near_fall": the negative case, no FALL;
- "sensor_faults": FAULT_DROPOUT, FAULT_STUCK and FAULT_SATURATION (preset registers);
- "sensor_faults-edge": the same codes with the fault registers at their minimums
  (FAULT_SAT_SAMPLES = FAULT_DROPOUT_SAMPLES = 1, FAULT_STUCK_SAMPLES = 2), every channel in
  FAULT_STUCK_MASK, channel 4 disabled, and falls made sensitive (FALL_SETTLE_SAMPLES = 0,
  FALL_IMPACT_MG = 2000, FALL_STILL_SAMPLES = 10, FALL_STILL_MG = 2000,
  FALL_MAX_COS_PERMILLE = 1000, FALL_RATE_DPS = 0): thousands of FAULT_STUCK and a few FALLs;
- "fall_forward-edge": the largest reference and rate windows (FALL_REF_DELAY_SAMPLES = 400,
  FALL_REF_SAMPLES = 128, FALL_RATE_SAMPLES = 128, FALL_WAIT_SAMPLES = 500),
  FALL_SETTLE_SAMPLES = 0, FALL_IMPACT_MG = 1500, FALL_STILL_SAMPLES = 10:
  several impacts, three FALLs;
- "fall_trip_walk_forward@knee_tibial_tray", "fall_slip_walk_lateral@lower_back": taxonomy falls
  on the tibia and lower-back presets; "fall_forward-no-gyro": every gyro channel disabled (the
  rate condition off);
- "fall-boundaries": a hand-made stream (``synthetic_codes``) at the fall rule's boundaries (an
  impact before the reference window exists, NO_DATA while settling and while still, impacts
  that re-arm while settling and while still, the turn rate exactly at the level on the rate
  window's first sample and one below it, stillness at exactly +-FALL_STILL_MG, dot == limit and
  one below it, an impact of exactly FALL_IMPACT_MG, stillness beginning on the last sample the
  wait allows and one after it) and fault runs at exactly +-full scale and one below.

Each case asserts the model events it is meant to exercise, so no case passes vacuously. All 8
channels go to a ``$readmemh`` hex file and the harness ``hdl_models/harness/tb_fall_fault.v``
streams them inside the HDL (masking disabled channels, computing the magnitude with isqrt32);
``hdl_models/harness/test_fall_fault.py`` compares the events exactly. Runs on Icarus and Verilator
(skipped only when not installed; the taxonomy cases run on Icarus nightly).

One build per simulator: the stimulus path is passed at run time (in the case JSON named by
``FALL_FAULT_CASE_JSON``), not as a parameter. Builds are cached under pytest's cache,
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
SOURCES = [
    RTL / "isqrt32.v",
    RTL / "fault_detector.v",
    RTL / "fall_detector.v",
    HDL / "harness" / "tb_fall_fault.v",
]
DURATION_S = 90
SEED = 1
REGISTERS = (
    "CHANNEL_ENABLE",
    "FAULT_SAT_SAMPLES",
    "FAULT_STUCK_SAMPLES",
    "FAULT_STUCK_MASK",
    "FAULT_DROPOUT_SAMPLES",
    "FALL_IMPACT_MG",
    "FALL_SETTLE_SAMPLES",
    "FALL_STILL_SAMPLES",
    "FALL_STILL_MG",
    "FALL_MAX_COS_PERMILLE",
    "FALL_REF_DELAY_SAMPLES",
    "FALL_REF_SAMPLES",
    "FALL_WAIT_SAMPLES",
    "FALL_RATE_DPS",
    "FALL_RATE_SAMPLES",
    "STATUS_PERIOD_SAMPLES",
)
CODES = (
    EventCode.FALL,
    EventCode.FAULT_SATURATION,
    EventCode.FAULT_STUCK,
    EventCode.FAULT_DROPOUT,
)
FAULTS = (EventCode.FAULT_SATURATION, EventCode.FAULT_STUCK, EventCode.FAULT_DROPOUT)
#: case -> (scenario, register overrides, model event codes the case must contain)
CASES: dict[str, tuple[str, dict[str, int], tuple[EventCode, ...]]] = {
    "fall_forward": ("fall_forward", {}, (EventCode.FALL,)),
    "fall_backward": ("fall_backward", {}, (EventCode.FALL,)),
    "lookalike_near_fall": ("lookalike_near_fall", {}, ()),
    "sensor_faults": ("sensor_faults", {}, FAULTS),
    "sensor_faults-edge": (
        "sensor_faults",
        {
            "FAULT_SAT_SAMPLES": 1,
            "FAULT_DROPOUT_SAMPLES": 1,
            "FAULT_STUCK_SAMPLES": 2,
            "FAULT_STUCK_MASK": 0xFF,
            "CHANNEL_ENABLE": 0xFF & ~(1 << 4),
            "FALL_SETTLE_SAMPLES": 0,
            "FALL_IMPACT_MG": 2000,
            "FALL_STILL_SAMPLES": 10,
            "FALL_STILL_MG": 2000,
            "FALL_MAX_COS_PERMILLE": 1000,
            "FALL_RATE_DPS": 0,
        },
        (*FAULTS, EventCode.FALL),
    ),
    "fall_forward-edge": (
        "fall_forward",
        {
            "FALL_SETTLE_SAMPLES": 0,
            "FALL_IMPACT_MG": 1500,
            "FALL_REF_DELAY_SAMPLES": 400,
            "FALL_REF_SAMPLES": 128,
            "FALL_STILL_SAMPLES": 10,
            "FALL_STILL_MG": 300,
            "FALL_MAX_COS_PERMILLE": 1000,
            "FALL_RATE_SAMPLES": 128,
            "FALL_WAIT_SAMPLES": 500,
        },
        (EventCode.FALL,),
    ),
    # the taxonomy on its placements' presets, and a chip without its gyroscope
    "fall_trip_walk_forward@knee_tibial_tray": (
        "fall_trip_walk_forward@knee_tibial_tray",
        {},
        (EventCode.FALL,),
    ),
    "fall_slip_walk_lateral@lower_back": (
        "fall_slip_walk_lateral@lower_back",
        {},
        (EventCode.FALL,),
    ),
    "fall_forward-no-gyro": ("fall_forward", {"CHANNEL_ENABLE": 0xC7}, (EventCode.FALL,)),
    "fall-boundaries": ("", {}, (*FAULTS, EventCode.FALL)),  # synthetic_codes()
}


SETTLE, STILL, WAIT = 20, 30, 15
#: The fall registers of "fall-boundaries" (the others at reset: FALL_STILL_MG 150, reference 32
#: samples ending 100 before the impact, rate window 10 samples).
BOUNDARY_REGISTERS = {
    "FALL_IMPACT_MG": 4000,
    "FALL_SETTLE_SAMPLES": SETTLE,
    "FALL_STILL_SAMPLES": STILL,
    "FALL_WAIT_SAMPLES": WAIT,
    "FALL_MAX_COS_PERMILLE": 500,
    "FALL_RATE_DPS": 70,
}
UP = (0, 0, 1000)
LYING = (1000, 0, 0)
FAST = 1000  # a turn rate well above FALL_RATE_DPS 70 (codes of 0.1 deg/s)


def synthetic_codes(falls: list[tuple[int, int]] | None = None) -> np.ndarray:
    """Hand-made stream hitting the fall rule's boundaries (BOUNDARY_REGISTERS), after fault runs
    at full scale in its first 1000 samples; ``falls`` gets the (sample, value) of each FALL its
    segments are made to raise."""
    falls = [] if falls is None else falls
    acc: list[tuple[int, int, int]] = []
    rate: dict[tuple[int, int], int] = {}  # (sample, gyro channel) -> code

    def add(a: tuple[int, int, int], n: int = 1) -> int:
        acc.extend([a] * n)
        return len(acc) - n

    def impact(a: tuple[int, int, int], turn: int = FAST) -> int:
        i = add(a)
        rate[(i, 3)] = turn
        return i

    add(UP, 5)
    add((0, 0, 5000))  # an impact before the reference window exists (lo < 0): not armed
    add(UP, 194)
    add((NO_DATA_CODE, 0, 30000))  # no data: mag = 1000, not an impact
    add(UP, 800)
    # A: FALL when the stillness counts from the first sample after the settle time; NO_DATA
    # while settling; the turn rate exactly FALL_RATE_DPS, on the first sample of the rate window
    i = impact((0, 0, -5000), turn=0)
    rate[(i - 9, 3)] = 700
    for s in range(1, SETTLE + 1):
        add((NO_DATA_CODE, 0, 0) if s == 5 else (0, 0, 3000 + 10 * s))
    add(LYING, STILL)  # FALL at since == SETTLE + STILL, value 5000
    falls.append((i + SETTLE + STILL, 5000))
    add(UP, 200)
    # A2: the rate one below the level (a negative code), the level just outside the window
    i = impact((0, 0, -5000), turn=0)
    rate[(i - 9, 5)] = -699
    rate[(i - 10, 3)] = 2000
    add((0, 0, 2000), SETTLE)
    add(LYING, STILL)
    add(UP, 200)
    # B: an impact while settling re-arms; the value is the episode's peak (the first impact)
    impact((0, 0, 6000))
    add((0, 0, 2000), 10)
    i = impact((0, 0, 4500), turn=800)
    add((0, 0, 2000), SETTLE)
    add(LYING, STILL)  # FALL at the second impact + SETTLE + STILL, value 6000
    falls.append((i + SETTLE + STILL, 6000))
    add(UP, 200)
    # C: still at the band's edges (1150 and 850 mg), upright: dot >= limit, no FALL
    impact((0, 0, 4000))  # exactly FALL_IMPACT_MG
    add((0, 0, 2000), SETTLE)
    add((0, 0, 1150), STILL // 2)
    add((0, 0, 850), STILL - STILL // 2)
    add(UP, 200)
    # D: dot == limit exactly (cos = 0.5: mag 999 at (866, 0, 500)): not a FALL
    impact((0, 0, 9000))
    add((0, 0, 2000), SETTLE)
    add((866, 0, 500), STILL)
    add(UP, 200)
    # E: dot one step below the limit: FALL
    i = impact((0, 0, 9000))
    add((0, 0, 2000), SETTLE)
    add((866, 0, 499))
    add((866, 0, 500), STILL - 1)
    falls.append((i + SETTLE + STILL, 9000))
    add(UP, 200)
    # F: NO_DATA while still restarts the count (FALL 61 samples after the impact)
    i = impact((0, 0, 8000))
    add((0, 0, 2000), SETTLE)
    add(LYING, 10)
    add((NO_DATA_CODE, 0, 1000))
    add(LYING, 100)
    falls.append((i + SETTLE + 10 + 1 + STILL, 8000))
    add(UP, 200)
    # G: 151 mg off 1 g until the stillness would begin one sample after the wait: no FALL;
    # H: until it begins on the last sample allowed: decided on the give-up sample, a FALL
    for late in (WAIT + 1, WAIT):
        i = impact((0, 0, 8000))
        add((0, 0, 2000), SETTLE)
        add((1151, 0, 0), late)
        add(LYING, 100)
        add(UP, 200)
    falls.append((i + SETTLE + WAIT + STILL, 8000))
    # J: an impact during the stillness re-arms: FALL SETTLE + STILL after it, value 8000
    impact((0, 0, 8000))
    add((0, 0, 2000), SETTLE)
    add(LYING, 10)
    i = impact((6000, 0, 0))
    add(LYING, SETTLE + STILL + 50)
    add(UP, 200)
    falls.append((i + SETTLE + STILL, 8000))
    # K: a later contact after the turn stopped (no rate in its window) keeps the episode's
    # rate: FALL SETTLE + STILL after it, value 7000
    impact((0, 0, 7000))
    add((0, 0, 2000), 10)
    i = impact((0, 0, 4200), turn=0)
    add((0, 0, 2000), SETTLE)
    add(LYING, STILL)
    add(UP, 200)
    falls.append((i + SETTLE + STILL, 7000))
    # L: an episode that gives up (a fast turn, then no stillness within the wait) leaves no
    # rate behind: the slow topple after it raises no FALL
    impact((0, 0, 7000))
    add((0, 0, 2000), SETTLE + WAIT + STILL + 5)
    add(UP, 150)
    impact((0, 0, 7000), turn=0)
    add((0, 0, 2000), SETTLE)
    add(LYING, STILL)
    add(UP, 200)
    n = len(acc)
    codes = np.zeros((n, 8), dtype=np.int16)
    codes[:, :3] = np.array(acc, dtype=np.int16)
    rng = np.random.default_rng(SEED)
    codes[:, 3:8] = rng.integers(-50, 50, size=(n, 5))  # gyro, load, temperature: not stuck
    for (i, ch), code in rate.items():
        codes[i, ch] = code
    # fault runs: exactly full scale (saturation, not stuck), one below (stuck), at -full scale
    codes[100:125, 3] = 20000
    codes[300:330, 4] = -20000
    codes[500:620, 5] = 19999
    codes[700:720, 6] = 32767
    codes[800:819, 7] = -32640  # one short of FAULT_SAT_SAMPLES
    codes[900:905, 6] = NO_DATA_CODE
    return codes


@pytest.fixture(scope="module")
def cases() -> dict[str, Path]:
    """case name -> case JSON (stimulus hex + golden events), made lazily."""
    return {}


def write_stimulus(path: Path, codes: np.ndarray, channel_enable: int) -> None:
    """All 8 channels of every row as 32 hex digits, channel 7 first (16-bit two's complement);
    disabled channels NO_DATA (the harness masks them too)."""
    words = codes.astype(np.int64)
    for ch in range(8):
        if not (channel_enable >> ch) & 1:
            words[:, ch] = NO_DATA_CODE
    words &= 0xFFFF
    path.write_text(
        "".join("".join(f"{w:04x}" for w in row[::-1]) + "\n" for row in words.tolist())
    )


def make_case(name: str, directory: Path) -> Path:
    """Write ``<name>.hex`` and ``.json`` into ``directory``; return the JSON."""
    scenario, overrides, _ = CASES[name]
    if scenario:
        run = run_scenario(library.load(scenario), seed=SEED)
        assert not run.codes.brownouts, f"{scenario} has brown-outs: {run.codes.brownouts}"
        n = min(round(DURATION_S * run.rate_hz), run.codes.n)
        codes = np.asarray(run.codes.codes[:n])
        registers = copy.deepcopy(run.registers)
    else:
        codes = synthetic_codes()
        registers = RegisterFile(BOUNDARY_REGISTERS)
    for key, value in overrides.items():
        registers.set(key, value)
    out = Chip(registers).run(codes)
    events = out.events[np.isin(out.events["code"], [int(c) for c in CODES])]
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
        "status": [
            [int(i), int(f)]
            for i, f in zip(out.status["sample_index"], out.status["fault_flags"], strict=True)
        ],
    }
    path = directory / f"{name}.json"
    path.write_text(json.dumps(case))
    return path


#: The taxonomy cases cost Icarus ≈ 15 s each; the default run keeps them on Verilator, nightly
#: on both (the boundary stream stays on both in the default run).
ICARUS_NIGHTLY = (
    "fall_trip_walk_forward@knee_tibial_tray",
    "fall_slip_walk_lateral@lower_back",
    "fall_forward-no-gyro",
)
PARAMS = [
    pytest.param(s, c, id=f"{s}-{c}", marks=pytest.mark.nightly)
    if s == "icarus" and c in ICARUS_NIGHTLY
    else pytest.param(s, c, id=f"{s}-{c}")
    for c in CASES
    for s in sim.SIMULATORS
]


@pytest.mark.parametrize(("simulator", "case_name"), PARAMS)
def test_fall_fault_detectors_match_model(
    simulator: str,
    case_name: str,
    build_root: Path,
    cases: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The RTL's FALL and FAULT_* events and STATUS fault_flags equal chip_sim's exactly."""
    require(simulator)
    if case_name not in cases:
        cases[case_name] = make_case(case_name, tmp_path_factory.mktemp("fall_fault_case"))
    case = json.loads(cases[case_name].read_text())
    codes = [e[0] for e in case["events"]]
    for code in CASES[case_name][2]:
        assert int(code) in codes, f"{case_name}: the model has no {code.name}"
    if case_name == "lookalike_near_fall":
        assert int(EventCode.FALL) not in codes, f"{case_name}: the model finds a FALL"
    assert case["status"], f"{case_name}: no STATUS record"
    sim.build_and_test(
        simulator,
        sources=SOURCES,
        toplevel="tb_fall_fault",
        test_module="test_fall_fault",
        test_dir=HDL / "harness",
        build_dir=sim.build_dir_for(build_root, simulator, "tb_fall_fault"),
        extra_env={"FALL_FAULT_CASE_JSON": str(cases[case_name])},
        test_filter="fall_fault_events_match_model",
        seed=SEED,
    )


def test_boundary_stream_raises_the_falls_it_is_made_for() -> None:
    """The golden model on the hand-made stream: a FALL exactly where each segment says (so the
    RTL's equality with the model is equality with the intended rule, not with any rule)."""
    falls: list[tuple[int, int]] = []
    codes = synthetic_codes(falls)
    out = Chip(RegisterFile(BOUNDARY_REGISTERS)).run(codes)
    got = out.events[out.events["code"] == int(EventCode.FALL)]
    assert [(int(i), int(v)) for i, v in zip(got["sample_index"], got["value"], strict=True)] == (
        falls
    )
