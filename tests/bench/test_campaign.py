"""``smile-bench campaign``: scenario × seed runs on a local process pool and on a real Dask
cluster (scheduler and two workers on loopback), recorded, pooled and indexed."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.campaign import (
    ALL,
    local_executor,
    outcome,
    pool,
    run_campaign,
    run_task,
)
from bench.cli.main import main
from bench.records import ResultsStore, read_records, verify

SCENARIOS = ("fall_forward_knee", "lookalike_jump")
SEEDS = (1, 2)
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


def figures_of(store_path: Path, run_id: str) -> dict[str, tuple]:
    with ResultsStore(store_path) as store:
        rows = [f for f in store.figures() if f.run_id == run_id]
    return {f.figure: (f.value, f.lower, f.upper, f.unit) for f in rows}


def task_records(run_dir: Path) -> list[dict]:
    return [r.payload["record"] for r in read_records(run_dir) if r.kind == "test"]


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("campaign-local")
    started = time.perf_counter()
    with local_executor(2) as executor:
        result = run_campaign(
            SCENARIOS,
            SEEDS,
            executor=executor,
            out_dir=root / "run",
            store=root / "results.sqlite",
            progress=False,
        )
    return result, time.perf_counter() - started


def test_local_pool_records_chain_and_pooled_figures_in_store(local_run):
    result, _ = local_run
    assert result.verdict == "complete" and not result.errors
    assert len(result.records) == 4
    assert {(r["scenario"], r["seed"]) for r in result.records} == {
        (s, n) for s in SCENARIOS for n in SEEDS
    }
    assert verify(result.run_dir) == []
    records = read_records(result.run_dir)
    assert [r.kind for r in records] == ["run_start", *["test"] * 4, "run_end"]
    end = records[-1].payload
    assert end["verdict"] == "complete" and end["runs"] == 4
    assert end["figures"] == result.figures
    json.dumps(result.records, allow_nan=False)  # plain JSON types, no numpy, no NaN

    stored = figures_of(result.store, result.run_id)
    assert stored == {
        f["figure"]: (f["value"], f["lower"], f["upper"], f["unit"]) for f in end["figures"]
    }
    for scope in (*SCENARIOS, ALL):
        assert stored[f"runs [{scope}]"][0] == (4 if scope == ALL else 2)
        assert f"step PPV [{scope}]" in stored and f"false alarms [{scope}]" in stored
    value, lower, upper, _ = stored[f"step sensitivity [{ALL}]"]
    assert lower <= value <= upper
    assert f"fall latency max [{ALL}]" in stored
    assert "step sensitivity [lookalike_jump]" not in stored  # no heel strike: no figure, no NaN
    with ResultsStore(result.store) as store:
        tests = store.tests(result.run_id)
    assert sorted((t.scenario, t.seed, t.verdict) for t in tests) == sorted(
        (s, n, "completed") for s in SCENARIOS for n in SEEDS
    )

    falls = result.pooled["fall_forward_knee"]
    assert falls.falls_truth == 2 and falls.falls_detected == falls.falls_truth
    assert result.pooled[ALL].falls_detected == result.pooled[ALL].falls_truth
    assert result.pooled["lookalike_jump"].false_falls == 0


def test_local_pool_gives_the_serial_records_whatever_the_order(local_run):
    result, _ = local_run
    serial = [run_task(s, n) for s in SCENARIOS for n in SEEDS]
    assert [outcome(r) for r in result.records] == [outcome(r) for r in serial]
    stored = sorted(task_records(result.run_dir), key=lambda r: (r["scenario"], r["seed"]))
    assert stored == sorted(result.records, key=lambda r: (r["scenario"], r["seed"]))
    shuffled = list(result.records)
    random.Random(3).shuffle(shuffled)
    assert pool(ALL, shuffled).figures() == pool(ALL, serial).figures()
    assert pool(ALL, serial).figures() == result.pooled[ALL].figures()


def test_a_failing_task_is_recorded_and_left_out_of_the_pool(tmp_path, monkeypatch):
    import bench.campaign.runner as runner

    def flaky(name: str, seed: int, dut: str = "golden") -> dict:
        if seed == 2:
            raise RuntimeError(f"worker lost running {name}")
        return run_task(name, seed, dut)

    monkeypatch.setattr(runner, "run_task", flaky)
    with cf.ThreadPoolExecutor(2) as executor:
        result = run_campaign(
            ["lookalike_jump"],
            [1, 2],
            executor=executor,
            out_dir=tmp_path / "run",
            store=None,
            progress=False,
        )
    assert result.verdict == "incomplete" and [r["seed"] for r in result.records] == [1]
    assert [(e.seed, e.message) for e in result.errors] == [
        (2, "RuntimeError: worker lost running lookalike_jump")
    ]
    assert result.pooled[ALL].runs == 1
    assert verify(tmp_path / "run") == []
    verdicts = {
        r.payload["seed"]: r.payload["verdict"]
        for r in read_records(tmp_path / "run")
        if r.kind == "test"
    }
    assert verdicts == {1: "completed", 2: "error"}
    assert read_records(tmp_path / "run")[-1].payload["verdict"] == "incomplete"


# -- Dask distributed ---------------------------------------------------------------------------


def _dask_command(role: str) -> list[str]:
    bindir = Path(sys.executable).parent
    if (bindir / "dask").exists():
        return [str(bindir / "dask"), role]
    legacy = bindir / f"dask-{role}"
    if legacy.exists():
        return [str(legacy)]
    pytest.skip(f"no dask {role} command next to {sys.executable}")


def _stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM, then SIGKILL after :data:`STOP_TIMEOUT_S`."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=STOP_TIMEOUT_S)


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A scheduler and two single-thread workers, all on 127.0.0.1 (dashboards too); yields
    (address, worker pids); always stops them, workers first."""
    distributed = pytest.importorskip("distributed")
    root = tmp_path_factory.mktemp("dask")
    sched_file = root / "scheduler.json"
    schedulers: list[subprocess.Popen] = []
    workers: list[subprocess.Popen] = []
    logs = []

    def start(cmd: list[str], name: str, group: list[subprocess.Popen]) -> subprocess.Popen:
        log = (root / f"{name}.log").open("wb")
        logs.append(log)
        p = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT)
        group.append(p)
        return p

    try:
        scheduler = start(
            [
                *_dask_command("scheduler"),
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--dashboard-address",
                "127.0.0.1:0",
                "--scheduler-file",
                str(sched_file),
            ],
            "scheduler",
            schedulers,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        address = None
        while address is None:
            if scheduler.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dask scheduler did not start: {(root / 'scheduler.log').read_text()}")
            time.sleep(0.1)
            try:  # the file may be there but not yet complete
                address = json.loads(sched_file.read_text())["address"]
            except (FileNotFoundError, json.JSONDecodeError, KeyError):
                address = None
        for i in range(2):
            start(
                [
                    *_dask_command("worker"),
                    address,
                    "--host",
                    "127.0.0.1",
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--dashboard-address",
                    "127.0.0.1:0",
                    "--local-directory",
                    str(root / f"worker{i}"),
                ],
                f"worker{i}",
                workers,
            )
        with distributed.Client(address, timeout=START_TIMEOUT_S) as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT_S)
        yield address, {p.pid for p in workers}
    finally:
        # Workers first: a worker told to close by SIGTERM and by its closing scheduler at once
        # can hang in distributed's close().
        _stop(workers)
        _stop(schedulers)
        for log in logs:
            log.close()


