"""Run records (:mod:`bench.records`): the hash chain catches every kind of tampering, survives
several processes appending at once, and feeds the results store and the regression history.

Tampering is done on the bytes of a finished run, the way a careless edit or a bad copy would.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.records import (
    RecordsError,
    ResultsStore,
    RunRecorder,
    format_history,
    history,
    read_records,
    verify,
    write_manifest,
)
from bench.records.chain import FIELDS, ZERO_HASH, record_hash
from bench.records.history import EQUAL, HIGHER, LOWER, direction_of

N_TESTS = 8  # run_start + 8 tests + run_end = 10 records


def _test_payload(i: int, run: str = "a") -> dict:
    return {
        "test_id": f"tests/test_steps.py::test_f1[seed{i}]",
        "requirements": ["REQ-STEP-001", "RISK-12"],
        "scenario": "walk_level_1p3",
        "dut": "golden",
        "seed": i,
        "verdict": "pass",
        "duration_s": 0.5 + i,
        "metrics": {"f1": 0.98, "latency_s": 0.12},
        "figures": [
            {
                "figure": f"step F1 [{run}{i}]",
                "requirement": "REQ-STEP-001",
                "value": 0.98,
                "lower": 0.97,
                "upper": None,
                "unit": "",
                "limit": "≥ 0.97",
                "passed": True,
            }
        ],
        "evidence": [f"captures/seed{i}.bin"],
    }


def make_run(run_dir: Path, run_id: str = "run-a", *, finish: bool = True) -> RunRecorder:
    rec = RunRecorder(run_dir)
    rec.start({"run_id": run_id, "dut": "golden", "seeds": [1, 2], "station_sha256": "ab" * 32})
    (run_dir / "captures").mkdir()
    for i in range(N_TESTS):
        (run_dir / "captures" / f"seed{i}.bin").write_bytes(bytes([i]) * 100)
        rec.add_evidence(f"captures/seed{i}.bin")
        rec.append("test", _test_payload(i, run_id))
    if finish:
        rec.finish({"verdict": "PASS"})
    return rec


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    make_run(tmp_path / "run")
    return tmp_path / "run"


def _lines(run_dir: Path) -> list[bytes]:
    return (run_dir / "records.jsonl").read_bytes().splitlines(keepends=True)


def _write(run_dir: Path, lines: list[bytes]) -> None:
    (run_dir / "records.jsonl").write_bytes(b"".join(lines))


# -- the record format ------------------------------------------------------------------------


def test_clean_run_of_ten_records_verifies(run_dir: Path) -> None:
    records = read_records(run_dir)
    assert [r.seq for r in records] == list(range(10))
    assert [r.kind for r in records] == ["run_start"] + ["test"] * N_TESTS + ["run_end"]
    assert verify(run_dir) == []


def test_record_format_and_hash_are_as_documented(run_dir: Path) -> None:
    lines = _lines(run_dir)
    prev = ZERO_HASH
    for n, line in enumerate(lines):
        rec = json.loads(line)
        assert set(rec) == set(FIELDS) == {"seq", "kind", "utc", "payload", "prev", "hash"}
        assert rec["seq"] == n and rec["prev"] == prev
        body = {k: v for k, v in rec.items() if k != "hash"}
        canon = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert rec["hash"] == hashlib.sha256(canon.encode("utf-8")).hexdigest()
        prev = rec["hash"]
    start = json.loads(lines[0])["payload"]
    for key in ("run_id", "git_commit", "software_version", "python", "hostname", "user"):
        assert start[key], key
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert sorted(manifest) == [f"captures/seed{i}.bin" for i in range(N_TESTS)]
    assert (
        json.loads(lines[-1])["payload"]["manifest_sha256"]
        == hashlib.sha256((run_dir / "manifest.json").read_bytes()).hexdigest()
    )


# -- tampering ------------------------------------------------------------------------------


def _edit_payload_byte(d: Path) -> None:
    lines = _lines(d)
    lines[3] = lines[3].replace(b'"verdict":"pass"', b'"verdict":"fass"')
    _write(d, lines)


def _delete_line(d: Path) -> None:
    lines = _lines(d)
    del lines[5]
    _write(d, lines)


def _swap_lines(d: Path) -> None:
    lines = _lines(d)
    lines[4], lines[5] = lines[5], lines[4]
    _write(d, lines)


def _truncate_last_line(d: Path) -> None:
    data = (d / "records.jsonl").read_bytes()
    (d / "records.jsonl").write_bytes(data[:-15])


def _append_fake_record(d: Path) -> None:
    fake = {"seq": 10, "kind": "test", "utc": "2025-01-01T00:00:00+00:00", "prev": "1" * 64}
    fake["payload"] = {"test_id": "forged", "verdict": "pass"}
    canon = json.dumps(fake, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    fake["hash"] = hashlib.sha256(canon.encode()).hexdigest()
    _write(d, [*_lines(d), json.dumps(fake).encode() + b"\n"])


def _delete_and_renumber(d: Path) -> None:
    records = [json.loads(line) for line in _lines(d)]
    del records[5]
    for seq, rec in enumerate(records):  # renumbered and re-hashed, but prev left as it was
        rec["seq"] = seq
        rec["hash"] = record_hash(rec)
    _write(d, [json.dumps(rec).encode() + b"\n" for rec in records])


def _delete_run_start(d: Path) -> None:
    _write(d, _lines(d)[1:])


def _garble_line(d: Path) -> None:
    lines = _lines(d)
    lines[2] = b"{not json\n"
    _write(d, lines)


def _change_evidence(d: Path) -> None:
    (d / "captures" / "seed3.bin").write_bytes(b"\x00" * 100)


def _remove_evidence(d: Path) -> None:
    (d / "captures" / "seed4.bin").unlink()


def _add_evidence(d: Path) -> None:
    (d / "captures" / "extra.bin").write_bytes(b"late")


def _rewrite_manifest(d: Path) -> None:
    (d / "captures" / "seed3.bin").write_bytes(b"\x00" * 100)
    write_manifest(d)  # hides the change from the manifest, not from the sealed run_end


TAMPERING: dict[str, tuple[Callable[[Path], None], tuple[str, ...]]] = {
    "edited payload byte": (_edit_payload_byte, ("line 4 (seq 3", "hash mismatch")),
    "deleted line": (_delete_line, ("seq 5: missing",)),
    "swapped lines": (_swap_lines, ("line 6 (seq 4, test): out of order",)),
    "deleted, renumbered": (_delete_and_renumber, ("line 6 (seq 5, test): prev does not",)),
    "truncated last line": (_truncate_last_line, ("line 10", "cut off")),
    "fake record at end": (_append_fake_record, ("line 11 (seq 10", "prev does not match")),
    "no run_start": (_delete_run_start, ("seq 0: missing", "no run_start")),
    "malformed line": (_garble_line, ("line 3: malformed",)),
    "changed evidence": (_change_evidence, ("evidence file captures/seed3.bin: changed",)),
    "removed evidence": (_remove_evidence, ("evidence file captures/seed4.bin: missing",)),
    "added evidence": (_add_evidence, ("evidence file captures/extra.bin: added",)),
    "rewritten manifest": (_rewrite_manifest, ("manifest.json: changed after", "seq 9")),
}


@pytest.mark.parametrize("case", TAMPERING)
def test_tampering_is_detected_and_located(run_dir: Path, case: str) -> None:
    tamper, expected = TAMPERING[case]
    tamper(run_dir)
    problems = verify(run_dir)
    text = "\n".join(problems)
    for fragment in expected:
        assert fragment in text, f"{case}: {fragment!r} not in\n{text}"


def test_evidence_checked_against_manifest_before_run_end(tmp_path: Path) -> None:
    rec = make_run(tmp_path / "run", finish=False)
    write_manifest(rec.run_dir)
    assert verify(rec.run_dir, require_end=False) == []
    assert verify(rec.run_dir) == [
        "run has no run_end record: unfinished, or its last records were removed"
    ]
    (rec.run_dir / "captures" / "seed0.bin").write_bytes(b"x")
    (rec.run_dir / "captures" / "seed1.bin").unlink()
    (rec.run_dir / "notes.txt").write_text("added")
    problems = verify(rec.run_dir, require_end=False)
    assert any("captures/seed0.bin: changed" in p for p in problems)
    assert any("captures/seed1.bin: missing" in p for p in problems)
    assert any("seq 2" in p and "captures/seed1.bin is missing" in p for p in problems)
    assert any("notes.txt: added" in p for p in problems)


# -- appending ------------------------------------------------------------------------------


def _append_many(run_dir: str, worker: int, barrier) -> None:
    rec = RunRecorder(run_dir)
    barrier.wait()
    for i in range(25):
        rec.append("test", {"test_id": f"w{worker}-{i}", "worker": worker, "i": i})


def test_four_processes_append_to_one_run(tmp_path: Path) -> None:
    rec = RunRecorder(tmp_path / "run")
    rec.start({"run_id": "xdist"})
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    procs = [
        ctx.Process(target=_append_many, args=(str(rec.run_dir), w, barrier)) for w in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    records = read_records(rec.run_dir)
    assert len(records) == 101
    assert [r.seq for r in records] == list(range(101))
    for w in range(4):
        assert [r.payload["i"] for r in records[1:] if r.payload["worker"] == w] == list(range(25))
    assert verify(rec.run_dir, require_end=False) == []
    rec.finish({"verdict": "PASS"})
    assert verify(rec.run_dir) == []


def test_appends_out_of_place_are_refused(tmp_path: Path) -> None:
    rec = RunRecorder(tmp_path / "run")
    with pytest.raises(RecordsError, match="not a folder"):
        rec.append("test", {})
    rec.start({})
    with pytest.raises(RecordsError, match="already started"):
        rec.start({})
    with pytest.raises(ValueError, match="'tset'"):
        rec.append("tset", {})
    with pytest.raises(RecordsError, match="not storable as JSON"):
        rec.append("test", {"value": float("nan")})
    with pytest.raises(RecordsError, match="outside the run directory"):
        rec.add_evidence("../elsewhere.bin")
    with pytest.raises(RecordsError, match="no such file"):
        rec.add_evidence("missing.bin")
    rec.finish({"verdict": "PASS"})
    with pytest.raises(RecordsError, match="no 'test' after run_end"):
        rec.append("test", {})
    assert verify(rec.run_dir) == []


def test_append_refuses_a_damaged_tail(tmp_path: Path) -> None:
    rec = RunRecorder(tmp_path / "run")
    rec.start({})
    rec.append("test", {"n": 1})
    _truncate_last_line(rec.run_dir)
    with pytest.raises(RecordsError, match="incomplete"):
        rec.append("test", {"n": 2})


@pytest.mark.parametrize("make", ["missing", "empty folder", "a file"])
def test_records_error_on_a_folder_that_is_not_a_run(tmp_path: Path, make: str) -> None:
    target = tmp_path / "target"
    if make == "empty folder":
        target.mkdir()
    elif make == "a file":
        target.write_text("x")
    with pytest.raises(RecordsError) as info:
        verify(target)
    assert isinstance(info.value, BenchError)
    assert str(target) in str(info.value) and "records.jsonl" in str(info.value)
    with pytest.raises(RecordsError):
        ResultsStore(tmp_path / "store.db").index_run_dir(target)


# -- results store --------------------------------------------------------------------------


def _dump(path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as db:
        return {t: sorted(db.execute(f"SELECT * FROM {t}")) for t in ("runs", "figures", "tests")}


def test_store_indexes_run_dirs_idempotently(tmp_path: Path) -> None:
    make_run(tmp_path / "a", "run-a")
    make_run(tmp_path / "b", "run-b")
    store = ResultsStore(tmp_path / "results.db")
    assert store.index_run_dir(tmp_path / "a") == "run-a"
    assert store.index_run_dir(tmp_path / "b") == "run-b"
    runs = store.runs()
    assert [r.run_id for r in runs] == ["run-a", "run-b"]
    assert runs[0].verdict == "PASS" and runs[0].seeds == (1, 2) and runs[0].finished_utc
    assert runs[0].station_sha256 == "ab" * 32 and runs[0].git_commit
    assert runs[0].head_hash == read_records(tmp_path / "a")[-1].hash
    assert len(store.figures()) == 2 * N_TESTS
    fig = store.figures("step F1 [run-a3]")
    assert [(f.value, f.lower, f.limit_text, f.passed) for f in fig] == [
        (0.98, 0.97, "≥ 0.97", True)
    ]
    tests = store.tests("run-a")
    assert len(tests) == 2 * N_TESTS  # one row per (test, requirement)
    assert {t.requirement for t in tests} == {"REQ-STEP-001", "RISK-12"}
    assert tests[0].seed == 0 and tests[0].scenario == "walk_level_1p3"
    before = _dump(store.path)
    store.index_run_dir(tmp_path / "a")
    store.index_run_dir(tmp_path / "b")
    assert _dump(store.path) == before
    store.close()
    assert _dump(ResultsStore(tmp_path / "results.db").path) == before  # reopening keeps it


def test_store_refuses_a_tampered_run(tmp_path: Path) -> None:
    make_run(tmp_path / "a")
    _edit_payload_byte(tmp_path / "a")
    with pytest.raises(RecordsError, match=r"fail verification.*seq 3"):
        ResultsStore(tmp_path / "results.db").index_run_dir(tmp_path / "a")


def test_store_direct_writes(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "results.db")
    with pytest.raises(RecordsError, match="add the run before"):
        store.add_figure("nope", "f", value=1.0)
    store.add_run("r1", started_utc="2025-01-01T00:00:00+00:00", git_commit="abc", seeds=[7])
    store.add_test("r1", "t1", verdict="fail", requirements=["REQ-1"], seed=7, duration_s=1.5)
    store.add_figure("r1", "f", value=1.0, limit_text="≤ 2 s", unit="s", passed=True)
    with pytest.raises(ValueError, match="finite number"):
        store.add_figure("r1", "g", value=float("inf"))
    store.finish_run("r1", "FAIL")
    (run,) = store.runs()
    assert (run.verdict, run.git_commit, run.seeds) == ("FAIL", "abc", (7,))
    assert run.finished_utc is not None
    with pytest.raises(RecordsError, match="'r2': not in results store"):
        store.finish_run("r2", "PASS")


def _store_writer(path: str, worker: int, barrier) -> None:
    barrier.wait()
    store = ResultsStore(path)  # both processes create the same new store at once
    for i in range(40):
        run_id = f"w{worker}-{i:02d}"
        store.add_run(run_id, started_utc=f"2025-01-01T00:00:{i:02d}+00:00")
        store.add_figure(run_id, "latency", value=0.1 + i / 1000, limit_text="≤ 0.2 s")
        store.add_test(run_id, "t", verdict="pass", requirements=["R1", "R2"])
    store.close()


def test_two_processes_write_the_store_at_once(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    path = str(tmp_path / "results.db")
    procs = [ctx.Process(target=_store_writer, args=(path, w, barrier)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0]
    store = ResultsStore(path)
    assert len(store.runs()) == 80 and len(store.figures()) == 80 and len(store.tests()) == 160


# -- history --------------------------------------------------------------------------------


def _history_store(tmp_path: Path, series: dict[str, tuple[str, list[tuple[float, bool]]]]):
    """A store with one run per value: series = {figure: (limit text, [(value, passed), …])}."""
    store = ResultsStore(tmp_path / "history.db")
    n_runs = max(len(v) for _, v in series.values())
    for i in range(n_runs):
        store.add_run(f"r{i}", started_utc=f"2025-01-0{i + 1}T00:00:00+00:00", git_commit=f"c{i}")
    for figure, (limit, values) in series.items():
        for i, (value, passed) in enumerate(values):
            store.add_figure(f"r{i}", figure, value=value, limit_text=limit, passed=passed)
    return store


def test_history_flags_regressions_by_direction(tmp_path: Path) -> None:
    store = _history_store(
        tmp_path,
        {
            "F1 falls": ("≥ 0.97", [(0.99, True), (0.95, False)]),
            "F1 falls within pass": ("≥ 0.5", [(0.99, True), (0.95, True)]),
            "F1 rises": ("≥ 0.97", [(0.95, False), (0.99, True)]),
            "latency rises 2 %": ("≤ 0.2 s", [(0.100, True), (0.102, True)]),
            "latency rises 0.5 %": ("≤ 0.2 s", [(0.100, True), (0.1005, True)]),
            "latency falls": ("<= 0.2 s", [(0.100, True), (0.05, True)]),
            "false alarms": ("= 0", [(0.0, True), (1.0, True)]),
            "false alarms steady": ("= 0", [(0.0, True), (0.0, True)]),
            "verdict only": ("info", [(1.0, True), (1.0, False)]),
        },
    )
    trends = {t.figure: t for t in history(store)}
    regressed = {name for name, t in trends.items() if t.regressed}
    assert regressed == {
        "F1 falls",
        "F1 falls within pass",
        "latency rises 2 %",
        "false alarms",
        "verdict only",
    }
    t = trends["F1 falls"]
    assert t.direction == HIGHER and len(t.reasons) == 2
    assert [p.git_commit for p in t.points] == ["c0", "c1"]
    assert t.baseline is not None and t.baseline.run_id == "r0"
    assert t.change == pytest.approx(-0.04)
    assert "passed in run r0, failed in run r1" in trends["verdict only"].reasons
    table = format_history(list(trends.values()))
    assert "latency rises 2 %" in table and "YES" in table and "+2.0 %" in table


def test_history_with_an_explicit_baseline(tmp_path: Path) -> None:
    store = _history_store(
        tmp_path,
        {
            "F1": ("≥ 0.8", [(0.90, True), (0.99, True), (0.95, True)]),
            "dropped figure": ("≥ 0.8", [(0.9, True)]),  # in r0 only
        },
    )
    (f1,) = history(store, figures=["F1"])
    assert not f1.regressed and f1.baseline is not None and f1.baseline.run_id == "r0"
    f1, dropped = history(store, baseline_run_id="r1")
    assert f1.regressed and f1.baseline is not None and f1.baseline.value == 0.99
    assert dropped.baseline is None and not dropped.regressed  # r1 lacks it: no baseline
    with pytest.raises(RecordsError, match="baseline run 'r9'"):
        history(store, baseline_run_id="r9")
    with pytest.raises(RecordsError, match="'nope'"):
        history(store, figures=["nope"])


@pytest.mark.parametrize(
    ("limit", "lower", "upper", "expected"),
    [
        ("≥ 0.97", None, None, HIGHER),
        (">= 0.9", None, None, HIGHER),
        ("≤ 2.5 s", None, None, LOWER),
        ("error < 8.5 %", None, None, LOWER),
        ("= 24 (all)", None, None, EQUAL),
        ("≥ 0.9 and ≤ 1.1", None, None, EQUAL),
        ("", 0.9, None, HIGHER),
        ("", None, 0.2, LOWER),
        ("info", None, None, None),
    ],
)
def test_direction_from_limit(limit: str, lower, upper, expected) -> None:
    assert direction_of(limit, lower, upper) == expected
