"""The bench's self-validation: run the verification suite against every mutant DUT and tabulate
which requirements caught it (the kill table of the verification report).

A mutant counts as killed only for the right reason: a test failed because a figure of one of the
requirements the mutant declares (``bench.duts.mutant.CATCHES``) missed its limit. A run
that errors, fails a test without a failing figure (an import error, a broken fixture, an
assertion of the test itself) or fails a requirement the mutant does not declare is *invalid*:
the self-validation fails loudly instead of counting a kill it cannot vouch for.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import bench.verification.suite
from bench.duts.mutant import CATCHES, MUTATIONS

SUITE = Path(bench.verification.suite.__file__).resolve().parent  # installed with the package
#: verdicts of a row of the kill table
KILLED, SURVIVED, INVALID = "killed", "survived", "invalid"


def judge(mutation: str, exit_code: int, results: Mapping[str, Mapping]) -> dict:
    """One row of the kill table from a suite run's exit code and its ``tests.json``."""
    expected = set(CATCHES[mutation])
    failed = {nid: r for nid, r in results.items() if r.get("outcome") in ("failed", "error")}
    wrong: list[str] = []
    caught: set[str] = set()
    for nid, r in sorted(failed.items()):
        missed = {f["requirement"] for f in r.get("figures", []) if not f.get("passed", True)}
        if not missed:
            wrong.append(f"{nid} failed without a failing requirement figure (an error?)")
        elif missed - expected:
            wrong.append(
                f"{nid} failed {', '.join(sorted(missed - expected))}, which the mutant does "
                f"not declare (expected {', '.join(sorted(expected))})"
            )
        caught |= missed & expected
    if exit_code not in (0, 1):
        wrong.insert(0, f"the suite exited {exit_code} (not a test failure: a broken run)")
    elif exit_code == 1 and not failed:
        wrong.insert(0, "the suite exited 1 but recorded no failed test")
    verdict = INVALID if wrong else (KILLED if caught else SURVIVED)
    return {
        "mutant": mutation,
        "verdict": verdict,
        "killed": verdict == KILLED,
        "exit_code": exit_code,
        "expected_requirements": sorted(expected),
        "killing_tests": sorted(failed),
        "killing_requirements": sorted(caught),
        "problems": wrong,
    }


def run_mutant(
    mutation: str,
    *,
    stop_at_first: bool = True,
    seeds: tuple[int, ...] = (1,),
    suite: Path = SUITE,
) -> dict:
    """Run ``suite`` against one mutant and judge the kill (:func:`judge`)."""
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutation}-") as tmp:
        args = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(suite),
            f"--dut=mutant:{mutation}",
            f"--results-dir={tmp}",
        ]
        for own in ("test_mutants.py",):
            if (suite / own).exists():
                args += ["--ignore", str(suite / own)]
        args += [f"--seed={s}" for s in seeds]
        if stop_at_first:
            args.append("-x")
        # cwd: the run is the same from a checkout or an installed package
        p = subprocess.run(args, cwd=tmp, capture_output=True, text=True, timeout=1800)
        results_path = Path(tmp) / "tests.json"
        results = json.loads(results_path.read_text()) if results_path.exists() else {}
    row = judge(mutation, p.returncode, results)
    if row["verdict"] == INVALID:
        row["output_tail"] = "\n".join(p.stdout.strip().splitlines()[-15:])
    return row


def kill_table(*, stop_at_first: bool = True, seeds: tuple[int, ...] = (1,)) -> list[dict]:
    return [run_mutant(m, stop_at_first=stop_at_first, seeds=seeds) for m in MUTATIONS]
