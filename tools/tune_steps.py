"""Tune a placement's step registers on the synthetic scenario library only — never on the real
recordings that judge them (chip_sim.datasets).

    .venv/bin/python tools/tune_steps.py [--placement tibia|lower-back] [--seeds 1 2]
                                         [--grid small|full] [--validate 4 5 6]

Prints, per register set, the pooled step sensitivity, PPV and F1 (synthetic) over the
placement's library walking, the worst step-count error and the median match offset (detection
minus true contact); the best F1 first. ``--validate`` re-scores the ten best on other seeds,
which breaks ties without looking at real data.

tibia (STEP_MODE 1; knee tibial tray, tibial plate, ankle orthosis: level walking, limp,
crutches, free-living bouts), 2026-12-06: STEP_SWING_MIN_DPS 50, STEP_STANCE_MIN 800,
STEP_MAX_STRIDE_SAMPLES 400, STEP_CONTRA_SLACK_SAMPLES 15; STEP_GYRO_DELAY_SAMPLES 3 = the median
latency of a shock's STEP minus a reversal's, 33 ms.

lower-back (STEP_MODE 2; the lower-back walk and free-living bouts on the matched trunk,
scenarios.sites.LOWER_BACK_MATCHED), 2026-12-06, full grid, seeds 1 2 3 (874 steps). Rule: the
best F1 among the sets whose every scenario and seed keeps the library's count requirement
(SRS-004, +-5 %). The best F1 overall (0.977 at STEP_SHARP_MIN_MG 50) misses the bouts' closing
steps (-7.1 % on free_living_lower_back seed 1); chosen: STEP_TRUNK_FAST_SHIFT 3,
STEP_TRUNK_SLOW_SHIFT 5, STEP_SHARP_MIN_MG 20, STEP_ADAPT_SHIFT 3, STEP_REFRACTORY_SAMPLES 40:
F1 0.975 (sens 0.970, PPV 0.980), worst count 2.4 %, median offset +76 ms; on seeds 4 5 6
F1 0.965, worst count 6.0 %.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chip_sim.pipeline import run_rendering
from scenarios import library
from scenarios.generator import render

PLACEMENTS = {
    "tibia": {
        "mode": 1,
        "scenarios": (
            "walk_level_0p8",
            "walk_level_1p3",
            "walk_level_1p7",
            "walk_level_tibial_plate",
            "walk_level_ankle_orthosis",
            "antalgic_limp",
            "early_post_op_crutches",
            "free_living_knee_tibial_tray",
            "free_living_tibial_plate",
            "free_living_ankle_orthosis",
        ),
        "grids": {
            "small": {"STEP_SWING_MIN_DPS": (50, 100), "STEP_STANCE_MIN": (800,)},
            "full": {
                "STEP_SWING_MIN_DPS": (30, 50, 70, 100),
                "STEP_STANCE_MIN": (200, 800, 1500),
                "STEP_MAX_STRIDE_SAMPLES": (200, 400),
                "STEP_CONTRA_SLACK_SAMPLES": (10, 15, 25),
            },
        },
    },
    "lower-back": {
        "mode": 2,
        "scenarios": ("walk_lower_back_wearable", "free_living_lower_back"),
        "grids": {
            "small": {
                "STEP_TRUNK_FAST_SHIFT": (2, 3),
                "STEP_TRUNK_SLOW_SHIFT": (5, 6),
                "STEP_SHARP_MIN_MG": (50,),
                "STEP_REFRACTORY_SAMPLES": (40,),
            },
            "full": {
                "STEP_TRUNK_FAST_SHIFT": (1, 2, 3),
                "STEP_TRUNK_SLOW_SHIFT": (4, 5, 6),
                "STEP_SHARP_MIN_MG": (20, 50, 100),
                "STEP_ADAPT_SHIFT": (2, 3),
                "STEP_REFRACTORY_SAMPLES": (30, 35, 40),
            },
        },
    },
}


def renderings(names, seeds):
    return [(render(library.load(name), seed), seed) for name in names for seed in seeds]


def score(registers: dict[str, int], rendered) -> tuple[float, float, float, float, float]:
    """Pooled sensitivity, PPV, F1, the worst step-count error and the median offset (s)."""
    tp = fn = fp = 0
    worst = 0.0
    offsets = []
    for r, seed in rendered:
        a = run_rendering(r, seed, registers=registers).accuracy()
        tp, fn, fp = tp + a.steps.tp, fn + a.steps.fn, fp + a.steps.fp
        worst = max(worst, abs(a.step_count_error))
        offsets.append(a.steps.offsets_s)
    sens, ppv = tp / (tp + fn), tp / (tp + fp)
    median = float(np.median(np.concatenate(offsets)))
    return sens, ppv, 2 * sens * ppv / (sens + ppv), worst, median


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--placement", choices=tuple(PLACEMENTS), default="tibia")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    p.add_argument("--grid", choices=("small", "full"), default="small")
    p.add_argument("--validate", type=int, nargs="*", default=[], metavar="SEED")
    args = p.parse_args()
    placement = PLACEMENTS[args.placement]
    grid = placement["grids"][args.grid]
    rendered = renderings(placement["scenarios"], args.seeds)
    rows = []
    for values in itertools.product(*grid.values()):
        regs = {"STEP_MODE": placement["mode"], **dict(zip(grid, values, strict=True))}
        rows.append((score(regs, rendered), regs))
    rows.sort(key=lambda r: -r[0][2])
    print(f"synthetic library, seeds {args.seeds}: {', '.join(placement['scenarios'])}")

    def line(result, regs) -> str:
        sens, ppv, f1, worst, median = result
        shown = " ".join(f"{k}={v}" for k, v in regs.items() if k != "STEP_MODE")
        return (
            f"F1 {f1:.4f}  sens {sens:.4f}  PPV {ppv:.4f}  worst count {worst:+.1%}  "
            f"offset {median * 1000:+.0f} ms  {shown}"
        )

    for result, regs in rows:
        print(line(result, regs))
    if args.validate:
        held = renderings(placement["scenarios"], args.validate)
        print(f"the ten best on seeds {args.validate}:")
        for _, regs in rows[:10]:
            print(line(score(regs, held), regs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
