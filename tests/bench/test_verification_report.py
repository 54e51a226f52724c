"""The verification report (:mod:`bench.reports.verification_report`) on run directories built by
hand: verdicts never claim more than was run, anomalies and evidence hashes are listed as they are,
tampered records show up, and the page references nothing outside itself."""

from __future__ import annotations

import hashlib
import html
import json
import re
import time
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.reports.verification_report import (
    OPEN_RATIONALE,
    REAL_TABLE_EVIDENCE,
    RECORDS_ABSENT,
    ChromiumMissingError,
    NotARunDirectoryError,
    build_report,
    chromium_executable,
    write_report,
)
from bench.verification.requirements import open_anomalies, requirements
from bench.verification.traceability import matrix

try:
    from bench.records import RunRecorder
except ImportError:  # pragma: no cover - the records package is being added alongside
    RunRecorder = None

needs_records = pytest.mark.skipif(RunRecorder is None, reason="bench.records not importable")

SECTIONS = (
    "header",
    "scope",
    "environment",
    "requirements",
    "traceability",
    "hazards",
    "anomalies",
    "bench-validation",
    "evidence",
    "manifest",
    "records",
)
FAIL_MESSAGE = "E   AssertionError: SRS-010 falls_missed: 1 fails == 0 falls <not escaped?>"
# Anything a browser would fetch: absolute or protocol-relative URLs, CSS imports, url() that is
# not a data: URI.
EXTERNAL = re.compile(r"https?:|//|@import|url\(\s*(?![\"']?data:)", re.IGNORECASE)
EVIDENCE = {
    "evidence/test_srs_010/fall latency.png": b"\x89PNG\r\n\x1a\nnot really a png",
    "evidence/test_srs_010/events.csv": b"t_s,event\n1.25,FALL\n",
}


def _node(rid: str) -> str:
    return f"bench/verification/suite/test_hand.py::test_{rid.lower().replace('-', '_')}"


def _results(
    *, drop=(), fail=None, message=None, scenario_test=False, outcome="failed"
) -> dict[str, dict]:
    """One passed test per requirement, with its figure; ``drop`` leaves requirements untested,
    ``fail`` makes one requirement's test fail (``outcome``: "failed", or "xfailed" when the
    requirement is under an open known anomaly)."""
    out = {}
    for rid, req in requirements().requirements.items():
        if rid in drop:
            continue
        acc = req.acceptance
        passed = rid != fail
        entry = {
            "outcome": "passed" if passed else outcome,
            "duration_s": 0.25,
            "requirements": [rid],
            "figures": [
                {
                    "requirement": rid,
                    "figure": acc.metric,
                    "value": acc.limit if passed else acc.limit + 1,
                    "lower": 0.975 if acc.statistical else None,
                    "upper": 0.999 if acc.statistical else None,
                    "unit": acc.unit,
                    "limit": acc.text,
                    "passed": passed,
                    "detail": "hand-made",
                }
            ],
            "evidence": sorted(EVIDENCE) if rid == "SRS-010" else [],
        }
        if not passed and message is not None:
            entry["message"] = message
        out[_node(rid)] = entry
    if scenario_test:
        out["bench/verification/suite/test_hand.py::test_run[seed3-walk_level_1p3]"] = {
            "outcome": "passed",
            "duration_s": 0.1,
            "requirements": [],
            "figures": [],
            "evidence": [],
        }
    return out


def _write_files(run: Path, results: dict[str, dict]) -> None:
    for rel, data in EVIDENCE.items():
        (run / rel).parent.mkdir(parents=True, exist_ok=True)
        (run / rel).write_bytes(data)
    (run / "tests.json").write_text(json.dumps(results, indent=1, sort_keys=True))
    (run / "traceability.json").write_text(json.dumps(matrix(results), indent=1))


def make_run(tmp_path: Path, name: str = "run", **kw) -> Path:
    run = tmp_path / name
    run.mkdir()
    _write_files(run, _results(**kw))
    return run


