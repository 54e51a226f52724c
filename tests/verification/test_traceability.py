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


def test_every_requirement_has_a_test(tmp_path):
    p, trace = collect(tmp_path, "tests")
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    covered = json.loads(trace.read_text())
    missing = [rid for rid in requirements().requirements if not covered.get(rid)]
    assert not missing, f"requirements without a test: {missing}"


def test_unknown_requirement_id_stops_the_run_with_exit_2(tmp_path):
    bad = tmp_path / "test_bad.py"
    bad.write_text(
        "import pytest\n\n@pytest.mark.requirement('SRS-999')\ndef test_x():\n    pass\n"
    )
    p = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(bad)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 2
    assert "unknown requirement 'SRS-999'" in p.stdout + p.stderr


def test_malformed_station_file_stops_the_run_with_exit_2(tmp_path):
    station = tmp_path / "station.toml"
    station.write_text("[station]\nname = 'lab'\n[dut]\nkind = 'plasma'\n")
    ok = tmp_path / "test_ok.py"
    ok.write_text("def test_x():\n    pass\n")
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--station={station}",
            str(ok),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 2
    assert "station.toml" in p.stdout + p.stderr and "plasma" in p.stdout + p.stderr
