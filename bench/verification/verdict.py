"""The one verdict type, and the one place a figure's, a requirement's and a run's verdict is
computed — used by the pytest plugin, ``smile-bench run``, ``smile-bench accuracy``, the
traceability matrix and the verification report.

- A figure passes when its value — for a statistical limit, its 95 % confidence bound on the safe
  side — meets the requirement's acceptance (``Acceptance.judge``).
- A requirement passes when it had tests and each passed for it; it fails when one failed for it
  (a known anomaly's expected failure included); it is *not run* when none of its tests ran,
  *incomplete* when some were skipped or errored without a failure — never reported as passed.
- A run passes when the suite finished, at least one requirement was judged and every one passed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import StrEnum

from bench.verification.stats import Proportion


class Verdict(StrEnum):
    # str values: they travel as plain text through JSON records, CSV and the SQLite store
    PASS = "pass"
    FAIL = "fail"
    NOT_RUN = "not run"
    INCOMPLETE = "incomplete"


def figure_verdict(
    requirement_id: str, value: float, proportion: Proportion | None = None, reqs=None
) -> Verdict:
    from bench.verification.requirements import requirements

    acc = (reqs or requirements()).get(requirement_id).acceptance
    if proportion is not None:
        ok = acc.judge(proportion.estimate, lower=proportion.lower, upper=proportion.upper)
    else:
        ok = acc.judge(value)
    return Verdict.PASS if ok else Verdict.FAIL


def requirement_verdict(outcomes: Iterable[str]) -> Verdict:
    """From the pytest outcomes of a requirement's tests, each as it stands for the requirement
    ("passed", "failed", "xfailed", "skipped", "error", ...)."""
    outcomes = list(outcomes)
    if not outcomes:
        return Verdict.NOT_RUN
    if all(o == "passed" for o in outcomes):
        return Verdict.PASS
    if any(o in ("failed", "xfailed") for o in outcomes):  # xfailed: a known anomaly
        return Verdict.FAIL
    return Verdict.INCOMPLETE


def run_verdict(
    verdicts: Iterable[str], *, failed_tests: int = 0, problems: Iterable[str] = ()
) -> tuple[Verdict, list[str]]:
    """(PASS | FAIL | INCOMPLETE, reasons) of a run from its requirements' verdicts, the number
    of tests that failed or errored and any problem with the run itself (it did not finish, it
    ended abnormally). PASS only when every requirement passed and nothing else went wrong."""
    verdicts = [Verdict(v) for v in verdicts]
    counts = Counter(verdicts)
    reasons = []
    if counts[Verdict.FAIL]:
        reasons.append(f"{counts[Verdict.FAIL]} requirement(s) failed")
    if failed_tests and not counts[Verdict.FAIL]:
        reasons.append(f"{failed_tests} test(s) failed or errored")
    if counts[Verdict.NOT_RUN]:
        reasons.append(f"{counts[Verdict.NOT_RUN]} requirement(s) not run (no test in this run)")
    if counts[Verdict.INCOMPLETE]:
        reasons.append(f"{counts[Verdict.INCOMPLETE]} requirement(s) incomplete (tests skipped)")
    reasons += list(problems)
    if counts[Verdict.FAIL] or failed_tests:
        return Verdict.FAIL, reasons
    if reasons or not verdicts:
        return Verdict.INCOMPLETE, reasons or ["no requirement in the run"]
    return Verdict.PASS, [f"all {len(verdicts)} requirements passed"]