def make_recorded_run(tmp_path: Path, *, tests_json: bool = True, exit_status=None, **kw) -> Path:
    """A run written the way the plugin does it: run_start, test records, files, run_end."""
    run = tmp_path / "recorded"
    results = _results(**kw)
    rec = RunRecorder(run)
    rec.start(
        {
            "dut": "golden",
            "station": "simulated",
            "station_file": "bench/stations/simulated.toml",
            "station_sha256": "ab" * 32,
            "seeds": [7, 8],
            "scenario_filter": None,
            "args": ["bench/verification/suite"],
            "user": "tester-from-record",
        }
    )
    for nid, r in results.items():
        rec.append(
            "test",
            {
                "test_id": nid,
                "verdict": r["outcome"],
                "dut": "golden",
                "duration_s": r["duration_s"],
                "requirements": r["requirements"],
                "figures": r["figures"],
                "evidence": [],
                "message": "recorded failure message" if r["outcome"] == "failed" else "",
            },
        )
    _write_files(run, results)
    if not tests_json:
        (run / "tests.json").unlink()
    rows = json.loads((run / "traceability.json").read_text())
    verdicts = {r["verdict"] for r in rows}
    rec.finish(
        {
            "verdict": "fail" if "fail" in verdicts else "pass",
            "exit_status": (1 if "fail" in verdicts else 0) if exit_status is None else exit_status,
            "requirements": {r["requirement"]: r["verdict"] for r in rows},
        }
    )
    return run


def verdict(page: str) -> str:
    m = re.search(r'<span id="verdict"[^>]*>([A-Z ]+)</span>', page)
    assert m, "no overall verdict in the report"
    return m.group(1)


def section(page: str, sid: str) -> str:
    start = page.index(f'id="{sid}"')
    end = page.find("<section", start + 1)
    return page[start : end if end > 0 else len(page)]


def requirement_row(page: str, rid: str) -> str:
    start = page.index(f'id="req-{rid}"')
    return page[start : page.index("</tr>", start)]


# ---- verdicts and sections ---------------------------------------------------------------------


def test_every_section_is_present_and_all_passed_is_pass(tmp_path):
    page = build_report(make_run(tmp_path), document_id="DOC-42", revision="C")
    for sid in SECTIONS:
        assert f'id="{sid}"' in page, sid
    assert verdict(page) == "PASS"
    assert "DOC-42" in page and "<td>C</td>" in page
    assert "Date (UTC)" in page and "Run ID" in page
    assert RECORDS_ABSENT in page  # no records.jsonl: said so, in those words
    assert "None recorded." in section(page, "anomalies")  # no deviations given
    assert "Kill table: not provided." in section(page, "bench-validation")
    for rid in requirements().requirements:
        assert "pass" in requirement_row(page, rid)
    assert "[0.975, 0.999] (Wilson 95 %)" in requirement_row(page, "SRS-001")  # bounds shown
    for dist in ("numpy", "scipy", "h5py", "pytest", "allure-pytest", "cocotb", "pyvisa"):
        assert f"package {dist}" in section(page, "environment")
    # Known anomalies are listed whatever the verdicts (bench/verification/requirements.yaml).
    for a in requirements().known_anomalies:
        assert a.id in section(page, "anomalies") and a.plan in section(page, "anomalies")


def test_a_requirement_without_a_test_is_not_run_and_the_verdict_incomplete(tmp_path):
    page = build_report(make_run(tmp_path, drop={"SRS-032"}), document_id="D", revision="A")
    assert verdict(page) == "INCOMPLETE"
    assert "not run" in requirement_row(page, "SRS-032")
    assert "1 requirement(s) not run" in page
    haz = section(page, "hazards")
    assert "not fully verified" in haz[haz.index("HAZ-09") :]


def test_an_empty_tests_json_claims_nothing(tmp_path):
    run = tmp_path / "empty-run"
    run.mkdir()
    (run / "tests.json").write_text("{}")
    page = build_report(run, document_id="D", revision="A")
    assert verdict(page) == "INCOMPLETE"
    assert page.count('<span class="badge ok">pass</span>') == 0


def test_a_failed_requirement_is_fail_and_its_test_an_open_anomaly(tmp_path):
    run = make_run(tmp_path, fail="SRS-010", message=FAIL_MESSAGE)
    page = build_report(run, document_id="D", revision="A")
    assert verdict(page) == "FAIL"
    assert "fail" in requirement_row(page, "SRS-010")
    anomalies = section(page, "anomalies")
    row = anomalies[anomalies.index(_node("SRS-010")) :]
    row = row[: row.index("</tr>")]
    assert "AssertionError: SRS-010 falls_missed: 1 fails == 0 falls" in row
    assert "&lt;not escaped?&gt;" in row and "<not escaped?>" not in page  # escaped
    assert OPEN_RATIONALE in row
    assert anomalies.count(OPEN_RATIONALE) == 1  # only the failed test, no invented rationale
    assert "None recorded." in anomalies


