"""System model speed (issue 7 targets, checked here rather than by timed tests).

- a 7-day patient week at full event detail (the golden model on every sample of every day, the
  implant's brown-outs fed back into it) at least 1,000x real time, i.e. within 10 min;
- the 16-week healing course in digest mode within 60 s.

Each case runs in its own process pinned to one core. Run: ``make bench`` or
``.venv/bin/python benchmarks/bench_system.py [--repeat N]``.
"""

from __future__ import annotations

import resource
import sys
import time

import harness  # benchmarks/harness.py: fresh process per case, pinned to one core

CASES = {
    # name: (description, scenario, days, target seconds)
    "week_full": ("7-day week, daily living, full event detail", "daily_living_day", 7, 604.8),
    "healing_digest": ("16-week healing course, digest mode", "healing_normal", None, 60.0),
}


def run_case(name: str) -> dict:
    from chip_sim.system import run_system

    _what, scenario, days, _target = CASES[name]
    start = time.perf_counter()
    r = run_system(scenario, 1, days=days)
    seconds = time.perf_counter() - start
    return {
        "case": name,
        "seconds": seconds,
        "simulated_s": r.duration_s,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "records": r.decided,
        "delivered": r.delivered,
        "lost": r.lost,
        "brownouts": r.brownouts,
        "feedback_passes": r.feedback_passes,
        "mean_current_ua": round(r.mean_current_ua, 2),
    }


def main() -> int:
    repeat = harness.parse(__doc__, run_case, repeat=1)
    if repeat is None:
        return 0
    print(f"system model benchmark — best of {repeat}, one core, fresh process per run")
    print(
        f"{'case':16s} {'what':46s} {'time s':>8s} {'target':>7s} {'x real time':>12s} "
        f"{'peak MB':>8s}  verdict"
    )
    ok = True
    for name, (what, _scenario, _days, t_target) in CASES.items():
        best, runs = harness.best_of(__file__, name, repeat)
        passed = best["seconds"] <= t_target
        ok &= passed
        print(
            f"{name:16s} {what:46s} {best['seconds']:8.2f} {t_target:7.1f} "
            f"{best['simulated_s'] / best['seconds']:12,.0f} {best['peak_mb']:8.0f}  "
            f"{'PASS' if passed else 'FAIL'}"
        )
        skip = ("case", "seconds", "peak_mb", "simulated_s")
        extra = {k: v for k, v in best.items() if k not in skip}
        print(f"{'':16s} {extra}  {harness.times(runs)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
