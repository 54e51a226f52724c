"""One campaign task: a whole scenario run on one seed, returned as a plain record.

The task is self-contained — it loads the scenario, runs the pipeline and judges detections
against truth in the worker — and its record holds only JSON types (no numpy), so it travels
between processes and hosts as it is and is stored as it is. The same (scenario, seed, DUT) gives
the same record wherever it runs, except for :data:`RUN_KEYS` (wall time, which worker, which
software version).
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from bench.campaign.executors import CampaignError
from chip_sim.pipeline import run_scenario
from scenarios import library
from scenarios.provenance import software_version

#: DUTs a campaign task can run (the golden model in the worker's process).
TASK_DUTS = ("golden",)
#: Keys of a record that describe the execution, not the outcome (wall time, which process, and
#: the software version, which moves when the checkout is committed to during a campaign).
RUN_KEYS = ("duration_s", "worker", "software_version")
WALKING_SECONDS_KEYS = ("walking_detected", "walking_missed", "rest_recognised", "rest_as_walking")


def run_task(scenario_name: str, seed: int, dut: str = "golden") -> dict[str, Any]:
    """Run ``scenario_name`` (library name or scenario file) with ``seed`` on ``dut``.

    Returns the record: ``scenario``, ``seed``, ``dut``, ``duration_s`` (wall time of the run),
    ``simulated_s``, ``steps`` {tp, fn, fp}, ``walking_seconds`` (judged seconds, see
    :data:`WALKING_SECONDS_KEYS`), ``falls`` and ``overloads`` {truth, detected, latencies_s,
    false}, ``software_version``, ``scenario_sha256`` and ``worker`` (``hostname:pid``)."""
    started = time.perf_counter()
    if dut not in TASK_DUTS:
        raise CampaignError(f"DUT {dut!r}: a campaign task runs {', '.join(TASK_DUTS)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise CampaignError(f"seed {seed!r}: expected an integer ≥ 0")
    scenario = library.load(scenario_name)
    if scenario.is_digest:
        raise CampaignError(
            f"scenario {scenario.name}: a weeks-long course assessed from daily digests; it has "
            "no sample stream to run"
        )
    run = run_scenario(scenario, seed)
    a = run.accuracy()
    return {
        "scenario": scenario.name,
        "seed": seed,
        "dut": dut,
        "duration_s": round(time.perf_counter() - started, 4),
        "simulated_s": float(run.codes.n / run.rate_hz),
        "steps": {"tp": int(a.steps.tp), "fn": int(a.steps.fn), "fp": int(a.steps.fp)},
        "walking_seconds": dict(
            zip(WALKING_SECONDS_KEYS, map(int, a.walking_seconds_counts), strict=True)
        ),
        "falls": {
            "truth": int(a.falls_truth),
            "detected": int(a.falls_detected),
            "latencies_s": [float(v) for v in a.fall_latencies_s],
            "false": int(a.false_falls),
        },
        "overloads": {
            "truth": int(a.overloads_truth),
            "detected": int(a.overloads_detected),
            "latencies_s": [float(v) for v in a.overload_latencies_s],
            "false": int(a.false_overloads),
        },
        "software_version": software_version(),
        "scenario_sha256": scenario.sha256,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }


def outcome(record: dict[str, Any]) -> dict[str, Any]:
    """The record without :data:`RUN_KEYS`: what must be equal for equal (scenario, seed, DUT)."""
    return {k: v for k, v in record.items() if k not in RUN_KEYS}
