"""The scenario library shipped in ``scenarios/library/`` and name-or-path resolution."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from scenarios.errors import UnknownScenarioError
from scenarios.model import Scenario
from scenarios.schema import load_scenario_file

LIBRARY_DIR = Path(__file__).resolve().parent / "library"


def library_names() -> list[str]:
    return sorted(p.stem for p in LIBRARY_DIR.glob("*.yaml"))


@cache
def _load_library(name: str) -> Scenario:
    return load_scenario_file(LIBRARY_DIR / f"{name}.yaml")


def load(name_or_path: str | Path) -> Scenario:
    """A library scenario by name, or a user's scenario file by path."""
    text = str(name_or_path)
    if text in library_names():
        return _load_library(text)
    path = Path(text)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load_scenario_file(path)
    raise UnknownScenarioError(
        f"unknown scenario {text!r}; expected a library name (see 'smile-bench scenarios list') "
        "or the path of a .yaml scenario file"
    )
