"""Verification of detection accuracy and latency against bench/verification/requirements.yaml,
on the DUT the station (or --dut) names. Figures are pooled over the scenarios and seeds of each
requirement; statistical ones are judged on their Wilson 95 % bound."""

from __future__ import annotations

import allure
import numpy as np
import pytest

from bench.reports.detections_plot import detections_png, latency_histogram_png
from bench.verification import accuracy_table as lib
from bench.verification.events_csv import events_csv_text
from bench.verification.stats import latency, wilson

pytestmark = allure.epic("Detection")

ALL_SCENARIOS = sorted(
    set(
        lib.STEP_SCENARIOS
        + lib.SLOW_SCENARIOS
        + lib.BOUT_SCENARIOS
        + lib.FALL_SCENARIOS
        + lib.LOOKALIKES
        + lib.OVERLOAD_SCENARIOS
    )
)


def pooled_steps(dut, names, seeds, verify=None):
    tp = fn = fp = 0
    for n in names:
        for s in seeds:
            m = dut.run_scenario(n, s).accuracy().steps
            tp, fn, fp = tp + m.tp, fn + m.fn, fp + m.fp
    if verify is not None:
        f1 = 2 * tp / (2 * tp + fn + fp) if tp else 0.0
        verify.attach(
            "step confusion matrix",
            "truth \\ chip,STEP,no STEP\n"
            f"heel strike,{tp},{fn}\nno heel strike,{fp},-\nF1,{f1:.4f},\n",
            "csv",
        )
    return wilson(tp, tp + fn), wilson(tp, tp + fp)


@allure.feature("Steps")
@pytest.mark.requirement("SRS-001", "SRS-002")
def test_step_sensitivity_and_ppv_walking(dut, seeds, verify):
    sens, ppv = pooled_steps(dut, lib.STEP_SCENARIOS, seeds, verify)
    verify.figure("SRS-001", 0, proportion=sens, detail=str(sens))
    verify.figure("SRS-002", 0, proportion=ppv, detail=str(ppv))
    verify.check()


@allure.feature("Steps")
@pytest.mark.requirement("SRS-005")
def test_step_sensitivity_slow_crutch_gait(dut, seeds, verify):
    sens, _ = pooled_steps(dut, lib.SLOW_SCENARIOS, seeds)
    verify.figure("SRS-005", 0, proportion=sens, detail=str(sens))
    verify.check()


@allure.feature("Steps")
@pytest.mark.requirement("SRS-003", "SRS-004")
def test_step_count_error(dut, seeds, verify):
    cases = [(n, "SRS-003" if lim <= 0.03 else "SRS-004") for n, lim in lib.COUNT_LIMITS.items()]
    for name, req in [*cases, ("walk_level_1p3", "SRS-004")]:
        worst = max(abs(dut.run_scenario(name, s).accuracy().step_count_error) for s in seeds)
        verify.figure(req, worst, name=f"step_count_error_abs {name}")
    verify.check()


@allure.feature("Walking bouts")
@pytest.mark.requirement("SRS-006", "SRS-007")
def test_walking_bouts_per_second(dut, seeds, verify):
    tp = fn = tn = fp = 0
    for n in lib.BOUT_SCENARIOS:
        for s in seeds:
            a, b, c, d = dut.run_scenario(n, s).accuracy().walking_seconds_counts
            tp, fn, tn, fp = tp + a, fn + b, tn + c, fp + d
    sens, spec = wilson(tp, tp + fn), wilson(tn, tn + fp)
    verify.attach(
        "walking confusion matrix (seconds)",
        f"truth \\ chip,walking,not walking\nwalking,{tp},{fn}\nnot walking,{fp},{tn}\n",
        "csv",
    )
    verify.figure("SRS-006", 0, proportion=sens, detail=str(sens))
    verify.figure("SRS-007", 0, proportion=spec, detail=str(spec))
    verify.check()