def test_a_requirement_failing_under_an_open_known_anomaly_is_still_fail_and_names_it(tmp_path):
    known = open_anomalies()
    rid = "SRS-090"
    assert rid in known  # the lower-back real-data requirement, KA-002
    run = make_run(
        tmp_path, fail=rid, message="known anomaly KA-002: SRS-090 ...", outcome="xfailed"
    )
    page = build_report(run, document_id="D", revision="A")
    assert verdict(page) == "FAIL"  # a known defect is still a failed requirement
    row = requirement_row(page, rid)
    assert "fail" in row and f"known anomaly {known[rid]}" in row
    anomalies = section(page, "anomalies")
    assert _node(rid) in anomalies and "known anomaly KA-002: SRS-090" in anomalies
    # no real-data table attached: the report says why section 3.1 is empty
    assert "No real-data test attached its table" in section(page, "requirements")


def test_the_real_recordings_table_is_shown_from_the_runs_evidence(tmp_path):
    run = make_run(tmp_path)
    rel = f"evidence/test_real/{REAL_TABLE_EVIDENCE}"
    (run / rel).parent.mkdir(parents=True)
    (run / rel).write_text("real recordings (reference: independent system)\nfoot 0.992 <b>")
    tests = json.loads((run / "tests.json").read_text())
    tests[_node("SRS-090")]["evidence"] = [rel]
    (run / "tests.json").write_text(json.dumps(tests))
    page = section(build_report(run, document_id="D", revision="A"), "requirements")
    assert "3.1 Real recordings" in page and "foot 0.992 &lt;b&gt;" in page and rel in page


def test_a_failure_without_a_message_says_so(tmp_path):
    page = build_report(make_run(tmp_path, fail="SRS-011"), document_id="D", revision="A")
    anomalies = section(page, "anomalies")
    assert _node("SRS-011") in anomalies
    assert "no message recorded" in anomalies


def test_deviations_kill_table_and_who_are_shown_as_given(tmp_path):
    kills = [
        {
            "mutant": "threshold_off_by_one",
            "killed": True,
            "exit_code": 1,
            "killing_tests": [_node("SRS-023")],
            "killing_requirements": ["SRS-023"],
        },
        {
            "mutant": "drop_every_tenth_step",
            "killed": False,
            "exit_code": 0,
            "killing_tests": [],
            "killing_requirements": [],
        },
    ]
    deviations = [{"id": "DEV-1", "description": "seed 3 only", "approved_by": "QA"}]
    page = build_report(
        make_run(tmp_path),
        document_id="D",
        revision="A",
        kill_table=kills,
        who="J. Tester",
        deviations=deviations,
    )
    bench = section(page, "bench-validation")
    assert "Kill rate 1/2" in bench
    assert "SURVIVED" in bench and "threshold_off_by_one" in bench and "SRS-023" in bench
    anomalies = section(page, "anomalies")
    assert "DEV-1" in anomalies and "seed 3 only" in anomalies
    assert "None recorded." not in anomalies
    assert "J. Tester" in section(page, "environment")


def test_scenarios_named_in_test_ids_get_their_file_hash(tmp_path):
    from scenarios.library import load

    page = build_report(make_run(tmp_path, scenario_test=True), document_id="D", revision="A")
    env = section(page, "environment")
    assert "walk_level_1p3" in env
    assert load("walk_level_1p3").sha256 in env
    assert "3" in section(page, "scope")  # seed 3 from the test ID


# ---- evidence, records, integrity --------------------------------------------------------------


def _manifest_rows(page: str) -> dict[str, str]:
    part = section(page, "evidence")
    part = part[part.index('class="manifest"') :]
    rows = re.findall(r"<tr><td>(.*?)</td><td><code>([0-9a-f]{64})</code></td>", part)
    return {re.sub(r"<[^>]+>", "", f).replace("&#x27;", "'"): sha for f, sha in rows}


def test_manifest_lists_every_evidence_file_with_its_sha256_computed_now(tmp_path):
    run = make_run(tmp_path)
    page = build_report(run, document_id="D", revision="A")
    rows = _manifest_rows(page)
    for rel, data in EVIDENCE.items():
        assert rows[rel] == hashlib.sha256(data).hexdigest()
    assert rows["tests.json"] == hashlib.sha256((run / "tests.json").read_bytes()).hexdigest()
    assert "computed at report time, not sealed at run end" in section(page, "evidence")
    # the traceability matrix links the evidence, relative to the run directory
    assert 'href="evidence/test_srs_010/fall%20latency.png"' in section(page, "traceability")


