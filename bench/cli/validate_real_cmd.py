"""``smile-bench validate-real``: the chip's steps on public real recordings with an independent
reference (mobgap's lower-back lab data, gaitmap's foot IMUs; ``chip_sim.datasets``), per
recording and pooled per placement. The recordings are fetched once into the cache
(``$SMILE_BENCH_CACHE`` or ``~/.cache/smile-bench``) and checked against pinned SHA-256 sums;
without network the command says so in one line and exits 2."""

from __future__ import annotations

import argparse

from bench.errors import UsageError
from bench.verification.real_data import evaluate, table
from chip_sim.datasets import DatasetUnavailableError, real_recordings
from chip_sim.replay import load_registers_file


def add_parser(sub) -> None:
    p = sub.add_parser(
        "validate-real",
        help="step detection on public real recordings (mobgap lower back, gaitmap feet)",
        description="Replay public real recordings with an independent reference through the "
        "chip model (placement presets) and print sensitivity, PPV and step-count error per "
        "recording and pooled per placement.",
    )
    p.add_argument(
        "--registers",
        help="YAML/JSON register overrides applied on top of every placement preset",
    )
    p.set_defaults(func=cmd_validate_real)


def cmd_validate_real(args: argparse.Namespace) -> int:
    overrides = load_registers_file(args.registers) if args.registers else None
    try:
        recordings = real_recordings()
    except DatasetUnavailableError as exc:
        raise UsageError(f"real recordings unavailable: {exc}") from None
    print(table(evaluate(recordings, overrides)))
    return 0