@allure.feature("Falls")
@pytest.mark.requirement("SRS-010", "SRS-011")
def test_every_fall_detected_in_time(dut, seeds, verify):
    runs = [dut.run_scenario(n, s).accuracy() for n in lib.FALL_SCENARIOS for s in seeds]
    missed = sum(a.falls_truth - a.falls_detected for a in runs)
    lat = latency(x for a in runs for x in a.fall_latencies_s)
    verify.figure("SRS-010", missed, detail=f"{sum(a.falls_truth for a in runs)} falls")
    verify.figure("SRS-011", lat.max_s, detail=f"p50 {lat.p50_s:.3f} s, p95 {lat.p95_s:.3f} s")
    verify.attach(
        "fall latency",
        latency_histogram_png(
            {"FALL": [x for a in runs for x in a.fall_latencies_s]}, "FALL decision after impact"
        ),
        "png",
    )
    verify.check()


@allure.feature("Falls")
@pytest.mark.requirement("SRS-012")
def test_no_false_falls(dut, seeds, verify):
    false = {
        n: sum(dut.run_scenario(n, s).accuracy().false_falls for s in seeds) for n in lib.LOOKALIKES
    }
    verify.figure("SRS-012", sum(false.values()), detail=str(false))
    verify.check()


@allure.feature("Overload")
@pytest.mark.requirement("SRS-020", "SRS-021", "SRS-022")
def test_overload_detection(dut, seeds, verify):
    runs = [dut.run_scenario(n, s).accuracy() for n in lib.OVERLOAD_SCENARIOS for s in seeds]
    verify.figure("SRS-020", sum(a.overloads_truth - a.overloads_detected for a in runs))
    lat = latency(x for a in runs for x in a.overload_latencies_s)
    verify.figure(
        "SRS-021", lat.max_s, detail=f"p50 {lat.p50_s:.3f} s, p95 {lat.p95_s:.3f} s, n {lat.n}"
    )
    at_limit = [dut.run_scenario(n, s).accuracy() for n in lib.AT_LIMIT for s in seeds]
    verify.figure("SRS-022", sum(a.false_overloads + a.overloads_detected for a in at_limit))
    verify.attach(
        "overload latency",
        latency_histogram_png(
            {"OVERLOAD_START": [x for a in runs for x in a.overload_latencies_s]},
            "OVERLOAD_START after the limit crossing",
        ),
        "png",
    )
    verify.check()


@allure.feature("Overload")
@pytest.mark.requirement("SRS-023")
def test_prescribed_limit_is_programmed_as_written(dut, seeds, verify):
    from chip_sim.presets import strain_code
    from scenarios.sites import SITES

    run = dut.run_scenario("overload_partial_weight_bearing", seeds[0])
    site = SITES[run.scenario.patient.implant_site]
    expected = strain_code(run.rendering.overload_limit_n, site.strain_ue_per_n)
    addr = run.registers.map.by_name("OVERLOAD_LIMIT").addr
    value, nack = run.registers.read(addr)
    verify.figure(
        "SRS-023",
        abs(value - expected) if nack is None else 1e9,
        detail=f"read {value}, expected {expected} codes",
    )
    verify.check()


@allure.feature("Scenario runs")
@pytest.mark.scenarios(ALL_SCENARIOS)
def test_scenario_run_evidence(dut, scenario_name, seed, verify):
    """One run per scenario and seed, with its evidence: signals with truth and detections, the
    events CSV and the step-timing histogram."""
    run = dut.run_scenario(scenario_name, seed)
    a = run.accuracy()
    allure.dynamic.story(scenario_name)
    allure.dynamic.title(f"{scenario_name} on {dut.name}, seed {seed}")
    with allure.step(f"{len(run.output.events)} events on {run.codes.n} samples"):
        verify.attach("signals, truth and detections", detections_png(run), "png")
        verify.attach("events", events_csv_text(run.output.events, run.rate_hz), "csv")
        verify.attach(
            "step timing",
            latency_histogram_png(
                {"STEP − heel strike": list(a.steps.offsets_s)}, "STEP decision − heel strike"
            ),
            "png",
        )
    # A scenario run that detected nothing at all, or events out of order, is a broken run.
    assert len(run.output.events) >= 1
    assert np.all(np.diff(run.output.events["stream_index"]) >= 0)
    if a.falls_truth:
        assert a.falls_detected == a.falls_truth
    if scenario_name in lib.LOOKALIKES:
        assert a.false_falls == 0
