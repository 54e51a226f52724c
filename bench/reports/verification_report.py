"""The verification report of one run: a single self-contained HTML page (and its PDF).

It goes into the regulatory file: IEC 62304 test records (pass/fail, anomalies, what is needed to
repeat the run, who ran it), ISO 14971 risk-control verification (hazard → requirement → test →
result) and ISO 13485 §7.5.6 tool validation (the mutant kill table). The page carries its CSS
inline and references nothing outside itself (a Content-Security-Policy forbids it too); evidence
files are named by relative links and by their SHA-256.

Sources, in order of precedence: the hash-chained records (``records.jsonl``: run_start payload for
scope and environment, test payloads for messages), ``tests.json`` (per-test results),
``traceability.json`` (cross-checked against the verdicts recomputed from the tests),
``manifest.json`` (evidence hashes sealed at run end). What the run did not record is said to be
missing, and values taken at report time are labelled as such: the report never claims more than
was run. A requirement without a test in the run is "not run", which makes the verdict INCOMPLETE.

:func:`build_report` returns the HTML; :func:`write_report` writes it (and the PDF, printed by
headless Chromium with the network cut off) atomically.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import html
import json
import math
import os
import platform
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.errors import BenchError
from bench.verification.requirements import REQUIREMENTS_PATH, requirements
from bench.verification.traceability import matrix
from bench.verification.verdict import run_verdict

DEFAULT_DOCUMENT_ID = "SMILE-VER-RPT"
DEFAULT_REVISION = "A"
TITLE = "SmILE sensor chip — bench verification report"
PACKAGES = ("numpy", "scipy", "h5py", "pytest", "allure-pytest", "cocotb", "pyvisa")
TESTS_JSON = "tests.json"
TRACE_JSON = "traceability.json"
RECORDS = "records.jsonl"
MANIFEST = "manifest.json"
RUN_FILES = (TESTS_JSON, TRACE_JSON, RECORDS)
OPEN_RATIONALE = "open — to be assessed"
RECORDS_ABSENT = "records: absent — not verifiable"
EXIT_MEANING = {
    0: "all tests passed",
    1: "tests failed",
    2: "interrupted or usage error",
    3: "internal error",
    4: "pytest usage error",
    5: "no tests collected",
}
_OUTCOME = {"pass": "passed", "fail": "failed", "skip": "skipped", "errored": "error"}


class VerificationReportError(BenchError):
    """The verification report cannot be built or written (one line: path and what is wrong)."""


class NotARunDirectoryError(VerificationReportError):
    """The folder given is missing, empty, or not a run directory of the bench."""


class ChromiumMissingError(VerificationReportError):
    """No Chromium binary to print the PDF with."""


class PdfError(VerificationReportError):
    """Chromium ran but produced no usable PDF."""


# --------------------------------------------------------------------------------------------
# Collecting what the run directory holds
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Deriving the figures the report shows
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """Rows are HTML already escaped by the caller."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    attr = f' class="{cls}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _kv(rows: Iterable[tuple[str, str]]) -> str:
    """Two-column key/value table; values are HTML already escaped."""
    body = "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="kv"><tbody>{body}</tbody></table>'


def _badge(verdict: str) -> str:
    cls = {
        "pass": "ok",
        "passed": "ok",
        "fail": "bad",
        "failed": "bad",
        "error": "bad",
        "not run": "warn",
        "incomplete": "warn",
        "skipped": "warn",
        "xfailed": "bad",  # failed under an open known anomaly
    }.get(verdict.lower(), "warn")
    return f'<span class="badge {cls}">{_e(verdict)}</span>'


def _code(text: Any) -> str:
    return f"<code>{_e(text)}</code>"


def _id(text: Any) -> str:
    """A requirement or hazard ID, never broken across lines."""
    return f'<code class="id">{_e(text)}</code>'


def _css_string(text: str) -> str:
    """A CSS string literal: every character that is not a letter, digit or space escaped."""
    out = []
    for ch in text:
        out.append(ch if (ch.isalnum() and ch.isascii()) or ch == " " else f"\\{ord(ch):06x}")
    return '"' + "".join(out) + '"'


def _figure_html(fig: Mapping[str, Any]) -> str:
    value = _num(fig.get("value"))
    if fig.get("lower") is not None or fig.get("upper") is not None:
        value += f" [{_num(fig.get('lower'))}, {_num(fig.get('upper'))}] (Wilson 95 %)"
    unit = f" {fig['unit']}" if fig.get("unit") else ""
    verdict = "pass" if fig.get("passed") else "fail"
    detail = f' <span class="muted">— {_e(fig["detail"])}</span>' if fig.get("detail") else ""
    return (
        f"<div>{_e(fig.get('figure', '?'))} = <b>{_e(value + unit)}</b> "
        f"{_badge(verdict)}{detail}</div>"
    )


