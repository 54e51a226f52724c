"""Scenario generator speed and memory (issue targets, checked here rather than by timed tests).

Each case runs in its own process pinned to one core, so peak memory (ru_maxrss, which includes
the interpreter and numpy/scipy) belongs to that case alone. Run: ``make bench`` or
``.venv/bin/python benchmarks/bench_scenarios.py [--repeat N]``.
"""

from __future__ import annotations

import resource
import sys
import time

import harness  # benchmarks/harness.py: fresh process per case, pinned to one core

CASES = {
    # name: (description, target seconds, target peak MB)
    "day_100hz": ("24 h daily living, all channels at 100 Hz", 5.0, 1024),
    "healing_digest": ("16-week healing course, digest mode", 10.0, None),
}


def run_case(name: str) -> dict:
    from scenarios import library
    from scenarios.digest import render_digest
    from scenarios.generator import render

    start = time.perf_counter()
    if name == "day_100hz":
        r = render(library.load("daily_living_day"), 1, rate_hz=100)
        detail = {"samples": r.n, "heel_strikes": len(r.events_of("heel_strike"))}
    else:
        d = render_digest(library.load("healing_normal"), 1, rate_hz=1000)
        detail = {
            "days": d.days,
            "loading_events": len(d.loading_events),
            "windows": len(d.windows),
        }
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"case": name, "seconds": seconds, "peak_mb": peak_mb, **detail}


def main() -> int:
    repeat = harness.parse(__doc__, run_case, repeat=3)
    if repeat is None:
        return 0
    print(f"scenario generator benchmark — best of {repeat}, one core, fresh process per run")
    print(
        f"{'case':16s} {'what':44s} {'time s':>8s} {'target':>7s} "
        f"{'peak MB':>8s} {'target':>7s}  verdict"
    )
    ok = True
    for name, (what, t_target, mb_target) in CASES.items():
        best, runs = harness.best_of(__file__, name, repeat)
        peak = max(r["peak_mb"] for r in runs)
        passed = best["seconds"] <= t_target and (mb_target is None or peak <= mb_target)
        ok &= passed
        print(
            f"{name:16s} {what:44s} {best['seconds']:8.2f} {t_target:7.1f} {peak:8.0f} "
            f"{mb_target or '-':>7}  {'PASS' if passed else 'FAIL'}"
        )
        extra = {k: v for k, v in best.items() if k not in ("case", "seconds", "peak_mb")}
        print(f"{'':16s} {extra}  {harness.times(runs)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
