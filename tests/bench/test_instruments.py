"""Protocol tests of the instrument drivers against a recording fake resource (no device).

Each driver must send exactly the expected commands and parse the answers; setpoints outside the
instrument's range or the station's safety limits are refused before anything is written.
"""

from __future__ import annotations

import datetime

import numpy as np
import pytest

from bench.errors import BenchError
from bench.instruments import (
    CalibrationExpiredError,
    Instrument,
    InstrumentError,
    InstrumentTimeoutError,
    Keysight33500B,
    Keysight34465A,
    Keysight53230A,
    KeysightE36312A,
    SafetyLimitError,
    SafetyLimits,
    control,
    in_range,
    measurement,
)
from bench.instruments.fake import FakeResource

DRIVERS = [KeysightE36312A, Keysight34465A, Keysight33500B, Keysight53230A]
WIDE = SafetyLimits(max_voltage_v=30, max_current_a=6, max_awg_amplitude_vpp=10, max_awg_offset_v=5)


def make(cls, answers=None, **kwargs):
    resource = FakeResource(answers)
    return cls(resource, **kwargs), resource


# --- supply ---


def test_supply_sends_crib_commands():
    supply, res = make(KeysightE36312A, {"MEAS:CURR? (@1)": "+1.234000E-03"})
    supply.set_voltage(1, 3.3)
    supply.set_current_limit(1, 0.1)
    supply.output(1, True)
    current_a = supply.measure_current(1)
    assert res.sent == ["VOLT 3.3,(@1)", "CURR 0.1,(@1)", "OUTP 1,(@1)", "MEAS:CURR? (@1)"]
    assert current_a == pytest.approx(1.234e-3)


def test_supply_channel_properties_read_back():
    supply, res = make(
        KeysightE36312A,
        {"VOLT? (@2)": "+1.800000E+00", "OUTP? (@2)": "1", "MEAS:VOLT? (@2)": "1.7999"},
    )
    ch2 = supply.channel(2)
    assert ch2.voltage_v == pytest.approx(1.8)
    assert ch2.output_enabled is True
    assert supply.measure_voltage(2) == pytest.approx(1.7999)
    assert res.writes == []


def test_supply_all_outputs_off_reaches_every_channel():
    supply, res = make(KeysightE36312A)
    supply.all_outputs_off()
    assert res.writes == ["OUTP 0,(@1)", "OUTP 0,(@2)", "OUTP 0,(@3)"]


@pytest.mark.parametrize("channel", [0, 4])
def test_supply_refuses_unknown_channel(channel):
    supply, res = make(KeysightE36312A)
    with pytest.raises(ValueError, match=rf"{channel}.*expected one of \(1, 2, 3\)"):
        supply.set_voltage(channel, 1.0)
    assert res.log == []


def test_supply_refuses_voltage_above_channel_rating():
    supply, res = make(KeysightE36312A, limits=WIDE)
    expected = r"supply ch1: voltage_v 7 is out of range; expected 0 ≤ value ≤ 6.18"
    with pytest.raises(ValueError, match=expected):
        supply.set_voltage(1, 7.0)
    assert res.log == []


def test_supply_refuses_setpoints_beyond_safety_limits_and_writes_nothing():
    limits = SafetyLimits(max_voltage_v=3.6, max_current_a=0.05)
    supply, res = make(KeysightE36312A, limits=limits, name="vdd_supply")
    with pytest.raises(SafetyLimitError) as info:
        supply.set_voltage(2, 5.0)
    message = str(info.value)
    assert "vdd_supply" in message and "5" in message and "max_voltage_v = 3.6" in message
    with pytest.raises(SafetyLimitError, match=r"current_limit_a 0.2 .*max_current_a = 0.05"):
        supply.set_current_limit(1, 0.2)
    assert res.log == []


# --- DMM ---


def test_dmm_measurements():
    dmm, res = make(
        Keysight34465A,
        {"MEAS:CURR:DC? AUTO": "+1.02345678E-03", "MEAS:VOLT:DC? AUTO": "+3.30012345E+00"},
    )
    assert dmm.measure_dc_current() == pytest.approx(1.02345678e-3)
    assert dmm.measure_dc_voltage() == pytest.approx(3.30012345)
    assert res.sent == ["MEAS:CURR:DC? AUTO", "MEAS:VOLT:DC? AUTO"]