def test_dask_cli_pools_the_same_figures_with_both_workers(
    dask_cluster, local_run, tmp_path, capsys
):
    address, worker_pids = dask_cluster
    local, _ = local_run
    out, store = tmp_path / "run", tmp_path / "results.sqlite"
    argv = ["campaign", "--scenarios", ",".join(SCENARIOS), "--seeds", str(len(SEEDS))]
    started = time.perf_counter()
    code = main([*argv, "--scheduler", address, "--out", str(out), "--store", str(store)])
    elapsed = time.perf_counter() - started
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "all scenarios" in printed and str(out.resolve()) in printed
    assert verify(out) == []

    run_id = read_records(out)[0].payload["run_id"]
    assert figures_of(store, run_id) == figures_of(local.store, local.run_id)
    records = task_records(out)
    assert sorted(map(outcome, records), key=lambda r: (r["scenario"], r["seed"])) == sorted(
        map(outcome, local.records), key=lambda r: (r["scenario"], r["seed"])
    )
    host = socket.gethostname()
    assert {r["worker"] for r in records} == {f"{host}:{pid}" for pid in worker_pids}
    assert os.getpid() not in {int(r["worker"].rsplit(":", 1)[1]) for r in records}
    print(f"Dask CLI: {len(records) / elapsed:.2f} runs/s end to end")


# -- bad input ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--scenarios", "no_such_scenario", "--seeds", "1"], "no_such_scenario"),
        (["--scenarios", "lookalike_jump", "--seeds", "0"], "--seeds 0"),
        (["--scenarios", "lookalike_jump,healing_normal", "--seeds", "1"], "healing_normal"),
        (["--scenarios", "lookalike_jump", "--seeds", "1", "--scheduler", "PORT"], "PORT"),
        (["--scenarios", "lookalike_jump", "--seeds", "1", "--scheduler", "udp://x"], "udp://x"),
        (["--scenarios", "lookalike_jump", "--seeds", "1", "--workers", "0"], "--workers 0"),
        (["--scenarios", "lookalike_jump", "--seeds", "1", "--out", "full"], "full"),
    ],
    ids=["unknown", "seeds0", "digest", "unreachable", "bad-address", "workers0", "out-not-empty"],
)
def test_cli_bad_input_one_line_exit_2_nothing_written(args, needle, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine\n")
    if needle == "PORT":
        needle = f"tcp://127.0.0.1:{_free_port()}"
        args = [needle if a == "PORT" else a for a in args]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    started = time.perf_counter()
    code = main(["campaign", *args])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.splitlines()
    assert len(lines) == 1 and needle in lines[0], captured.err
    assert lines[0].startswith("smile-bench: error: ")
    assert captured.out == ""
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert time.perf_counter() - started < 5.0
