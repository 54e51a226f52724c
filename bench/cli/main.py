"""``smile-bench`` command line: one entry point, a subcommand per job.

Every expected failure (bad scenario, bad option, unwritable path) ends as one line on stderr and
exit code 2; a traceback means a bug in the bench.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bench.cli import (
    biomarkers_cmd,
    campaign_cmd,
    emulate_cmd,
    parity_cmd,
    replay_cmd,
    report_cmd,
    run_cmd,
    scenarios_cmd,
    system_cmd,
    validate_real_cmd,
)
from bench.errors import BenchError
from chip_sim.errors import ChipError
from scenarios.errors import ScenarioError

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the problem (no usage dump)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="smile-bench", description="SmILE sensor-chip test and simulation bench")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run_cmd.add_parser(sub)
    scenarios_cmd.add_parser(sub)
    replay_cmd.add_parser(sub)
    report_cmd.add_parser(sub)
    campaign_cmd.add_parser(sub)
    emulate_cmd.add_parser(sub)
    system_cmd.add_parser(sub)
    biomarkers_cmd.add_parser(sub)
    validate_real_cmd.add_parser(sub)
    parity_cmd.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (BenchError, ScenarioError, ChipError) as exc:
        print(f"smile-bench: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("smile-bench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
