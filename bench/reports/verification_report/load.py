"""Collecting what a run directory holds: records, test results, traceability, and their
cross-checks."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.errors import BenchError
from bench.reports.verification_report.common import (
    _OUTCOME,
    MANIFEST,
    RECORDS,
    RUN_FILES,
    TESTS_JSON,
    TRACE_JSON,
    NotARunDirectoryError,
    VerificationReportError,
)
from bench.verification.requirements import requirements
from bench.verification.traceability import matrix


@dataclass
class _Run:
    path: Path
    tests: dict[str, dict] = field(default_factory=dict)
    tests_source: str = ""
    trace_rows: list[dict] | None = None
    records_present: bool = False
    records: list[dict] = field(default_factory=list)  # parsed record fields, unverified
    records_problems: list[str] = field(default_factory=list)  # from bench.records.verify
    records_note: str = ""
    consistency: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    own_files: tuple[str, ...] = ()

    @property
    def start(self) -> dict:
        for r in self.records:
            if r["kind"] == "run_start":
                return r
        return {}

    @property
    def end(self) -> dict:
        ends = [r for r in self.records if r["kind"] == "run_end"]
        return ends[-1] if ends else {}

    @property
    def start_payload(self) -> dict:
        return self.start.get("payload", {}) if self.start else {}

    @property
    def end_payload(self) -> dict:
        return self.end.get("payload", {}) if self.end else {}

    @property
    def test_records(self) -> list[dict]:
        return [r for r in self.records if r["kind"] == "test"]


def _norm_outcome(value: Any) -> str:
    text = str(value or "not run").lower()
    return _OUTCOME.get(text, text)


def _read_json(path: Path, expected: type, what: str) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerificationReportError(f"{path}: cannot read {what} ({exc})") from None
    if not isinstance(data, expected):
        raise VerificationReportError(
            f"{path}: {what} is a JSON {type(data).__name__}; expected a JSON "
            f"{'object' if expected is dict else 'array'}"
        )
    return data


def _check_run_dir(run_dir: str | os.PathLike[str]) -> Path:
    path = Path(run_dir)
    expected = f"expected a run directory holding {', '.join(RUN_FILES[:-1])} or {RUN_FILES[-1]}"
    if not path.exists():
        raise NotARunDirectoryError(f"{path}: no such folder; {expected}")
    if not path.is_dir():
        raise NotARunDirectoryError(f"{path}: not a folder; {expected}")
    if not any((path / name).is_file() for name in RUN_FILES):
        empty = not any(path.iterdir())
        kind = "empty folder" if empty else "not a run directory"
        raise NotARunDirectoryError(f"{path}: {kind}; {expected}")
    return path


def _load_records(run: _Run) -> None:
    path = run.path / RECORDS
    if not path.is_file():
        return
    run.records_present = True
    try:
        from bench.records import verify
        from bench.records.chain import parse_line
    except ImportError as exc:  # pragma: no cover - bench.records ships with the bench
        run.records_note = f"bench.records not importable ({exc}); records not verified"
        run.records_problems = [run.records_note]
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        run.records_problems = [f"{RECORDS}: cannot read ({exc})"]
        return
    for raw in data.split(b"\n"):
        if raw.strip():
            fields, _ = parse_line(raw)
            if fields is not None:
                run.records.append(fields)
    try:
        run.records_problems = list(verify(run.path))
    except BenchError as exc:
        run.records_problems = [str(exc)]
    own = {
        f"evidence file {rel}: added after {MANIFEST} was written (not listed)"
        for rel in run.own_files
    }
    kept = [p for p in run.records_problems if p not in own]
    if len(kept) != len(run.records_problems):
        run.records_note = (
            "this report's own output files inside the run directory ("
            + ", ".join(run.own_files)
            + ") are not run evidence and were left out of the check"
        )
    run.records_problems = kept


def _tests_from_records(run: _Run) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for r in run.test_records:
        p = r["payload"]
        nid = str(p.get("test_id") or f"(record seq {r['seq']})")
        out[nid] = {
            "outcome": _norm_outcome(p.get("verdict", p.get("outcome"))),
            "requirements": list(p.get("requirements") or []),
            "figures": list(p.get("figures") or []),
            "evidence": list(p.get("evidence") or []),
            "duration_s": p.get("duration_s"),
            "message": p.get("message") or "",
            "known_anomalies": list(p.get("known_anomalies") or []),
        }
    return out


def _tests_from_trace(rows: list[dict]) -> dict[str, dict]:
    """Per-test results when only traceability.json exists: a test's outcome is known only when
    every requirement row naming it has one outcome for all its tests."""
    out: dict[str, dict] = {}
    for row in rows:
        outcomes = {_norm_outcome(o) for o in row.get("outcomes") or []}
        known = outcomes.pop() if len(outcomes) == 1 else "unknown"
        for nid in row.get("tests") or []:
            entry = out.setdefault(
                nid, {"requirements": [], "figures": [], "evidence": [], "outcome": known}
            )
            entry["requirements"].append(row.get("requirement"))
            if entry["outcome"] != known:
                entry["outcome"] = "unknown"
    return out


def _collect(run_dir: str | os.PathLike[str], own_files: Iterable[str] = ()) -> _Run:
    path = _check_run_dir(run_dir)
    run = _Run(path, own_files=tuple(own_files))
    _load_records(run)
    if (path / TRACE_JSON).is_file():
        run.trace_rows = _read_json(path / TRACE_JSON, list, "traceability matrix")
    from_records = _tests_from_records(run)
    if (path / TESTS_JSON).is_file():
        raw = _read_json(path / TESTS_JSON, dict, "test results")
        for nid, entry in raw.items():
            if not isinstance(entry, dict):
                raise VerificationReportError(
                    f"{path / TESTS_JSON}: entry {nid!r} is not a JSON object"
                )
            rec = from_records.get(nid, {})
            message = entry.get("message") or entry.get("longrepr") or ""
            run.tests[nid] = {
                **entry,
                "outcome": _norm_outcome(entry.get("outcome")),
                "requirements": list(entry.get("requirements") or []),
                "figures": list(entry.get("figures") or []),
                "evidence": list(entry.get("evidence") or []),
                "message": message or rec.get("message", ""),
                "message_source": (
                    TESTS_JSON if message else (RECORDS if rec.get("message") else "")
                ),
            }
        run.tests_source = TESTS_JSON
        if run.records_present:
            _cross_check_records(run, from_records)
    elif from_records:
        run.tests = {
            k: {**v, "message_source": RECORDS if v["message"] else ""}
            for k, v in from_records.items()
        }
        run.tests_source = f"{RECORDS} (no {TESTS_JSON} in the run directory)"
    elif run.trace_rows is not None:
        run.tests = _tests_from_trace(run.trace_rows)
        run.tests_source = (
            f"{TRACE_JSON} (no {TESTS_JSON} and no test records: per-test outcomes reconstructed, "
            "no figures, no messages)"
        )
    else:
        run.tests_source = "none: the run recorded no test"
    if run.trace_rows is not None and run.tests_source.startswith(TRACE_JSON):
        run.rows = _rows_from_trace(run.trace_rows)
    else:
        run.rows = matrix(
            {
                nid: {**t, "outcome": "failed" if t["outcome"] == "error" else t["outcome"]}
                for nid, t in run.tests.items()
            }
        )
    _cross_check_verdicts(run)
    return run


def _rows_from_trace(trace_rows: list[dict]) -> list[dict]:
    reqs = requirements()
    by_id = {r.get("requirement"): r for r in trace_rows}
    rows = []
    for rid, req in reqs.requirements.items():
        row = by_id.get(rid)
        if row is None or not row.get("tests"):
            row = {"tests": [], "figures": [], "evidence": [], "verdict": "not run"}
        rows.append(
            {
                "requirement": rid,
                "text": req.text,
                "hazards": list(req.hazards),
                "acceptance": req.acceptance.text,
                "tests": sorted(row.get("tests") or []),
                "verdict": row.get("verdict", "not run") if row.get("tests") else "not run",
                "known_anomalies": str(row.get("known_anomalies") or ""),
                "figures": list(row.get("figures") or []),
                "evidence": sorted(row.get("evidence") or []),
            }
        )
    return rows


def _cross_check_records(run: _Run, from_records: dict[str, dict]) -> None:
    if not from_records and not run.tests:
        return
    for nid in sorted(run.tests.keys() - from_records.keys()):
        run.consistency.append(f"{TESTS_JSON} lists {nid}, but no test record in {RECORDS} has it")
    for nid in sorted(from_records.keys() - run.tests.keys()):
        run.consistency.append(
            f"{RECORDS} has a test record for {nid} ({from_records[nid]['outcome']}), "
            f"but {TESTS_JSON} does not list it"
        )
    for nid in sorted(run.tests.keys() & from_records.keys()):
        a, b = run.tests[nid]["outcome"], from_records[nid]["outcome"]
        if a != b:
            run.consistency.append(f"{nid}: {TESTS_JSON} says {a}, {RECORDS} says {b}")


def _cross_check_verdicts(run: _Run) -> None:
    mine = {r["requirement"]: r["verdict"] for r in run.rows}
    known = set(requirements().requirements)
    sources = []
    if run.trace_rows is not None and not run.tests_source.startswith(TRACE_JSON):
        sources.append(
            (TRACE_JSON, {r.get("requirement"): r.get("verdict") for r in run.trace_rows})
        )
    sealed = run.end_payload.get("requirements")
    if isinstance(sealed, dict):
        sources.append((f"{RECORDS} run_end", sealed))
    for name, theirs in sources:
        for rid, verdict in sorted(theirs.items(), key=lambda kv: str(kv[0])):
            if rid not in known:
                run.consistency.append(
                    f"{name} has requirement {rid} ({verdict}), which is not in "
                    "bench/verification/requirements.yaml at report time"
                )
            elif verdict != mine.get(rid):
                run.consistency.append(
                    f"{rid}: {name} says {verdict}, the test results give {mine.get(rid)}"
                )


def _first_payload(run: _Run, key: str) -> Any:
    for r in run.test_records:
        if r["payload"].get(key):
            return r["payload"][key]
    return None


def _recorded_scenario_hash(run: _Run, name: str) -> str:
    for r in run.records:
        p = r["payload"]
        hashes = p.get("scenario_sha256")
        if isinstance(hashes, dict) and isinstance(hashes.get(name), str):
            return hashes[name]
        if p.get("scenario") == name and isinstance(hashes, str):
            return hashes
    return ""
