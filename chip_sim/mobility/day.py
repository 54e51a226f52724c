"""A day's mobility summary from what the implant records — the chip's step count, its recorded
bouts' biomarkers and the once-a-minute posture samples — beside the same summary of the truth.

Totals (steps, bouts, distance, minutes per posture) add up over the day; per-bout biomarkers
are summarised by their median over the day's recorded bouts (a day's cadence is that of its
walking, not of its minutes)."""

from __future__ import annotations

import numpy as np

from chip_sim.icd import EventCode
from chip_sim.mobility.accuracy import BoutPairs, run_bouts
from chip_sim.mobility.posture import (
    classify,
    daily_times,
    posture_samples,
    true_labels,
)
from chip_sim.pipeline import PipelineRun

MEDIANS = (
    "cadence_spm",
    "speed_mps",
    "stride_length_m",
    "segment_rom_deg",
    "knee_rom_deg",
    "symmetry_index_pct",
)


def day_summary(
    run: PipelineRun, pairs: BoutPairs | None = None
) -> tuple[dict[str, float], dict[str, float]]:
    """(estimated, true) summaries of a full-detail run (a day, or any stretch of one);
    ``pairs``: the run's bouts when the caller has them already (:func:`run_bouts`)."""
    p = run.scenario.patient
    ev = run.output.events
    if pairs is None:
        pairs = run_bouts(run, run.scenario.name)
    est_rows, true_rows = pairs.est, pairs.true
    samples = posture_samples(run.codes.codes, ev, run.rate_hz)
    est_minutes = daily_times(classify(samples, p.implant_site, p.sensor_orientation_deg))
    true_minutes = daily_times(true_labels(run.rendering, samples["t_s"]))
    est: dict[str, float] = {
        "steps": float(np.sum(ev["code"] == int(EventCode.STEP))),
        "bouts": float(len(est_rows)),
        "distance_m": float(np.nansum(est_rows["distance_m"])),
    }
    true: dict[str, float] = {
        "steps": float(len(run.rendering.events_of("heel_strike"))),
        "bouts": float(len(true_rows)),
        "distance_m": float(np.sum(run.rendering.events_of("stride_length_m")["value"])),
    }
    for key in MEDIANS:
        est[key] = _median(est_rows[key])
        true[key] = _median(true_rows[key])
    est.update({f"{k}_min": v for k, v in est_minutes.items()})
    true.update({f"{k}_min": v for k, v in true_minutes.items()})
    return est, true


def _median(values) -> float:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if len(v) else float("nan")


def format_day(est: dict[str, float], true: dict[str, float]) -> str:
    keys = sorted(set(est) | set(true), key=lambda k: (k.endswith("_min"), k))
    lines = [f"{'per day':<26}{'implant':>12}{'truth':>12}"]
    for k in keys:
        cells = [
            f"{v:>12.4g}" if v == v else f"{'-':>12}"
            for v in (est.get(k, float("nan")), true.get(k, float("nan")))
        ]
        lines.append(f"{k:<26}{''.join(cells)}")
    return "\n".join(lines)
