"""The same drivers against simulated twins: a pyvisa-sim device file and loopback SCPI servers
reached through pyvisa-py (``@py``). Only the resource string differs from the hardware."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from bench.instruments import (
    InstrumentError,
    InstrumentTimeoutError,
    Keysight33500B,
    Keysight34465A,
    Keysight53230A,
    KeysightE36312A,
    SafetyLimits,
)
from bench.instruments.sim import (
    STATIC_DMM_RESOURCE,
    STATIC_YAML,
    AwgTwin,
    CounterTwin,
    DmmTwin,
    ScpiServer,
    SupplyTwin,
)

SIM_BACKEND = f"{STATIC_YAML}@sim"


# --- pyvisa-sim ---


@pytest.fixture
def sim_dmm():
    dmm = Keysight34465A(STATIC_DMM_RESOURCE, backend=SIM_BACKEND, name="dmm")
    yield dmm
    # pyvisa-sim keeps device state for the whole process: leave the error queue empty
    while dmm.ask("SYST:ERR?") != '+0,"No error"':
        pass
    dmm.close()


def test_pyvisa_sim_dmm_reads(sim_dmm):
    assert sim_dmm.idn().startswith("Keysight Technologies,34465A")
    assert 0.95e-3 <= sim_dmm.measure_dc_current() <= 1.05e-3
    assert 3.29 <= sim_dmm.measure_dc_voltage() <= 3.31
    sim_dmm.check_errors()


def test_pyvisa_sim_error_queue_is_surfaced_and_queries_stay_aligned(sim_dmm):
    sim_dmm.write("CONF:FRES")  # not in the device file
    with pytest.raises(InstrumentError, match=r'^dmm: instrument reported -113,"Undefined header"'):
        sim_dmm.check_errors()
    sim_dmm.check_errors()
    assert 0.95e-3 <= sim_dmm.measure_dc_current() <= 1.05e-3


# --- SCPI twins over pyvisa-py ---


class ChipLoad:
    """Stand-in for the emulated chip: its current draw depends on its power state."""

    current_a: ClassVar[dict[str, float]] = {"sleep": 2e-6, "sampling": 850e-6, "radio": 4.2e-3}

    def __init__(self) -> None:
        self.state = "sleep"

    def __call__(self, channel: int) -> float:
        return self.current_a[self.state] if channel == 1 else 0.0


@pytest.fixture
def supply_and_twin():
    chip = ChipLoad()
    with SupplyTwin(load_current_a=chip) as twin:
        supply = KeysightE36312A(twin.resource, timeout_s=2.0)
        yield supply, twin, chip
        supply.close()


def test_supply_twin_current_follows_the_chip_and_is_zero_when_off(supply_and_twin):
    supply, twin, chip = supply_and_twin
    supply.set_voltage(1, 3.3)
    supply.set_current_limit(1, 0.01)
    assert supply.measure_current(1) == 0.0  # output still off
    supply.output(1, True)
    assert supply.measure_current(1) == pytest.approx(2e-6)
    chip.state = "radio"
    assert supply.measure_current(1) == pytest.approx(4.2e-3)
    assert supply.measure_voltage(1) == pytest.approx(3.3)
    assert supply.channel(1).output_enabled is True
    assert twin.channels[1].voltage_v == 3.3 and twin.channels[1].current_limit_a == 0.01
    supply.all_outputs_off()
    assert supply.measure_current(1) == 0.0
    assert twin.commands[:3] == ["VOLT 3.3,(@1)", "CURR 0.01,(@1)", "MEAS:CURR? (@1)"]
    assert all(twin.received(f"OUTP 0,(@{ch})") for ch in (1, 2, 3))
    supply.check_errors()


def test_supply_twin_clamps_to_the_current_limit(supply_and_twin):
    supply, _twin, chip = supply_and_twin
    chip.state = "radio"
    supply.set_current_limit(1, 0.001)
    supply.output(1, True)
    assert supply.measure_current(1) == pytest.approx(0.001)


def test_twin_scpi_error_is_surfaced_with_the_instrument_name(supply_and_twin):
    supply, _twin, _chip = supply_and_twin
    supply.write("VOLT:PROT 4,(@1)")  # not modelled by the twin
    with pytest.raises(
        InstrumentError, match=r'^supply: instrument reported -113,"Undefined header"'
    ):
        supply.check_errors()
    supply.check_errors()  # the queue is empty again


def test_awg_twin_round_trips_the_waveform():
    with AwgTwin() as twin:
        awg = Keysight33500B(twin.resource, limits=SafetyLimits(max_awg_amplitude_vpp=1.0))
        samples = np.sin(np.linspace(0, 2 * np.pi, 4096, endpoint=False))
        awg.upload_arb("strain1", samples, sample_rate_hz=2_000.0, amplitude_vpp=0.5, offset_v=0.1)
        awg.output(True)
        assert awg.sample_rate_hz == 2000.0
        assert awg.amplitude_vpp == 0.5 and awg.offset_v == 0.1 and awg.output_enabled
        awg.check_errors()
        playback = twin.playback()
        awg.close()
    assert playback is not None and playback.name == "strain1"
    np.testing.assert_allclose(playback.samples, samples, atol=1e-6)
    assert (playback.sample_rate_hz, playback.amplitude_vpp, playback.offset_v) == (2e3, 0.5, 0.1)
    assert playback.output_enabled
    np.testing.assert_allclose(playback.voltage_v(), 0.1 + 0.25 * samples, atol=1e-6)


def test_awg_twin_takes_the_longest_waveform():
    samples = np.linspace(-1.0, 1.0, 65_536)
    with AwgTwin() as twin:
        awg = Keysight33500B(twin.resource, timeout_s=5.0)
        awg.upload_arb("ramp", samples, sample_rate_hz=1e5, amplitude_vpp=0.1)
        awg.check_errors()
        awg.close()
        np.testing.assert_allclose(twin.playback().samples, samples, atol=1e-5)


def test_counter_twin_timestamps():
    edges_s = [0.0, 0.0125, 0.0250, 0.0375, 0.05]
    with CounterTwin(timestamps_s=edges_s) as twin:
        counter = Keysight53230A(twin.resource)
        counter.configure_timestamps(4, channel=1)
        counter.start()
        stamps_s = counter.fetch_timestamps_s()
        counter.check_errors()
        counter.close()
    np.testing.assert_allclose(stamps_s, edges_s[:4])
    assert twin.commands[:2] == ["CONF:TST 4,(@1)", "INIT"]


def test_dmm_twin_reads_the_model():
    with DmmTwin(dc_current_a=lambda: 1.5e-3, dc_voltage_v=lambda: 3.3) as twin:
        dmm = Keysight34465A(twin.resource)
        assert dmm.measure_dc_current() == pytest.approx(1.5e-3)
        assert dmm.measure_dc_voltage() == pytest.approx(3.3)
        assert dmm.idn() == DmmTwin.idn
        dmm.close()


def test_silent_instrument_times_out_naming_instrument_and_command():
    with ScpiServer(mute=True) as server:
        dmm = Keysight34465A(server.resource, name="dmm_bias", timeout_s=0.2)
        with pytest.raises(
            InstrumentTimeoutError,
            match=r"^dmm_bias: no answer to 'MEAS:CURR:DC\? AUTO' within 0.2 s",
        ):
            dmm.measure_dc_current()
        dmm.close()
        assert server.received("MEAS:CURR:DC? AUTO")


def test_server_binds_loopback_only_and_stops():
    server = ScpiServer().start()
    assert server.resource.startswith("TCPIP0::127.0.0.1::")
    assert server._server.server_address[0] == "127.0.0.1"
    server.stop()
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.port
