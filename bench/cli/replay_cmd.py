"""``smile-bench replay FILE --out EVENTS.csv``: a recording of real sensor data (a smile-capture
``.h5`` or a CSV) through the ideal front end and the golden digital core, one line per event.

The rules for columns, units, time, gaps, NaN, resampling, axes and registers are
:mod:`chip_sim.replay`'s; this module only turns options into its arguments, checks them before
any work and prints the summary. Every bad input ends as one line and exit code 2, with no output
file written.
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

import numpy as np

from bench.cli.options import writable_file
from bench.errors import UsageError
from bench.verification.events_csv import write_events_csv
from chip_sim.afe import GROUPS
from chip_sim.afe.channels import MAX_RATE_HZ, MIN_RATE_HZ
from chip_sim.icd import EventCode
from chip_sim.presets import preset, presets
from chip_sim.replay import (
    ACC_UNITS,
    GYR_UNITS,
    POLICIES,
    VERTICAL_CHOICES,
    CsvColumns,
    Replay,
    load_recording,
    load_registers_file,
    replay,
)

CAPTURE_SUFFIXES = (".h5", ".hdf5")
#: Options that only mean something for a CSV (argparse dest → option).
CSV_ONLY = {
    "time_col": "--time-col",
    "acc_cols": "--acc-cols",
    "acc_unit": "--acc-unit",
    "gyr_cols": "--gyr-cols",
    "gyr_unit": "--gyr-unit",
    "strain_col": "--strain-col",
    "temp_col": "--temp-col",
    "gaps": "--gaps",
    "nan": "--nan",
}


def rate_hz(text: str) -> int:
    """argparse type for --rate-hz: an integer in the ICD's range."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an integer; expected {MIN_RATE_HZ}..{MAX_RATE_HZ} Hz"
        ) from None
    if not MIN_RATE_HZ <= value <= MAX_RATE_HZ:
        raise argparse.ArgumentTypeError(
            f"{text} is out of range; expected {MIN_RATE_HZ}..{MAX_RATE_HZ} Hz (ICD section 1)"
        )
    return value


def three_columns(text: str) -> tuple[str, str, str]:
    """argparse type for --acc-cols / --gyr-cols: X,Y,Z column names."""
    names = tuple(c.strip() for c in text.split(","))
    if len(names) != 3 or not all(names):
        raise argparse.ArgumentTypeError(f"{text!r}: expected three column names X,Y,Z")
    return names  # type: ignore[return-value]


def add_parser(sub) -> None:
    p = sub.add_parser(
        "replay",
        help="run a recording of real sensor data (.h5 capture or .csv) through the chip model",
        description="Replay a recording through the ideal front end (scaling and rounding only) "
        "and the golden digital core; write one line per event. Write a negative axis as "
        "--vertical-axis=-x (a bare -x reads as an option).",
    )
    p.add_argument("file", help="recording: smile-capture .h5/.hdf5, or .csv with a header row")
    p.add_argument(
        "--rate-hz",
        type=rate_hz,
        default=100,
        help=f"chip sample rate, {MIN_RATE_HZ}..{MAX_RATE_HZ} Hz (default 100)",
    )
    csv_opts = p.add_argument_group("CSV columns and units (CSV files only)")
    csv_opts.add_argument("--time-col", help="time column, seconds (default t_s)")
    csv_opts.add_argument(
        "--acc-cols", type=three_columns, help="acceleration X,Y,Z (default acc_x,acc_y,acc_z)"
    )
    csv_opts.add_argument("--acc-unit", choices=tuple(ACC_UNITS), help="default mps2 (m/s²)")
    csv_opts.add_argument(
        "--gyr-cols",
        type=three_columns,
        help="angular rate X,Y,Z (default gyr_x,gyr_y,gyr_z when present; else no gyro)",
    )
    csv_opts.add_argument("--gyr-unit", choices=tuple(GYR_UNITS), help="default dps (°/s)")
    csv_opts.add_argument("--strain-col", help="strain, µε (default strain_ue when present)")
    csv_opts.add_argument("--temp-col", help="temperature, °C (default temp_c when present)")
    csv_opts.add_argument(
        "--gaps", choices=POLICIES, help="a time step > 1.5 × the median: refuse (default)"
    )
    csv_opts.add_argument("--nan", choices=POLICIES, help="an empty or NaN value: refuse (default)")
    p.add_argument(
        "--vertical-axis",
        choices=VERTICAL_CHOICES,
        help="recording axis pointing up when upright (default auto for a CSV, z for a capture)",
    )
    p.add_argument(
        "--preset",
        help=f"register preset: {', '.join(presets())} "
        "(default: the capture's implant site; tibia for a CSV)",
    )
    p.add_argument("--registers", help="YAML or JSON mapping of register names to values")
    p.add_argument("--out", required=True, help="events CSV to write")
    p.set_defaults(func=cmd_replay)


