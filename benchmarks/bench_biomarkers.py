"""Recovery-course biomarker speed (issue 8 target, checked here rather than by a timed test).

- 12 weeks of daily biomarkers in digest mode within 60 s: the digest of tka_recovery_normal
  (truth at 100 Hz, a raw window every day), each day's window through the chip and the biomarker
  estimators (``course_days``), the weekly table and the alerts.

The case runs in its own process pinned to one core. Run:
``.venv/bin/python benchmarks/bench_biomarkers.py [--repeat N]``.
"""

from __future__ import annotations

import resource
import sys
import time

import harness  # benchmarks/harness.py: fresh process per case, pinned to one core

CASES = {
    # name: (description, scenario, target seconds)
    "recovery_12w": ("12 weeks of daily biomarkers, digest mode", "tka_recovery_normal", 60.0),
}
SEED = 1
TRUTH_RATE_HZ = 100.0  # as ``smile-bench biomarkers`` renders a course


def run_case(name: str) -> dict:
    from chip_sim.mobility.course import alerts, course_days, weekly
    from scenarios import library
    from scenarios.digest import render_digest

    _what, scenario, _target = CASES[name]
    s = library.load(scenario)
    start = time.perf_counter()
    d = render_digest(s, SEED, rate_hz=TRUTH_RATE_HZ)
    rendered = time.perf_counter()
    days = course_days(d, SEED)
    weeks = weekly(days)
    found = alerts(weeks)
    seconds = time.perf_counter() - start
    return {
        "case": name,
        "seconds": seconds,
        "render_s": round(rendered - start, 3),
        "biomarkers_s": round(seconds - (rendered - start), 3),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "days": int(d.days),
        "windows": len(d.windows),
        "weeks": len(weeks),
        "alerts": [a.reason for a in found],
    }


def main() -> int:
    repeat = harness.parse(__doc__, run_case, repeat=1)
    if repeat is None:
        return 0
    print(f"biomarker benchmark — best of {repeat}, one core, fresh process per run")
    print(
        f"{'case':14s} {'what':44s} {'time s':>8s} {'target':>7s} {'days':>5s} "
        f"{'windows':>8s} {'peak MB':>8s}  verdict"
    )
    ok = True
    for name, (what, _scenario, t_target) in CASES.items():
        best, runs = harness.best_of(__file__, name, repeat)
        passed = best["seconds"] <= t_target
        ok &= passed
        print(
            f"{name:14s} {what:44s} {best['seconds']:8.2f} {t_target:7.1f} {best['days']:5d} "
            f"{best['windows']:8d} {best['peak_mb']:8.0f}  {'PASS' if passed else 'FAIL'}"
        )
        extra = {k: best[k] for k in ("render_s", "biomarkers_s", "weeks", "alerts")}
        print(f"{'':14s} {extra}  {harness.times(runs)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