@needs_records
def test_recorded_run_uses_run_start_and_the_sealed_manifest(tmp_path):
    run = make_recorded_run(tmp_path)
    page = build_report(run, document_id="D", revision="A")
    assert verdict(page) == "PASS"
    assert '<span id="integrity" class="badge ok">INTACT</span>' in page
    assert "bench.records.verify: intact" in section(page, "records")
    scope = section(page, "scope")
    assert "simulated" in scope and "ab" * 32 in scope and "7, 8" in scope
    assert "tester-from-record" in section(page, "environment")
    assert "none — simulated station" in section(page, "environment")
    evidence = section(page, "evidence")
    assert "matches the one sealed in the run_end record" in evidence
    rows = _manifest_rows(page)
    for rel, data in EVIDENCE.items():
        assert rows[rel] == hashlib.sha256(data).hexdigest()


@needs_records
def test_tampered_records_show_problems(tmp_path):
    run = make_recorded_run(tmp_path)
    path = run / "records.jsonl"
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b'"duration_s":0.25', b'"duration_s":0.26')
    path.write_bytes(b"\n".join(lines))
    (run / "evidence/test_srs_010/events.csv").write_bytes(b"t_s,event\n")
    page = build_report(run, document_id="D", revision="A")
    records = section(page, "records")
    assert "problems found" in records
    assert "hash mismatch" in records
    assert "NOT INTACT" in page and "may have been changed" in page
    assert "CHANGED since run end" in section(page, "manifest")


@needs_records
def test_records_without_tests_json_still_give_results_and_messages(tmp_path):
    run = make_recorded_run(tmp_path, tests_json=False, fail="SRS-012")
    page = build_report(run, document_id="D", revision="A")
    assert verdict(page) == "FAIL"
    anomalies = section(page, "anomalies")
    assert "tests.json is absent" in anomalies
    assert "recorded failure message" in anomalies


@needs_records
def test_an_abnormal_exit_status_is_never_pass(tmp_path):
    page = build_report(make_recorded_run(tmp_path, exit_status=3), document_id="D", revision="A")
    assert verdict(page) == "INCOMPLETE"
    assert "exit status 3 (internal error)" in page


# ---- self-containment, PDF, errors -------------------------------------------------------------


def test_the_page_references_nothing_outside_itself(tmp_path):
    from bench.reports.allure_html import external_references

    run = make_run(tmp_path, fail="SRS-010", message=FAIL_MESSAGE, scenario_test=True)
    out = tmp_path / "out" / "report.html"
    write_report(run, out, document_id="D", revision="A")
    page = out.read_text(encoding="utf-8")
    assert EXTERNAL.findall(page) == []
    assert re.findall(r"<(?:img|script|link|iframe|object|embed)\b", page) == []
    assert external_references(out) == []
    assert "default-src 'none'" in html.unescape(
        page
    )  # the browser refuses to load anything even so
    # evidence links are relative to where the HTML was written
    assert 'href="../run/evidence/test_srs_010/events.csv"' in page


def test_pdf_is_written_and_the_page_loads_nothing_in_a_browser(tmp_path):
    try:
        chromium_executable()
    except ChromiumMissingError as exc:
        pytest.skip(f"chromium unavailable: {exc}")
    from bench.reports.offline_check import requests_outside

    run = make_run(tmp_path)
    html_path, pdf_path = tmp_path / "r.html", tmp_path / "r.pdf"
    t0 = time.monotonic()
    write_report(run, html_path, pdf=pdf_path, document_id="D", revision="A", timeout_s=90)
    elapsed = time.monotonic() - t0
    data = pdf_path.read_bytes()
    assert data.startswith(b"%PDF"), data[:20]
    assert len(data) > 10_000 and elapsed < 90
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporary file
    assert requests_outside(html_path, timeout_s=60) == []


def test_missing_chromium_is_one_clear_error_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("SMILE_BENCH_CHROMIUM", str(tmp_path / "no-chromium"))
    out = tmp_path / "r.html"
    with pytest.raises(ChromiumMissingError) as info:
        write_report(make_run(tmp_path), out, pdf=tmp_path / "r.pdf")
    assert isinstance(info.value, BenchError)
    assert "\n" not in str(info.value) and "no-chromium" in str(info.value)
    assert not out.exists()


