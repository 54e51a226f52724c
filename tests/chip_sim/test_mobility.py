"""Mobility biomarkers (issue 8): the implant's recording, each method on signals with a known
answer, the calibration's reproducibility, and the estimates on library scenarios."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from chip_sim.icd import EventCode
from chip_sim.mobility import bout_biomarkers, bouts_of
from chip_sim.mobility.calibrate import calibrate
from chip_sim.mobility.estimate import (
    CALIBRATION,
    label_steps,
    step_time_si_pct,
    stride_roms_deg,
    swing_peaks,
)
from chip_sim.mobility.recording import MIN_STEPS, WINDOW_MAX_S
from chip_sim.mobility.truth import bout_truth
from chip_sim.pipeline import run_scenario
from scenarios import library

RATE_HZ = 100.0


def test_only_qualified_bouts_are_recorded_with_a_bounded_window():
    run = run_scenario(library.load("walk_level_1p3"), 1)
    ev = run.output.events
    ends = ev[ev["code"] == int(EventCode.WALK_END)]
    bouts = bouts_of(ev, run.codes.codes, run.rate_hz)
    assert len(bouts) == int(np.sum(ends["value"] >= MIN_STEPS)) >= 4
    for b in bouts:
        n = len(b.acc_mg)
        assert n <= WINDOW_MAX_S * RATE_HZ and b.gyr_dps.shape == (n, 3)
        assert b.window_t0_s <= b.start_s and np.all(b.step_t_s < b.window_t0_s + n / RATE_HZ)
    long = max(bouts, key=lambda b: b.steps)  # the 75 s bout: cut to the window, steps kept
    assert long.steps > 100 and len(long.acc_mg) == WINDOW_MAX_S * RATE_HZ


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_swing_peaks_are_one_per_cycle_whichever_the_sign(sign):
    t = np.arange(0, 20, 1 / RATE_HZ)
    stride_s = 1.1
    rate = sign * (300 * np.maximum(0, np.sin(2 * np.pi * t / stride_s)) ** 3 - 40)
    peaks = swing_peaks(rate, RATE_HZ)
    assert len(peaks) == pytest.approx(20 / stride_s, abs=1)
    assert np.median(np.diff(peaks)) / RATE_HZ == pytest.approx(stride_s, abs=0.011)


def test_stride_range_survives_integration_drift():
    t = np.arange(0, 10, 1 / RATE_HZ)
    angle_deg = 30 * np.sin(2 * np.pi * t)  # 60 deg peak to peak, 1 s strides
    rate = np.gradient(angle_deg, 1 / RATE_HZ) + 5.0  # a 5 deg/s gyroscope bias
    roms = stride_roms_deg(rate, 0.0, RATE_HZ, np.arange(0.25, 9.3, 1.0))
    assert len(roms) == 9 and np.allclose(roms, 60.0, atol=0.5)


def test_steps_are_labelled_only_in_strides_with_two_and_the_symmetry_follows():
    # Instrumented (right) leg's steps 0.60 s, the other's 0.50 s: SI = 0.1 / 0.55 = +18.2 %.
    strikes = np.cumsum([0.0] + [0.6, 0.5] * 10)  # left at 0, then right, left, right ...
    t = strikes[1:]  # the chip's steps: right (0.6 s after the left), left (0.5 s after), ...
    swings = t[::2] - 0.1  # mid-swing just before each right heel strike
    labels = label_steps(t, np.append(swings, swings[-1] + 1.1))
    assert list(labels[:4]) == [1, -1, 1, -1]
    assert step_time_si_pct(t, labels, "right") == pytest.approx(100 * 0.1 / 0.55)
    assert step_time_si_pct(t, labels, "left") == pytest.approx(-100 * 0.1 / 0.55)
    extra = np.sort(np.append(t, t[4] + 0.2))  # a false step in the third stride
    labels = label_steps(extra, np.append(swings, swings[-1] + 1.1))
    assert list(labels[4:7]) == [0, 0, 0]
    assert step_time_si_pct(extra, labels, "right") == pytest.approx(100 * 0.1 / 0.55)


def test_the_stored_calibration_is_what_the_procedure_gives():
    stored = yaml.safe_load(CALIBRATION.read_text())
    refit = calibrate()
    for key in ("stride", "knee"):
        for segment in ("shank", "thigh"):
            assert np.allclose(refit[key][segment], stored[key][segment], atol=1e-5)
    assert np.allclose(refit["seated_thigh_pitch_deg"], stored["seated_thigh_pitch_deg"], atol=1e-3)
    for segment in ("shank", "thigh"):
        fit = refit["fit"][segment]
        assert fit["stride_rms_residual_m"] < 0.05 and fit["knee_rms_residual_deg"] < 1.0
    assert refit["fit"]["seated"]["flexion_max_abs_residual_deg"] < 3.0


def _estimate(name: str, seed: int):
    run = run_scenario(library.load(name), seed)
    p = run.scenario.patient
    for b in bouts_of(run.output.events, run.codes.codes, run.rate_hz):
        e = bout_biomarkers(b, implant_site=p.implant_site, instrumented_side=p.instrumented_side)
        yield e, bout_truth(run.rendering, b.start_s, b.end_s)


def test_a_limp_shows_in_the_symmetry_index_and_speed_follows_the_truth():
    pairs = list(_estimate("antalgic_limp", 3))
    assert len(pairs) == 2
    for est, true in pairs:  # bouts at SI 12 % and 25 % (the limp's truth)
        assert true["symmetry_index_pct"] in (pytest.approx(12, abs=1), pytest.approx(25, abs=1))
        assert est["symmetry_index_pct"] == pytest.approx(true["symmetry_index_pct"], abs=3)
        assert est["speed_mps"] == pytest.approx(true["speed_mps"], abs=0.1)
        assert est["cadence_spm"] == pytest.approx(true["cadence_spm"], rel=0.03)
        assert est["distance_m"] == pytest.approx(est["steps"] / 2 * est["stride_length_m"])


def test_slow_and_fast_walking_are_told_apart():
    slow = [e["speed_mps"] for e, _ in _estimate("walk_level_0p8", 4)]
    fast = [e["speed_mps"] for e, _ in _estimate("walk_level_1p7", 4)]
    assert max(slow) < 0.95 and min(fast) > 1.5


def test_a_days_summary_adds_up_and_follows_the_truth():
    from chip_sim.mobility.day import day_summary, format_day

    run = run_scenario(library.load("daily_living_morning"), 1)
    est, true = day_summary(run)
    minutes = run.codes.n / run.rate_hz / 60.0
    assert sum(v for k, v in est.items() if k.endswith("_min") and v == v) == pytest.approx(
        minutes, abs=1.0
    )
    assert est["steps"] == np.sum(run.output.events["code"] == int(EventCode.STEP))
    assert est["steps"] == pytest.approx(true["steps"], rel=0.03)
    assert est["walking_min"] == pytest.approx(true["walking_min"], abs=2.0)
    # A knee implant's shank cannot tell sitting from standing: "upright" stands for both.
    assert est["upright_min"] == pytest.approx(true["sitting_min"] + true["standing_min"], abs=3.0)
    for key in ("cadence_spm", "speed_mps", "segment_rom_deg"):
        assert est[key] == pytest.approx(true[key], rel=0.05), key
    assert "steps" in format_day(est, true)
