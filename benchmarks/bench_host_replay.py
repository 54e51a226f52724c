"""Host-port sample replay (docs/host-replay.md): how fast a scenario's codes reach the board
emulator over a real loopback socket and a pty and come back as the golden frames, beside the
golden model in the same process. Target (this project's, for the suite on the emulated board
to stay within a few minutes): ≥ 50× real time at 100 Hz, i.e. ≥ 5 000 samples/s.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_host_replay.py``.
"""

from __future__ import annotations

import sys
import time

import numpy as np

SCENARIOS = ("walk_level_1p3", "system_faults")
RATE_HZ = 100.0
TARGET_SPS = 5000.0


def main() -> int:
    from bench.duts.factory import open_dut
    from bench.run.play import play
    from chip_sim.pipeline import run_scenario
    from scenarios import library

    print("host-port replay benchmark — scenario codes to the emulated board and back")
    worst = float("inf")
    for name in SCENARIOS:
        spec = run_scenario(library.load(name), 1)
        n = len(spec.codes.codes)
        timings = {}
        outputs = {}
        for kind in ("golden", "emulated", "emulated:pty"):
            dut = open_dut(kind)
            try:
                t0 = time.perf_counter()
                played = play(dut, spec)
                timings[kind] = time.perf_counter() - t0
            finally:
                dut.close()
            outputs[kind] = played.run.output
        same = all(
            np.array_equal(outputs[k].events, outputs["golden"].events)
            and np.array_equal(outputs[k].status, outputs["golden"].status)
            for k in outputs
        )
        for kind in ("emulated", "emulated:pty"):
            sps = n / timings[kind]
            worst = min(worst, sps)
            print(
                f"  {name:16s} {kind:13s} {n:6d} samples in {timings[kind]:5.2f} s = "
                f"{sps:7,.0f} samples/s ({sps / RATE_HZ:5.0f}× real time); golden in-process "
                f"{timings['golden']:.3f} s, ratio {timings[kind] / timings['golden']:.0f}×"
            )
        print(f"  {name:16s} frames equal to golden on every path: {same}")
        if not same:
            return 1
    ok = worst >= TARGET_SPS
    verdict = "PASS" if ok else "FAIL"
    print(f"  slowest {worst:,.0f} samples/s (target ≥ {TARGET_SPS:,.0f}) — {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
