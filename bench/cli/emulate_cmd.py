"""``smile-bench emulate-board (--listen socket://HOST:PORT | --pty) --scenario NAME``: a board
emulator (:class:`bench.duts.emulator.BoardEmulator`) that plays a library scenario's codes
through the golden model and speaks ICD v1 on a TCP port or a pty, until Ctrl-C or SIGTERM.

The scenario's registers are the chip's power-on register values (as if the board had been
configured); its codes and brown-outs are the stimulus each START plays after a reset. The first
line printed is the URL to open (``socket://127.0.0.1:PORT`` or the pty's ``/dev/pts/N``).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from bench.cli.options import seed
from bench.duts.emulator import BoardEmulator, parse_listen
from bench.errors import UsageError
from chip_sim.pipeline import run_scenario
from scenarios import library


def speed(text: str) -> float:
    """argparse type for --speed: a time-compression factor > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; expected > 0") from None
    if not 0 < value <= 1000:
        raise argparse.ArgumentTypeError(f"{text} is out of range; expected 0 < speed <= 1000")
    return value


def add_parser(sub) -> None:
    p = sub.add_parser(
        "emulate-board",
        help="emulate a sensor board (golden model, ICD v1 frames) on a TCP port or a pty",
        description="Play a library scenario through the golden model behind a byte stream at "
        "the UART's byte timing, speaking ICD v1 like the chip; runs until Ctrl-C or SIGTERM.",
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--listen", help="socket://HOST:PORT to listen on (PORT 0: a free port)")
    where.add_argument("--pty", action="store_true", help="listen on a new pseudo-terminal")
    p.add_argument("--scenario", required=True, help="library scenario whose codes are played")
    p.add_argument("--seed", type=seed, default=1, help="scenario seed (default 1)")
    p.add_argument(
        "--speed", type=speed, default=1.0, help="sample clock time compression (default 1.0)"
    )
    p.set_defaults(func=cmd_emulate)


def cmd_emulate(args: argparse.Namespace) -> int:
    listen = "pty" if args.pty else args.listen
    parse_listen(listen)  # a bad URL costs nothing
    scenario = library.load(args.scenario)
    run = run_scenario(scenario, args.seed)
    stop = threading.Event()

    def on_signal(signum, frame) -> None:
        stop.set()

    try:
        emulator = BoardEmulator(listen, registers=run.registers, speed=args.speed)
    except OSError as exc:
        raise UsageError(f"cannot open the board's port: {exc}") from None
    emulator.load_codes(run.codes.codes, run.codes.brownouts)
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with emulator:
            print(emulator.url, flush=True)
            print(
                f"emulating {scenario.name} (seed {args.seed}, {run.codes.n} samples, "
                f"speed {args.speed:g}); Ctrl-C or SIGTERM ends",
                file=sys.stderr,
                flush=True,
            )
            while not stop.wait(0.2):
                pass
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    print(f"emulator stopped after sending {len(emulator.sent)} frames", file=sys.stderr)
    return 0