def test_unparsable_answer_names_instrument_and_command():
    dmm, _ = make(Keysight34465A, {"MEAS:CURR:DC? AUTO": "overload"}, name="dmm_ibias")
    with pytest.raises(InstrumentError, match=r"dmm_ibias.*'overload'.*MEAS:CURR:DC\? AUTO"):
        dmm.measure_dc_current()


# --- AWG ---


def test_awg_upload_sequence():
    awg, res = make(Keysight33500B, limits=WIDE)
    samples = np.array([0.0, 0.5, 1.0, 0.5, 0.0, -0.5, -1.0, -0.5])
    awg.upload_arb("gait1", samples, sample_rate_hz=1000.0, amplitude_vpp=0.2, offset_v=0.1)
    assert res.writes == [
        "DATA:VOL:CLE",
        "DATA:ARB gait1,0,0.5,1,0.5,0,-0.5,-1,-0.5",
        "FUNC ARB",
        "FUNC:ARB gait1",
        "FUNC:ARB:SRAT 1000",
        "VOLT 0.2",
        "VOLT:OFFS 0.1",
    ]
    awg.output(True)
    awg.output(False)
    assert res.writes[-2:] == ["OUTP 1", "OUTP 0"]


@pytest.mark.parametrize(
    ("samples", "match"),
    [
        (np.array([0.0] * 7 + [1.5]), r"sample 7 is 1.5.*-1 ≤ sample ≤ 1.*none clipped"),
        (np.array([0.0] * 7 + [np.nan]), r"sample 7 is nan"),
        (np.zeros(4), r"shape \(4,\).*8 to 65536"),
        (np.zeros((8, 2)), r"shape \(8, 2\)"),
        (np.zeros(65537), r"65536"),
    ],
)
def test_awg_refuses_bad_waveforms_before_sending(samples, match):
    awg, res = make(Keysight33500B)
    with pytest.raises(ValueError, match=match):
        awg.upload_arb("w", samples, 1000.0, 0.1)
    assert res.log == []


def test_awg_refuses_bad_name_and_rate():
    awg, res = make(Keysight33500B)
    with pytest.raises(ValueError, match="name '1bad'"):
        awg.upload_arb("1bad", np.zeros(8), 1000.0, 0.1)
    with pytest.raises(ValueError, match=r"sample_rate_hz 1e\+09 is out of range"):
        awg.upload_arb("ok", np.zeros(8), 1e9, 0.1)
    assert res.log == []


def test_awg_amplitude_beyond_safety_limit_sends_nothing():
    awg, res = make(Keysight33500B, limits=SafetyLimits(max_awg_amplitude_vpp=0.5), name="awg_fe")
    with pytest.raises(SafetyLimitError, match=r"awg_fe: amplitude_vpp 2 .*max_awg_amplitude_vpp"):
        awg.upload_arb("w", np.zeros(8), 1000.0, amplitude_vpp=2.0)
    with pytest.raises(SafetyLimitError, match=r"offset_v -1.5 .*max_awg_offset_v = 1"):
        awg.offset_v = -1.5
    with pytest.raises(SafetyLimitError):
        awg.amplitude_vpp = 0.6
    assert res.log == []


# --- counter ---


def test_counter_timestamps():
    counter, res = make(Keysight53230A, {"FETC?": "+0.000000000000E+00,+1.5E-03,+2.25E-02"})
    counter.configure_timestamps(3, channel=1)
    counter.start()
    stamps_s = counter.fetch_timestamps_s()
    assert res.sent == ["CONF:TST 3,(@1)", "INIT", "FETC?"]
    np.testing.assert_allclose(stamps_s, [0.0, 1.5e-3, 2.25e-2])


@pytest.mark.parametrize(("count", "channel"), [(0, 1), (1_000_001, 1), (10, 3), (2.5, 1)])
def test_counter_refuses_bad_configuration(count, channel):
    counter, res = make(Keysight53230A)
    with pytest.raises(ValueError, match="counter"):
        counter.configure_timestamps(count, channel=channel)
    assert res.log == []


# --- conformance: every driver ---


@pytest.mark.parametrize("cls", DRIVERS)
def test_driver_idn_and_clean_error_queue(cls):
    driver, res = make(cls, {"*IDN?": "Keysight Technologies,X,1,2\n"})
    assert driver.idn() == "Keysight Technologies,X,1,2"
    driver.check_errors()
    assert res.sent == ["*IDN?", "SYST:ERR?"]
    assert isinstance(driver, Instrument) and driver.name == cls.kind


