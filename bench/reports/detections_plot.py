"""Evidence plots of a DUT run: signals with truth and detections, and a latency histogram."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from chip_sim.icd import EventCode
from chip_sim.pipeline import PipelineRun

MARKS = {
    EventCode.STEP: ("tab:green", "STEP"),
    EventCode.FALL: ("tab:red", "FALL"),
    EventCode.OVERLOAD_START: ("tab:orange", "OVERLOAD_START"),
    EventCode.WALK_START: ("tab:blue", "WALK_START"),
    EventCode.WALK_END: ("tab:purple", "WALK_END"),
}
MAX_SECONDS = 180.0  # long runs are shown from their start; the CSV holds every event


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def detections_png(run: PipelineRun) -> bytes:
    rate = run.rate_hz
    n = min(run.codes.n, int(MAX_SECONDS * rate))
    t = np.arange(n) / rate
    codes = run.codes.codes[:n].astype(float)
    mag = np.sqrt((codes[:, :3] ** 2).sum(axis=1)) / 1000
    fig, ax = plt.subplots(2, 1, figsize=(12, 6), sharex=True, constrained_layout=True)
    ax[0].plot(t, mag, lw=0.6, color="k", label="|a| (g), chip codes")
    truth = run.rendering.events
    hs = truth[(truth["kind"] == "heel_strike") & (truth["t_s"] < t[-1])]["t_s"]
    ax[0].plot(hs, np.full(len(hs), 0.2), "|", color="tab:gray", ms=12, label="truth heel strike")
    for kind in ("fall_impact", "overload_start"):
        for x in truth[(truth["kind"] == kind) & (truth["t_s"] < t[-1])]["t_s"]:
            ax[0].axvline(x, color="tab:red", ls=":", lw=1)
    ev = run.output.events
    for code, (color, label) in MARKS.items():
        ts = ev["stream_index"][(ev["code"] == int(code)) & (ev["stream_index"] < n)] / rate
        if len(ts):
            ax[0].plot(
                ts,
                np.full(len(ts), 0.05 + 0.05 * list(MARKS).index(code)),
                "v",
                color=color,
                ms=5,
                label=label,
            )
    ax[0].set_ylabel("acceleration (g)")
    ax[0].legend(loc="upper right", fontsize=7, ncol=4)
    ax[1].plot(t, codes[:, 6] / 10, lw=0.6, color="tab:purple", label="LOAD (µε)")
    limit = run.registers["OVERLOAD_LIMIT"]
    if limit < 32767:
        ax[1].axhline(limit / 10, color="tab:orange", ls="--", label="OVERLOAD_LIMIT")
    ax[1].set_ylabel("strain (µε)")
    ax[1].set_xlabel("time (s)")
    ax[1].legend(loc="upper right", fontsize=7)
    fig.suptitle(f"{run.scenario.name} — seed {run.seed}: chip codes, truth and detections")
    return _png(fig)


def latency_histogram_png(latencies_s: dict[str, list[float]], title: str) -> bytes:
    fig, ax = plt.subplots(figsize=(7, 3.5), constrained_layout=True)
    for label, values in latencies_s.items():
        if values:
            ax.hist(
                np.asarray(values) * 1000, bins=20, alpha=0.6, label=f"{label} (n={len(values)})"
            )
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("count")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no latencies in this run", ha="center", transform=ax.transAxes)
    ax.set_title(title)
    return _png(fig)