def _link(rel: str, run: _Run, link_base: str | None) -> str:
    exists = (run.path / rel).is_file()
    missing = "" if exists else ' <span class="bad-text">(missing)</span>'
    if link_base is None:
        return f"{_code(rel)}{missing}"
    href = link_base + urllib.parse.quote(rel)
    return f'<a href="{_e(href)}">{_e(rel)}</a>{missing}'


_CSS = """
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10pt;
  color: #111; margin: 1.5em auto; max-width: 1200px; padding: 0 1em; line-height: 1.35; }
h1 { font-size: 17pt; margin: 0.2em 0; }
h2 { font-size: 13pt; border-bottom: 2px solid #333; margin-top: 1.6em; padding-bottom: 2px;
  break-after: avoid; }
h3 { font-size: 11pt; margin: 1em 0 0.3em; break-after: avoid; }
table { border-collapse: collapse; width: 100%; margin: 0.4em 0 0.8em; }
th, td { border: 1px solid #999; padding: 3px 5px; vertical-align: top; text-align: left; }
th { background: #e8e8e8; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
table.kv th { width: 24%; }
code, .mono { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 8.5pt;
  overflow-wrap: anywhere; }
td { overflow-wrap: anywhere; }
code.id, .badge { white-space: nowrap; overflow-wrap: normal; }
.badge { display: inline-block; padding: 0 5px; border-radius: 3px; font-weight: bold;
  font-size: 8.5pt; border: 1px solid; }
.ok { background: #dff3df; color: #0a5a0a; border-color: #0a5a0a; }
.bad { background: #fbdede; color: #8a0000; border-color: #8a0000; }
.warn { background: #fff1cc; color: #6b4a00; border-color: #6b4a00; }
.bad-text { color: #8a0000; font-weight: bold; }
.muted { color: #555; }
pre.mono { white-space: pre-wrap; margin: 0 0 2px; }
.verdict { font-size: 15pt; padding: 2px 10px; }
.note { background: #f4f4f4; border-left: 4px solid #888; padding: 4px 8px; margin: 0.4em 0; }
ul.problems li { color: #8a0000; }
table.manifest td:last-child { overflow-wrap: normal; }
nav ol { columns: 2; margin: 0.3em 0; }
.sign td { height: 2.2em; }
@media print { body { margin: 0; max-width: none; padding: 0; font-size: 9pt; }
  a { color: inherit; text-decoration: none; } nav { display: none; } }
"""


_MARGIN_FONT = 'font-family: "DejaVu Sans", Arial, sans-serif; font-size: 7.5pt; color: #555;'


#: the evidence the real-data tier attaches (bench/verification/suite/test_real_data.py)
REAL_TABLE_EVIDENCE = "real recordings.txt"


def _real_recordings_html(run: _Run) -> str:
    """Section 3.1: the chip beside scikit-digital-health on the real recordings, as the
    real-data tier attached it (evidence file), so the figures are the run's own."""
    head = "<h3>3.1 Real recordings (independent reference)</h3>"
    rels = sorted(
        {
            rel
            for t in run.tests.values()
            for rel in t.get("evidence") or []
            if Path(rel).name == REAL_TABLE_EVIDENCE
        }
    )
    if not rels:
        return head + (
            "<p>No real-data test attached its table in this run (the recordings could not be "
            "fetched, or the tier was not selected): the requirements on real recordings are "
            "not run or incomplete above.</p>"
        )
    out = [
        head,
        "<p>Every figure here is measured on <b>real</b> public recordings with an independent "
        "reference; the detector was tuned on the synthetic library only.</p>",
    ]
    for rel in rels:
        try:
            text = (run.path / rel).read_text(encoding="utf-8")
        except OSError as exc:
            text = f"(cannot read {rel}: {exc})"
        out.append(f'<pre class="mono">{_e(text)}</pre><p class="muted">{_e(rel)}</p>')
    return "".join(out)