@pytest.mark.parametrize("kind", ["missing", "empty", "not-a-run", "a-file"])
def test_not_a_run_directory_raises_naming_the_path(tmp_path, kind):
    path = tmp_path / f"folder-{kind}"
    if kind == "empty":
        path.mkdir()
    elif kind == "not-a-run":
        path.mkdir()
        (path / "notes.txt").write_text("hello")
    elif kind == "a-file":
        path.write_text("{}")
    with pytest.raises(NotARunDirectoryError) as info:
        build_report(path, document_id="D", revision="A")
    assert isinstance(info.value, BenchError)
    assert str(path) in str(info.value)
    if kind == "empty":
        assert "empty" in str(info.value)


def test_kill_table_is_taken_from_the_runs_mutant_tests(tmp_path):
    run = make_run(tmp_path)
    results = json.loads((run / "tests.json").read_text())
    nid = "bench/verification/suite/test_mutants.py::test_the_suite_kills_the_mutant[stuck_flag]"
    rel = "evidence/mutant_stuck_flag/kill.json"
    (run / rel).parent.mkdir(parents=True)
    row = {
        "mutant": "stuck_flag",
        "killed": True,
        "exit_code": 1,
        "killing_tests": [],
        "killing_requirements": ["SRS-044"],
    }
    (run / rel).write_text(json.dumps(row))
    results[nid] = {"outcome": "passed", "requirements": [], "figures": [], "evidence": [rel]}
    (run / "tests.json").write_text(json.dumps(results))
    bench = section(build_report(run, document_id="D", revision="A"), "bench-validation")
    assert "Kill rate 1/1" in bench and "stuck_flag" in bench and "SRS-044" in bench
    assert "kill.json evidence of this run" in bench


def test_traceability_json_alone_is_used_and_labelled(tmp_path):
    run = make_run(tmp_path, drop={"SRS-055"})
    (run / "tests.json").unlink()
    page = build_report(run, document_id="D", revision="A")
    assert verdict(page) == "INCOMPLETE"
    assert "not run" in requirement_row(page, "SRS-055")
    assert "pass" in requirement_row(page, "SRS-054")
    assert "per-test outcomes reconstructed" in section(page, "scope")


@needs_records
def test_a_report_written_into_the_run_directory_is_not_taken_for_tampering(tmp_path):
    run = make_recorded_run(tmp_path)
    for _ in range(2):  # the second time, report.html exists from the first
        write_report(run, run / "report.html", document_id="D", revision="A")
    page = (run / "report.html").read_text(encoding="utf-8")
    assert '<span id="integrity" class="badge ok">INTACT</span>' in page
    assert "report.html" not in _manifest_rows(page)
    assert 'href="evidence/test_srs_010/events.csv"' in page


def _shared_test(outcome: str, known_anomalies: list[str]) -> dict[str, dict]:
    """One test judging two requirements: SRS-090 misses its limit, SRS-092 meets its own."""
    reqs = requirements()

    def fig(rid, passed):
        acc = reqs.get(rid).acceptance
        return {
            "requirement": rid,
            "figure": acc.metric,
            "value": acc.limit,
            "lower": None,
            "upper": None,
            "unit": acc.unit,
            "limit": acc.text,
            "passed": passed,
            "detail": "hand-made",
        }

    return {
        "bench/verification/suite/test_hand.py::test_shared": {
            "outcome": outcome,
            "requirements": ["SRS-090", "SRS-092"],
            "figures": [fig("SRS-090", False), fig("SRS-092", True)],
            "evidence": [],
            "known_anomalies": known_anomalies,
        }
    }


@pytest.mark.parametrize(
    ("outcome", "known", "srs_092"),
    [
        ("xfailed", ["KA-002"], "pass"),  # failed only on the anomaly's own figure
        ("failed", [], "fail"),  # a failed test fails everything it names
        ("xfailed", [], "fail"),  # an xfail that is not the plugin's anomaly verdict
    ],
)
def test_a_requirement_is_judged_on_its_own_figures_in_a_test_shared_with_a_known_anomaly(
    outcome, known, srs_092
):
    rows = {r["requirement"]: r for r in matrix(_shared_test(outcome, known))}
    assert rows["SRS-090"]["verdict"] == "fail"
    assert rows["SRS-092"]["verdict"] == srs_092
    assert rows["SRS-092"]["known_anomalies"] == ""
