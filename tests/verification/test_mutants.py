"""ISO 13485 §7.5.6: the verification suite fails on every mutant DUT (the bench catches a chip
that misbehaves). Each mutant runs the suite in a subprocess, stopping at its first failure."""

from __future__ import annotations

import json

import allure
import pytest

from bench.verification.kill_table import run_mutant
from bench.verification.mutants import MUTATIONS

pytestmark = allure.epic("Bench validation")


@allure.feature("Mutant DUTs")
@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_the_suite_kills_the_mutant(mutation, verify):
    row = run_mutant(mutation)
    verify.attach("kill", json.dumps(row, indent=1), "json")
    assert row["exit_code"] in (0, 1), row  # 2+ would be a broken run, not a kill
    assert row["killed"], f"mutant {mutation} survived the verification suite"
    assert row["killing_requirements"], row
