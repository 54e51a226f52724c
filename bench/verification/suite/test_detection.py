"""Verification of detection accuracy and latency against bench/verification/requirements.yaml,
on the DUT the station (or --dut) names. Figures are pooled over the scenarios and seeds of each
requirement; statistical ones are judged on their Wilson 95 % bound."""

from __future__ import annotations

import allure
import numpy as np
import pytest

from bench.reports.detections_plot import detections_png, latency_histogram_png
from bench.verification import accuracy_table as lib
from bench.verification import figures
from bench.verification.events_csv import events_csv_text

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


@allure.feature("Steps")
@pytest.mark.requirement("SRS-001", "SRS-002")
def test_step_sensitivity_and_ppv_walking(dut, seeds, verify):
    found = figures.steps_walking(dut, seeds)
    sens, ppv = (f.proportion for f in found)
    tp, fn, fp = sens.successes, sens.n - sens.successes, ppv.n - ppv.successes
    f1 = 2 * tp / (2 * tp + fn + fp) if tp else 0.0
    verify.attach(
        "step confusion matrix",
        f"truth \\ chip,STEP,no STEP\nheel strike,{tp},{fn}\nno heel strike,{fp},-\nF1,{f1:.4f},\n",
        "csv",
    )
    verify.record(found)
    verify.check()


@allure.feature("Steps")
@pytest.mark.requirement("SRS-005")
def test_step_sensitivity_slow_crutch_gait(dut, seeds, verify):
    verify.record(figures.steps_slow(dut, seeds))
    verify.check()


@allure.feature("Steps")
@pytest.mark.requirement("SRS-003", "SRS-004")
def test_step_count_error(dut, seeds, verify):
    verify.record(figures.step_count(dut, seeds))
    verify.check()


@allure.feature("Walking bouts")
@pytest.mark.requirement("SRS-006", "SRS-007")
def test_walking_bouts_per_second(dut, seeds, verify):
    found = figures.walking_bouts(dut, seeds)
    sens, spec = (f.proportion for f in found)
    tp, fn = sens.successes, sens.n - sens.successes
    tn, fp = spec.successes, spec.n - spec.successes
    verify.attach(
        "walking confusion matrix (seconds)",
        f"truth \\ chip,walking,not walking\nwalking,{tp},{fn}\nnot walking,{fp},{tn}\n",
        "csv",
    )
    verify.record(found)
    verify.check()


@allure.feature("Falls")
@pytest.mark.requirement("SRS-010", "SRS-011")
def test_every_fall_detected_in_time(dut, seeds, verify):
    verify.record(figures.falls(dut, seeds))
    runs = [dut.run_scenario(n, s).accuracy() for n in lib.FALL_SCENARIOS for s in seeds]
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
    verify.record(figures.false_falls(dut, seeds))
    verify.check()


@allure.feature("Falls")
@pytest.mark.requirement("SRS-013")
def test_every_fall_type_detected(dut, seeds, verify):
    cells = figures.fall_type_cells(dut, seeds)
    table = figures.cells_by_type(cells)
    sites = list(next(iter(table.values())))
    rows = ["fall type," + ",".join(sites)]
    for t, mine in table.items():
        rows.append(t + "," + ",".join(f"{mine[s].detected}/{mine[s].falls}" for s in sites))
    verify.attach("falls detected per type and site (synthetic)", "\n".join(rows) + "\n", "csv")
    verify.record(figures.fall_types(dut, seeds, cells))
    verify.check()


@allure.feature("Falls")
@pytest.mark.requirement("SRS-014")
def test_no_false_falls_on_any_site(dut, seeds, verify):
    verify.record(figures.false_falls_on_sites(dut, seeds))
    verify.check()


@allure.feature("Overload")
@pytest.mark.requirement("SRS-020", "SRS-021", "SRS-022")
def test_overload_detection(dut, seeds, verify):
    verify.record(figures.overloads(dut, seeds))
    runs = [dut.run_scenario(n, s).accuracy() for n in lib.OVERLOAD_SCENARIOS for s in seeds]
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
    verify.record(figures.prescribed_limit(dut, seeds))
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
