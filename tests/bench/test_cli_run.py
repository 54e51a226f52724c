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


def test_accuracy_command_prints_the_table_and_fails_only_under_open_anomalies():
    from bench.verification.requirements import open_anomalies

    p = smile("accuracy", "--seeds", "2")
    for needle in ("step_sensitivity", "falls_missed", "(95 % bound)", "PASS"):
        assert needle in p.stdout
    # every library requirement of the suite's figures, each judged by the suite's rule
    library = {"SRS-001", "SRS-002", "SRS-003", "SRS-004", "SRS-005", "SRS-006", "SRS-007"}
    library |= {"SRS-008", "SRS-010", "SRS-011", "SRS-012", "SRS-013", "SRS-014", "SRS-020"}
    library |= {"SRS-021", "SRS-022", "SRS-023", "SRS-030", "SRS-031", "SRS-032", "SRS-033"}
    assert all(f" {rid} " in p.stdout for rid in library), p.stdout
    known = open_anomalies()
    failing = [line for line in p.stdout.splitlines() if "FAIL" in line]
    # a FAIL row names its requirement's open anomaly; none other fails
    assert all(any(f"FAIL ({ka})" in line for ka in known.values()) for line in failing), failing
    assert p.returncode == (1 if failing else 0), p.stdout + p.stderr


def test_falls_command_prints_every_type_and_lookalike_on_every_site():
    from scenarios.falls import FALL_TYPES

    p = smile("falls", "--seeds", "1")
    assert p.returncode in (0, 1), p.stderr
    assert "SYNTHETIC, seed 1" in p.stdout
    for t, ft in FALL_TYPES.items():
        row = next(line for line in p.stdout.splitlines() if f" {t} " in line)
        assert ft.code in row and row.count("/3") == 4, row  # 3 falls on each of 4 sites
    for needle in ("lookalike_kneel_down", "lookalike_sit_on_floor", "SRS-014"):
        assert needle in p.stdout
    # the same falls per end posture: every fall has one, and the totals agree
    lines = p.stdout.splitlines()
    start = next(k for k, line in enumerate(lines) if "per end posture and site" in line)
    end = next(k for k, line in enumerate(lines) if "on the look-alikes" in line)
    cells = [line.split("│")[-2].strip() for line in lines[start:end] if line.count("/") == 5]
    by_type = [line.split("│")[-4].strip() for line in lines[:start] if line.count("/") == 5]
    assert len(cells) >= 5 and len(by_type) == len(FALL_TYPES)
    totals = [[sum(int(c.split("/")[i]) for c in col) for i in (0, 1)] for col in (cells, by_type)]
    assert totals[0] == totals[1] and totals[0][1] == 12 * len(FALL_TYPES), totals
    verdicts = [line for line in p.stdout.splitlines() if "PASS" in line or "FAIL" in line]
    assert p.returncode == (1 if any("FAIL" in v for v in verdicts) else 0)


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
