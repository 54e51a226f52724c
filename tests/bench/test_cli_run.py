"""``smile-bench run --dut golden --scenario`` and ``smile-bench accuracy`` as a user runs them."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from chip_sim.icd import EventCode

CLI = [sys.executable, "-m", "bench.cli.main"]


def smile(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


def test_run_one_scenario_prints_detections_and_writes_events_csv(tmp_path):
    out = tmp_path / "events.csv"
    p = smile(
        "run",
        "--dut",
        "golden",
        "--scenario",
        "fall_forward",
        "--seed",
        "2",
        "--events-out",
        str(out),
    )
    assert p.returncode == 0, p.stderr
    assert "falls detected / truth (false)" in p.stdout and "1 / 1 (0)" in p.stdout
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["sample_index", "t_s", "event", "value"]
    assert rows[0]["event"] == "RESET"
    names = {r["event"] for r in rows}
    assert {"STEP", "FALL", "WALK_START"} <= names <= {c.name for c in EventCode}
    fall = next(r for r in rows if r["event"] == "FALL")
    assert float(fall["t_s"]) == pytest.approx(int(fall["sample_index"]) / 100)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["run", "--dut", "serial:socket://127.0.0.1:9", "--scenario", "walk_level_1p3"],
            "serial:socket://127.0.0.1:9: cannot open socket://127.0.0.1:9",
        ),
        (["run", "--dut", "rtl:modelsim", "--scenario", "walk_level_1p3"], "rtl:modelsim"),
        (["run", "--events-out", "x.csv"], "--events-out needs --scenario"),
        (["run", "--scenario", "healing_normal", "--events-out", "x.csv"], "healing_normal"),
        (["run", "--scenario", "walk_level_1p3", "--events-out", "x.txt"], "--events-out x.txt"),
        (["run", "--scenario", "no_such_scenario"], "no_such_scenario"),
        (["accuracy", "--seeds", "0"], "--seeds 0"),
    ],
)
def test_bad_run_input_is_one_line_and_exit_2(tmp_path, args, needle):
    p = smile(*args, cwd=tmp_path)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in p.stderr
    assert list(tmp_path.iterdir()) == []


def test_accuracy_command_prints_the_table_and_passes():
    p = smile("accuracy")
    assert p.returncode == 0, p.stdout + p.stderr
    for needle in ("SRS-001", "step_sensitivity", "falls_missed", "(95 % bound)", "PASS"):
        assert needle in p.stdout
    assert "FAIL" not in p.stdout


def test_run_a_weeks_long_course_prints_the_long_horizon_assessment():
    p = smile("run", "--scenario", "healing_delayed_union")
    assert p.returncode == 0, p.stderr
    assert "healing class" in p.stdout and "slow" in p.stdout and "13.0" in p.stdout


@pytest.mark.parametrize("code", [pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED])
def test_a_suite_that_gives_no_verdict_is_an_error_not_a_fail(code, tmp_path, monkeypatch, capsys):
    """e.g. `-n 2` without pytest-xdist (seen from a fresh install): pytest exits 4 and nothing
    ran, which is a broken run (exit 2, one line), not "0 of 0 requirements pass"."""
    from bench.cli.main import main

    monkeypatch.setattr(pytest, "main", lambda args: code)
    out = tmp_path / "run"
    assert main(["run", "--out", str(out), "--store", str(tmp_path / "s.sqlite")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"pytest exit {int(code)}: {code.name}" in err[0], err
