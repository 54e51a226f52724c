"""ISO 13485 §7.5.6: the verification suite fails on every mutant DUT (the bench catches a chip
that misbehaves), and for the right reason: a requirement the mutant declares fails on its
figure. Each mutant runs the suite in a subprocess, stopping at its first failure."""

from __future__ import annotations

import json

import allure
import pytest

from bench.duts.mutant import MUTATIONS
from bench.verification.kill_table import KILLED, run_mutant

pytestmark = allure.epic("Bench validation")


def assert_killed(row: dict) -> None:
    """Fail unless the row is a kill; an invalid row names what went wrong."""
    problems = "; ".join(row.get("problems", []))
    assert row["verdict"] == KILLED, (
        f"mutant {row['mutant']} {row['verdict']}"
        + (f": {problems}" if problems else " the verification suite")
        + (f"\n{row['output_tail']}" if row.get("output_tail") else "")
    )


#: The mutants that take longest (the suite runs further before the mutant's first failure):
#: judged by every `smile-bench run` and `make nightly`, left out of `make test` (marker slow).
SLOW = ("swapped_axis", "threshold_off_by_one", "dropped_event", "extra_latency")


@allure.feature("Mutant DUTs")
@pytest.mark.parametrize(
    "mutation", [pytest.param(m, marks=pytest.mark.slow) if m in SLOW else m for m in MUTATIONS]
)
def test_the_suite_kills_the_mutant(mutation, verify):
    row = run_mutant(mutation)
    verify.attach("kill", json.dumps(row, indent=1), "json")
    assert_killed(row)
