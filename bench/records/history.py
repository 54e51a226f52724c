"""Figures across runs, and the regressions among them.

A figure regressed when its latest verdict went from passed to failed, or when its latest value is
worse than the baseline's by more than :data:`REL_TOL` of the baseline's magnitude. "Worse" comes
from the figure's limit text: ``≥`` / ``>=`` / ``>`` → higher is better, ``≤`` / ``<=`` / ``<`` →
lower is better, ``=`` / ``±`` or a two-sided limit → any change is a regression. A limit text
without any of these falls back on the numeric bounds; with neither, only the verdict is judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bench.records.chain import RecordsError
from bench.records.store import FigureRow, ResultsStore

REL_TOL = 0.01  # a change within 1 % of the baseline is noise, not a regression
ABS_TOL_AT_ZERO = 1e-9  # the tolerance when the baseline is exactly zero
HIGHER, LOWER, EQUAL = "higher is better", "lower is better", "any change is worse"


@dataclass(frozen=True)
class TrendPoint:
    """A figure's value in one run."""

    run_id: str
    git_commit: str | None
    started_utc: str
    value: float
    passed: bool | None


@dataclass(frozen=True)
class Trend:
    """One figure across runs (in start order), judged against its baseline."""

    figure: str
    requirement: str | None
    unit: str
    limit_text: str
    direction: str | None  # HIGHER, LOWER, EQUAL, or None when the limit gives no direction
    points: tuple[TrendPoint, ...]
    baseline: TrendPoint | None  # None: the chosen baseline run lacks this figure
    regressed: bool
    reasons: tuple[str, ...]

    @property
    def latest(self) -> TrendPoint:
        return self.points[-1]

    @property
    def change(self) -> float | None:
        """Latest value minus baseline value, in the figure's unit."""
        return None if self.baseline is None else self.latest.value - self.baseline.value


def direction_of(
    limit_text: str, lower: float | None = None, upper: float | None = None
) -> str | None:
    """Which way is better for a figure, from its limit text (else from its numeric bounds)."""
    text = limit_text or ""
    floor = any(s in text for s in ("≥", ">=", ">"))
    ceiling = any(s in text for s in ("≤", "<=", "<"))
    if floor or ceiling:
        return EQUAL if floor and ceiling else HIGHER if floor else LOWER
    if "=" in text or "±" in text:
        return EQUAL
    if lower is not None or upper is not None:
        return (
            EQUAL if lower is not None and upper is not None else HIGHER if upper is None else LOWER
        )
    return None


def tolerance(baseline: float) -> float:
    return REL_TOL * abs(baseline) if baseline != 0 else ABS_TOL_AT_ZERO


def is_worse(value: float, baseline: float, direction: str | None) -> bool:
    """True when ``value`` is worse than ``baseline`` beyond :func:`tolerance`."""
    tol = tolerance(baseline)
    if direction == HIGHER:
        return value < baseline - tol
    if direction == LOWER:
        return value > baseline + tol
    if direction == EQUAL:
        return abs(value - baseline) > tol
    return False


def history(
    store: ResultsStore,
    *,
    baseline_run_id: str | None = None,
    figures: Iterable[str] | None = None,
) -> list[Trend]:
    """Every figure (or the named ones) across the store's runs, sorted by figure name.

    The baseline is the first run that has the figure, or ``baseline_run_id`` when given (a figure
    that run lacks has no baseline and is judged on its verdict only).
    """
    runs = {r.run_id: r for r in store.runs()}
    if baseline_run_id is not None and baseline_run_id not in runs:
        raise RecordsError(f"baseline run {baseline_run_id!r}: not in results store {store.path}")
    series: dict[str, list[FigureRow]] = {}
    for row in store.figures():
        series.setdefault(row.figure, []).append(row)
    wanted = sorted(series) if figures is None else list(dict.fromkeys(figures))
    unknown = [f for f in wanted if f not in series]
    if unknown:
        raise RecordsError(
            f"figures {', '.join(map(repr, unknown))}: not in results store {store.path}"
        )
    trends = []
    for name in wanted:
        rows = series[name]
        points = tuple(
            TrendPoint(
                r.run_id, runs[r.run_id].git_commit, runs[r.run_id].started_utc, r.value, r.passed
            )
            for r in rows
        )
        if baseline_run_id is None:
            baseline: TrendPoint | None = points[0]
        else:
            baseline = next((p for p in points if p.run_id == baseline_run_id), None)
        last = rows[-1]
        direction = direction_of(last.limit_text, last.lower, last.upper)
        reasons = _regressions(points, baseline, direction)
        trends.append(
            Trend(
                name,
                last.requirement,
                last.unit,
                last.limit_text,
                direction,
                points,
                baseline,
                bool(reasons),
                reasons,
            )
        )
    return trends


def _regressions(
    points: Sequence[TrendPoint], baseline: TrendPoint | None, direction: str | None
) -> tuple[str, ...]:
    latest = points[-1]
    before = [p for p in (points[-2] if len(points) > 1 else None, baseline) if p is not None]
    out = []
    passed_before = next((p for p in before if p is not latest and p.passed), None)
    if latest.passed is False and passed_before is not None:
        out.append(f"passed in run {passed_before.run_id}, failed in run {latest.run_id}")
    judged = baseline is not None and baseline is not latest
    if baseline is not None and judged and is_worse(latest.value, baseline.value, direction):
        out.append(
            f"{latest.value:.6g} in run {latest.run_id} vs baseline {baseline.value:.6g} "
            f"(run {baseline.run_id}): worse beyond ±{tolerance(baseline.value):.3g}, {direction}"
        )
    return tuple(out)


def format_history(trends: Sequence[Trend]) -> str:
    """A plain-text table: figure, runs, baseline, latest, change, regressed (with the reason)."""
    header = ("figure", "runs", "baseline", "latest", "change", "regressed")
    rows = [header]
    for t in trends:
        unit = f" {t.unit}" if t.unit else ""
        base = "—" if t.baseline is None else f"{t.baseline.value:.4g}{unit}"
        change = t.change
        if change is None:
            delta = "—"
        elif t.baseline is not None and t.baseline.value != 0:
            delta = f"{change:+.4g} ({change / abs(t.baseline.value) * 100:+.1f} %)"
        else:
            delta = f"{change:+.4g}"
        verdict = f"YES: {'; '.join(t.reasons)}" if t.regressed else "no"
        rows.append(
            (t.figure, str(len(t.points)), base, f"{t.latest.value:.4g}{unit}", delta, verdict)
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)), r[-1]]) for r in rows
    ]
    lines.insert(1, "  ".join([*("-" * w for w in widths), "-" * len(header[-1])]))
    return "\n".join(lines) + "\n"