def cmd_replay(args: argparse.Namespace) -> int:
    out = writable_file("--out", args.out, suffixes=(".csv",))
    source = Path(args.file)
    if out.resolve() == source.resolve():
        raise UsageError(f"--out {args.out}: is the recording itself; expected another file")
    if args.preset is not None:
        preset(args.preset)  # refuses an unknown name, listing the presets
    overrides = load_registers_file(args.registers) if args.registers else None
    given = {dest: getattr(args, dest) for dest in CSV_ONLY if getattr(args, dest) is not None}
    if source.suffix.lower() in CAPTURE_SUFFIXES:
        if given:
            option = CSV_ONLY[next(iter(given))]
            raise UsageError(
                f"{option}: applies to CSV files only; {source} is a capture (its signals carry "
                "their names and units, and NaN in them means no data)"
            )
        recording = load_recording(source)
    else:
        columns = CsvColumns(
            **{k: v for k, v in given.items() if k not in ("gaps", "nan")},
        )
        recording = load_recording(
            source,
            columns=columns,
            gaps=args.gaps or "refuse",
            nan=args.nan or "refuse",
        )
    result = replay(
        recording,
        rate_hz=args.rate_hz,
        vertical_axis=args.vertical_axis,
        preset_name=args.preset,
        registers=overrides,
    )
    write_events_csv(out, result.events, result.rate_hz)
    print(textwrap.fill(summary(result, out), width=100))
    return 0


def summary(result: Replay, out: Path) -> str:
    """One paragraph: what was read, how it was resampled, axes, registers, event counts."""
    rec = result.recording
    fs = result.decimation * result.rate_hz
    how = f"resampled by linear interpolation to {fs:g} Hz" if result.resampled else "as recorded"
    if result.decimation > 1:
        how += f", then anti-alias filtered and decimated ×{result.decimation} by the front end"
    absent = [g for g in GROUPS if g not in rec.present]
    enable = result.registers["CHANNEL_ENABLE"]
    channels = f"CHANNEL_ENABLE 0x{enable:02X}"
    if absent:
        channels += f" ({', '.join(absent)} absent: no data, disabled)"
    codes = result.events["code"]
    counts = [
        f"{int(np.sum(codes == int(c)))} {c.name}" for c in EventCode if np.any(codes == int(c))
    ]
    gaps = f", {len(rec.gaps)} gap(s) filled with no data" if rec.gaps else ""
    return (
        f"Replayed {rec.source} ({rec.kind}, {rec.n} samples at {rec.rate_hz:.4g} Hz{gaps}, "
        f"{how}): {result.codes.n} chip samples, {result.codes.duration_s:.2f} s at "
        f"{result.rate_hz} Hz, {result.no_data_samples()} with no data. Vertical axis "
        f"{result.vertical_axis} ({result.vertical_how}) "
        f"as chip z. Preset {result.preset}, {channels}. Events: "
        f"{', '.join(counts) if counts else 'none'}. Wrote {out}"
        + (
            f" (t_s counts from the recording's first time, {rec.start_s:g} s)."
            if rec.start_s
            else "."
        )
    )
