"""The parity report (``bench.verification.parity``, ``smile-bench parity``): the suite run on
several DUTs, compared requirement by requirement."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cli.main import main
from bench.verification import parity
from bench.verification.verdict import Verdict
from tests.hdl.conftest import require

ROOT = Path(__file__).resolve().parents[2]
SUITE_FILE = ROOT / "bench" / "verification" / "suite" / "test_faults_and_power.py"


def fake_run(
    folder: Path, dut: str, verdicts: dict[str, str], *, seeds=(1,), value: float = 1.0
) -> Path:
    """A run folder as ``smile-bench run`` leaves one, reduced to what parity reads."""
    folder.mkdir(parents=True)
    start = {"kind": "run_start", "payload": {"dut": dut, "seeds": list(seeds), "run_id": dut}}
    (folder / "records.jsonl").write_text(json.dumps(start) + "\n")
    rows = [
        {"requirement": req, "verdict": v, "figures": [{"figure": "f", "value": value}]}
        for req, v in verdicts.items()
    ]
    (folder / "traceability.json").write_text(json.dumps(rows))
    return folder


def test_parity_holds_on_equal_verdicts_and_lists_figures_that_differ(tmp_path):
    a = fake_run(tmp_path / "a", "golden", {"SRS-001": "pass", "SRS-090": "fail"})
    b = fake_run(tmp_path / "b", "emulated", {"SRS-001": "pass", "SRS-090": "fail"}, value=0.5)
    result = parity.compare([parity.load_run(a), parity.load_run(b)])
    assert result.holds
    assert [r.verdicts for r in result.rows] == [
        (Verdict.PASS, Verdict.PASS),
        (Verdict.FAIL, Verdict.FAIL),
    ]
    assert not result.rows[0].figures_equal
    assert result.rows[0].differences == ("f: golden 1.0, emulated 0.5",)
    text = parity.markdown(result)
    assert "**Parity holds**: 2 of 2 requirements" in text and "f: golden 1.0, emulated 0.5" in text


def test_a_differing_verdict_fails_parity_and_the_command_exits_1(tmp_path, capsys):
    a = fake_run(tmp_path / "a", "golden", {"SRS-001": "pass", "SRS-002": "pass"})
    b = fake_run(tmp_path / "b", "rtl:icarus", {"SRS-001": "pass", "SRS-002": "fail"})
    assert main(["parity", str(a), str(b), "--out", str(tmp_path / "p")]) == 1
    out = capsys.readouterr().out
    assert "parity FAILS" in out and "verdicts differ: SRS-002" in out
    report = json.loads((tmp_path / "p" / "parity.json").read_text())
    assert report["holds"] is False
    assert [r["same_verdict"] for r in report["requirements"]] == [True, False]


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda t: [t / "missing", t / "missing"], "missing: not a run directory"),
        (
            lambda t: [
                fake_run(t / "a", "golden", {"SRS-001": "pass"}),
                fake_run(t / "b", "emulated", {"SRS-001": "pass"}, seeds=(1, 2)),
            ],
            "seeds [1, 2], but",
        ),
        (
            lambda t: [
                fake_run(t / "a", "golden", {"SRS-001": "pass"}),
                fake_run(t / "b", "emulated", {"SRS-002": "pass"}),
            ],
            "its requirements differ",
        ),
        (
            lambda t: [
                fake_run(t / "a", "golden", {"SRS-001": "pass"}),
                fake_run(t / "b", "emulated", {"SRS-001": "great"}),
            ],
            "SRS-001: verdict 'great'; expected one of pass, fail",
        ),
        (lambda t: [fake_run(t / "a", "golden", {"SRS-001": "pass"})], "at least two"),
    ],
)
def test_runs_that_cannot_be_compared_are_refused_in_one_line(tmp_path, capsys, make, needle):
    folders = make(tmp_path)
    assert main(["parity", *map(str, folders)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def run_suite_file(dut: str, out: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(SUITE_FILE),
            "-q",
            "-p",
            "no:cacheprovider",
            f"--dut={dut}",
            "--seed=1",
            f"--results-dir={out}",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        cwd=ROOT,
    )


@pytest.mark.slow  # three DUTs through the suite; `make parity` runs all of it nightly
def test_fault_and_brown_out_requirements_have_parity_on_golden_emulated_board_and_rtl(
    tmp_path,
):
    """The suite's sensor-fault and brown-out requirements on the golden model, the emulated
    board (host-port replay over a socket, brown-outs by its supply) and the RTL: the same
    verdicts and the same figures."""
    require("icarus")
    folders = []
    for dut in ("golden", "emulated", "rtl:icarus"):
        out = tmp_path / dut.replace(":", "-")
        p = run_suite_file(dut, out, tmp_path)
        assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
        folders.append(out)
    result = parity.compare([parity.load_run(f) for f in folders])
    assert [r.dut for r in result.runs] == ["golden", "emulated", "rtl:icarus"]
    assert {r.requirement for r in result.rows} >= {"SRS-040", "SRS-041", "SRS-043"}
    assert result.holds and all(r.figures_equal for r in result.rows), parity.markdown(result)
