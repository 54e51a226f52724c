"""``smile-bench system --scenario NAME [--days D] [--seed N] [--energy harvest|battery]
[--plot FILE.png]``: the system model (implant, link, phone, cloud, notifications) for one
scenario; prints the latency and energy tables and plots the timeline."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np

from bench.cli.options import seed, writable_file
from chip_sim.system import EnergyConfig, SystemConfig, SystemResult, run_system
from scenarios import library

MAX_DAYS = 366.0


def days(text: str) -> float:
    """argparse type for --days: a number of days in (0, 366]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if not 0 < value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"{text} is out of range; expected more than 0 up to 366")
    return value


def add_parser(sub) -> None:
    p = sub.add_parser(
        "system",
        help="system model: latency per hop, losses and energy of a scenario",
        description="Run a scenario through implant, RF link, phone, cloud and notifications "
        "(SimPy); print the latency and energy tables.",
    )
    p.add_argument("--scenario", required=True, help="library name or scenario .yaml file")
    p.add_argument("--days", type=days, help="simulate D days (default: the scenario's length)")
    p.add_argument("--seed", type=seed, default=1, help="random seed (default 1)")
    p.add_argument(
        "--energy", choices=("harvest", "battery"), default="harvest", help="energy source"
    )
    p.add_argument("--plot", help="timeline plot to write (.png)")
    p.set_defaults(func=cmd_system)


def cmd_system(args: argparse.Namespace) -> int:
    plot = writable_file("--plot", args.plot, suffixes=(".png",)) if args.plot else None
    library.load(args.scenario)  # an unknown name fails before any work
    cfg = SystemConfig(energy=EnergyConfig(source=args.energy))
    result = run_system(args.scenario, args.seed, days=args.days, config=cfg)
    print(result.latency_table())
    print()
    print(result.energy_table())
    if plot is not None:
        _write_atomic(plot, timeline_png(result))
        print(f"Wrote {plot}")
    return 0


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def timeline_png(r: SystemResult) -> bytes:
    """Reader presence and phone offline, capacitor voltage (harvest) and events by hop."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scale, unit = (3600.0, "h") if r.duration_s <= 3 * 86400 else (86400.0, "days")
    fig, ax = plt.subplots(3, 1, figsize=(12, 7), sharex=True, constrained_layout=True)
    ax[0].axvspan(0, r.duration_s / scale, color="tab:green", alpha=0.15, label="reader in range")
    for a, b in r.away_s:
        ax[0].axvspan(a / scale, b / scale, color="white")
    for a, b in r.offline_s:
        ax[0].axvspan(a / scale, min(b, r.duration_s) / scale, ymax=0.4, color="tab:red", alpha=0.4)
    ax[0].set_yticks([])
    ax[0].set_title(
        f"{r.scenario_name}, seed {r.seed}: reader in range (green), phone offline (red)"
    )
    if r.config.energy.source == "harvest":
        tr = r.voltage_trace
        ax[1].plot(tr[:, 0] / scale, tr[:, 1], lw=0.7, color="k")
        ax[1].axhline(r.config.energy.v_brownout, color="tab:red", ls="--", lw=0.7)
        ax[1].axhline(r.config.energy.v_restart, color="tab:blue", ls="--", lw=0.7)
        ax[1].set_ylabel("capacitor (V)")
    else:
        ax[1].text(0.5, 0.5, f"battery: mean {r.mean_current_ua:.1f} µA", ha="center")
        ax[1].set_yticks([])
    led = r.ledger
    hops = (("decided", led.t_decided, 0), ("phone", led.t_phone, 1), ("cloud", led.t_cloud, 2))
    for name, t, y in (*hops, ("notified", led.t_notify, 3)):
        m = ~np.isnan(t)
        ax[2].plot(t[m] / scale, np.full(m.sum(), y), "|", ms=10, label=name)
    lost = led.t_decided[led.fate == 2]
    ax[2].plot(lost / scale, np.full(len(lost), -1), "x", color="tab:red", label="lost")
    ax[2].set_yticks([-1, 0, 1, 2, 3], ["lost", "decided", "phone", "cloud", "notified"])
    ax[2].set_xlabel(f"time ({unit})")
    ax[2].set_xlim(0, r.duration_s / scale)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()
