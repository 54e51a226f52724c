"""The bench validates itself: the fast model equals its specification, the stimulus equals the
published physiology, and the chip is not worse than a published open-source pipeline."""

from __future__ import annotations

import allure
import numpy as np
import pytest

from bench.verification import figures
from chip_sim.core import Chip
from scenarios import library
from scenarios.credibility import run_checks

pytestmark = allure.epic("Bench validation")
FULL = [
    n for n in library.library_names() if not library.load(n).is_digest and n != "daily_living_day"
]


@allure.feature("Golden model")
@pytest.mark.requirement("SRS-060")
def test_fast_model_equals_the_reference(dut, seeds, verify):
    diverging = []
    for name in FULL:
        run = dut.run_scenario(name, seeds[0])
        ref = Chip(run.registers, implementation="reference").run(
            run.codes.codes, brownouts=run.codes.brownouts
        )
        if not (
            np.array_equal(ref.events, run.output.events)
            and np.array_equal(ref.status, run.output.status)
        ):
            diverging.append(name)
    verify.figure("SRS-060", len(diverging), detail=", ".join(diverging) or f"{len(FULL)} equal")
    verify.check()


@allure.feature("Stimulus credibility")
@pytest.mark.requirement("SRS-061")
def test_scenario_generator_reproduces_published_figures(seeds, verify):
    failed = [c.figure for s in seeds for c in run_checks(s) if not c.passed]
    verify.figure("SRS-061", len(failed), detail=", ".join(failed) or "all pass")
    verify.check()


@allure.feature("Reference pipeline")
@pytest.mark.requirement("SRS-008")
def test_step_f1_not_below_published_pipeline(dut, seeds, verify):
    verify.record(figures.reference_pipeline(dut, seeds))
    verify.check()
