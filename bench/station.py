"""Station files (TOML): what is wired — the DUT and, later, instruments and safety limits.

This version knows the DUT kinds; instrument sections are validated when their drivers exist.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bench.errors import BenchError

DEFAULT_STATION = Path(__file__).resolve().parents[1] / "stations" / "simulated.toml"
DUT_KINDS = ("golden", "rtl")
PLANNED_DUT_KINDS = ("serial",)
RTL_SIMULATORS = ("icarus", "verilator")


class StationError(BenchError):
    """A station file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Station:
    name: str
    dut: str
    path: Path
    sha256: str


def parse_dut(value: str, where: str) -> str:
    kind = value.split(":", 1)[0]
    if kind == "rtl" and ":" in value and value.split(":", 1)[1] not in RTL_SIMULATORS:
        raise StationError(f"{where}: DUT {value!r}; expected rtl, rtl:icarus or rtl:verilator")
    if kind in DUT_KINDS:
        return value
    if kind == "mutant":  # the bench's self-validation (bench.verification.mutants)
        from bench.verification.mutants import MUTATIONS

        if value.split(":", 1)[-1] in MUTATIONS:
            return value
        raise StationError(
            f"{where}: mutant {value!r}; expected mutant:NAME with NAME one of "
            f"{', '.join(MUTATIONS)}"
        )
    if kind in PLANNED_DUT_KINDS:
        raise StationError(
            f"{where}: DUT {value!r} is not available in this version; expected "
            f"one of {', '.join(DUT_KINDS)}"
        )
    raise StationError(f"{where}: DUT {value!r}; expected golden, rtl or serial:URL")


def load_station(path: str | Path | None = None) -> Station:
    path = Path(path) if path else DEFAULT_STATION
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise StationError(f"{path}: no such station file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise StationError(f"{path}: not a valid TOML station file ({exc})") from None
    station = data.get("station")
    if not isinstance(station, dict) or not isinstance(station.get("name"), str):
        raise StationError(f"{path}: [station] name missing; expected a text")
    dut = data.get("dut")
    if not isinstance(dut, dict) or not isinstance(dut.get("kind"), str):
        raise StationError(f"{path}: [dut] kind missing; expected golden, rtl or serial:URL")
    kind = parse_dut(dut["kind"], f"{path}: [dut] kind")
    return Station(station["name"], kind, path, hashlib.sha256(raw).hexdigest())