def _page_css(document_id: str, revision: str, run_id: str) -> str:
    """Document ID and revision, run ID and "Page n of N" on every printed page."""
    label = _css_string(f"{document_id} rev {revision}")
    run = _css_string(f"run {run_id}" if run_id else "run ID not recorded")
    return (
        "@page { size: A4; margin: 16mm 12mm 16mm 12mm;\n"
        f"  @top-left {{ content: {label}; {_MARGIN_FONT} }}\n"
        f"  @top-right {{ content: {run}; {_MARGIN_FONT} }}\n"
        f"  @bottom-left {{ content: {_css_string(TITLE)}; {_MARGIN_FONT} }}\n"
        '  @bottom-right { content: "Page " counter(page) " of " counter(pages); '
        f"{_MARGIN_FONT} }}\n}}\n"
    )


def _render(
    run: _Run,
    *,
    document_id: str,
    revision: str,
    kill_table: Sequence[Mapping[str, Any]] | str | os.PathLike[str] | None,
    who: str | None,
    deviations: Sequence[Any] | None,
    link_base: str | None,
    generated: datetime,
) -> str:
    reqs = requirements()
    verdict, reasons = _verdict(run)
    integrity, integrity_text = _integrity(run)
    sp = run.start_payload
    rid = sp.get("run_id") or f"not recorded (no run record); run folder {run.path.name}"
    parts: list[str] = []
    add = parts.append

    # ---- header ------------------------------------------------------------------------------
    integrity_cls = {"INTACT": "ok", "NOT INTACT": "bad"}.get(integrity, "warn")
    verdict_cls = {"PASS": "ok", "FAIL": "bad"}.get(verdict, "warn")
    add(f'<header id="header"><h1>{_e(TITLE)}</h1>')
    add(
        _kv(
            [
                ("Document", f"<b>{_e(document_id)}</b>"),
                ("Revision", _e(revision)),
                ("Date (UTC)", _e(generated.strftime("%Y-%m-%d %H:%M:%S UTC"))),
                ("Run ID", _code(rid)),
                ("Run directory", _code(run.path.resolve())),
                (
                    "Run started / ended (UTC)",
                    _e(run.start.get("utc", "not recorded"))
                    + " / "
                    + _e(run.end.get("utc", "not recorded")),
                ),
                (
                    "Overall verdict",
                    f'<span id="verdict" class="badge verdict {verdict_cls}">{_e(verdict)}</span> '
                    + _e("; ".join(reasons)),
                ),
                (
                    "Record integrity",
                    f'<span id="integrity" class="badge {integrity_cls}">{_e(integrity)}</span> '
                    + _e(integrity_text),
                ),
            ]
        )
    )
    if integrity == "NOT INTACT":
        add(
            '<p class="note bad-text">The records of this run fail verification (section 8.2): '
            "the verdict above rests on records that may have been changed.</p>"
        )
    elif run.consistency:
        add(
            '<p class="note bad-text">The files of this run disagree with each other (section '
            f"8.3): the verdict above is computed from {_e(run.tests_source)}.</p>"
        )
    add("</header>")
    add(
        '<nav><b>Contents</b><ol><li><a href="#scope">Scope</a></li>'
        '<li><a href="#environment">Environment record</a></li>'
        '<li><a href="#requirements">Requirements</a></li>'
        '<li><a href="#traceability">Traceability</a></li>'
        '<li><a href="#hazards">Hazards (ISO 14971)</a></li>'
        '<li><a href="#anomalies">Anomalies and deviations</a></li>'
        '<li><a href="#bench-validation">Bench validation</a></li>'
        '<li><a href="#evidence">Evidence manifest and records</a></li></ol></nav>'
    )

    # ---- 1 scope -------------------------------------------------------------------------------
    outcomes: dict[str, int] = {}
    for t in run.tests.values():
        outcomes[t["outcome"]] = outcomes.get(t["outcome"], 0) + 1
    seeds, seeds_src = _seeds(run)
    scen = _scenario_names(run)
    counts = ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())) or "none"
    scope_src = "run_start record" if sp else f"not recorded (no run record; {run.tests_source})"
    add('<section id="scope"><h2>1. Scope</h2>')
    add(
        "<p>Verification of the requirements of "
        f"{_e(reqs.document.get('id', 'bench/verification/requirements.yaml'))} "
        f"revision {_e(reqs.document.get('revision', '?'))} "
        f"({_e(reqs.document.get('title', ''))}) on the device under test below. Scope "
        f"information from: {_e(scope_src)}.</p>"
    )
    add(
        _kv(
            [
                ("DUT", _e(sp.get("dut", _first_payload(run, "dut") or "not recorded"))),
                ("Station", _e(sp.get("station", "not recorded"))),
                ("Station file", _code(sp.get("station_file", "not recorded"))),
                ("Station file SHA-256", _code(sp.get("station_sha256", "not recorded"))),
                ("Scenarios named in the run", _e(", ".join(scen) or "none named")),
                ("Scenario filter", _e(sp.get("scenario_filter") or "none")),
                (
                    "Seeds",
                    _e(seeds)
                    + (f' <span class="muted">({_e(seeds_src)})</span>' if seeds_src else ""),
                ),
                ("Tests", _e(f"{len(run.tests)} ({counts}); results from {run.tests_source}")),
                ("Requirements", _e(f"{len(run.rows)} in bench/verification/requirements.yaml")),
                (
                    "pytest arguments",
                    _code(" ".join(map(str, sp.get("args", []))) or "not recorded"),
                ),
                (
                    "pytest exit status",
                    _e(
                        f"{run.end_payload['exit_status']} "
                        f"({EXIT_MEANING.get(run.end_payload['exit_status'], 'abnormal')})"
                        if isinstance(run.end_payload.get("exit_status"), int)
                        else "not recorded"
                    ),
                ),
            ]
        )
    )
    add(
        '<p class="muted">Scenarios run inside a test without being named in its test ID or '
        "records are not listed here.</p></section>"
    )

    # ---- 2 environment -------------------------------------------------------------------------
    now_env = _report_time_provenance()
    add('<section id="environment"><h2>2. Environment record</h2>')
    add(
        "<p>Left: as recorded with the run (run_start record). Right: the environment generating "
        "this report, for comparison — not evidence of the run.</p>"
    )
    nr = "not recorded" if run.records_present else "— (no run record)"
    env_rows = []
    for key, label in (
        ("git_commit", "Git commit"),
        ("software_version", "Software version (smile-bench)"),
        ("python", "Python"),
        ("platform", "OS / platform"),
        ("hostname", "Host name"),
    ):
        env_rows.append([_e(label), _code(sp.get(key, nr)), _code(now_env[key])])
    recorded_pkgs = sp.get("packages") if isinstance(sp.get("packages"), dict) else {}
    for dist in PACKAGES:
        env_rows.append(
            [_e(f"package {dist}"), _code(recorded_pkgs.get(dist, nr)), _code(_version(dist))]
        )
    req_sha = _file_sha256(REQUIREMENTS_PATH) if REQUIREMENTS_PATH.is_file() else "missing"
    env_rows.append(
        [
            _e("bench/verification/requirements.yaml SHA-256"),
            _code(sp.get("requirements_sha256", nr)),
            _code(req_sha),
        ]
    )
    add(_table(["Item", "Recorded with the run", "At report time"], env_rows))
    if who:
        who_text, who_src = who, "given to the report"
    elif sp.get("user"):
        who_text, who_src = sp["user"], "run_start record (login of the process)"
    else:
        who_text, who_src = _user(), "login generating this report; the run did not record it"
    sims = sp.get("simulators") or sp.get("simulator_versions")
    instruments = sp.get("instruments")
    simulated = sp.get("station") == "simulated" or str(sp.get("dut", "")).startswith(
        ("golden", "mutant")
    )
    if instruments:
        inst_html = _table(
            ["Instrument", "Identity", "Calibration"],
            [
                [
                    _e(i.get("name", "?")),
                    _code(i.get("idn") or i.get("identity") or i.get("serial", "not recorded")),
                    _e(i.get("calibration_date") or i.get("calibrated") or "not recorded"),
                ]
                for i in instruments
                if isinstance(i, dict)
            ],
        )
    elif simulated:
        inst_html = _e(
            "none — simulated station (golden-model DUT, no hardware instruments, hence no "
            "calibration dates)"
        )
    else:
        inst_html = _e("not recorded")
    add(
        _kv(
            [
                ("Run by", _e(who_text) + f' <span class="muted">({_e(who_src)})</span>'),
                (
                    "Simulator versions",
                    _code(json.dumps(sims, sort_keys=True)) if sims else _e("none recorded"),
                ),
                ("Instruments and calibration", inst_html),
                ("Station file SHA-256", _code(sp.get("station_sha256", nr))),
                ("Seeds", _e(seeds)),
            ]
        )
    )
    add("<h3>Scenarios</h3>")
    if scen:
        srows = []
        for name, where in scen.items():
            recorded = _recorded_scenario_hash(run, name)
            sha, src = _scenario_hash(name)
            if recorded and sha and recorded != sha:
                src += f"; DIFFERS from the hash recorded with the run ({recorded})"
            elif recorded:
                sha, src = recorded, "recorded with the run"
            srows.append([_code(name), _code(sha or "—"), _e(src), _e(", ".join(where))])
        add(_table(["Scenario", "SHA-256", "Hash source", "Named in"], srows))
    else:
        add("<p>No scenario is named in the test IDs or records of this run.</p>")
    add("</section>")

    # ---- 3 requirements ------------------------------------------------------------------------
    add('<section id="requirements"><h2>3. Requirements</h2>')
    add(
        "<p>Texts and acceptance criteria from bench/verification/requirements.yaml at report "
        "time. A requirement with no test in this run is <b>not run</b>; statistical limits are "
        "judged on the Wilson 95 % bound on the safe side.</p>"
    )
    rrows = []
    for r in run.rows:
        figs = "".join(_figure_html(f) for f in r["figures"]) or '<span class="muted">none</span>'
        rrows.append(
            [
                f'<span id="req-{_e(r["requirement"])}">{_id(r["requirement"])}</span>',
                _e(r["text"]),
                _e(r["acceptance"]),
                figs,
                _badge(r["verdict"])
                + (
                    f'<br><span class="muted">known anomaly {_e(r["known_anomalies"])}</span>'
                    if r.get("known_anomalies")
                    else ""
                ),
                _e(len(r["tests"])),
            ]
        )
    add(_table(["ID", "Requirement", "Acceptance", "Measured", "Verdict", "Tests"], rrows, "reqs"))
    tally: dict[str, int] = {}
    for r in run.rows:
        tally[r["verdict"]] = tally.get(r["verdict"], 0) + 1
    add(
        "<p>Summary: "
        + _e(", ".join(f"{n} {v}" for v, n in sorted(tally.items())))
        + f" (of {len(run.rows)}).</p>"
    )
    add(_real_recordings_html(run))
    add("</section>")

    # ---- 4 traceability ------------------------------------------------------------------------
    add('<section id="traceability"><h2>4. Traceability</h2><h3>4.1 Matrix</h3>')
    trows = []
    for r in run.rows:
        tests = (
            "<br>".join(
                f"{_code(n)} {_badge(run.tests.get(n, {}).get('outcome', 'not run'))}"
                for n in r["tests"]
            )
            or '<span class="muted">no test in this run</span>'
        )
        ev = "<br>".join(_link(rel, run, link_base) for rel in r["evidence"]) or "—"
        trows.append(
            [
                _id(r["requirement"]),
                _e(", ".join(r["hazards"])),
                tests,
                _badge(r["verdict"]),
                ev,
            ]
        )
    add(_table(["Requirement", "Hazards", "Tests", "Result", "Evidence"], trows))
    add(f"<h3>4.2 Tests run</h3><p>Source: {_e(run.tests_source)}.</p>")
    add(
        _table(
            ["Test", "Outcome", "Duration (s)", "Requirements", "Evidence files"],
            [
                [
                    _code(n),
                    _badge(t["outcome"]),
                    _e(_num(t.get("duration_s"))),
                    _e(", ".join(t["requirements"]) or "—"),
                    _e(len(t["evidence"])),
                ]
                for n, t in sorted(run.tests.items())
            ],
        )
        if run.tests
        else "<p>No test was run.</p>"
    )
    add("</section>")

    # ---- 5 hazards -----------------------------------------------------------------------------
    add('<section id="hazards"><h2>5. Hazards (ISO 14971)</h2>')
    add("<p>Each hazard, the requirements that control it, and their verdicts in this run.</p>")
    verdict_of = {r["requirement"]: r["verdict"] for r in run.rows}
    hrows = []
    for hz in reqs.hazards.values():
        controls = [rid for rid, req in reqs.requirements.items() if hz.id in req.hazards]
        vs = [verdict_of.get(c, "not run") for c in controls]
        if not controls:
            status = _badge("no risk control")
        elif any(v == "fail" for v in vs):
            status = _badge("control failed")
        elif all(v == "pass" for v in vs):
            status = '<span class="badge ok">all controls verified</span>'
        else:
            status = _badge("not fully verified")
        hrows.append(
            [
                _id(hz.id),
                _e(hz.name) + f'<div class="muted">{_e(hz.harm)}</div>',
                "<br>".join(f"{_id(c)} {_badge(v)}" for c, v in zip(controls, vs, strict=True))
                or "—",
                status,
            ]
        )
    add(_table(["Hazard", "Name and harm", "Risk-control requirements", "Status"], hrows))
    add("</section>")

    # ---- 6 anomalies and deviations ------------------------------------------------------------
    add('<section id="anomalies"><h2>6. Anomalies and deviations</h2><h3>6.1 Anomalies</h3>')
    bad = [
        (n, t)
        for n, t in sorted(run.tests.items())
        if t["outcome"] in ("failed", "error", "xfailed")
    ]
    has_tests_json = (run.path / TESTS_JSON).is_file()
    if not has_tests_json:
        add(
            f'<p class="note">{TESTS_JSON} is absent from the run directory: the anomalies '
            f"below come from {_e(run.tests_source)}.</p>"
        )
    if bad:
        arows = []
        for n, t in bad:
            msg = t.get("message") or ""
            src = t.get("message_source") or ""
            if msg:
                msg_html = f'<pre class="mono">{_e(msg)}</pre>' + (
                    f'<span class="muted">from {_e(src)}</span>' if src else ""
                )
            else:
                msg_html = _e(
                    f"no message recorded ({TESTS_JSON} carries none"
                    + (
                        f", and {RECORDS} has none for this test)"
                        if run.records_present
                        else f"; no {RECORDS})"
                    )
                )
            arows.append(
                [
                    _code(n),
                    _badge(t["outcome"]),
                    _e(", ".join(t["requirements"]) or "—"),
                    msg_html,
                    _e(OPEN_RATIONALE),
                ]
            )
        add(_table(["Test", "Outcome", "Requirements", "Message", "Rationale"], arows, "anoms"))
    else:
        add("<p>No failed or errored test in this run.</p>")
    add("<h3>6.2 Deviations</h3>")
    if deviations:
        keys: list[str] = []
        for d in deviations:
            if isinstance(d, Mapping):
                keys += [k for k in d if k not in keys]
        if keys:
            add(
                _table(
                    keys,
                    [
                        [_e(d.get(k, "")) for k in keys]
                        if isinstance(d, Mapping)
                        else [_e(d)] + [""] * (len(keys) - 1)
                        for d in deviations
                    ],
                )
            )
        else:
            add("<ul>" + "".join(f"<li>{_e(d)}</li>" for d in deviations) + "</ul>")
    else:
        add("<p>None recorded.</p>")
    add("<h3>6.3 Known anomalies</h3>")
    known = reqs.known_anomalies
    if known:
        add(
            _table(
                ["ID", "Anomaly", "Requirements", "Description", "Status", "Plan"],
                [
                    [
                        _code(a.id),
                        _e(a.title),
                        _e(", ".join(a.requirements)),
                        _e(a.description),
                        _e(a.status),
                        _code(a.plan),
                    ]
                    for a in known
                ],
            )
        )
    else:
        add("<p>None listed in bench/verification/requirements.yaml.</p>")
    add("</section>")

    # ---- 7 bench validation --------------------------------------------------------------------
    add('<section id="bench-validation"><h2>7. Bench validation (ISO 13485 §7.5.6)</h2>')
    krows, ksrc = _kill_rows(run, kill_table)
    try:
        from bench.duts.mutant import MUTATIONS

        defined = list(MUTATIONS)
    except Exception:  # the count is then not shown
        defined = []
    if krows is None:
        add(
            "<p><b>Kill table: not provided.</b> No kill table was given to the report and this "
            "run contains no mutant tests, so this report does not evidence that the bench "
            "catches a misbehaving DUT.</p>"
        )
    else:
        killed = sum(1 for r in krows if r.get("killed"))
        n = len(krows)
        add(f"<p>Source: {_e(ksrc)}.</p>")
        add(
            f'<p id="kill-rate"><b>Kill rate {killed}/{n}</b>'
            + (f" ({100 * killed / n:.0f} %)" if n else "")
            + "</p>"
        )
        names = {str(r.get("mutant")) for r in krows}
        not_in = [m for m in defined if m not in names]
        if defined:
            add(
                f"<p>{len(names & set(defined))} of the {len(defined)} mutants defined in "
                "bench.duts.mutant are in the table"
                + (f"; not run: {_e(', '.join(not_in))}" if not_in else "")
                + ".</p>"
            )
        add(
            _table(
                ["Mutant", "Killed", "Killing requirements", "Killing tests", "Exit code"],
                [
                    [
                        _code(r.get("mutant", "?")),
                        '<span class="badge ok">killed</span>'
                        if r.get("killed")
                        else '<span class="badge bad">SURVIVED</span>',
                        _e(", ".join(r.get("killing_requirements") or []) or "—"),
                        "<br>".join(_code(t) for t in r.get("killing_tests") or []) or "—",
                        _e(r.get("exit_code", "—")),
                    ]
                    for r in krows
                ],
            )
        )
    add("</section>")

    # ---- 8 evidence and records ----------------------------------------------------------------
    add('<section id="evidence"><h2>8. Evidence manifest and records</h2>')
    add('<h3 id="manifest">8.1 Evidence manifest</h3>')
    mrows, mnotes = _manifest(run)
    for note in mnotes:
        add(f'<p class="note">{_e(note)}</p>')
    add(
        _table(
            ["File", "SHA-256", "Status"],
            [[_link(rel, run, link_base), _code(sha), _e(status)] for rel, sha, status in mrows],
            "manifest",
        )
        if mrows
        else "<p>No evidence file in the run directory.</p>"
    )
    add('<h3 id="records">8.2 Hash-chained records</h3>')
    if not run.records_present:
        add(
            f'<p class="note"><b>{_e(RECORDS_ABSENT)}</b> — the run directory has no {RECORDS}, '
            "so nothing in it is protected against later change.</p>"
        )
    else:
        kinds: dict[str, int] = {}
        for r in run.records:
            kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        add(
            "<p>"
            + _e(
                f"{RECORDS}: {len(run.records)} readable record(s) ("
                + ", ".join(f"{n} {k}" for k, n in kinds.items())
                + ")."
            )
            + "</p>"
        )
        if run.records_problems:
            add(
                "<p><b>bench.records.verify: problems found "
                f"({len(run.records_problems)})</b> — the "
                'records are not intact:</p><ul class="problems">'
                + "".join(f"<li>{_e(p)}</li>" for p in run.records_problems)
                + "</ul>"
            )
        else:
            add(
                "<p><b>bench.records.verify: intact</b> — hash chain unbroken, every evidence "
                "file matches the manifest sealed in run_end.</p>"
            )
        if run.records_note:
            add(f'<p class="muted">{_e(run.records_note)}</p>')
    add("<h3>8.3 Consistency of the run's files</h3>")
    if run.consistency:
        add(
            f"<p><b>Disagreements found ({len(run.consistency)})</b> between "
            f"{TESTS_JSON}, {TRACE_JSON} and "
            f'{RECORDS}:</p><ul class="problems">'
            + "".join(f"<li>{_e(p)}</li>" for p in run.consistency)
            + "</ul>"
        )
    else:
        present = [n for n in RUN_FILES if (run.path / n).is_file()]
        add(f"<p>No disagreement between {_e(', '.join(present))}.</p>")
    add("</section>")

    # ---- approval --------------------------------------------------------------------------------
    add(
        '<section id="approval"><h2>Approval</h2>'
        + _table(
            ["Role", "Name", "Signature", "Date"],
            [[_e(r), "", "", ""] for r in ("Prepared by", "Reviewed by", "Approved by")],
            "sign",
        )
        + "</section>"
    )

    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"
    title = f"{document_id} rev {revision} — {TITLE}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="smile-bench {_e(now_env["software_version"])}">\n'
        f"<title>{_e(title)}</title>\n"
        f"<style>{_CSS}{_page_css(document_id, revision, str(sp.get('run_id', '')))}</style>\n"
        "</head><body>\n" + "\n".join(parts) + "\n</body></html>\n"
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


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def build_report(
    run_dir: str | os.PathLike[str],
    *,
    document_id: str = DEFAULT_DOCUMENT_ID,
    revision: str = DEFAULT_REVISION,
    kill_table: Sequence[Mapping[str, Any]] | str | os.PathLike[str] | None = None,
    who: str | None = None,
    deviations: Sequence[Any] | None = None,
    link_base: str | None = "",
    own_files: Iterable[str] = (),
) -> str:
    """The verification report of the run in ``run_dir``, as one self-contained HTML page.

    ``kill_table``: rows of :func:`bench.verification.kill_table.kill_table` (or the path of a
    JSON file holding them); without it, the kill.json evidence of mutant tests in the run is
    used when present. ``who`` ran the tests (default: the run record's user, else the current
    login, labelled as such). ``deviations``: strings or mappings (e.g. id, description,
    justification, approved_by), listed as given. ``link_base``: prefix of the relative links to
    evidence files ("" when the HTML lives in ``run_dir``; None for plain names, no links).
    ``own_files``: paths, relative to ``run_dir``, of this report's own output files, which are
    not evidence. Raises :class:`NotARunDirectoryError` (naming the path) when ``run_dir`` is
    missing, empty or not a run directory.
    """
    run = _collect(run_dir, own_files)
    return _render(
        run,
        document_id=document_id,
        revision=revision,
        kill_table=kill_table,
        who=who,
        deviations=deviations,
        link_base=link_base,
        generated=datetime.now(UTC),
    )


