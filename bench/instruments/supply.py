"""Keysight E36312A triple-output DC power supply (ch 1: 0–6 V / 0–5 A; ch 2, 3: 0–25 V / 0–1 A).

SCPI commands used (channel list ``(@n)``, n = 1..3):

==========================  ===========================================
``VOLT <v>,(@n)``           voltage setpoint, V
``VOLT? (@n)``              voltage setpoint read back
``CURR <a>,(@n)``           current limit, A
``CURR? (@n)``              current limit read back
``OUTP <0|1>,(@n)``         output off / on
``OUTP? (@n)``              output state
``MEAS:VOLT? (@n)``         measured output voltage, V
``MEAS:CURR? (@n)``         measured output current, A
``*IDN?``, ``SYST:ERR?``    identification, error queue
==========================  ===========================================
"""

from __future__ import annotations

from bench.instruments.base import Instrument, control, in_range, in_set, measurement, to_bool
from bench.instruments.errors import SafeShutdownError

CHANNELS = (1, 2, 3)
#: instrument ratings per channel: (max voltage V, max current A)
RATINGS = {1: (6.18, 5.15), 2: (25.75, 1.03), 3: (25.75, 1.03)}


class SupplyChannel:
    """One output of the supply; settings are properties with units in their names."""

    def __init__(self, supply: KeysightE36312A, channel: int) -> None:
        in_set(channel, CHANNELS)
        self.supply = supply
        self.channel = channel
        self.name = f"{supply.name} ch{channel}"

    # the descriptors call these on their owner
    def format_command(self, template: str, **fields: object) -> str:
        return template.format(ch=self.channel, **fields)

    def write(self, command: str) -> None:
        self.supply.write(command)

    def ask(self, command: str) -> str:
        return self.supply.ask(command)

    def check_limit(self, setting: str, value: float, limit: str) -> None:
        self.supply.check_limit(f"ch{self.channel} {setting}", value, limit)

    voltage_v = control(
        "VOLT? (@{ch})",
        "VOLT {value:g},(@{ch})",
        "Voltage setpoint in V (0 to the channel rating; checked against max_voltage_v).",
        validator=in_range,
        values=lambda ch: (0.0, RATINGS[ch.channel][0]),
        limit="max_voltage_v",
    )
    current_limit_a = control(
        "CURR? (@{ch})",
        "CURR {value:g},(@{ch})",
        "Current limit in A (0 to the channel rating; checked against max_current_a).",
        validator=in_range,
        values=lambda ch: (0.0, RATINGS[ch.channel][1]),
        limit="max_current_a",
    )
    output_enabled = control(
        "OUTP? (@{ch})",
        "OUTP {value:d},(@{ch})",
        "Output state, True = on.",
        validator=in_set,
        values=(True, False),
        get_process=to_bool,
    )
    measured_voltage_v = measurement("MEAS:VOLT? (@{ch})", "Measured output voltage in V.")
    measured_current_a = measurement("MEAS:CURR? (@{ch})", "Measured output current in A.")


class KeysightE36312A(Instrument):
    """Keysight E36312A supply; ``channel(n)`` gives the settings of output n."""

    kind = "supply"

    def channel(self, channel: int) -> SupplyChannel:
        return SupplyChannel(self, channel)

    def set_voltage(self, channel: int, voltage_v: float) -> None:
        self.channel(channel).voltage_v = voltage_v

    def set_current_limit(self, channel: int, current_a: float) -> None:
        self.channel(channel).current_limit_a = current_a

    def output(self, channel: int, on: bool) -> None:
        self.channel(channel).output_enabled = bool(on)

    def measure_current(self, channel: int) -> float:
        """Measured output current of ``channel`` in A."""
        return self.channel(channel).measured_current_a

    def measure_voltage(self, channel: int) -> float:
        """Measured output voltage of ``channel`` in V."""
        return self.channel(channel).measured_voltage_v

    def all_outputs_off(self) -> None:
        """Send ``OUTP 0,(@n)`` to every channel, even if one of them fails."""
        failures = []
        for channel in CHANNELS:
            try:
                self.output(channel, False)
            except Exception as exc:  # try the other channels before reporting
                failures.append(f"ch{channel}: {exc}")
        if failures:
            raise SafeShutdownError(f"{self.name}: OUTP 0 failed on {'; '.join(failures)}")
