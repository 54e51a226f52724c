"""SIGKILL in the middle of writing (issue 15): a writer process killed at random moments leaves
the previous state readable and nothing half-written — a capture or a verification report is the
old one or the new one, whole; the run records verify (no cut-off line); the SQLite store passes
its integrity check with every committed transaction. Kill times come from a seeded generator."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bench.records import ResultsStore, read_records, verify
from bench.reports.verification_report import DEFAULT_DOCUMENT_ID
from scenarios.capture import read_capture
from tests.bench.test_cli_report import make_run

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 4

CAPTURE_WRITER = """
import sys
from pathlib import Path
from scenarios import library
from scenarios.capture import write_capture
from scenarios.generator import render
path = Path(sys.argv[1])
renders = [render(library.load("walk_level_1p3"), seed, duration_s=30) for seed in (1, 2)]
k = 0
while True:
    write_capture(path, renders[k % 2])
    k += 1
    if k == 1:
        print("ready", flush=True)
"""

RECORDS_WRITER = """
import sys
from pathlib import Path
from bench.records import RunRecorder
run = Path(sys.argv[1])
rec = RunRecorder(run)
if not (run / "records.jsonl").exists():
    rec.start({"dut": "golden", "seeds": [1]})
k = 0
while True:
    rec.append("test", {"test_id": f"t{k}", "verdict": "passed", "note": "x" * (k % 5000)})
    k += 1
    if k == 1:
        print("ready", flush=True)
"""

STORE_WRITER = """
import sys, uuid
from bench.records import ResultsStore
store = ResultsStore(sys.argv[1])
k = 0
while True:
    run_id = uuid.uuid4().hex
    store.add_run(run_id, started_utc=f"2026-12-07T00:00:{k % 60:02d}", dut="golden")
    for t in range(20):
        store.add_test(run_id, f"t{t}", verdict="passed", requirements=["SRS-001"])
    k += 1
    if k == 1:
        print("ready", flush=True)
"""


REPORT_WRITER = """
import sys
from pathlib import Path
from bench.reports.verification_report import write_report
run, out = Path(sys.argv[1]), Path(sys.argv[1]).parent / "report.html"
k = 0
while True:
    write_report(run, out, revision="AB"[k % 2])
    k += 1
    if k == 1:
        print("ready", flush=True)
"""


def kill_during(script: str, target: Path, delay_s: float) -> None:
    """Start a writer, wait until it has written once, let it write on for ``delay_s``, SIGKILL."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SMILE_BENCH_KEY_DIR": str(target.parent)}
    p = subprocess.Popen(
        [sys.executable, "-c", script, str(target)],
        stdout=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    try:
        assert p.stdout.readline().strip() == b"ready"
        time.sleep(delay_s)
        p.send_signal(signal.SIGKILL)
    finally:
        p.wait(timeout=30)
    assert p.returncode == -signal.SIGKILL


@pytest.fixture
def delays() -> np.ndarray:
    return np.random.default_rng(15).uniform(0.0, 0.25, ROUNDS)


def test_a_killed_capture_write_leaves_the_old_or_the_new_capture_whole(tmp_path, delays):
    path = tmp_path / "capture.h5"
    for delay in delays:
        kill_during(CAPTURE_WRITER, path, delay)
        cap = read_capture(path)  # readable, whole
        assert int(cap.attrs["seed"]) in (1, 2)
        assert len(cap.signals["acc_mps2"]) == len(cap.signals["gyr_dps"]) > 0
        assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == [path.name]


def test_killed_record_appends_leave_every_written_record_verifiable(tmp_path, delays):
    run = tmp_path / "run"
    seen = 0
    for delay in delays:
        kill_during(RECORDS_WRITER, run, delay)
        assert verify(run, require_end=False) == []  # no cut-off line, chain unbroken
        count = len(read_records(run))
        assert count > seen  # what was written before the kill is all still there
        seen = count


def test_a_killed_store_writer_leaves_a_sound_store_with_every_committed_run(tmp_path, delays):
    path = tmp_path / "results.sqlite"
    seen = 0
    for kills, delay in enumerate(delays, start=1):
        kill_during(STORE_WRITER, path, delay)
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            order = [r[0] for r in db.execute("SELECT run_id FROM runs ORDER BY rowid")]
        with ResultsStore(path) as store:
            assert len(store.runs()) == len(order) > seen
            counts = [len(store.tests(run_id)) for run_id in order]
        # each add is its own transaction: a run has its 20 tests, but the one being written when
        # a kill came has those committed before it — at most one such run per kill
        assert all(0 <= c <= 20 for c in counts)
        assert sum(c != 20 for c in counts) <= kills
        seen = len(order)


def test_a_killed_report_write_leaves_the_old_or_the_new_report_whole(tmp_path, delays):
    run = make_run(tmp_path, "run")
    out = tmp_path / "report.html"
    for delay in delays:
        kill_during(REPORT_WRITER, run, delay)
        html = out.read_text(encoding="utf-8")
        assert html.rstrip().endswith("</html>")  # whole, not cut off
        revisions = [r for r in "AB" if f"{DEFAULT_DOCUMENT_ID} rev {r}" in html]
        assert len(revisions) == 1  # one version, not a mix
