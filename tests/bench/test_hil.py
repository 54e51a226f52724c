"""A scenario on a station: instruments opened through the station file, supply on and off again,
setpoints bounded, calibration dates enforced, the capture's /dut group, the latency table."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import h5py
import pytest

from bench.instruments import CalibrationExpiredError, SafetyLimitError
from bench.instruments.sim import SupplyTwin
from bench.run.station import instruments, run_station_scenario
from bench.station import StationError, load_station
from chip_sim.pipeline import run_scenario
from scenarios import library
from scenarios.capture import read_capture

ROOT = Path(__file__).resolve().parents[2]


def station_file(tmp_path: Path, supply_resource: str, *, due: str | None = None, vmax=3.6) -> Path:
    cal = f"calibration_due = {due}\n" if due else "simulated = true\n"
    text = f"""[station]
name = "t"
[dut]
kind = "golden"
[instruments.supply]
driver = "keysight_e36312a"
resource = "{supply_resource}"
{cal}[instruments.awg]
driver = "keysight_33500b"
resource = "twin"
simulated = true
[limits]
supply_voltage_max_v = {vmax}
supply_current_max_a = 0.05
awg_amplitude_max_vpp = 2.0
"""
    path = tmp_path / "station.toml"
    path.write_text(text)
    return path


def test_run_powers_the_board_measures_and_switches_off(tmp_path):
    with SupplyTwin(lambda ch: 0.0009) as twin:
        station = load_station(station_file(tmp_path, twin.resource))
        r = run_station_scenario(station, "fall_forward", 1, capture=tmp_path / "run.h5")
        assert twin.received("VOLT 3.3,(@1)") and twin.received("OUTP 1,(@1)")
        assert twin.wait_for("OUTP 0,(@1)", timeout_s=5)  # switched off at the end
        assert twin.commands.index("OUTP 0,(@1)") > twin.commands.index("OUTP 1,(@1)")
    assert r.readings["supply_sampling_current_a"] == pytest.approx(0.0009)
    assert r.reception.aborted is None and r.accuracy.falls_detected == 1
    rows = {row["event"]: row for row in r.latency}
    assert 20 < rows["STEP"]["p50_ms"] < 60 and 1400 < rows["FALL"]["max_ms"] < 1700
    cap = read_capture(r.capture)
    assert cap.attrs["scenario"] == "fall_forward" and cap.attrs["dut"] == "golden"
    with h5py.File(r.capture) as f:
        dut = f["dut"]
        codes = set(dut["events"]["code"].tolist())
        assert {0x01, 0x02, 0x30} <= codes
        assert dut["raw_bytes"].shape[0] == len(r.reception.raw) > 1000
        assert dut["link"].attrs["crc_errors"] == 0
        assert json.loads(dut.attrs["latency"]) == r.latency
        assert dut.attrs["alignment_residual_s"] < 0.001


def test_setpoint_beyond_the_station_limit_is_refused_before_anything_opens(tmp_path):
    """The board's 3.3 V (the supply's default setpoint) above a 3.0 V station limit: the station
    file itself is refused, naming the key, before any instrument is reached."""
    with pytest.raises(StationError, match=r"\[instruments.supply\].voltage_v: 3.3 exceeds"):
        load_station(station_file(tmp_path, "TCPIP0::10.0.0.1::inst0::INSTR", vmax=3.0))


def test_a_station_without_limits_refuses_5v5_before_sending(tmp_path):
    """No [limits] means the safe defaults, never "no limit": 5.5 V (the example board's
    absolute maximum is 3.9 V) is refused by the driver and never reaches the supply."""
    with SupplyTwin() as twin:
        path = station_file(tmp_path, twin.resource)
        text = path.read_text()
        path.write_text(text[: text.index("[limits]")])
        station = load_station(path)
        assert station.limits["supply_voltage_max_v"] == 3.6
        with instruments(station) as kit:
            supply = kit["instruments"]["supply"]
            with pytest.raises(SafetyLimitError, match="supply"):
                supply.set_voltage(1, 5.5)
            supply.set_voltage(1, 3.3)
        assert twin.wait_for("VOLT 3.3,(@1)")  # a write: not acknowledged
        assert not any("5.5" in c for c in twin.commands)


def test_the_board_supply_comes_from_the_station_file(tmp_path):
    """Channel, voltage and current limit of the board's supply are the station's, not the
    bench's: a board on output 2 at 3.0 V with a 10 mA limit."""
    with SupplyTwin(lambda ch: 0.0009) as twin:
        path = station_file(tmp_path, twin.resource)
        path.write_text(
            path.read_text().replace(
                "[instruments.awg]",
                "channel = 2\nvoltage_v = 3.0\ncurrent_limit_a = 0.01\n[instruments.awg]",
            )
        )
        run_station_scenario(load_station(path), "fall_forward", 1)
        assert twin.received("VOLT 3,(@2)") or twin.received("VOLT 3.0,(@2)")
        assert twin.received("OUTP 1,(@2)") and not twin.received("OUTP 1,(@1)")
        assert twin.wait_for("OUTP 0,(@2)", timeout_s=5) or twin.wait_for(
            "OUTP 0,(@1,2,3)", timeout_s=5
        )


