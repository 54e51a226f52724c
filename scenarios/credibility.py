"""Credibility of the generated physics against published figures (../shared/DOMAIN.md).

Each check renders library scenarios, measures a figure the way a gait lab would (from the truth
heel strikes and the signals), and compares it with the published value and its tolerance. The
tests hold the generator to these; ``smile-bench run`` prints them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from scenarios import library
from scenarios.digest import render_digest
from scenarios.generator import Rendering, render
from scenarios.physiology import post_op_delta_t_c


@dataclass(frozen=True)
class Check:
    figure: str
    source: str
    published: str
    measured: float
    lo: float
    hi: float
    unit: str

    @property
    def passed(self) -> bool:
        return bool(self.lo <= self.measured <= self.hi)


def _segments_of(r: Rendering, activity: str) -> np.ndarray:
    return r.segments[r.segments["activity"] == activity]


def stride_peaks_bw(r: Rendering, activity: str) -> np.ndarray:
    """Peak implant load (×BW) of each full stride of the instrumented leg inside ``activity``
    segments, leaving out the first and last stride (gait initiation and termination)."""
    right = r.scenario.patient.instrumented_side == "right"
    hs = r.events_of("heel_strike")
    ipsi = hs["t_s"][hs["value"] == (1.0 if right else 0.0)]
    peaks = []
    for seg in _segments_of(r, activity):
        inside = ipsi[(ipsi >= seg["t_start_s"]) & (ipsi < seg["t_end_s"])]
        for a, b in pairwise(inside[1:-1]):
            i0, i1 = int(a * r.rate_hz), int(b * r.rate_hz)
            peaks.append(r.load_n[i0:i1].max())
    return np.array(peaks) / r.scenario.patient.weight_n


def cadence_spm(r: Rendering, activity: str = "walk") -> float:
    """Median cadence (steps/min) inside ``activity`` segments, leaving out gait initiation and
    termination."""
    t = r.events_of("heel_strike")["t_s"]
    intervals = []
    for seg in _segments_of(r, activity):
        inside = np.sort(t[(t >= seg["t_start_s"]) & (t < seg["t_end_s"])])
        intervals.extend(np.diff(inside)[2:-2])
    return float(60.0 / np.median(intervals))


def symmetry_index_pct(r: Rendering, seg_index: int) -> float:
    """SI = (R − L) / (0.5 (R + L)) × 100 on mean step times within one walking segment."""
    seg = _segments_of(r, "walk")[seg_index]
    hs = r.events_of("heel_strike")
    hs = hs[(hs["t_s"] >= seg["t_start_s"]) & (hs["t_s"] < seg["t_end_s"])]
    steps = np.diff(hs["t_s"])[2:-2]
    leg = hs["value"][1:][2:-2]  # a step belongs to the leg whose strike ends it
    right, left = steps[leg == 1.0].mean(), steps[leg == 0.0].mean()
    return float((right - left) / (0.5 * (right + left)) * 100)


def _load_checks(seed: int) -> list[Check]:
    out = []
    knee_walk = render(library.load("walk_level_1p3"), seed)
    knee_stairs = render(library.load("stairs_knee"), seed)
    hip_stairs = render(library.load("stairs_hip"), seed)
    table = [
        ("knee peak load, level walking", knee_walk, "walk", 261, "Kutzner 2010"),
        ("knee peak load, stairs up", knee_stairs, "stairs_up", 316, "Kutzner 2010"),
        ("knee peak load, stairs down", knee_stairs, "stairs_down", 346, "Kutzner 2010"),
        ("hip peak load, level walking", hip_stairs, "walk", 238, "Bergmann 2001"),
        ("hip peak load, stairs up", hip_stairs, "stairs_up", 251, "Bergmann 2001"),
        ("hip peak load, stairs down", hip_stairs, "stairs_down", 260, "Bergmann 2001"),
    ]
    for figure, r, act, pub, src in table:
        measured = float(np.median(stride_peaks_bw(r, act))) * 100
        out.append(Check(figure, src, f"{pub} %BW", measured, pub * 0.9, pub * 1.1, "%BW"))
    return out


#: Cadence ranges per speed. 1.3 m/s: lab cadence 100–120 steps/min (DOMAIN). 0.8 and 1.7 m/s:
#: CADENCE-Adults treadmill means ± 1 SD, approximate values read by this project (≈95 ± 10 at
#: 0.9 m/s, ≈128 ± 8 at 1.8 m/s), widened to the speeds used here.
CADENCE_RANGES = {
    "walk_level_0p8": (82, 105),
    "walk_level_1p3": (100, 120),
    "walk_level_1p7": (115, 135),
}


def _cadence_checks(seed: int) -> list[Check]:
    out = []
    for name, (lo, hi) in CADENCE_RANGES.items():
        r = render(library.load(name), seed, rate_hz=200)
        src = "DOMAIN lab cadence" if name.endswith("1p3") else "CADENCE-Adults (approx.)"
        out.append(
            Check(
                f"cadence at {name[-3:].replace('p', '.')} m/s",
                src,
                f"{lo}-{hi} steps/min",
                cadence_spm(r),
                lo,
                hi,
                "steps/min",
            )
        )
    return out


def _healing_checks(seed: int) -> list[Check]:
    normal = render_digest(library.load("healing_normal"), seed, rate_hz=100)
    non_union = render_digest(library.load("healing_non_union"), seed, rate_hz=100)
    rel = normal.daily["relative_load"]
    peak = int(np.argmax(rel))
    below = np.flatnonzero(rel[peak:] < 0.5)
    cross_weeks = float(normal.daily["weeks_post_op"][peak + below[0]]) if len(below) else np.inf
    return [
        Check(
            "normal healing: 50 % relative load reached",
            "Seide 2012",
            "7.8 weeks (3.5-13)",
            cross_weeks,
            3.5,
            13.0,
            "weeks",
        ),
        Check(
            "non-union: lowest relative load after its peak",
            "Ernst 2021 / DOMAIN",
            "never < 50 %",
            float(
                non_union.daily["relative_load"][
                    int(np.argmax(non_union.daily["relative_load"])) :
                ].min()
                * 100
            ),
            50.0,
            100.0,
            "%",
        ),
    ]


def _temperature_checks(seed: int) -> list[Check]:
    d = render_digest(library.load("temperature_normal_post_op"), seed, rate_hz=100)
    base = d.scenario.temperature.baseline_c
    out = []
    for week in (1, 6, 13, 26):
        days = (d.daily["weeks_post_op"] > week - 0.3) & (d.daily["weeks_post_op"] < week + 0.3)
        measured = float(np.mean(d.daily["temp_mean_c"][days]) - base)
        pub = float(post_op_delta_t_c(week))
        out.append(
            Check(
                f"post-op ΔT at week {week}",
                "Haidar 2006",
                f"+{pub:.1f} °C",
                measured,
                pub - 0.3,
                pub + 0.3,
                "°C",
            )
        )
    return out


def _gait_pattern_checks(seed: int) -> list[Check]:
    limp = render(library.load("antalgic_limp"), seed, rate_hz=200)
    out = []
    for k, target in enumerate((12.0, 25.0)):
        out.append(
            Check(
                f"antalgic limp symmetry index (set {target:g} %)",
                "DOMAIN (flag > 10 %)",
                "10-30 %",
                abs(symmetry_index_pct(limp, k)),
                target - 3,
                target + 3,
                "%",
            )
        )
    day = render(library.load("daily_living_day"), seed, rate_hz=50)
    hs = day.events_of("heel_strike")["t_s"]
    walks = _segments_of(day, "walk")
    counts = np.array([np.sum((hs >= s["t_start_s"]) & (hs < s["t_end_s"])) for s in walks])
    out.append(
        Check(
            "daily living: share of walking bouts < 40 steps",
            "DOMAIN (free living)",
            "75 %",
            float(np.mean(counts < 40) * 100),
            65.0,
            85.0,
            "%",
        )
    )
    return out


CHECKS: dict[str, Callable[[int], list[Check]]] = {
    "loads": _load_checks,
    "cadence": _cadence_checks,
    "healing": _healing_checks,
    "temperature": _temperature_checks,
    "gait patterns": _gait_pattern_checks,
}


def run_checks(seed: int) -> list[Check]:
    return [c for fn in CHECKS.values() for c in fn(seed)]
