"""The scenario library shipped in ``scenarios/library/`` and name-or-path resolution."""

from __future__ import annotations

from dataclasses import replace
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


#: The implant sites a fall or look-alike of the library is played on (``name@site``).
FALL_SITES = ("hip_stem", "femoral_plate", "knee_tibial_tray", "lower_back")


def load(name_or_path: str | Path) -> Scenario:
    """A library scenario by name, or a user's scenario file by path. ``name@site`` is the
    library scenario with the patient's implant site replaced (the same person and timeline,
    instrumented elsewhere): how the falls taxonomy is played on every site."""
    text = str(name_or_path)
    if text in library_names():
        return _load_library(text)
    if "@" in text and text.split("@", 1)[0] in library_names():
        return _on_site(*text.split("@", 1))
    path = Path(text)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load_scenario_file(path)
    raise UnknownScenarioError(
        f"unknown scenario {text!r}; expected a library name (see 'smile-bench scenarios list') "
        "or the path of a .yaml scenario file"
    )


@cache
def _on_site(name: str, site: str) -> Scenario:
    from scenarios.model import IMPLANT_SITES

    if site not in IMPLANT_SITES:
        raise UnknownScenarioError(
            f"unknown implant site {site!r} in {name}@{site}; expected one of "
            + ", ".join(IMPLANT_SITES)
        )
    base = _load_library(name)
    if base.is_digest:
        raise UnknownScenarioError(f"{name} is a weeks-long course; it has no {name}@site variant")
    return replace(base, name=f"{name}@{site}", patient=replace(base.patient, implant_site=site))