def write_report(
    run_dir: str | os.PathLike[str],
    out_html: str | os.PathLike[str],
    *,
    pdf: str | os.PathLike[str] | None = None,
    document_id: str = DEFAULT_DOCUMENT_ID,
    revision: str = DEFAULT_REVISION,
    kill_table: Sequence[Mapping[str, Any]] | str | os.PathLike[str] | None = None,
    who: str | None = None,
    deviations: Sequence[Any] | None = None,
    timeout_s: float = 120,
) -> tuple[Path, Path | None]:
    """Write the report as HTML (evidence linked relative to ``out_html``) and, with ``pdf``, as
    PDF (evidence named, not linked) printed by headless Chromium. Both writes are atomic.

    Raises :class:`ChromiumMissingError` before writing anything when a PDF is asked for and no
    Chromium is installed; :class:`PdfError` when Chromium fails.
    """
    run_path = _check_run_dir(run_dir)
    out = Path(out_html)
    pdf_path = Path(pdf) if pdf is not None else None
    exe = chromium_executable() if pdf_path is not None else None
    own = _own_files(run_path, [p for p in (out, pdf_path) if p is not None])
    try:
        link_base = os.path.relpath(run_path.resolve(), out.parent.resolve()).replace(os.sep, "/")
        link_base = "" if link_base == "." else link_base.rstrip("/") + "/"
    except ValueError:  # another drive: no relative link possible
        link_base = None
    run = _collect(run_path, own)
    kwargs = {
        "document_id": document_id,
        "revision": revision,
        "kill_table": kill_table,
        "who": who,
        "deviations": deviations,
        "generated": datetime.now(UTC),
    }
    page = _render(run, link_base=link_base, **kwargs)
    out.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(out, page.encode("utf-8"))
    if pdf_path is None:
        return out, None
    assert exe is not None
    printable = _render(run, link_base=None, **kwargs)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    html_to_pdf(printable, pdf_path, executable=exe, timeout_s=timeout_s)
    return out, pdf_path