def test_expired_calibration_refuses_unless_allowed_and_is_recorded(tmp_path):
    with SupplyTwin() as twin:
        station = load_station(station_file(tmp_path, twin.resource, due="2020-01-31"))
        with pytest.raises(CalibrationExpiredError, match=r"supply.*2020-01-31"):
            run_station_scenario(station, "fall_forward", 1)
        assert twin.commands == []
        r = run_station_scenario(
            station,
            "fall_forward",
            1,
            capture=tmp_path / "run.h5",
            allow_expired_calibration=True,
        )
    assert any("2020-01-31" in note for note in r.notes)
    with h5py.File(r.capture) as f:
        assert "2020-01-31" in f["dut"].attrs["notes"]


def test_cli_run_on_the_simulated_station_prints_latency_and_accuracy(tmp_path):
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.cli.main",
            "run",
            "--station",
            str(ROOT / "bench" / "stations" / "simulated.toml"),
            "--scenario",
            "walk_level_1p3",
            "--capture",
            str(tmp_path / "c.h5"),
        ],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        timeout=300,
        cwd=tmp_path,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert "latency: host receipt" in p.stdout and "p95" in p.stdout
    assert "clock alignment from" in p.stdout and "STEP" in p.stdout
    assert (tmp_path / "c.h5").is_file()


def emulated_station(tmp_path: Path, scenario: str, speed: float):
    """`smile-bench emulate-board` on a free loopback port and a station whose DUT is its URL
    (instrument twins as in the simulated station)."""
    emulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.cli.main",
            "emulate-board",
            "--listen",
            "socket://127.0.0.1:0",
            "--scenario",
            scenario,
            "--speed",
            str(speed),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    url = emulator.stdout.readline().strip()
    assert url.startswith("socket://127.0.0.1:"), url
    station = tmp_path / "emulated.toml"
    station.write_text(
        (ROOT / "bench" / "stations" / "simulated.toml")
        .read_text()
        .replace('kind = "golden"', f'kind = "serial:{url}"\nspeed = {speed}')
    )
    return emulator, load_station(station)


def test_station_run_through_the_emulated_serial_board(tmp_path):
    """CI's stand-in for a board: `smile-bench emulate-board` behind a socket, and the station's
    DUT is that serial URL — the serial path exactly as with hardware, with instrument twins."""
    emulator, station = emulated_station(tmp_path, "fall_forward", 10)
    try:
        r = run_station_scenario(station, "fall_forward", 1, capture=tmp_path / "serial.h5")
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    assert r.dut.startswith("serial:socket://")
    assert r.reception.aborted is None and r.reception.stats.crc_errors == 0
    golden = run_scenario(library.load("fall_forward"), 1).accuracy()
    assert r.accuracy.falls_detected == 1
    assert r.accuracy.step_count_chip == golden.step_count_chip  # the board counts as the model
    assert r.alignment.drift == pytest.approx(1 / 10 - 1, abs=0.01)  # the emulator runs 10x
    with h5py.File(r.capture) as f:
        assert f["dut"].attrs["dut"].startswith("serial:") and len(f["dut/raw_bytes"]) > 1000


def test_board_that_disappears_ends_the_run_aborted_with_what_was_received(tmp_path):
    emulator, station = emulated_station(tmp_path, "walk_level_1p3", 5)
    killer = threading.Timer(4.0, emulator.kill)  # the board loses power mid-run
    killer.start()
    try:
        r = run_station_scenario(station, "walk_level_1p3", 1, capture=tmp_path / "cut.h5")
    finally:
        killer.cancel()
        emulator.kill()
        emulator.wait(timeout=10)
    assert r.reception.aborted and r.reception.aborted.startswith("aborted:")
    assert len(r.reception.frames) > 20  # what arrived before is kept
    with h5py.File(r.capture) as f:
        assert f["dut"].attrs["aborted"].startswith("aborted:")
        assert len(f["dut/events"]) > 10
