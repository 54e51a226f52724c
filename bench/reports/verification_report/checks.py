"""Deriving what the report states from the collected run: the run's verdict, the records'
integrity, scenarios and seeds, the environment, the evidence manifest, the kill table."""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import platform
import re
import socket
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.reports.verification_report.common import EXIT_MEANING, MANIFEST, RECORDS, RECORDS_ABSENT
from bench.reports.verification_report.load import _read_json, _Run
from bench.verification.verdict import run_verdict


def _verdict(run: _Run) -> tuple[str, list[str]]:
    """(PASS | FAIL | INCOMPLETE, reasons) by ``bench.verification.verdict.run_verdict``, with
    what only the records tell: a run that did not finish or ended abnormally."""
    failed_tests = [n for n, t in run.tests.items() if t["outcome"] in ("failed", "error")]
    problems = []
    status = run.end_payload.get("exit_status")
    if run.records_present and run.start and not run.end:
        problems.append("the run has no run_end record: it did not finish")
    if isinstance(status, int) and status != 0 and not failed_tests:
        problems.append(
            f"pytest exit status {status} ({EXIT_MEANING.get(status, 'abnormal end')}) "
            "without a failed test: the run ended abnormally"
        )
    verdict, reasons = run_verdict(
        [r["verdict"] for r in run.rows], failed_tests=len(failed_tests), problems=problems
    )
    return verdict.name, reasons


def _integrity(run: _Run) -> tuple[str, str]:
    """(INTACT | NOT INTACT | INCONSISTENT | NOT VERIFIABLE, one line)."""
    extra = (
        f"; {len(run.consistency)} disagreement(s) between the run's files (section 8.3)"
        if run.consistency
        else ""
    )
    if not run.records_present:
        return "NOT VERIFIABLE", RECORDS_ABSENT + extra
    if run.records_problems:
        n = len(run.records_problems)
        return "NOT INTACT", f"records: {n} problems found by verify (section 8.2){extra}"
    if run.consistency:
        return "INCONSISTENT", "records: verify intact" + extra
    return "INTACT", "records: intact (hash chain, evidence and sealed manifest verified)"


def _scenario_names(run: _Run) -> dict[str, list[str]]:
    """Scenario name → where it is named (test IDs, record payloads)."""
    try:
        from scenarios.library import library_names

        library = set(library_names())
    except Exception:  # the report still lists payload-named scenarios
        library = set()
    found: dict[str, list[str]] = {}

    def add(name: Any, where: str) -> None:
        for n in name if isinstance(name, list) else [name]:
            if isinstance(n, str) and n and where not in found.setdefault(n, []):
                found[n].append(where)

    for nid in run.tests:
        m = re.search(r"\[(.*)\]$", nid)
        if m:
            for token in m.group(1).split("-"):
                if token in library:
                    add(token, "test IDs")
    for r in run.records:
        for key in ("scenario", "scenarios", "scenario_name", "scenario_filter"):
            if key in r["payload"]:
                add(r["payload"][key], f"{r['kind']} records")
    return dict(sorted(found.items()))


def _scenario_hash(name: str) -> tuple[str, str]:
    try:
        from scenarios.library import load

        return load(name).sha256, "scenario file at report time"
    except Exception as exc:  # shown in the report, not fatal
        return "", f"cannot load: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"


def _seeds(run: _Run) -> tuple[str, str]:
    seeds = run.start_payload.get("seeds")
    if seeds:
        return ", ".join(str(s) for s in seeds), "run_start record"
    found: set[int] = set()
    for nid in run.tests:
        found.update(int(s) for s in re.findall(r"(?:\[|-)seed(\d+)(?=[-\]])", nid))
    for r in run.test_records:
        if isinstance(r["payload"].get("seed"), int):
            found.add(r["payload"]["seed"])
    if found:
        return ", ".join(str(s) for s in sorted(found)), "test IDs and test records"
    return "not recorded", ""


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _report_time_provenance() -> dict[str, str]:
    try:
        from scenarios.provenance import git_commit, software_version

        commit, version = git_commit(), software_version()
    except Exception:  # provenance is shown as unknown
        commit = version = "unknown"
    return {
        "git_commit": commit,
        "software_version": version,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
    }


def _file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _is_evidence(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    if rel in (RECORDS, MANIFEST) or name.endswith((".lock", ".tmp")):
        return False
    return not name.startswith(f".{MANIFEST}.")


def _evidence_now(run: _Run) -> dict[str, str]:
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(run.path):
        dirs.sort()
        for name in sorted(files):
            full = Path(folder) / name
            rel = full.relative_to(run.path).as_posix()
            if _is_evidence(rel) and rel not in run.own_files:
                found[rel] = _file_sha256(full)
    return found


def _manifest(run: _Run) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Rows (file, sha256, status) and notes on where the hashes come from."""
    now = _evidence_now(run)
    notes = []
    path = run.path / MANIFEST
    listed: dict[str, str] | None = None
    if path.is_file():
        try:
            raw = path.read_bytes()
            data = json.loads(raw.decode("utf-8"))
            if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
                listed = data
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            listed = None
        if listed is None:
            notes.append(f"{MANIFEST} is unreadable or malformed; hashes below computed instead")
        else:
            digest = hashlib.sha256(raw).hexdigest()
            sealed = run.end_payload.get("manifest_sha256")
            seal = (
                f"its SHA-256 {digest} matches the one sealed in the run_end record"
                if sealed == digest
                else f"its SHA-256 {digest} DOES NOT MATCH the one sealed in run_end ({sealed})"
                if sealed
                else f"its SHA-256 {digest} is not sealed in any run_end record"
            )
            notes.append(f"Hashes from {MANIFEST}, written at run end; {seal}.")
    if listed is None:
        notes.append(
            "No manifest sealed at run end: the SHA-256 values below were computed at report "
            "time, not sealed at run end — they show the files as they are now, not as the run "
            "left them."
        )
        return [(rel, sha, "computed at report time") for rel, sha in now.items()], notes
    rows = []
    for rel in sorted(listed):
        if rel not in now:
            status = "MISSING now"
        elif now[rel] != listed[rel]:
            status = f"CHANGED since run end (now {now[rel]})"
        else:
            status = "matches"
        rows.append((rel, listed[rel], status))
    for rel in sorted(now.keys() - listed.keys()):
        rows.append((rel, now[rel], "NOT IN MANIFEST (added after run end; computed now)"))
    if run.own_files:
        notes.append(f"This report's own files are not evidence: {', '.join(run.own_files)}.")
    return rows, notes


def _kill_rows(
    run: _Run, kill_table: Sequence[Mapping[str, Any]] | str | os.PathLike[str] | None
) -> tuple[list[dict] | None, str]:
    if isinstance(kill_table, str | os.PathLike):
        path = Path(kill_table)
        data = _read_json(path, list, "kill table")
        return [dict(r) for r in data if isinstance(r, Mapping)], f"kill table file {path.name}"
    if kill_table is not None:
        return [dict(r) for r in kill_table], "kill table given to the report"
    rows = []
    for nid, t in sorted(run.tests.items()):
        if "test_the_suite_kills_the_mutant" not in nid:
            continue
        for rel in t["evidence"]:
            if rel.endswith("kill.json") and (run.path / rel).is_file():
                with contextlib.suppress(OSError, ValueError):
                    row = json.loads((run.path / rel).read_text(encoding="utf-8"))
                    if isinstance(row, dict):
                        rows.append(row)
    if rows:
        return rows, "kill.json evidence of this run's mutant tests"
    return None, ""
