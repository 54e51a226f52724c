"""Command-line values checked before any work, so that a bad one costs nothing and leaves
nothing behind."""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path

from bench.errors import UsageError
from scenarios.generator import MAX_SEED


def writable_file(option: str, value: str, *, suffixes: tuple[str, ...]) -> Path:
    path = Path(value)
    if path.suffix.lower() not in suffixes:
        raise UsageError(
            f"{option} {value}: expected a file name ending in {' or '.join(suffixes)}"
        )
    if path.is_dir():
        raise UsageError(f"{option} {value}: is a folder; expected a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{option} {value}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"{option} {value}: folder {parent} is not writable")
    return path


def seed(text: str) -> int:
    """argparse type for --seed."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an integer; expected 0..{MAX_SEED}"
        ) from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{text} is out of range; expected 0..{MAX_SEED}")
    return value


def positive_seconds(text: str) -> float:
    """argparse type for durations: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place: a reader
    sees the old file or the new one, never half of one. A failed write leaves the old file and
    no temporary, and ends as a one-line error naming the path."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
