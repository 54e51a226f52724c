"""Plot of a rendered scenario: signals with the truth overlaid, for people checking a scenario."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: CI and lab PCs without a display
import matplotlib.pyplot as plt

from scenarios.generator import Rendering

MAX_POINTS = 200_000
EVENT_STYLE = {
    "heel_strike": ("tab:green", ":"),
    "fall_impact": ("tab:red", "-"),
    "overload_start": ("tab:orange", "--"),
}


def save_png(fig, path: str | Path) -> None:
    """Write ``fig`` to a temporary name beside ``path``, then rename: never a half-written PNG."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    try:
        fig.savefig(tmp, dpi=110)
        tmp.replace(path)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)


def plot_rendering(r: Rendering, path: str | Path, *, title: str | None = None) -> None:
    """Write a PNG with acceleration, angular rate, load/strain and temperature over time, activity
    segments shaded and truth events marked. Long renderings are thinned for drawing only."""
    step = max(1, r.n // MAX_POINTS)
    t = r.t_s[::step]
    fig, axes = plt.subplots(4, 1, figsize=(12, 9), sharex=True, constrained_layout=True)
    for k, name in enumerate("xyz"):
        axes[0].plot(t, r.acc_mps2[::step, k] / 9.80665, lw=0.6, label=f"acc {name}")
        axes[1].plot(t, r.gyr_dps[::step, k], lw=0.6, label=f"gyr {name}")
    axes[0].set_ylabel("acceleration (g)")
    axes[1].set_ylabel("angular rate (°/s)")
    axes[2].plot(t, r.load_n[::step], lw=0.7, color="k", label="load (N)")
    if r.overload_limit_n is not None:
        axes[2].axhline(r.overload_limit_n, color="tab:orange", ls="--", lw=0.8, label="limit")
    ax2 = axes[2].twinx()
    ax2.plot(t, r.strain_ue[::step], lw=0.4, color="tab:purple", alpha=0.6)
    ax2.set_ylabel("strain (µε)", color="tab:purple")
    axes[2].set_ylabel("implant load (N)")
    axes[3].plot(t, r.temp_c[::step], color="tab:red", lw=0.8)
    axes[3].set_ylabel("temperature (°C)")
    axes[3].set_xlabel("time (s)")
    cmap = plt.get_cmap("tab20")
    acts = sorted(set(r.segments["activity"]))
    for seg in r.segments:
        c = cmap(acts.index(seg["activity"]) % 20)
        for ax in axes[:3]:
            ax.axvspan(seg["t_start_s"], seg["t_end_s"], color=c, alpha=0.12, lw=0)
    for ev in r.events:
        color, ls = EVENT_STYLE.get(str(ev["kind"]), ("tab:gray", "-."))
        if ev["kind"] == "heel_strike" and r.n > 600 * r.rate_hz:
            continue  # thousands of lines would hide the signal
        axes[0].axvline(ev["t_s"], color=color, ls=ls, lw=0.6)
    handles = [plt.Rectangle((0, 0), 1, 1, color=cmap(i % 20), alpha=0.3) for i in range(len(acts))]
    axes[0].legend(handles, acts, loc="upper right", fontsize=7, ncol=min(len(acts), 6))
    axes[1].legend(loc="upper right", fontsize=7)
    fig.suptitle(
        title
        or f"{r.scenario.name} — seed {r.seed}, {r.rate_hz:g} Hz, "
        f"{r.scenario.patient.implant_site}, {r.scenario.patient.body_mass_kg:g} kg"
    )
    save_png(fig, path)


def plot_digest(d, path: str | Path) -> None:
    """Weeks-long course: relative load and load per event, daily steps, temperature."""
    daily = d.daily
    weeks = daily["weeks_post_op"]
    fig, axes = plt.subplots(3, 1, figsize=(12, 8), sharex=True, constrained_layout=True)
    if not all(v != v for v in daily["relative_load"]):  # NaN when there is no healing course
        axes[0].plot(
            weeks, daily["relative_load"] * 100, color="k", label="relative plate load (truth)"
        )
        axes[0].axhline(
            50, color="tab:green", ls="--", lw=0.8, label="healed threshold (Ernst 2021)"
        )
        axes[0].set_ylabel("relative load (%)")
        ax = axes[0].twinx()
        ax.plot(weeks, daily["load_per_event_median_n"], color="tab:blue", lw=0.7)
        ax.set_ylabel("load per event, median (N)", color="tab:blue")
        axes[0].legend(loc="upper right", fontsize=8)
    axes[1].bar(weeks, daily["steps"], width=1 / 7, color="tab:gray")
    axes[1].set_ylabel("steps per day")
    axes[2].plot(
        d.temp_t_s / 86400 / 7 + d.scenario.patient.weeks_post_op,
        d.temp_c,
        lw=0.3,
        color="tab:red",
        alpha=0.5,
        label="implant temperature",
    )
    axes[2].plot(weeks, daily["temp_mean_c"], color="tab:red", label="daily mean")
    for ev in d.events:
        wk = ev["t_s"] / 86400 / 7 + d.scenario.patient.weeks_post_op
        for ax in axes:
            ax.axvline(wk, color="tab:purple", ls=":", lw=0.8)
        axes[0].annotate(
            str(ev["kind"]),
            (wk, 0.95),
            xycoords=("data", "axes fraction"),
            fontsize=7,
            rotation=90,
            va="top",
        )
    axes[2].set_ylabel("temperature (°C)")
    axes[2].set_xlabel("weeks after surgery")
    axes[2].legend(loc="upper right", fontsize=8)
    fig.suptitle(
        f"{d.scenario.name} — seed {d.seed}, {d.days} days, {d.scenario.patient.implant_site}"
    )
    save_png(fig, path)
