"""Station files: the example lab station and the simulated default load; every malformed key is
refused with a message naming the file and the key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bench.station import DEFAULT_STATION, StationError, load_station

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "stations" / "lab-example.toml"


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
        ('kind = "golden"', 'kind = "board"', "expected golden, rtl or serial:URL"),
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
