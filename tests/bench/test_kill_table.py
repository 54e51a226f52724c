"""The kill table counts a mutant as caught only for the right reason: a figure of a requirement
the mutant declares missed its limit. Errors, import failures and unrelated requirements make the
row invalid, so the self-validation fails loudly instead of passing on a broken run."""

from __future__ import annotations

import pytest

from bench.duts.mutant import CATCHES, MUTATIONS
from bench.verification.kill_table import INVALID, KILLED, SURVIVED, judge, run_mutant


def _failed(*figures: tuple[str, bool], outcome: str = "failed") -> dict:
    return {
        "outcome": outcome,
        "requirements": [r for r, _ in figures],
        "figures": [{"requirement": r, "passed": ok} for r, ok in figures],
    }


MUTANT = "extra_latency"


def test_every_mutant_declares_the_requirements_that_must_catch_it():
    assert set(CATCHES) == set(MUTATIONS)
    assert all(CATCHES[m] for m in MUTATIONS)


def test_a_failing_expected_figure_is_a_kill():
    rid = CATCHES[MUTANT][0]
    row = judge(MUTANT, 1, {"t::a": _failed((rid, False)), "t::b": {"outcome": "passed"}})
    assert row["verdict"] == KILLED and row["killing_requirements"] == [rid]


def test_an_error_is_not_a_kill():
    row = judge(MUTANT, 1, {"t::a": {"outcome": "failed", "requirements": [], "figures": []}})
    assert row["verdict"] == INVALID
    assert "without a failing requirement figure" in row["problems"][0]


def test_an_unrelated_requirement_is_not_a_kill():
    expected = CATCHES[MUTANT][0]
    unrelated = next(r for r in ("SRS-080", "SRS-081", "SRS-010") if r not in CATCHES[MUTANT])
    row = judge(MUTANT, 1, {"t::a": _failed((expected, False), (unrelated, False))})
    assert row["verdict"] == INVALID and unrelated in row["problems"][0]


def test_a_passing_suite_is_a_survivor_and_a_broken_one_is_invalid():
    assert judge(MUTANT, 0, {"t::a": {"outcome": "passed"}})["verdict"] == SURVIVED
    assert judge(MUTANT, 2, {})["verdict"] == INVALID
    assert judge(MUTANT, 1, {})["verdict"] == INVALID


def test_a_suite_that_fails_on_an_import_error_does_not_kill_the_mutant(tmp_path):
    """The case that once passed: a dev dependency missing, a test failed on ImportError, and
    "wrong_crc" was counted as killed."""
    (tmp_path / "test_needs_a_package.py").write_text(
        "import pytest\n\n\n"
        '@pytest.mark.requirement("SRS-010")\n'
        "def test_needs_a_package():\n"
        "    import smile_bench_no_such_package  # noqa: F401\n"
    )
    row = run_mutant("wrong_crc", suite=tmp_path)
    assert row["verdict"] == INVALID, row
    assert row["killed"] is False
    assert "without a failing requirement figure" in row["problems"][0]


@pytest.mark.parametrize("mutation", ["wrong_crc"])
def test_the_mutant_test_fails_loudly_on_an_invalid_row(mutation, tmp_path):
    from bench.verification.suite.test_mutants import assert_killed

    row = judge(mutation, 1, {"t::a": {"outcome": "failed", "figures": []}})
    with pytest.raises(AssertionError, match="invalid"):
        assert_killed(row)
