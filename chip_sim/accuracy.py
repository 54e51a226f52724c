"""Detections against truth: matching rules and the per-scenario figures of the chip.

Rules (written down once, used by the CLI, the tests and the reports):
- a STEP matches a heel strike within ±150 ms (one-to-one, nearest first);
- walking is judged per second: truth walking spans each walking segment's first to last heel
  strike; detected walking spans each bout's first to last STEP (the host sees the STEP events that
  WALK_START confirms); a second counts as walking when at least half of it is; the seconds
  within ±1 s of a truth bout's first and last heel strike are not judged (a bout's edge is
  uncertain by about one step: gait initiation, the closing step);
- a fall is detected when a FALL is decided after its impact and before the next truth event
  that could explain it; latency = decision − impact;
- an overload interval longer than the chip's minimum duration is detected when OVERLOAD_START is
  decided within 200 ms after the truth crossing; latency = decision − crossing.
Times of chip events are ``stream_index / rate_hz`` (the sample clock since power-on).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chip_sim.icd import EventCode
from scenarios.falls import END_POSTURES

STEP_TOLERANCE_S = 0.150
BOUT_EDGE_S = 1
OVERLOAD_LATENCY_LIMIT_S = 0.200
WALKING = ("walk", "stairs_up", "stairs_down", "jog", "stumble", "near_fall")


@dataclass(frozen=True)
class Match:
    tp: int
    fn: int
    fp: int
    offsets_s: np.ndarray  # detection − truth for each match

    @property
    def sensitivity(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def ppv(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def f1(self) -> float:
        # 2TP / (2TP + FP + FN): equal to the harmonic mean where both are defined, and 0 (not
        # NaN) for a detector that finds nothing in a recording that has steps.
        n = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / n if n else float("nan")

    @classmethod
    def pooled(cls, matches) -> Match:
        """The matches of several recordings or scenarios as one."""
        ms = list(matches)
        return cls(
            sum(m.tp for m in ms),
            sum(m.fn for m in ms),
            sum(m.fp for m in ms),
            np.concatenate([m.offsets_s for m in ms]) if ms else np.zeros(0),
        )


def match_times(truth_s: np.ndarray, detected_s: np.ndarray, tolerance_s: float) -> Match:
    """One-to-one matching: pairs closest in time first, each within ``tolerance_s``."""
    truth_s, detected_s = np.sort(truth_s), np.sort(detected_s)
    pairs = []
    for i, t in enumerate(truth_s):
        lo, hi = np.searchsorted(detected_s, [t - tolerance_s, t + tolerance_s + 1e-12])
        pairs += [(abs(detected_s[j] - t), i, j) for j in range(lo, hi)]
    pairs.sort()
    used_t, used_d, offsets = set(), set(), []
    for _, i, j in pairs:
        if i not in used_t and j not in used_d:
            used_t.add(i)
            used_d.add(j)
            offsets.append(detected_s[j] - truth_s[i])
    tp = len(used_t)
    return Match(tp, len(truth_s) - tp, len(detected_s) - tp, np.array(offsets))


@dataclass
class ScenarioAccuracy:
    """Everything the accuracy table needs for one scenario run."""

    name: str
    steps: Match
    step_count_truth: int
    step_count_chip: int
    walking_sensitivity: float
    walking_specificity: float
    falls_truth: int
    falls_detected: int
    fall_latencies_s: list[float] = field(default_factory=list)
    false_falls: int = 0
    overloads_truth: int = 0
    overloads_detected: int = 0
    overload_latencies_s: list[float] = field(default_factory=list)
    false_overloads: int = 0
    #: Judged seconds: (walking detected, walking missed, rest recognised, rest taken as walking).
    walking_seconds_counts: tuple[int, int, int, int] = (0, 0, 0, 0)
    #: Per fall in the truth: (its end posture, detected); the posture is "" where the truth
    #: names none (the library's topples).
    fall_outcomes: tuple[tuple[str, bool], ...] = ()

    @property
    def step_count_error(self) -> float:
        if not self.step_count_truth:
            return float("nan")
        return (self.step_count_chip - self.step_count_truth) / self.step_count_truth


def fall_matches(impacts, falls) -> list[int | None]:
    """Per impact, the index of the FALL that detects it, or None: the first FALL at or after
    the impact and before the next impact (times in any one unit, sorted); unmatched FALLs are
    false."""
    out: list[int | None] = []
    used: set[int] = set()
    for k, t in enumerate(impacts):
        nxt = impacts[k + 1] if k + 1 < len(impacts) else np.inf
        cands = [j for j, d in enumerate(falls) if t <= d < nxt and j not in used]
        out.append(cands[0] if cands else None)
        used.update(cands[:1])
    return out


def fall_latencies(impacts, falls, matches: list[int | None] | None = None) -> list[float]:
    """Each detected fall's latency (decision − impact), matched by :func:`fall_matches` (or
    ``matches``, its result, when the caller has it already)."""
    if matches is None:
        matches = fall_matches(impacts, falls)
    return [float(falls[j] - t) for t, j in zip(impacts, matches, strict=True) if j is not None]


def _end_postures(truth_events: np.ndarray, impacts) -> list[str]:
    """Each impact's end posture: the truth's first ``fall_end_posture`` after it and before the
    next impact ("" when there is none)."""
    marks = truth_events[truth_events["kind"] == "fall_end_posture"]
    out = []
    for k, t in enumerate(impacts):
        nxt = impacts[k + 1] if k + 1 < len(impacts) else np.inf
        after = marks[(marks["t_s"] >= t) & (marks["t_s"] < nxt)]
        out.append(END_POSTURES[int(after["value"][0])] if len(after) else "")
    return out


def _times(events: np.ndarray, code: EventCode, rate_hz: float) -> np.ndarray:
    return events["stream_index"][events["code"] == int(code)] / rate_hz


def walking_seconds(intervals: list[tuple[float, float]], n_seconds: int) -> np.ndarray:
    """Per-second walking label: at least half of the second inside an interval."""
    cover = np.zeros(n_seconds)
    for a, b in intervals:
        for s in range(max(int(np.floor(a)), 0), min(int(np.ceil(b)), n_seconds)):
            cover[s] += max(0.0, min(b, s + 1) - max(a, s))
    return cover >= 0.5


def evaluate(
    name: str,
    truth_events: np.ndarray,
    truth_segments: np.ndarray,
    events: np.ndarray,
    rate_hz: float,
    duration_s: float,
    *,
    overload_min_s: float,
    walk_start_steps: int,
) -> ScenarioAccuracy:
    hs = truth_events[truth_events["kind"] == "heel_strike"]["t_s"]
    steps_t = _times(events, EventCode.STEP, rate_hz)
    steps = match_times(hs, steps_t, STEP_TOLERANCE_S)

    truth_walk = []
    for a, b in _walking_spans(truth_segments):
        inside = hs[(hs >= a) & (hs <= b)]
        if len(inside) >= 2:
            truth_walk.append((float(inside[0]), float(inside[-1])))
    detected_walk = detected_bouts(events, rate_hz, walk_start_steps)
    n_sec = int(np.ceil(duration_s))
    tw, dw = walking_seconds(truth_walk, n_sec), walking_seconds(detected_walk, n_sec)
    judged = np.ones(n_sec, dtype=bool)
    for a, b in truth_walk:  # ±1 s around a bout's first and last heel strike
        for edge in (int(a), int(b)):
            judged[max(edge - BOUT_EDGE_S, 0) : min(edge + BOUT_EDGE_S + 1, n_sec)] = False
    tw_j, dw_j = tw[judged], dw[judged]
    walk_counts = (
        int((tw_j & dw_j).sum()),
        int((tw_j & ~dw_j).sum()),
        int((~tw_j & ~dw_j).sum()),
        int((~tw_j & dw_j).sum()),
    )
    sens = walk_counts[0] / tw_j.sum() if tw_j.any() else float("nan")
    spec = walk_counts[2] / (~tw_j).sum() if (~tw_j).any() else float("nan")

    impacts = truth_events[truth_events["kind"] == "fall_impact"]["t_s"]
    falls_t = _times(events, EventCode.FALL, rate_hz)
    matches = fall_matches(impacts, falls_t)
    latencies = fall_latencies(impacts, falls_t, matches)
    outcomes = tuple(
        zip(_end_postures(truth_events, impacts), (j is not None for j in matches), strict=True)
    )

    starts = truth_events[truth_events["kind"] == "overload_start"]
    ends = truth_events[truth_events["kind"] == "overload_end"]
    ov_t = _times(events, EventCode.OVERLOAD_START, rate_hz)
    ov_lat, ov_used, n_long = [], set(), 0
    for s, e in zip(starts, ends, strict=True):
        if e["value"] <= overload_min_s:
            continue
        n_long += 1
        cands = [
            j
            for j, d in enumerate(ov_t)
            if s["t_s"] <= d <= s["t_s"] + OVERLOAD_LATENCY_LIMIT_S and j not in ov_used
        ]
        if cands:
            ov_used.add(cands[0])
            ov_lat.append(float(ov_t[cands[0]] - s["t_s"]))
    # An OVERLOAD_START outside every truth interval (±200 ms) is a false alarm.
    false_ov = sum(
        1
        for d in ov_t
        if not any(
            s["t_s"] - OVERLOAD_LATENCY_LIMIT_S <= d <= e["t_s"] + OVERLOAD_LATENCY_LIMIT_S
            for s, e in zip(starts, ends, strict=True)
        )
    )
    return ScenarioAccuracy(
        name=name,
        steps=steps,
        step_count_truth=len(hs),
        step_count_chip=len(steps_t),
        walking_sensitivity=float(sens),
        walking_specificity=float(spec),
        walking_seconds_counts=walk_counts,
        falls_truth=len(impacts),
        falls_detected=len(latencies),
        fall_latencies_s=latencies,
        false_falls=len(falls_t) - len(latencies),
        fall_outcomes=outcomes,
        overloads_truth=n_long,
        overloads_detected=len(ov_lat),
        overload_latencies_s=ov_lat,
        false_overloads=false_ov,
    )


def _walking_spans(segments: np.ndarray) -> list[tuple[float, float]]:
    """Contiguous runs of walking-like segments (walk → stairs → walk is one bout)."""
    spans: list[tuple[float, float]] = []
    for seg in segments[np.isin(segments["activity"], WALKING)]:
        a, b = float(seg["t_start_s"]), float(seg["t_end_s"])
        if spans and abs(spans[-1][1] - a) < 1e-6:
            spans[-1] = (spans[-1][0], b)
        else:
            spans.append((a, b))
    return spans


def detected_bouts(
    events: np.ndarray, rate_hz: float, walk_start_steps: int
) -> list[tuple[float, float]]:
    """Detected walking: from the first STEP of each confirmed bout (WALK_START is decided at the
    step that completes ``walk_start_steps``) to its last STEP."""
    out: list[tuple[float, float]] = []
    steps: list[int] = []
    start = None
    for code, i in zip(events["code"].tolist(), events["stream_index"].tolist(), strict=True):
        if code == EventCode.STEP:
            steps.append(i)
        elif code == EventCode.WALK_START:
            start = steps[-walk_start_steps] if len(steps) >= walk_start_steps else i
        elif code in (EventCode.WALK_END, EventCode.RESET) and start is not None:
            out.append((start / rate_hz, steps[-1] / rate_hz))
            start = None
    if start is not None:
        out.append((start / rate_hz, steps[-1] / rate_hz))
    return out
