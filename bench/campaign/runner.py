"""Run a campaign: every (scenario, seed) as one task on an executor, recorded and pooled.

Only this coordinating process writes: each record that comes back (in any order) is appended as
a hash-chained ``test`` record to the run directory; when all are in, the pooled figures — per
scenario and over all scenarios: step sensitivity and PPV with Wilson 95 % intervals, walking per
second, falls and fall latency p50/p95/max, overloads and their latency, false alarms — go into the
``run_end`` record as ``figures`` (reported, not judged: no requirement, no limit), and the run is
indexed in the SQLite results store. Pooling sorts the records first, so the figures do not depend
on which worker finished first.
"""

from __future__ import annotations

import concurrent.futures as cf
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.campaign.executors import CampaignError, describe
from bench.campaign.tasks import WALKING_SECONDS_KEYS, run_task
from bench.records import RecordsError, ResultsStore, RunRecorder
from bench.verification.stats import Latency, Proportion, latency, wilson
from scenarios import library
from scenarios.model import Scenario

DEFAULT_STORE = Path("results") / "results.sqlite"
#: The scope of the figures pooled over every scenario of the campaign.
ALL = "all scenarios"


@dataclass(frozen=True)
class Pooled:
    """The figures of a set of runs taken together (one scenario, or :data:`ALL`)."""

    scope: str
    runs: int
    step_sensitivity: Proportion
    step_ppv: Proportion
    walking_sensitivity: Proportion
    walking_specificity: Proportion
    falls_truth: int
    falls_detected: int
    fall_latency: Latency
    overloads_truth: int
    overloads_detected: int
    overload_latency: Latency
    false_falls: int
    false_overloads: int

    @property
    def false_alarms(self) -> int:
        return self.false_falls + self.false_overloads

    def figures(self) -> list[dict[str, Any]]:
        """Store figures (``{figure, requirement, value, lower, upper, unit, limit, passed}``);
        a figure without data (no heel strike, no fall…) is left out, never written as NaN."""
        out = [_figure(f"runs [{self.scope}]", self.runs, unit="runs")]
        for name, p in (
            ("step sensitivity", self.step_sensitivity),
            ("step PPV", self.step_ppv),
            ("walking sensitivity per s", self.walking_sensitivity),
            ("walking specificity per s", self.walking_specificity),
        ):
            if p.n:
                out.append(
                    _figure(f"{name} [{self.scope}]", p.estimate, lower=p.lower, upper=p.upper)
                )
        for name, value, unit in (
            ("falls truth", self.falls_truth, "falls"),
            ("falls detected", self.falls_detected, "falls"),
            ("false falls", self.false_falls, "alarms"),
            ("overloads truth", self.overloads_truth, "overloads"),
            ("overloads detected", self.overloads_detected, "overloads"),
            ("false overloads", self.false_overloads, "alarms"),
            ("false alarms", self.false_alarms, "alarms"),
        ):
            out.append(_figure(f"{name} [{self.scope}]", value, unit=unit))
        for name, lat in (
            ("fall latency", self.fall_latency),
            ("overload latency", self.overload_latency),
        ):
            if lat.n:
                for stat, value in (("p50", lat.p50_s), ("p95", lat.p95_s), ("max", lat.max_s)):
                    out.append(_figure(f"{name} {stat} [{self.scope}]", value, unit="s"))
        return out


@dataclass(frozen=True)
class TaskError:
    """A task that returned no usable record."""

    scenario: str
    seed: int
    message: str


@dataclass(frozen=True)
class CampaignResult:
    run_dir: Path
    run_id: str
    #: Every usable record, sorted by scenario (in campaign order) then seed.
    records: tuple[dict[str, Any], ...]
    errors: tuple[TaskError, ...]
    #: Pooled figures by scope: each scenario name, then :data:`ALL`.
    pooled: dict[str, Pooled]
    figures: list[dict[str, Any]]
    elapsed_s: float
    executor: str
    store: Path | None
    verdict: str  # "complete" (every task gave its record) or "incomplete"
    warnings: tuple[str, ...] = field(default=())

    @property
    def runs_per_s(self) -> float:
        return len(self.records) / self.elapsed_s if self.elapsed_s > 0 else float("nan")


