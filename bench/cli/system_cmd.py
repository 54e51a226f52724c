"""``smile-bench system --scenario NAME [--days D] [--seed N] [--energy harvest|battery]
[--plot FILE.png]``: the system model (implant, link, phone, cloud, notifications) for one
scenario; prints the latency and energy tables and plots the timeline.

``--station FILE.toml [--speed X]``: real time against the station's chip (a serial board or the
board emulator, ``[dut] kind = "serial:URL"``): the chip is real, phone, cloud and notifications
are simulated and paced by a SimPy real-time environment (:mod:`bench.run.system`); prints the
latency table (chip→phone measured). ``--speed`` is the time compression of an emulated board
(default the station's ``[dut] speed``, else 1); ``--days`` plays only the stimulus's first D
days; ``--energy`` and ``--plot`` belong to the simulated implant and are refused there."""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from bench.cli.emulate_cmd import speed
from bench.cli.options import seed, writable_file, write_atomic
from bench.errors import UsageError
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
        "--energy", choices=("harvest", "battery"), help="energy source (default harvest)"
    )
    p.add_argument("--plot", help="timeline plot to write (.png)")
    p.add_argument(
        "--station",
        help="station file (.toml) whose DUT is a serial board or board emulator: run in real "
        "time against that chip, phone and cloud simulated",
    )
    p.add_argument(
        "--speed",
        type=speed,
        help="with --station: the board's time compression (default: the station's, else 1)",
    )
    p.set_defaults(func=cmd_system)


def cmd_system(args: argparse.Namespace) -> int:
    if args.station is not None:
        return cmd_system_hil(args)
    if args.speed is not None:
        raise UsageError("--speed applies only with --station (real time against a board)")
    plot = writable_file("--plot", args.plot, suffixes=(".png",)) if args.plot else None
    library.load(args.scenario)  # an unknown name fails before any work
    cfg = SystemConfig(energy=EnergyConfig(source=args.energy or "harvest"))
    result = run_system(args.scenario, args.seed, days=args.days, config=cfg)
    print(result.latency_table())
    print()
    print(result.energy_table())
    if plot is not None:
        write_atomic(plot, timeline_png(result))
        print(f"Wrote {plot}")
    return 0


def cmd_system_hil(args: argparse.Namespace) -> int:
    """Real time against the station's chip; exit 1 when the board went away mid-run."""
    from bench.run.station import open_dut
    from bench.run.system import run_system_hil
    from bench.station import load_station

    for option, given in (("--plot", args.plot), ("--energy", args.energy)):
        if given:
            raise UsageError(
                f"{option} does not apply with --station: the implant is the real chip"
            )
    station = load_station(args.station)
    if not station.dut.startswith("serial:"):
        raise UsageError(
            f"--station {args.station}: DUT {station.dut!r} cannot run in real time; a serial "
            'board or the board emulator (kind = "serial:URL") is needed'
        )
    scenario = library.load(args.scenario)  # an unknown name fails before the board is opened
    if scenario.is_digest:
        raise UsageError(
            f"--scenario {args.scenario}: a digest course has no stimulus to play on a board; "
            "expected a scenario with signals"
        )
    duration_s = None
    if args.days is not None:
        duration_s = args.days * 86400.0
        if duration_s > scenario.duration_s:
            raise UsageError(
                f"--days {args.days:g}: longer than the scenario's {scenario.duration_s:g} s; "
                "with --station the board plays the stimulus once"
            )
    station = replace(station, dut_speed=args.speed or station.dut_speed)
    dut = open_dut(station)
    try:
        print(
            f"station {station.name}: DUT {station.dut} at speed {station.dut_speed:g}, "
            f"scenario {args.scenario}, seed {args.seed}"
        )
        result = run_system_hil(
            dut,
            args.scenario,
            args.seed,
            config=SystemConfig(),
            speed=station.dut_speed,
            duration_s=duration_s,
        )
    finally:
        dut.close()
    print(result.latency_table())
    return 1 if result.aborted else 0


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
