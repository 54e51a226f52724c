"""Every requirement is verified by at least one test, and the marker refuses unknown IDs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.verification.requirements import requirements

ROOT = Path(__file__).resolve().parents[2]


def collect(tmp_path, *args):
    trace = tmp_path / "trace.json"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--smile-trace={trace}",
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return p, trace


def pytest_in(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """A pytest session in ``cwd`` (the bench's plugin loads through its entry point)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_requirement_has_a_test(tmp_path):
    p, trace = collect(tmp_path, "bench/verification/suite")
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    covered = json.loads(trace.read_text())
    missing = [rid for rid in requirements().requirements if not covered.get(rid)]
    assert not missing, f"requirements without a test: {missing}"


def test_unknown_requirement_id_stops_the_run_with_exit_2(tmp_path):
    bad = tmp_path / "test_bad.py"
    bad.write_text(
        "import pytest\n\n@pytest.mark.requirement('SRS-999')\ndef test_x():\n    pass\n"
    )
    p = pytest_in(tmp_path, str(bad))
    assert p.returncode == 2
    assert "unknown requirement 'SRS-999'" in p.stdout + p.stderr


def test_malformed_station_file_stops_the_run_with_exit_2(tmp_path):
    station = tmp_path / "station.toml"
    station.write_text("[station]\nname = 'lab'\n[dut]\nkind = 'plasma'\n")
    ok = tmp_path / "test_ok.py"
    ok.write_text("def test_x():\n    pass\n")
    p = pytest_in(tmp_path, f"--station={station}", str(ok))
    assert p.returncode == 2
    assert "station.toml" in p.stdout + p.stderr and "plasma" in p.stdout + p.stderr


BENCH_FILES_GONE = """
from pathlib import Path

import bench.station
import bench.verification.requirements

# as in an environment where the bench's files cannot be found
bench.station.DEFAULT_STATION = Path("/nonexistent/simulated.toml")
bench.verification.requirements.REQUIREMENTS_PATH = Path("/nonexistent/requirements.yaml")
"""


def test_a_session_that_does_not_use_the_bench_runs_untouched(tmp_path):
    """Another project's tests in an environment with smile-bench installed: the plugin reads
    nothing and stops nothing, even where the bench's own files cannot be found."""
    (tmp_path / "conftest.py").write_text(BENCH_FILES_GONE)
    plain = tmp_path / "test_plain.py"
    plain.write_text("def test_x():\n    assert True\n")
    p = pytest_in(tmp_path, str(plain))
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert "1 passed" in p.stdout


def test_a_bench_session_without_the_bench_files_stops_naming_the_file(tmp_path):
    (tmp_path / "conftest.py").write_text(BENCH_FILES_GONE)
    marked = tmp_path / "test_marked.py"
    marked.write_text(
        "import pytest\n\n@pytest.mark.requirement('SRS-010')\ndef test_x():\n    pass\n"
    )
    p = pytest_in(tmp_path, str(marked))
    assert p.returncode == 2
    assert "/nonexistent/requirements.yaml" in p.stdout + p.stderr
    assert "Traceback" not in p.stdout + p.stderr


def test_a_bad_seed_option_stops_the_run_with_exit_2(tmp_path):
    ok = tmp_path / "test_ok.py"
    ok.write_text("def test_x():\n    pass\n")
    p = pytest_in(tmp_path, "--seed=-3", str(ok))
    assert p.returncode == 2 and "--seed -3: expected a whole number >= 0" in p.stdout + p.stderr


KNOWN_ANOMALY_TESTS = """
import pytest
from bench.verification.stats import wilson

@pytest.mark.requirement("SRS-090")
def test_known(verify):
    verify.figure("SRS-090", 0, proportion=wilson(60, 100))
    verify.check()

@pytest.mark.requirement("SRS-001")
def test_unknown(verify):
    verify.figure("SRS-001", 0, proportion=wilson(60, 100))
    verify.check()
"""


def test_a_failure_under_an_open_known_anomaly_is_expected_but_its_requirement_fails(tmp_path):
    """SRS-090 is listed under the open KA-002: its failing test is an expected failure naming
    the anomaly, its requirement still "fail"; SRS-001 (in no open anomaly) fails its test."""
    tests = tmp_path / "test_ka.py"
    tests.write_text(KNOWN_ANOMALY_TESTS)
    out = tmp_path / "results"
    p = pytest_in(tmp_path, "-rxX", f"--results-dir={out}", str(tests))
    assert p.returncode == 1, p.stdout[-2000:]
    assert "1 failed" in p.stdout and "1 xfailed" in p.stdout
    assert "known anomaly KA-002: SRS-090" in p.stdout
    rows = {r["requirement"]: r for r in json.loads((out / "traceability.json").read_text())}
    assert rows["SRS-090"]["verdict"] == "fail" and rows["SRS-090"]["known_anomalies"] == "KA-002"
    assert rows["SRS-001"]["verdict"] == "fail" and rows["SRS-001"]["known_anomalies"] == ""
    assert "SRS-090" in (out / "traceability.csv").read_text()
    records = [json.loads(x) for x in (out / "records.jsonl").read_text().splitlines()]
    known = [r for r in records if r.get("payload", {}).get("test_id", "").endswith("test_known")]
    assert known and known[0]["payload"]["verdict"] == "xfailed"
    assert known[0]["payload"]["known_anomalies"] == ["KA-002"]


def test_a_known_anomaly_with_an_unknown_status_is_refused(tmp_path):
    from bench.verification.requirements import RequirementsError, load_requirements

    text = (ROOT / "bench" / "verification" / "requirements.yaml").read_text()
    bad = tmp_path / "requirements.yaml"
    bad.write_text(text.replace("    status: open\n", "    status: opne\n", 1))
    try:
        load_requirements(bad)
    except RequirementsError as exc:
        assert "known anomaly KA-002: status 'opne'; expected one of open, closed" in str(exc)
    else:
        raise AssertionError("an anomaly status 'opne' was accepted")


def test_expected_failures_must_be_the_anomalys_own_open_requirements(tmp_path):
    from bench.verification.requirements import RequirementsError, load_requirements

    text = (ROOT / "bench" / "verification" / "requirements.yaml").read_text()
    cases = {
        "expected_failures: [SRS-090, SRS-091]": (
            "expected_failures: [SRS-010]",
            "known anomaly KA-002: expected_failures ['SRS-010']; expected IDs listed in its",
        ),
        "    status: open\n    plan: docs/plan/issue-13.md\n    expected_failures: [SRS-093": (
            "    status: closed\n    plan: docs/plan/issue-13.md\n    expected_failures: [SRS-093",
            "known anomaly KA-003: expected_failures on a closed anomaly; expected none",
        ),
    }
    for old, (new, message) in cases.items():
        assert old in text
        bad = tmp_path / "requirements.yaml"
        bad.write_text(text.replace(old, new, 1))
        try:
            load_requirements(bad)
        except RequirementsError as exc:
            assert message in str(exc)
        else:
            raise AssertionError(f"accepted: {new}")