def validate_plan(
    scenarios: Sequence[str], seeds: Sequence[int], *, dut: str = "golden"
) -> list[Scenario]:
    """The campaign's scenarios, loaded; :class:`CampaignError` (or the scenario layer's
    ``UnknownScenarioError``) before anything runs when a name, seed or DUT cannot be run."""
    from bench.campaign.tasks import TASK_DUTS

    if dut not in TASK_DUTS:
        raise CampaignError(f"DUT {dut!r}: a campaign runs {', '.join(TASK_DUTS)}")
    if not scenarios:
        raise CampaignError("no scenario given; expected at least one scenario name")
    seeds = list(seeds)
    if not seeds:
        raise CampaignError("no seed given; expected at least one seed")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise CampaignError(f"seed {s!r}: expected an integer ≥ 0")
    if len(set(seeds)) != len(seeds):
        raise CampaignError(f"seeds {seeds}: a seed is listed twice; expected distinct seeds")
    loaded: list[Scenario] = []
    for spec in scenarios:
        scenario = library.load(spec)
        if scenario.is_digest:
            raise CampaignError(
                f"scenario {spec}: a weeks-long course assessed from daily digests has no sample "
                "stream; expected a scenario with a signal"
            )
        if any(s.name == scenario.name for s in loaded):
            raise CampaignError(f"scenario {scenario.name}: listed twice; expected distinct names")
        loaded.append(scenario)
    return loaded


def check_out_dir(out_dir: str | Path) -> Path:
    """``out_dir`` if it is a new or empty folder; :class:`CampaignError` otherwise."""
    path = Path(out_dir)
    if path.exists() and not path.is_dir():
        raise CampaignError(f"out folder {path}: exists and is not a folder")
    if path.is_dir() and any(path.iterdir()):
        raise CampaignError(f"out folder {path}: not empty; expected a new or empty folder")
    return path


def run_campaign(
    scenarios: Sequence[str],
    seeds: Sequence[int],
    *,
    executor: cf.Executor,
    out_dir: str | Path,
    progress: bool = True,
    dut: str = "golden",
    store: str | Path | None = DEFAULT_STORE,
) -> CampaignResult:
    """Run every (scenario, seed) on ``executor``; record, pool and index them.

    ``scenarios`` are library names or scenario files (a Dask worker must see the same file);
    ``out_dir`` must be new or empty; ``store`` None leaves the results store alone. The executor
    is not shut down here."""
    loaded = validate_plan(scenarios, seeds, dut=dut)
    out = check_out_dir(out_dir)
    seeds = list(seeds)
    order = {s.name: i for i, s in enumerate(loaded)}
    sha = {s.name: s.sha256 for s in loaded}
    where = describe(executor)
    recorder = RunRecorder(out)
    start = recorder.start(
        {
            "kind": "campaign",
            "dut": dut,
            "seeds": seeds,
            "scenarios": list(order),
            "scenario_sha256": sha,
            "executor": where,
            "tasks": len(loaded) * len(seeds),
        }
    )
    coordinator_version = start.payload["software_version"]
    started = time.perf_counter()
    futures: dict[cf.Future, tuple[str, int]] = {}
    records: list[dict[str, Any]] = []
    errors: list[TaskError] = []
    warnings: list[str] = []
    try:
        with _progress_bar(progress, len(loaded) * len(seeds), where) as advance:
            for spec, scenario in zip(scenarios, loaded, strict=True):
                for seed in seeds:
                    futures[executor.submit(run_task, str(spec), seed, dut)] = (scenario.name, seed)
            for future in cf.as_completed(futures):
                name, seed = futures[future]
                record, problem = _collect(future, name, seed, sha[name])
                if record is None:
                    errors.append(TaskError(name, seed, problem))
                    recorder.append("test", _error_payload(name, seed, dut, problem))
                else:
                    records.append(record)
                    recorder.append("test", _test_payload(record))
                    if record["software_version"] != coordinator_version:
                        warnings.append(
                            f"{name} seed {seed}: worker {record['worker']} ran "
                            f"{record['software_version']}, the coordinator {coordinator_version}"
                        )
                advance()
    except BaseException as exc:  # interrupted: close the chain with what came back, re-raise
        for future in futures:
            future.cancel()
        if not isinstance(exc, RecordsError):  # records that cannot be written: nothing to close
            recorder.finish({"verdict": "interrupted", "runs": len(records), "errors": len(errors)})
        raise
    elapsed = time.perf_counter() - started
    seed_order = {s: i for i, s in enumerate(seeds)}
    records.sort(key=lambda r: (order[r["scenario"]], seed_order[r["seed"]]))
    pooled = {name: pool(name, [r for r in records if r["scenario"] == name]) for name in order}
    pooled[ALL] = pool(ALL, records)
    figures = [f for p in pooled.values() for f in p.figures()]
    verdict = "complete" if not errors else "incomplete"
    recorder.finish(
        {
            "verdict": verdict,
            "runs": len(records),
            "errors": len(errors),
            "elapsed_s": round(elapsed, 3),
            "figures": figures,
            "pooled": {scope: summary(p) for scope, p in pooled.items()},
            "warnings": warnings,
        }
    )
    store_path = None if store is None else Path(store)
    if store_path is not None:
        store_path.parent.mkdir(parents=True, exist_ok=True)
        with ResultsStore(store_path) as results:
            results.index_run_dir(out)
    return CampaignResult(
        run_dir=out,
        run_id=start.payload["run_id"],
        records=tuple(records),
        errors=tuple(errors),
        pooled=pooled,
        figures=figures,
        elapsed_s=elapsed,
        executor=where,
        store=store_path,
        verdict=verdict,
        warnings=tuple(warnings),
    )


