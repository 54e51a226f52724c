"""Figures of the mobility biomarkers (issue 8), as PNG bytes for the verification report and the
``smile-bench biomarkers`` command: per-bout agreement with the truth (scatter and Bland–Altman)
and the weekly recovery curves of a course with its alerts. matplotlib's Agg backend: no display.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from chip_sim.mobility.accuracy import TARGETS, BoutPairs
from chip_sim.mobility.course import (
    ROM_WEEK2_DEG,
    ROM_WEEK7_DEG,
    SI_FLAG_PCT,
    SPEED_FLOOR_MPS,
    Alert,
)

#: biomarker → axis label
LABELS = {
    "steps": "steps",
    "cadence_spm": "cadence (steps/min)",
    "speed_mps": "speed (m/s)",
    "stride_length_m": "stride length (m)",
    "segment_rom_deg": "segment ROM (deg)",
    "knee_rom_deg": "knee ROM walking (deg)",
    "symmetry_index_pct": "symmetry index (%)",
    "knee_flex_max_deg": "knee flexion capacity (deg)",
}

#: alert reason → the panel of :func:`recovery_curve` it concerns
_REASON_PANEL = {
    "rom_below_milestone": 0,
    "symmetry_not_recovering": 1,
    "speed_not_recovering": 2,
    "activity_declining": 3,
}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    _pyplot().close(fig)
    return buf.getvalue()


def _finite(pairs: BoutPairs, key: str, mask: np.ndarray | None = None):
    e, t = pairs.est[key].astype(float), pairs.true[key].astype(float)
    ok = np.isfinite(e) & np.isfinite(t)
    if mask is not None:
        ok &= mask
    return e[ok], t[ok]


def _scatter(ax, est: np.ndarray, true: np.ndarray, key: str, **style) -> None:
    """Estimated against true with the identity line."""
    ax.plot(true, est, "o", ms=4, **style)
    both = np.concatenate([est, true])
    if len(both):
        lo, hi = float(both.min()), float(both.max())
        pad = 0.05 * (hi - lo or 1.0)
        ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "k--", lw=0.8, label="identity")
    ax.set_xlabel(f"true {LABELS.get(key, key)}")
    ax.set_ylabel(f"estimated {LABELS.get(key, key)}")


def scatter_bland_altman(pairs: BoutPairs, key: str) -> bytes:
    """Estimated vs true with the identity line, and Bland–Altman (difference vs mean, bias and
    ±1.96 SD limits of agreement), on the level-walking bouts only — those
    :func:`chip_sim.mobility.accuracy.error_table` judges."""
    plt = _pyplot()
    est, true = _finite(pairs, key, pairs.level)
    fig, ax = plt.subplots(1, 2, figsize=(10, 4.2), constrained_layout=True)
    _scatter(ax[0], est, true, key, color="tab:blue", label="level-walking bout")
    ax[0].legend(loc="upper left", fontsize=8)
    ax[0].set_title(f"{key}: {len(est)} level-walking bouts")
    diff, mean = est - true, (est + true) / 2
    ax[1].plot(mean, diff, "o", ms=4, color="tab:blue")
    if len(diff):
        bias = float(diff.mean())
        sd = float(diff.std(ddof=1)) if len(diff) > 1 else 0.0
        for y, ls, text, va in (
            (bias, "-", f"bias {bias:.3g}", "bottom"),
            (bias + 1.96 * sd, "--", f"+1.96 SD {bias + 1.96 * sd:.3g}", "top"),
            (bias - 1.96 * sd, "--", f"-1.96 SD {bias - 1.96 * sd:.3g}", "bottom"),
        ):
            ax[1].axhline(y, color="tab:red", ls=ls, lw=0.9)
            ax[1].annotate(
                text,
                (1.0, y),
                xycoords=("axes fraction", "data"),
                ha="right",
                va=va,
                fontsize=8,
                color="tab:red",
            )
    unit = TARGETS[key][2] if key in TARGETS else ""
    ax[1].set_xlabel(f"mean of estimated and true {LABELS.get(key, key)}")
    ax[1].set_ylabel(f"estimated − true{f' ({unit})' if unit else ''}")
    ax[1].set_title("Bland–Altman (synthetic truth)")
    return _png(fig)


def bout_scatter(pairs: BoutPairs, title: str = "") -> bytes:
    """Every bout's estimate against its truth, one panel per judged biomarker; bouts that
    include stairs (not judged) drawn hollow."""
    plt = _pyplot()
    keys = list(TARGETS)
    fig, axes = plt.subplots(2, 3, figsize=(13, 8), constrained_layout=True)
    for ax, key in zip(axes.flat, keys, strict=True):
        e, t = _finite(pairs, key, pairs.level)
        _scatter(ax, e, t, key, color="tab:blue", label="level walking")
        e2, t2 = _finite(pairs, key, ~pairs.level)
        if len(e2):
            ax.plot(t2, e2, "o", ms=5, mfc="none", color="tab:orange", label="with stairs")
        ax.legend(loc="upper left", fontsize=7)
    fig.suptitle(title or f"{len(pairs.est)} bouts: estimated vs true")
    return _png(fig)


def recovery_curve(
    weeks: np.ndarray,
    truth_daily: np.ndarray,
    alerts: Sequence[Alert],
    title: str = "",
) -> bytes:
    """The weekly recovery curves of a course: one panel each for knee flexion capacity (80/100°
    milestones), symmetry index (10 % flag), walking speed and daily steps; the implant's weekly
    values (:func:`chip_sim.mobility.course.weekly`, drawn at mid-week) against the digest's daily
    truth; each alert a vertical line at the end of its week, named by its reason."""
    plt = _pyplot()
    fig, ax = plt.subplots(4, 1, figsize=(10, 11), sharex=True, constrained_layout=True)
    x_week = weeks["week"] + 0.5
    x_day = truth_daily["weeks_post_op"]
    panels = (
        ("knee_flex_max_deg", "knee_flex_max_deg", "knee flexion capacity (deg)"),
        ("symmetry_index_pct", "symmetry_index_pct", "|symmetry index| (%)"),
        ("speed_mps", "walk_speed_mps", "walking speed (m/s)"),
        ("steps", "steps", "steps per day"),
    )
    for a, (est_key, true_key, label) in zip(ax, panels, strict=True):
        true = truth_daily[true_key].astype(float)
        if est_key == "symmetry_index_pct":
            true = np.abs(true)  # the implant reports the magnitude (course.window_day)
        a.plot(x_day, true, "-", color="0.4", lw=1.0, label="truth (daily)")
        est_label = "implant, weekly mean" if est_key == "steps" else "implant, weekly median"
        a.plot(x_week, weeks[est_key], "o-", color="tab:blue", ms=5, label=est_label)
        a.set_ylabel(label)
        a.grid(alpha=0.3)
    ax[0].axhline(ROM_WEEK2_DEG, color="tab:red", ls=":", lw=0.9)
    ax[0].axhline(ROM_WEEK7_DEG, color="tab:red", ls=":", lw=0.9)
    ax[0].axvspan(1, 2, color="tab:red", alpha=0.06)
    ax[0].text(1.05, ROM_WEEK2_DEG, f"{ROM_WEEK2_DEG:g}° (week 2)", va="bottom", fontsize=8)
    end = max(float(x_day.max()) if len(x_day) else 1.0, float(x_week.max()) if len(weeks) else 1)
    end = float(np.ceil(end))
    if end > 7:
        ax[0].text(
            7.05, ROM_WEEK7_DEG, f"{ROM_WEEK7_DEG:g}° (from week 7)", va="bottom", fontsize=8
        )
    ax[1].axhline(SI_FLAG_PCT, color="tab:red", ls=":", lw=0.9)
    ax[1].text(0.05, SI_FLAG_PCT, f"{SI_FLAG_PCT:g} % flag", va="bottom", fontsize=8)
    ax[2].axhline(SPEED_FLOOR_MPS, color="tab:red", ls=":", lw=0.6)
    for alert in alerts:
        for a in ax:
            a.axvline(alert.week, color="tab:red", lw=1.2)
        target = ax[_REASON_PANEL.get(alert.reason, 0)]
        target.annotate(
            f"week {alert.week}: {alert.reason}",
            (alert.week, 0.97),
            xycoords=("data", "axes fraction"),
            ha="left",
            va="top",
            fontsize=8,
            color="tab:red",
            xytext=(3, 0),
            textcoords="offset points",
        )
    ax[0].legend(loc="lower right", fontsize=8)
    ax[-1].set_xlabel("weeks after surgery")
    ax[-1].set_xlim(0, end)
    fig.suptitle(title or "recovery course: implant vs truth")
    return _png(fig)
