"""Verification of the long-horizon metrics (golden model): healing and infection."""

from __future__ import annotations

import allure
import pytest

from bench.verification import figures

pytestmark = allure.epic("Long-horizon metrics")


@allure.feature("Healing")
@pytest.mark.requirement("SRS-030", "SRS-031")
def test_healing_classification_and_delayed_union_flag(dut, seeds, verify):
    verify.record(figures.healing(dut, seeds))
    verify.check()


@allure.feature("Infection")
@pytest.mark.requirement("SRS-032", "SRS-033")
def test_infection_flag(dut, seeds, verify):
    verify.record(figures.infection(dut, seeds))
    verify.check()
