"""The chip's steps side by side with scikit-digital-health's lumbar gait pipeline on the
lower-back scenarios: the reference must really run, and the chip's step F1 must not be lower."""

from __future__ import annotations

import numpy as np
import pytest

from bench.verification.reference_gait import (
    AP_AXIS,
    V_AXIS,
    comparison_table,
    lower_back_scenarios,
    run_reference,
)
from chip_sim.accuracy import STEP_TOLERANCE_S, match_times
from scenarios import library
from scenarios.generator import render

SEEDS = (1, 2)


@pytest.fixture(scope="module")
def tables() -> dict[int, list[dict]]:
    return {seed: comparison_table([seed]) for seed in SEEDS}


def test_the_library_has_lower_back_scenarios():
    assert "walk_lower_back_wearable" in lower_back_scenarios()


#: GaitLumbar drops bouts shorter than this (its published default): on a scenario of shorter
#: bouts (free-living-like) the reference rightly finds few steps.
REFERENCE_MIN_BOUT_S = 8.0


def long_bouts_only(name: str, seed: int) -> bool:
    r = render(library.load(name), seed, rate_hz=100)
    walks = r.segments[r.segments["activity"] == "walk"]
    length_s = walks["t_end_s"] - walks["t_start_s"]
    return bool(len(walks)) and bool(np.all(length_s >= REFERENCE_MIN_BOUT_S))


@pytest.mark.parametrize("seed", SEEDS)
def test_reference_really_runs_on_the_long_bouts(tables, seed):
    """The reference's classifier takes most of a long walk for gait and it reports steps there.
    Neither its sensitivity nor its PPV is asked for here: on the matched lower back (heel strikes
    as soft and scattered as the mobgap recordings') it finds about a third of the steps (real:
    0.098 pooled) at PPV 0.44-0.73 (real: 0.958) — the generator's trunk still differs from a
    real one in what its initial-contact feature reads (docs/plan/issue-13.md). That the adapter
    is right is shown on the real recordings (bench/verification/suite/test_real_data.py)."""
    rows = [row for row in tables[seed] if row["scenario"] in lower_back_scenarios()]
    judged = [row for row in rows if long_bouts_only(row["scenario"], seed)]
    assert judged, "no lower-back scenario with bouts the reference is made for"
    for row in judged:
        r = render(library.load(row["scenario"]), seed, rate_hz=100)
        truth = r.events_of("heel_strike")["t_s"]
        bouts = np.asarray(run_reference(r).bouts_s, dtype=float).reshape(-1, 2)
        in_bouts = np.zeros(len(truth), dtype=bool)
        for start_s, end_s in bouts:
            in_bouts |= (truth >= start_s) & (truth <= end_s)
        assert in_bouts.mean() >= 0.5, (row["scenario"], in_bouts.mean())
        assert row["ref_steps"] >= 0.2 * row["truth_steps"], row


@pytest.mark.parametrize("seed", SEEDS)
def test_our_step_f1_is_not_lower_than_the_reference(tables, seed):
    for row in tables[seed]:
        assert row["ours_f1"] >= row["ref_f1"], row


def test_table_has_a_total_row_that_sums_the_scenarios(tables):
    rows = tables[SEEDS[0]]
    assert rows[-1]["scenario"] == "total"
    per_scenario = rows[:-1]
    assert len(per_scenario) == len(lower_back_scenarios())
    for key in ("truth_steps", "ours_tp", "ours_fp", "ref_tp", "ref_fp"):
        assert rows[-1][key] == sum(r[key] for r in per_scenario)


def test_reference_sees_our_axes_as_we_label_them():
    """Its own axis estimates agree with the sensor frame the adapter passes (z up, x anterior):
    a check that the adapter's axis convention and our lower-back signals fit the reference."""
    r = render(library.load("walk_lower_back_wearable"), 1, rate_hz=1000)
    res = run_reference(r)
    assert len(res.bouts_s) >= 1
    assert set(res.v_axis_estimates.tolist()) == {V_AXIS}
    assert set(res.ap_axis_estimates.tolist()) == {AP_AXIS}


def test_adapter_resamples_a_rate_that_50_hz_does_not_divide():
    scenario = library.load("walk_lower_back_wearable")
    r = render(scenario, 1, rate_hz=125, duration_s=52)
    truth = r.events_of("heel_strike")["t_s"]
    ics = run_reference(r).initial_contacts_s
    m = match_times(truth, ics, STEP_TOLERANCE_S)
    assert m.sensitivity >= 0.5 and m.ppv >= 0.9, m
    assert np.all(np.diff(ics) > 0)
