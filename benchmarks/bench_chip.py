"""Scenario → front end → digital core for 24 h of 100 Hz data (issue target: ≥ 10,000× real
time, ≤ 8.6 s on one core, peak ≤ 1.5 GB), and the per-sample reference's speed beside the
vectorised core's, as a ratio measured in the same process.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_chip.py``.
"""

from __future__ import annotations

import os
import resource
import sys
import time

import numpy as np

DAY_S = 86400.0
REFERENCE_WINDOW_S = 1800.0  # the reference is ~10⁵× slower per sample than needed for a day


def main() -> int:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from chip_sim.afe import FrontEnd
    from chip_sim.core import Chip
    from chip_sim.presets import registers_for
    from scenarios import library
    from scenarios.generator import render
    from scenarios.sites import SITES

    scenario = library.load("daily_living_day")
    t0 = time.perf_counter()
    r = render(scenario, 1, rate_hz=100)
    t1 = time.perf_counter()
    codes = FrontEnd().digitise(r, rng=np.random.default_rng([1, 1]), rate_hz=100)
    t2 = time.perf_counter()
    regs = registers_for(
        scenario.patient.implant_site,
        overload_limit_n=None,
        strain_ue_per_n=SITES[scenario.patient.implant_site].strain_ue_per_n,
    )
    out = Chip(regs).run(codes.codes, brownouts=codes.brownouts)
    t3 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    window = codes.codes[: int(REFERENCE_WINDOW_S * 100)]
    t4 = time.perf_counter()
    Chip(regs, implementation="reference").run(window)
    t5 = time.perf_counter()
    vec_sps = codes.n / (t3 - t2)
    ref_sps = len(window) / (t5 - t4)

    total = t3 - t0
    rtf = DAY_S / total
    ok = total <= 8.64 and peak_mb <= 1536
    print("chip pipeline benchmark — 24 h daily living at 100 Hz, one core")
    print(f"  scenario render      {t1 - t0:6.2f} s")
    print(f"  analog front end     {t2 - t1:6.2f} s")
    print(f"  digital core (vec.)  {t3 - t2:6.2f} s   {len(out.events)} events")
    print(
        f"  total                {total:6.2f} s   = {rtf:,.0f}× real time "
        f"(target ≥ 10,000×, ≤ 8.64 s)"
    )
    print(f"  peak memory          {peak_mb:6.0f} MB  (target ≤ 1536 MB)")
    print(
        f"  core speed: vectorised {vec_sps / 1e6:.2f} M samples/s, per-sample reference "
        f"{ref_sps / 1e3:.0f} k samples/s on {REFERENCE_WINDOW_S / 60:.0f} min — ratio "
        f"{vec_sps / ref_sps:.0f}×"
    )
    print(f"  verdict: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
