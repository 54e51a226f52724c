"""Checks on output paths, done before any work so that a bad path costs nothing and leaves
nothing behind."""

from __future__ import annotations

import os
from pathlib import Path

from bench.errors import UsageError


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