@pytest.mark.parametrize("cls", DRIVERS)
def test_driver_surfaces_scpi_errors_with_its_name(cls):
    queue = ['-113,"Undefined header"', '-222,"Data out of range"', '+0,"No error"']
    driver, res = make(cls, {"SYST:ERR?": queue}, name=f"my_{cls.kind}")
    with pytest.raises(InstrumentError) as info:
        driver.check_errors()
    message = str(info.value)
    assert message.startswith(f"my_{cls.kind}:")
    assert '-113,"Undefined header"' in message and '-222,"Data out of range"' in message
    assert res.sent == ["SYST:ERR?"] * 3
    assert isinstance(info.value, BenchError)


@pytest.mark.parametrize("cls", DRIVERS)
def test_driver_timeout_names_instrument_and_command(cls):
    driver, _ = make(cls, {}, name=f"slow_{cls.kind}", timeout_s=0.25)
    with pytest.raises(InstrumentTimeoutError, match=rf"slow_{cls.kind}: no answer to '\*IDN\?'"):
        driver.idn()


def test_garbled_error_queue_is_an_instrument_error():
    driver, _ = make(Keysight34465A, {"SYST:ERR?": "garbage"})
    with pytest.raises(InstrumentError, match="not a SCPI error entry"):
        driver.check_errors()


def test_endless_error_queue_stops():
    driver, res = make(Keysight34465A, {"SYST:ERR?": lambda q: '-100,"Command error"'})
    with pytest.raises(InstrumentError, match="not empty after"):
        driver.check_errors()
    assert len(res.sent) == 50


# --- calibration ---

TODAY = datetime.date(2026, 3, 1)


def test_expired_calibration_is_refused_before_opening():
    resource = FakeResource()
    with pytest.raises(CalibrationExpiredError, match=r"supply: calibration expired 2026-01-31"):
        KeysightE36312A(resource, calibration_due=datetime.date(2026, 1, 31), today=TODAY)
    assert resource.log == []


def test_expired_calibration_allowed_leaves_a_note():
    supply = KeysightE36312A(
        FakeResource(),
        calibration_due=datetime.date(2026, 1, 31),
        allow_expired_calibration=True,
        today=TODAY,
    )
    assert supply.calibration_note == (
        "supply: calibration expired 2026-01-31, used with --allow-expired-calibration"
    )


@pytest.mark.parametrize("due", [None, TODAY, datetime.date(2027, 1, 1)])
def test_valid_calibration_has_no_note(due):
    dmm = Keysight34465A(FakeResource(), calibration_due=due, today=TODAY)
    assert dmm.calibration_note is None


def test_opening_an_unknown_resource_names_the_instrument():
    with pytest.raises(InstrumentError, match="dmm_x: cannot open 'NOSUCH::INSTR'"):
        Keysight34465A("NOSUCH::INSTR", name="dmm_x")


def test_refused_connection_names_the_instrument_and_command():
    # pyvisa-py opens a socket resource lazily: the refusal shows at the first command
    dmm = Keysight34465A("TCPIP0::127.0.0.1::1::SOCKET", name="dmm_x", timeout_s=0.2)
    with pytest.raises(InstrumentError, match=r"dmm_x: I/O error on '\*IDN\?'"):
        dmm.idn()
    dmm.close()


# --- descriptors ---


class _Toy(Instrument):
    kind = "toy"
    level_v = control(
        "LEV?",
        "LEV {value:g}",
        "Level in V.",
        validator=in_range,
        values=(0, 5),
        limit="max_voltage_v",
    )
    reading_a = measurement("READ?", "Reading in A.")


def test_control_and_measurement_descriptors():
    toy, res = make(_Toy, {"LEV?": "2.5", "READ?": "1e-3"}, limits=SafetyLimits(max_voltage_v=3))
    toy.level_v = 2
    assert toy.level_v == 2.5 and toy.reading_a == pytest.approx(1e-3)
    with pytest.raises(ValueError, match=r"toy: level_v 6 is out of range; expected 0 ≤ value ≤ 5"):
        toy.level_v = 6
    with pytest.raises(SafetyLimitError, match="toy: level_v 4 exceeds"):
        toy.level_v = 4
    with pytest.raises(AttributeError, match="reading_a is a measurement"):
        toy.reading_a = 1
    assert res.writes == ["LEV 2"]
    assert "Level in V." in _Toy.level_v.__doc__


def test_close_closes_the_resource():
    with Keysight34465A(FakeResource()) as dmm:
        resource = dmm._resource
    assert resource.closed