def pool(scope: str, records: Sequence[dict[str, Any]]) -> Pooled:
    """Pool run records: counts add up, latencies are pooled before their percentiles."""

    def total(group: str, key: str) -> int:
        return sum(int(r[group][key]) for r in records)

    tp, fn, fp = (total("steps", k) for k in ("tp", "fn", "fp"))
    wd, wm, rr, rw = (total("walking_seconds", k) for k in WALKING_SECONDS_KEYS)
    return Pooled(
        scope=scope,
        runs=len(records),
        step_sensitivity=wilson(tp, tp + fn),
        step_ppv=wilson(tp, tp + fp),
        walking_sensitivity=wilson(wd, wd + wm),
        walking_specificity=wilson(rr, rr + rw),
        falls_truth=total("falls", "truth"),
        falls_detected=total("falls", "detected"),
        fall_latency=latency(v for r in records for v in r["falls"]["latencies_s"]),
        overloads_truth=total("overloads", "truth"),
        overloads_detected=total("overloads", "detected"),
        overload_latency=latency(v for r in records for v in r["overloads"]["latencies_s"]),
        false_falls=total("falls", "false"),
        false_overloads=total("overloads", "false"),
    )


def summary(p: Pooled) -> dict[str, Any]:
    """The pooled figures as one JSON object (None where there is no data)."""

    def prop(x: Proportion) -> dict[str, Any]:
        est = None if x.n == 0 else x.estimate
        return {
            "successes": x.successes,
            "n": x.n,
            "estimate": est,
            "lower": x.lower,
            "upper": x.upper,
        }

    def lat(x: Latency) -> dict[str, Any]:
        if x.n == 0:
            return {"n": 0, "p50_s": None, "p95_s": None, "max_s": None}
        return {"n": x.n, "p50_s": x.p50_s, "p95_s": x.p95_s, "max_s": x.max_s}

    return {
        "runs": p.runs,
        "step_sensitivity": prop(p.step_sensitivity),
        "step_ppv": prop(p.step_ppv),
        "walking_sensitivity": prop(p.walking_sensitivity),
        "walking_specificity": prop(p.walking_specificity),
        "falls": {"truth": p.falls_truth, "detected": p.falls_detected, "false": p.false_falls},
        "fall_latency": lat(p.fall_latency),
        "overloads": {
            "truth": p.overloads_truth,
            "detected": p.overloads_detected,
            "false": p.false_overloads,
        },
        "overload_latency": lat(p.overload_latency),
        "false_alarms": p.false_alarms,
    }


def _figure(
    name: str,
    value: float,
    *,
    lower: float | None = None,
    upper: float | None = None,
    unit: str = "",
) -> dict[str, Any]:
    return {
        "figure": name,
        "requirement": None,
        "value": float(value),
        "lower": lower,
        "upper": upper,
        "unit": unit,
        "limit": "",
        "passed": None,
    }


def _collect(
    future: cf.Future, name: str, seed: int, sha256: str
) -> tuple[dict[str, Any] | None, str]:
    """(record, "") or (None, why the task gave no usable record)."""
    try:
        record = future.result()
    except cf.CancelledError:
        return None, "cancelled"
    except Exception as exc:  # a task's failure is recorded; the campaign goes on
        return None, f"{type(exc).__name__}: {exc}"
    if not isinstance(record, dict) or (record.get("scenario"), record.get("seed")) != (name, seed):
        return None, f"task returned {type(record).__name__}, not the record of {name} seed {seed}"
    if record.get("scenario_sha256") != sha256:
        return None, (
            f"worker {record.get('worker')} ran scenario file sha256 "
            f"{record.get('scenario_sha256')}, the campaign's is {sha256}"
        )
    return record, ""


def _test_id(name: str, seed: int) -> str:
    return f"campaign::{name}[seed={seed}]"


def _test_payload(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "test_id": _test_id(record["scenario"], record["seed"]),
        "requirements": [],
        "scenario": record["scenario"],
        "dut": record["dut"],
        "seed": record["seed"],
        "verdict": "completed",
        "duration_s": record["duration_s"],
        "figures": [],
        "record": record,
    }


def _error_payload(name: str, seed: int, dut: str, message: str) -> dict[str, Any]:
    return {
        "test_id": _test_id(name, seed),
        "requirements": [],
        "scenario": name,
        "dut": dut,
        "seed": seed,
        "verdict": "error",
        "duration_s": None,
        "figures": [],
        "message": message[:2000],
    }


@contextmanager
def _progress_bar(enabled: bool, total: int, where: str) -> Iterator[Callable[[], None]]:
    """A rich progress bar on stderr; yields the function that counts one finished task."""
    if not enabled:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(f"campaign on {where}", total=total)
        yield lambda: bar.advance(task)