def _own_files(run_path: Path, paths: list[Path]) -> list[str]:
    root = run_path.resolve()
    own = []
    for p in paths:
        full = p.resolve()
        if full.is_relative_to(root):
            own.append(full.relative_to(root).as_posix())
    return own


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise VerificationReportError(f"{path}: cannot write ({exc})") from None


def chromium_executable() -> str:
    """Path of a Chromium binary, found as the offline check finds it (one search, one override:
    ``SMILE_BENCH_CHROMIUM``)."""
    from bench.reports.offline_check import BrowserMissingError
    from bench.reports.offline_check import chromium_executable as find

    try:
        return find()
    except BrowserMissingError as exc:
        raise ChromiumMissingError(f"{exc}; the PDF needs it") from None


def html_to_pdf(
    page: str,
    pdf_path: str | os.PathLike[str],
    *,
    executable: str | None = None,
    timeout_s: float = 120,
) -> None:
    """Print an HTML page to ``pdf_path`` (atomically) with headless Chromium, network cut off."""
    exe = executable or chromium_executable()
    target = Path(pdf_path)
    tmp_pdf = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with tempfile.TemporaryDirectory(prefix="smile-report-pdf-") as work:
        src = Path(work) / "report.html"
        src.write_text(page, encoding="utf-8")
        profile = Path(work) / "profile"
        args = [
            exe,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--disable-background-networking",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=http://127.0.0.1:9",  # IP literals go to a closed port
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={tmp_pdf}",
            src.as_uri(),
        ]
        tmp_pdf.unlink(missing_ok=True)
        try:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its helpers share our new process group
            )
        except OSError as exc:
            raise ChromiumMissingError(f"cannot start {exe}: {exc}") from None
        start = time.monotonic()
        try:
            output, _ = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            tmp_pdf.unlink(missing_ok=True)
            raise PdfError(
                f"{target}: chromium did not finish printing within {timeout_s:g} s"
            ) from None
        elapsed = time.monotonic() - start
    try:
        head = tmp_pdf.read_bytes()[:5] if tmp_pdf.is_file() else b""
        if head != b"%PDF-":
            lines = output.decode(errors="replace").strip().splitlines()
            why = lines[-1] if lines else f"exit code {proc.returncode}"
            raise PdfError(f"{target}: chromium wrote no PDF after {elapsed:.1f} s ({why})")
        with tmp_pdf.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp_pdf, target)
    finally:
        tmp_pdf.unlink(missing_ok=True)
