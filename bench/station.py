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

    channel = 1                         # supply only: the output powering the board
    voltage_v = 3.3                     # supply only: its setpoint (within the limits)
    current_limit_a = 0.02              # supply only: its current limit (within the limits)

    [limits]                            # setpoints beyond these are refused before sending
    supply_voltage_max_v = 3.6          # each key tightens the safe default (SAFE_LIMITS);
    supply_current_max_a = 0.05         # a key may exceed it only when listed in widen
    awg_amplitude_max_vpp = 2.0
    awg_offset_max_v = 1.0
    widen = ["supply_current_max_a"]    # optional: the keys allowed above the safe default

A station's limits are the safe defaults with the file's [limits] merged over them: a station
without [limits] gets the defaults, never "no limit". Every key is used or refused; every problem
names the file and the key, with what was expected.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bench.duts.factory import DutKindError, parse_dut
from bench.errors import BenchError

STATIONS_DIR = Path(__file__).resolve().parent / "stations"  # package data
DEFAULT_STATION = STATIONS_DIR / "simulated.toml"


def embedded_stations() -> list[str]:
    """Names of the station files the package carries (``--station NAME`` opens one)."""
    return sorted(f.stem for f in STATIONS_DIR.glob("*.toml"))


DUT_KINDS = ("golden", "rtl", "serial")
DRIVERS = ("keysight_e36312a", "keysight_34465a", "keysight_33500b", "keysight_53230a")
LIMITS = {  # key -> what it bounds
    "supply_voltage_max_v": "supply voltage setpoint",
    "supply_current_max_a": "supply current limit",
    "awg_amplitude_max_vpp": "waveform generator amplitude",
    "awg_offset_max_v": "waveform generator offset",
}
#: The limits a station gets for every key its file does not set: the evaluation board's rails
#: (3.3 V logic, absolute maximum 3.9 V, mA currents) and the front end's input range. Taken
#: from bench.instruments.SafetyLimits' defaults so the drivers and the station agree.
SAFE_LIMITS = {
    "supply_voltage_max_v": 3.6,
    "supply_current_max_a": 0.1,
    "awg_amplitude_max_vpp": 2.0,
    "awg_offset_max_v": 1.0,
}
#: The board's supply when the station file says nothing: its 3.3 V rail, 20 mA limit on output 1.
SUPPLY_DEFAULTS = {"channel": 1, "voltage_v": 3.3, "current_limit_a": 0.02}
SUPPLY_DRIVER = "keysight_e36312a"
SUPPLY_CHANNELS = (1, 2, 3)  # the E36312A's outputs


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
    #: supply only: output channel, voltage setpoint and current limit for the board
    supply: dict[str, float] = field(default_factory=dict)


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

    def safety_limits(self):
        """The station's limits as the drivers take them (bench.instruments.SafetyLimits)."""
        from bench.instruments import SafetyLimits

        return SafetyLimits(
            max_voltage_v=self.limits["supply_voltage_max_v"],
            max_current_a=self.limits["supply_current_max_a"],
            max_awg_amplitude_vpp=self.limits["awg_amplitude_max_vpp"],
            max_awg_offset_v=self.limits["awg_offset_max_v"],
        )

    def instrument(self, driver: str) -> InstrumentSpec | None:
        """The first instrument with this driver, or None."""
        return next((i for i in self.instruments.values() if i.driver == driver), None)


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
    base = {"driver", "resource", "backend", "calibration_due", "simulated"}
    driver = table.get("driver")
    _unknown(table, base | (set(SUPPLY_DEFAULTS) if driver == SUPPLY_DRIVER else set()), where)
    driver = _text(table, "driver", where)
    if driver not in DRIVERS:
        raise StationError(f"{where}.driver: {driver!r}; expected one of {', '.join(DRIVERS)}")
    supply: dict[str, float] = {}
    if driver == SUPPLY_DRIVER:
        channel = table.get("channel", SUPPLY_DEFAULTS["channel"])
        if isinstance(channel, bool) or channel not in SUPPLY_CHANNELS:
            raise StationError(
                f"{where}.channel: {channel!r}; expected one of "
                f"{', '.join(map(str, SUPPLY_CHANNELS))}"
            )
        supply["channel"] = int(channel)
        for key in ("voltage_v", "current_limit_a"):
            value = table.get(key, SUPPLY_DEFAULTS[key])
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise StationError(f"{where}.{key}: {value!r}; expected a positive number")
            supply[key] = float(value)
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
    return InstrumentSpec(name, driver, resource, backend, due, simulated, supply)


def _limits(table: object, path: str) -> dict[str, float]:
    """SAFE_LIMITS with the file's [limits] merged over them: a key may tighten its default, and
    exceed it only when [limits].widen lists it."""
    if not isinstance(table, dict):
        raise StationError(f"{path}: limits; expected a table [limits]")
    _unknown(table, set(LIMITS) | {"widen"}, f"{path}: [limits]")
    widen = table.get("widen", [])
    if not isinstance(widen, list) or any(k not in LIMITS for k in widen):
        raise StationError(
            f"{path}: [limits].widen: {widen!r}; expected a list of keys among {', '.join(LIMITS)}"
        )
    limits = dict(SAFE_LIMITS)
    for key, value in table.items():
        if key == "widen":
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise StationError(
                f"{path}: [limits].{key}: {value!r}; expected a positive number "
                f"(the largest {LIMITS[key]})"
            )
        if value > SAFE_LIMITS[key] and key not in widen:
            raise StationError(
                f"{path}: [limits].{key}: {value:g} exceeds the safe default "
                f"{SAFE_LIMITS[key]:g}; expected at most that, or {key} listed in [limits].widen"
            )
        limits[key] = float(value)
    for key in widen:
        if key not in table:
            raise StationError(f"{path}: [limits].widen names {key}, which [limits] does not set")
    return limits


def load_station(path: str | Path | None = None) -> Station:
    """The station file ``path``, or the embedded station of that name (a bare name that is no
    file here: ``simulated``, ``emulated-board``, ``rtl``, ...); the default is ``simulated``."""
    path = Path(path) if path else DEFAULT_STATION
    if not path.exists() and path.parent == Path(".") and path.suffix == "":
        embedded = STATIONS_DIR / f"{path.name}.toml"
        path = embedded if embedded.is_file() else path
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise StationError(
            f"{path}: no such station file (embedded stations: {', '.join(embedded_stations())})"
        ) from None
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
    try:
        kind = parse_dut(str(dut["kind"]), f"{path}: [dut] kind")
    except DutKindError as exc:
        raise StationError(str(exc)) from None
    instruments_table = data.get("instruments", {})
    if not isinstance(instruments_table, dict):
        raise StationError(f"{path}: instruments; expected tables [instruments.NAME]")
    instruments = {
        name: _instrument(name, table, f"{path}: [instruments.{name}]")
        for name, table in instruments_table.items()
    }
    limits = _limits(data.get("limits", {}), str(path))
    for spec in instruments.values():
        for key, limit in (
            ("voltage_v", "supply_voltage_max_v"),
            ("current_limit_a", "supply_current_max_a"),
        ):
            if key in spec.supply and spec.supply[key] > limits[limit]:
                raise StationError(
                    f"{path}: [instruments.{spec.name}].{key}: {spec.supply[key]:g} exceeds "
                    f"{limit} {limits[limit]:g}; expected at most the station's limit"
                )
    return Station(
        station["name"],
        kind,
        path,
        hashlib.sha256(raw).hexdigest(),
        instruments,
        limits,
        float(speed),
    )
