"""Time or sample intervals as (start, end) pairs, end exclusive."""

from __future__ import annotations

from collections.abc import Iterable


def merge_intervals(
    intervals: Iterable[tuple[float, float]], lo: float = float("-inf"), hi: float = float("inf")
) -> list[tuple[float, float]]:
    """The intervals clipped to [lo, hi], the empty ones dropped, overlapping or touching ones
    merged, in order."""
    out: list[list[float]] = []
    for a, b in sorted((max(lo, a), min(hi, b)) for a, b in intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]
