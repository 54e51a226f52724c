"""Tests on real hardware: the lab station's board and instruments. Skipped unless pytest is given
a station file with hardware, e.g.

    .venv/bin/pytest tests/hardware --station stations/my-lab.toml

They check what only a lab can: every instrument answers *IDN? with its model and an empty error
queue, the board answers register access and NACKs like the chip model, and a short scenario run
through the supply, the waveform generator and the board ends with the supply off."""

from __future__ import annotations

import pytest

from bench.duts.protocol import NackError
from bench.run.station import instruments, open_dut, run_station_scenario
from chip_sim.icd import NackReason
from chip_sim.registers import register_map

pytestmark = pytest.mark.hardware

MODELS = {
    "keysight_e36312a": "E36312A",
    "keysight_34465a": "34465A",
    "keysight_33500b": "335",
    "keysight_53230a": "53230A",
}


def test_instruments_identify_and_have_no_errors(station):
    with instruments(station) as kit:
        for name, inst in kit["instruments"].items():
            assert MODELS[station.instruments[name].driver] in inst.idn()
            inst.check_errors()


def test_board_register_access_and_nacks(station):
    dut = open_dut(station)
    try:
        assert dut.read_register("CHIP_ID") == register_map().by_name("CHIP_ID").reset
        with pytest.raises(NackError) as nack:
            dut.write_register("CHIP_ID", 0)
        assert nack.value.reason == NackReason.READ_ONLY_REGISTER
    finally:
        dut.close()


def test_short_scenario_on_the_bench(station, tmp_path):
    r = run_station_scenario(station, "walk_level_1p3", 1, capture=tmp_path / "lab.h5")
    assert r.reception.aborted is None
    assert r.alignment is not None and r.alignment.residual_s < 0.001
