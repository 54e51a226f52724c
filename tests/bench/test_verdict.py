"""The one verdict computation (bench.verification.verdict) that the plugin, the CLI, the
accuracy table and the report share."""

from __future__ import annotations

import json

import pytest

from bench.verification.stats import wilson
from bench.verification.verdict import (
    Verdict,
    figure_verdict,
    requirement_verdict,
    run_verdict,
)


def test_a_statistical_figure_is_judged_on_its_bound_not_its_estimate():
    """`smile-bench accuracy` judged 0.98 >= 0.97 a pass; on 100 steps the Wilson bound is 0.930:
    the suite's verdict, now the table's too, is FAIL."""
    p = wilson(98, 100)
    assert p.estimate >= 0.97 > p.lower
    assert figure_verdict("SRS-001", 0, p) == Verdict.FAIL
    assert figure_verdict("SRS-001", 0, wilson(2000, 2000)) == Verdict.PASS
    assert figure_verdict("SRS-011", 2.5) == Verdict.PASS  # <= 2.5 s, not statistical
    assert figure_verdict("SRS-011", 2.51) == Verdict.FAIL


@pytest.mark.parametrize(
    ("outcomes", "verdict"),
    [
        ([], Verdict.NOT_RUN),
        (["passed", "passed"], Verdict.PASS),
        (["passed", "xfailed"], Verdict.FAIL),  # a known anomaly is still a failed requirement
        (["passed", "failed", "skipped"], Verdict.FAIL),
        (["passed", "skipped"], Verdict.INCOMPLETE),
        (["error"], Verdict.INCOMPLETE),
    ],
)
def test_requirement_verdict(outcomes, verdict):
    assert requirement_verdict(outcomes) == verdict


def test_run_verdict_and_its_reasons():
    assert run_verdict(["pass", "pass"])[0] == Verdict.PASS
    v, why = run_verdict(["pass", "fail", "not run"])
    assert v == Verdict.FAIL and why[0] == "1 requirement(s) failed" and "not run" in why[1]
    assert run_verdict(["pass", "not run"])[0] == Verdict.INCOMPLETE
    assert run_verdict([])[0] == Verdict.INCOMPLETE  # nothing judged is never a pass
    assert run_verdict(["pass"], failed_tests=1)[0] == Verdict.FAIL
    assert run_verdict(["pass"], problems=["no run_end"])[0] == Verdict.INCOMPLETE
    with pytest.raises(ValueError):
        run_verdict(["passed"])  # a test outcome is not a requirement verdict


def test_verdicts_travel_as_plain_text():
    assert json.dumps({"v": Verdict.NOT_RUN}) == '{"v": "not run"}'
    assert Verdict("fail") is Verdict.FAIL and Verdict.FAIL == "fail"
