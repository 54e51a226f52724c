"""Station files (TOML): what is wired — the DUT, the instruments and the safety limits.

    [station]
    name = "lab-3"                      # required
    description = "..."                 # optional

    [dut]
    kind = "serial:/dev/ttyUSB0"        # golden | rtl | rtl:icarus | rtl:verilator | serial:URL
                                        # URL: /dev/tty*, socket://HOST:PORT, rfc2217://HOST:PORT
    speed = 1.0                         # optional: the time compression of a board emulator
                                        # (smile-bench emulate-board --speed); 1.0 for hardware

    [instruments.supply]                # any name; the bench finds instruments by driver
    driver = "keysight_e36312a"         # keysight_e36312a | keysight_34465a | keysight_33500b
                                        # | keysight_53230a
    resource = "TCPIP0::192.168.1.20::inst0::INSTR"
    backend = "@py"                     # pyvisa backend (default "@py"; "file.yaml@sim" for sims)
    calibration_due = 2027-03-31        # a TOML date; required for hardware, absent for twins
    simulated = false                   # true: a twin started by the bench (no calibration)

    [limits]                            # setpoints beyond these are refused before sending
    supply_voltage_max_v = 3.6
    supply_current_max_a = 0.05
    awg_amplitude_max_vpp = 2.0

Every problem names the file and the key, with what was expected.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bench.errors import BenchError

DEFAULT_STATION = Path(__file__).resolve().parents[1] / "stations" / "simulated.toml"
DUT_KINDS = ("golden", "rtl", "serial")
RTL_SIMULATORS = ("icarus", "verilator")
SERIAL_SCHEMES = ("socket://", "rfc2217://", "/dev/")
DRIVERS = ("keysight_e36312a", "keysight_34465a", "keysight_33500b", "keysight_53230a")
LIMITS = {  # key -> what it bounds
    "supply_voltage_max_v": "supply voltage setpoint",
    "supply_current_max_a": "supply current limit",
    "awg_amplitude_max_vpp": "waveform generator amplitude",
}


class StationError(BenchError):
    """A station file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class InstrumentSpec:
    name: str
    driver: str
    resource: str
    backend: str = "@py"
    calibration_due: dt.date | None = None
    simulated: bool = False


@dataclass(frozen=True)
class Station:
    name: str
    dut: str
    path: Path
    sha256: str
    instruments: dict[str, InstrumentSpec] = field(default_factory=dict)
    limits: dict[str, float] = field(default_factory=dict)
    dut_speed: float = 1.0

    @property
    def hardware(self) -> bool:
        """Whether this station drives real hardware (a board or a non-simulated instrument)."""
        return self.dut.startswith("serial:") or any(
            not i.simulated for i in self.instruments.values()
        )

    def instrument(self, driver: str) -> InstrumentSpec | None:
        """The first instrument with this driver, or None."""
        return next((i for i in self.instruments.values() if i.driver == driver), None)


def parse_dut(value: str, where: str) -> str:
    kind, _, rest = value.partition(":")
    if kind == "mutant":  # the bench's self-validation (bench.verification.mutants)
        from bench.verification.mutants import MUTATIONS

        if rest in MUTATIONS:
            return value
        raise StationError(
            f"{where}: mutant {value!r}; expected mutant:NAME with NAME one of "
            f"{', '.join(MUTATIONS)}"
        )
    if kind == "golden" and not rest:
        return value
    if kind == "rtl":
        if rest and rest not in RTL_SIMULATORS:
            raise StationError(f"{where}: DUT {value!r}; expected rtl, rtl:icarus or rtl:verilator")
        return value
    if kind == "serial":
        if not rest.startswith(SERIAL_SCHEMES):
            raise StationError(
                f"{where}: DUT {value!r}; expected serial:URL with URL /dev/tty..., "
                "socket://HOST:PORT or rfc2217://HOST:PORT"
            )
        return value
    raise StationError(f"{where}: DUT {value!r}; expected golden, rtl or serial:URL")


def _text(table: dict, key: str, where: str, *, required: bool = True) -> str | None:
    value = table.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise StationError(f"{where}.{key}: {value!r}; expected a non-empty text")
    return value


def _unknown(table: dict, allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise StationError(
                f"{where}.{key}: unknown key; expected one of {', '.join(sorted(allowed))}"
            )


def _instrument(name: str, table: object, where: str) -> InstrumentSpec:
    if not isinstance(table, dict):
        raise StationError(f"{where}: expected a table [instruments.{name}]")
    _unknown(
        table, {"driver", "resource", "backend", "calibration_due", "simulated", "channel"}, where
    )
    driver = _text(table, "driver", where)
    if driver not in DRIVERS:
        raise StationError(f"{where}.driver: {driver!r}; expected one of {', '.join(DRIVERS)}")
    resource = _text(table, "resource", where)
    backend = _text(table, "backend", where, required=False) or "@py"
    simulated = table.get("simulated", False)
    if not isinstance(simulated, bool):
        raise StationError(f"{where}.simulated: {simulated!r}; expected true or false")
    due = table.get("calibration_due")
    if due is not None and (not isinstance(due, dt.date) or isinstance(due, dt.datetime)):
        raise StationError(
            f"{where}.calibration_due: {due!r}; expected a TOML date such as 2027-03-31"
        )
    if due is None and not simulated:
        raise StationError(
            f"{where}.calibration_due: missing; a real instrument needs its calibration due date"
        )
    return InstrumentSpec(name, driver, resource, backend, due, simulated)


def load_station(path: str | Path | None = None) -> Station:
    path = Path(path) if path else DEFAULT_STATION
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise StationError(f"{path}: no such station file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise StationError(f"{path}: not a valid TOML station file ({exc})") from None
    _unknown(data, {"station", "dut", "instruments", "limits"}, str(path))
    station = data.get("station")
    if not isinstance(station, dict) or not isinstance(station.get("name"), str):
        raise StationError(f"{path}: [station] name missing; expected a text")
    dut = data.get("dut")
    if not isinstance(dut, dict) or not isinstance(dut.get("kind"), str):
        raise StationError(f"{path}: [dut] kind missing; expected golden, rtl or serial:URL")
    _unknown(dut, {"kind", "speed"}, f"{path}: [dut]")
    speed = dut.get("speed", 1.0)
    if isinstance(speed, bool) or not isinstance(speed, int | float) or not 0 < speed <= 1000:
        raise StationError(f"{path}: [dut].speed: {speed!r}; expected a number in (0, 1000]")
    kind = parse_dut(dut["kind"], f"{path}: [dut] kind")
    instruments_table = data.get("instruments", {})
    if not isinstance(instruments_table, dict):
        raise StationError(f"{path}: instruments; expected tables [instruments.NAME]")
    instruments = {
        name: _instrument(name, table, f"{path}: [instruments.{name}]")
        for name, table in instruments_table.items()
    }
    limits_table = data.get("limits", {})
    if not isinstance(limits_table, dict):
        raise StationError(f"{path}: limits; expected a table [limits]")
    _unknown(limits_table, set(LIMITS), f"{path}: [limits]")
    limits = {}
    for key, value in limits_table.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise StationError(
                f"{path}: [limits].{key}: {value!r}; expected a positive number "
                f"(the largest {LIMITS[key]})"
            )
        limits[key] = float(value)
    return Station(
        station["name"],
        kind,
        path,
        hashlib.sha256(raw).hexdigest(),
        instruments,
        limits,
        float(speed),
    )
