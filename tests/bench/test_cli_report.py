"""``smile-bench report``, ``report --verify`` and ``history`` on small real runs, and the
requirements file's own validation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.verification.requirements import RequirementsError, load_requirements

CLI = [sys.executable, "-m", "bench.cli.main"]
SAMPLE = """
import pytest

@pytest.mark.requirement("SRS-053")
def test_registers(verify):
    verify.figure("SRS-053", 0)
    verify.attach("note", "evidence text", "txt")
    verify.check()

@pytest.mark.requirement("SRS-054")
def test_identity(verify):
    verify.figure("SRS-054", {value})
    verify.check()
"""


def make_run(tmp: Path, name: str, value: int = 0) -> Path:
    test = tmp / f"test_{name}.py"
    test.write_text(SAMPLE.replace("{value}", str(value)))
    run = tmp / name
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(test),
            f"--results-dir={run}",
        ],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return run


def smile(*args, cwd):
    return subprocess.run(
        [*CLI, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_verify_intact_then_tampered(tmp_path):
    run = make_run(tmp_path, "ok")
    p = smile("report", "--verify", run, cwd=tmp_path)
    assert p.returncode == 0 and "intact" in p.stdout
    lines = (run / "records.jsonl").read_text().splitlines()
    lines[1] = lines[1].replace('"passed"', '"failed"')
    (run / "records.jsonl").write_text("\n".join(lines) + "\n")
    p = smile("report", "--verify", run, cwd=tmp_path)
    assert p.returncode == 1 and "seq 1" in p.stdout


def test_verify_detects_reordered_records_and_changed_evidence(tmp_path):
    run = make_run(tmp_path, "ok")
    lines = (run / "records.jsonl").read_text().splitlines()
    lines[1], lines[2] = lines[2], lines[1]
    (run / "records.jsonl").write_text("\n".join(lines) + "\n")
    assert smile("report", "--verify", run, cwd=tmp_path).returncode == 1
    run2 = make_run(tmp_path, "ok2")
    evidence = next((run2 / "evidence").rglob("*.txt"))
    evidence.write_text("edited")
    p = smile("report", "--verify", run2, cwd=tmp_path)
    assert p.returncode == 1 and evidence.name in p.stdout


def test_report_html_of_a_failing_run_says_fail(tmp_path):
    run = make_run(tmp_path, "bad", value=1)
    out = tmp_path / "report.html"
    p = smile("report", run, "--out", out, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    html = out.read_text()
    assert "FAIL" in html and "SRS-054" in html


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--verify", "nowhere"],
        ["report", ".", "--out", "r.html"],
        ["history", "--store", "missing.sqlite"],
    ],
)
def test_not_a_run_or_store_is_one_line_exit_2(tmp_path, args):
    p = smile(*args, cwd=tmp_path)
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_history_flags_a_regression_between_runs(tmp_path):
    store = tmp_path / "store.sqlite"
    for name, value in (("first", 0), ("second", 1)):
        run = make_run(tmp_path, name, value)
        from bench.records import ResultsStore

        s = ResultsStore(store)
        s.index_run_dir(run)
        s.close()
    p = smile("history", "--store", store, cwd=tmp_path)
    assert p.returncode == 1  # identity mismatches went from 0 (pass) to 1 (fail)
    assert "identity_mismatches" in p.stdout


def test_requirement_without_a_limit_is_refused(tmp_path):
    bad = tmp_path / "req.yaml"
    bad.write_text(
        "hazards: [{id: HAZ-01, name: x}]\nrequirements:\n"
        "  - {id: SRS-900, text: t, rationale: r, hazards: [HAZ-01],\n"
        "     acceptance: {metric: m, op: '>=', unit: '', statistical: false}}\n"
    )
    with pytest.raises(RequirementsError, match="SRS-900: has no acceptance limit"):
        load_requirements(bad)


@pytest.mark.parametrize(
    "entry, message",
    [
        (
            "{id: KA-9, title: t, requirements: [SRS-900], description: d, status: open}",
            "missing plan",
        ),
        (
            "{id: KA-9, title: t, requirements: [SRS-999], description: d, status: open, plan: p}",
            "requirements ['SRS-999']",
        ),
    ],
)
def test_a_malformed_known_anomaly_is_refused_naming_it(tmp_path, entry, message):
    bad = tmp_path / "req.yaml"
    bad.write_text(
        "hazards: [{id: HAZ-01, name: x}]\nrequirements:\n"
        "  - {id: SRS-900, text: t, rationale: r, hazards: [HAZ-01],\n"
        "     acceptance: {metric: m, op: '>=', limit: 1, unit: '', statistical: false}}\n"
        f"known_anomalies:\n  - {entry}\n"
    )
    with pytest.raises(RequirementsError, match=re.escape(f"known anomaly KA-9: {message}")):
        load_requirements(bad)
