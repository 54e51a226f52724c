"""Verification of the digital mobility biomarkers (issue 8) against the scenarios' truth: per
level-walking bout over the full-detail library, and the step count of a whole day."""

from __future__ import annotations

from functools import cache

import allure
import numpy as np
import pytest

from chip_sim.icd import EventCode
from chip_sim.mobility.accuracy import collect, error_table, format_table
from chip_sim.mobility.figures import scatter_bland_altman
from chip_sim.pipeline import run_scenario
from scenarios import library

pytestmark = allure.epic("Mobility biomarkers")

REQUIREMENT = {
    "cadence_spm": "SRS-080",
    "speed_mps": "SRS-081",
    "stride_length_m": "SRS-082",
    "segment_rom_deg": "SRS-083",
    "knee_rom_deg": "SRS-084",
    "symmetry_index_pct": "SRS-085",
}


@cache
def walking_library() -> tuple[str, ...]:
    """Every full-detail library scenario with walking, but the 24 h day (judged per day)."""
    return tuple(
        n
        for n in library.library_names()
        if not library.load(n).is_digest
        and n != "daily_living_day"
        and any(s.activity == "walk" for s in library.load(n).timeline)
    )


@allure.feature("Per bout")
@pytest.mark.requirement(*REQUIREMENT.values())
def test_bout_biomarkers_against_truth(seeds, verify):
    pairs = collect(walking_library(), seeds)
    rows = error_table(pairs, seeds[0])
    verify.attach("biomarker error table", format_table(rows), "txt")
    for row in rows:
        assert row["n"] >= 50, row  # enough level-walking bouts to judge
        verify.figure(
            REQUIREMENT[row["biomarker"]],
            row["ci_high"],
            detail=f"mean {row['error']:.4g}, 95 % bootstrap CI [{row['ci_low']:.4g}, "
            f"{row['ci_high']:.4g}] over {row['n']} bouts (synthetic truth)",
        )
    for key in REQUIREMENT:
        png = scatter_bland_altman(pairs, key)
        verify.attach(f"{key} scatter and Bland-Altman", png, "png")
    verify.check()


@allure.feature("Per day")
@pytest.mark.requirement("SRS-086")
def test_step_count_of_a_day(seeds, verify):
    worst, detail = 0.0, []
    for seed in seeds:
        run = run_scenario(library.load("daily_living_day"), seed)
        counted = int(np.sum(run.output.events["code"] == int(EventCode.STEP)))
        true = len(run.rendering.events_of("heel_strike"))
        worst = max(worst, abs(counted - true) / true)
        detail.append(f"seed {seed}: {counted} counted, {true} true")
    verify.figure("SRS-086", worst, detail="; ".join(detail))
    verify.check()
