"""Station files: the example lab station and the simulated default load; every malformed key is
refused with a message naming the file and the key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bench.instruments import SafetyLimits
from bench.station import DEFAULT_STATION, SAFE_LIMITS, StationError, load_station

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "bench" / "stations" / "lab-example.toml"


def test_example_lab_station_loads():
    s = load_station(LAB)
    assert s.dut == "serial:/dev/ttyUSB0" and s.hardware
    assert {i.driver for i in s.instruments.values()} == {
        "keysight_e36312a",
        "keysight_34465a",
        "keysight_33500b",
        "keysight_53230a",
    }
    assert s.instrument("keysight_e36312a").calibration_due == dt.date(2027, 6, 30)
    assert s.limits["supply_voltage_max_v"] == 3.6
    default = load_station(DEFAULT_STATION)
    assert default.dut == "golden" and not default.hardware
    assert all(i.simulated and i.resource == "twin" for i in default.instruments.values())


BASE = """[station]
name = "t"
[dut]
kind = "golden"
[instruments.supply]
driver = "keysight_e36312a"
resource = "TCPIP0::10.0.0.1::inst0::INSTR"
calibration_due = 2027-01-01
[limits]
supply_voltage_max_v = 3.6
"""


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        (
            'kind = "golden"',
            'kind = "serial:COM3"',
            "[dut] kind: DUT 'serial:COM3'; expected serial:URL",
        ),
        ('kind = "golden"', 'kind = "rtl:questa"', "expected rtl, rtl:icarus or rtl:verilator"),
        (
            'kind = "golden"',
            'kind = "board"',
            "expected golden, rtl, rtl:icarus, rtl:verilator, serial:URL, emulated, emulated:pty "
            "or mutant:NAME",
        ),
        ('driver = "keysight_e36312a"', 'driver = "rigol"', "[instruments.supply].driver: 'rigol'"),
        (
            'resource = "TCPIP0::10.0.0.1::inst0::INSTR"',
            'resource = ""',
            "[instruments.supply].resource",
        ),
        ("calibration_due = 2027-01-01", 'calibration_due = "soon"', ".calibration_due: 'soon'"),
        ("calibration_due = 2027-01-01\n", "", ".calibration_due: missing"),
        (
            "supply_voltage_max_v = 3.6",
            "supply_voltage_max_v = -1",
            "[limits].supply_voltage_max_v",
        ),
        ("supply_voltage_max_v = 3.6", "supply_volts = 3", "[limits].supply_volts: unknown key"),
        ('[dut]\nkind = "golden"', '[dut]\nkind = "golden"\nport = 3', "[dut].port: unknown key"),
        ("[limits]", "[limitz]", "limitz: unknown key"),
        (
            "supply_voltage_max_v = 3.6",
            "supply_voltage_max_v = 5.5",
            "[limits].supply_voltage_max_v: 5.5 exceeds the safe default 3.6",
        ),
        (
            "supply_voltage_max_v = 3.6",
            'supply_voltage_max_v = 3.6\nwiden = ["supply_volts"]',
            "[limits].widen: ['supply_volts']",
        ),
        (
            "supply_voltage_max_v = 3.6",
            'supply_voltage_max_v = 3.6\nwiden = ["supply_current_max_a"]',
            "widen names supply_current_max_a, which [limits] does not set",
        ),
        (
            "calibration_due = 2027-01-01",
            "calibration_due = 2027-01-01\nchannel = 4",
            ".channel: 4",
        ),
        (
            "calibration_due = 2027-01-01",
            "calibration_due = 2027-01-01\nvoltage_v = 3.7",
            "[instruments.supply].voltage_v: 3.7 exceeds supply_voltage_max_v 3.6",
        ),
        (
            "calibration_due = 2027-01-01",
            "calibration_due = 2027-01-01\ncurrent_limit_a = 0",
            "[instruments.supply].current_limit_a: 0; expected a positive number",
        ),
    ],
)
def test_malformed_station_names_the_key(tmp_path, old, new, needle):
    assert old in BASE
    path = tmp_path / "station.toml"
    path.write_text(BASE.replace(old, new))
    with pytest.raises(StationError) as err:
        load_station(path)
    assert str(path) in str(err.value) and needle in str(err.value)


def test_base_station_is_valid(tmp_path):
    path = tmp_path / "station.toml"
    path.write_text(BASE)
    s = load_station(path)
    assert s.hardware and s.instruments["supply"].backend == "@py"


def test_limits_merge_over_the_safe_defaults(tmp_path):
    """A station's [limits] tightens the safe defaults key by key; a key it leaves out keeps its
    default (never "no limit"); a key above its default needs [limits].widen."""
    path = tmp_path / "station.toml"
    path.write_text(BASE.replace("supply_voltage_max_v = 3.6", "supply_voltage_max_v = 3.4"))
    s = load_station(path)
    assert s.limits == SAFE_LIMITS | {"supply_voltage_max_v": 3.4}
    assert s.safety_limits().max_voltage_v == 3.4 and s.safety_limits().max_current_a == 0.1
    path.write_text(
        BASE[: BASE.index("[limits]")].replace(
            "calibration_due", "voltage_v = 3.0\ncalibration_due"
        )
    )
    assert load_station(path).limits == SAFE_LIMITS
    path.write_text(
        BASE.replace(
            "supply_voltage_max_v = 3.6",
            'supply_current_max_a = 0.5\nwiden = ["supply_current_max_a"]',
        )
    )
    assert load_station(path).limits["supply_current_max_a"] == 0.5


def test_safe_defaults_are_the_drivers_defaults():
    d = SafetyLimits()
    assert {
        "supply_voltage_max_v": d.max_voltage_v,
        "supply_current_max_a": d.max_current_a,
        "awg_amplitude_max_vpp": d.max_awg_amplitude_vpp,
        "awg_offset_max_v": d.max_awg_offset_v,
    } == SAFE_LIMITS


def test_supply_keys_belong_to_the_supply_only(tmp_path):
    path = tmp_path / "station.toml"
    path.write_text(
        BASE + '[instruments.dmm]\ndriver = "keysight_34465a"\nresource = "twin"\n'
        "simulated = true\nchannel = 1\n"
    )
    with pytest.raises(StationError, match=r"\[instruments.dmm\].channel: unknown key"):
        load_station(path)
