"""Statistics of detection figures: proportions with Wilson score intervals, latency percentiles.

A statistical requirement passes on the confidence bound on the safe side (e.g. the lower bound of
a sensitivity), never on the point estimate: with few events a lucky run must not pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm


@dataclass(frozen=True)
class Proportion:
    successes: int
    n: int
    estimate: float
    lower: float
    upper: float

    def __str__(self) -> str:
        return (
            f"{self.estimate:.3f} [{self.lower:.3f}, {self.upper:.3f}] ({self.successes}/{self.n})"
        )


def wilson(successes: int, n: int, confidence: float = 0.95) -> Proportion:
    """Wilson score interval (Wilson 1927): well behaved at 0, 1 and small n."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"successes {successes} of n {n}: expected 0 <= successes <= n")
    if n == 0:
        return Proportion(0, 0, math.nan, 0.0, 1.0)
    z = float(norm.ppf(0.5 + confidence / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Proportion(successes, n, p, max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Latency:
    n: int
    p50_s: float
    p95_s: float
    max_s: float


def latency(values_s) -> Latency:
    v = np.asarray(list(values_s), dtype=float)
    if len(v) == 0:
        return Latency(0, math.nan, math.nan, math.nan)
    return Latency(len(v), float(np.percentile(v, 50)), float(np.percentile(v, 95)), float(v.max()))


def confusion(tp: int, fn: int, fp: int, tn: int | None = None) -> dict[str, int | None]:
    return {"tp": tp, "fn": fn, "fp": fp, "tn": tn}
