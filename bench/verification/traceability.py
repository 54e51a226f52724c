"""Traceability of a run: requirement → hazards → tests → result → evidence files.

Written by the pytest plugin at the end of a session into the results folder (``tests.json``,
``traceability.json``, ``traceability.csv``). A requirement passes when it had tests and all of
them passed; it is "not run" when none of its tests ran — never reported as passed. A test that
failed under an open known anomaly (outcome "xfailed") still fails its requirement; the row names
the anomaly.

One test may judge several requirements (the real-data tier judges sensitivity, PPV and count per
placement). Such a test is xfailed only when every failure was a requirement figure under an open
anomaly (``Verify.check``), so for the other requirements it judged — each with figures, all
within their limits — that test counts as passed: a requirement's verdict is its own figures',
not its neighbour's. A test that failed outright fails every requirement it names.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from bench.verification.requirements import open_anomalies, requirements
from bench.verification.verdict import Verdict, requirement_verdict


def outcome_for(requirement_id: str, result: dict) -> str:
    """The outcome of one test for one of the requirements it names."""
    outcome = result.get("outcome", "not run")
    if outcome == "xfailed" and result.get("known_anomalies"):
        figures = [f for f in result.get("figures", []) if f["requirement"] == requirement_id]
        if figures and all(f["passed"] for f in figures):
            return "passed"
    return outcome


def matrix(results: dict[str, dict]) -> list[dict]:
    reqs = requirements()
    known = open_anomalies(reqs)
    rows = []
    for rid, req in reqs.requirements.items():
        tests = {
            nid: results[nid]
            for nid in sorted(results)
            if rid in results[nid].get("requirements", [])
        }
        outcomes = [outcome_for(rid, r) for r in tests.values()]  # in the order of tests
        verdict = requirement_verdict(outcomes)
        figures = [
            f for r in tests.values() for f in r.get("figures", []) if f["requirement"] == rid
        ]
        rows.append(
            {
                "requirement": rid,
                "text": req.text,
                "hazards": list(req.hazards),
                "acceptance": req.acceptance.text,
                "tests": list(tests),
                "outcomes": outcomes,
                "verdict": verdict,
                "known_anomalies": known.get(rid, "") if verdict == Verdict.FAIL else "",
                "figures": figures,
                "evidence": sorted({e for r in tests.values() for e in r.get("evidence", [])}),
            }
        )
    return rows


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_run_results(out: Path, state) -> list[dict]:
    out.mkdir(parents=True, exist_ok=True)
    rows = matrix(state.results)
    _atomic(out / "tests.json", json.dumps(state.results, indent=1, sort_keys=True, default=str))
    _atomic(out / "traceability.json", json.dumps(rows, indent=1, default=str))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["requirement", "hazards", "acceptance", "tests", "verdict", "known_anomalies", "evidence"]
    )
    for r in rows:
        w.writerow(
            [
                r["requirement"],
                " ".join(r["hazards"]),
                r["acceptance"],
                len(r["tests"]),
                r["verdict"],
                r["known_anomalies"],
                " ".join(r["evidence"]),
            ]
        )
    _atomic(out / "traceability.csv", buf.getvalue())
    return rows
