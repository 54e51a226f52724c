"""Biomarker errors against the scenarios' truth, bout by bout, with bootstrap 95 % intervals.

Judged on level-walking bouts (bouts whose truth holds only walking and standing, on crutches or
not): the biomarkers, like those of comparable implants, are defined for level walking; bouts
that include stairs are reported beside the table, not judged (docs/biomarkers.md)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chip_sim.mobility.estimate import BOUT_DTYPE, bout_biomarkers
from chip_sim.mobility.recording import bouts_of
from chip_sim.mobility.truth import bout_truth
from chip_sim.pipeline import PipelineRun, run_scenario
from scenarios import library

LEVEL = {"walk", "stand"}
BOOTSTRAP = 2000

#: biomarker → (how the error is measured, limit, unit); issue 8's targets.
TARGETS = {
    "cadence_spm": ("mean |relative error|", 0.03, ""),
    "speed_mps": ("MAE", 0.10, "m/s"),
    "stride_length_m": ("MAE", 0.10, "m"),
    "segment_rom_deg": ("MAE", 5.0, "deg"),
    "knee_rom_deg": ("MAE", 8.0, "deg"),
    "symmetry_index_pct": ("MAE", 3.0, "pp"),
}


@dataclass(frozen=True)
class BoutPairs:
    """Estimated and true rows of the same bouts; ``label`` names scenario and seed; ``level``
    marks level-walking bouts."""

    est: np.ndarray
    true: np.ndarray
    label: np.ndarray
    level: np.ndarray


def scenario_bouts(name: str, seed: int) -> BoutPairs:
    return run_bouts(run_scenario(library.load(name), seed), f"{name} seed {seed}")


def run_bouts(run: PipelineRun, label: str) -> BoutPairs:
    """Estimated and true biomarkers of every recorded bout of a pipeline run."""
    p = run.scenario.patient
    est, true, level = [], [], []
    segs = run.rendering.segments
    for b in bouts_of(run.output.events, run.codes.codes, run.rate_hz):
        est.append(
            bout_biomarkers(
                b,
                implant_site=p.implant_site,
                instrumented_side=p.instrumented_side,
                sensor_orientation_deg=p.sensor_orientation_deg,
            )
        )
        true.append(bout_truth(run.rendering, b.start_s, b.end_s))
        during = segs[(segs["t_end_s"] > b.start_s) & (segs["t_start_s"] < b.end_s)]
        level.append(set(during["activity"]) <= LEVEL)
    n = len(est)
    return BoutPairs(
        np.array(est, dtype=BOUT_DTYPE),
        np.array(true, dtype=BOUT_DTYPE),
        np.full(n, label),
        np.array(level, dtype=bool),
    )


def collect(names, seeds) -> BoutPairs:
    parts = [scenario_bouts(n, s) for n in names for s in seeds]
    return BoutPairs(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in BoutPairs.__dataclass_fields__)
    )


def errors(pairs: BoutPairs, key: str) -> np.ndarray:
    e, t = pairs.est[key].astype(float), pairs.true[key].astype(float)
    ok = np.isfinite(e) & np.isfinite(t)
    err = np.abs(e[ok] - t[ok])
    return err / np.abs(t[ok]) if TARGETS[key][0].startswith("mean |relative") else err


def bootstrap_ci(values: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """95 % percentile-bootstrap interval of the mean."""
    if len(values) < 2:
        return (float("nan"), float("nan"))
    idx = rng.integers(0, len(values), (BOOTSTRAP, len(values)))
    means = values[idx].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def error_table(pairs: BoutPairs, seed: int) -> list[dict]:
    """One row per biomarker on the level-walking bouts: n, mean error, its 95 % interval, the
    limit, and the verdict on the interval's upper bound."""
    rng = np.random.default_rng([seed, 8])
    level = BoutPairs(*(getattr(pairs, f)[pairs.level] for f in BoutPairs.__dataclass_fields__))
    rows = []
    for key, (how, limit, unit) in TARGETS.items():
        err = errors(level, key)
        lo, hi = bootstrap_ci(err, rng)
        rows.append(
            {
                "biomarker": key,
                "measure": how,
                "n": len(err),
                "error": float(err.mean()) if len(err) else float("nan"),
                "ci_low": lo,
                "ci_high": hi,
                "limit": limit,
                "unit": unit,
                "pass": bool(len(err) and hi <= limit),
            }
        )
    return rows


def format_table(rows: list[dict]) -> str:
    lines = [
        f"{'biomarker':<20}{'measure':<24}{'n':>5}{'error':>10}{'95 % CI':>20}{'limit':>9}  verdict"
    ]
    for r in rows:
        pct = r["measure"].startswith("mean |relative")
        f = (lambda x: f"{x:.2%}") if pct else (lambda x: f"{x:.3g}")
        lim = f"{r['limit']:.0%}" if pct else f"{r['limit']:g} {r['unit']}"
        ci = f"[{f(r['ci_low'])}, {f(r['ci_high'])}]"
        lines.append(
            f"{r['biomarker']:<20}{r['measure']:<24}{r['n']:>5}{f(r['error']):>10}{ci:>20}"
            f"{lim:>9}  {'PASS' if r['pass'] else 'FAIL'}"
        )
    return "\n".join(lines)
