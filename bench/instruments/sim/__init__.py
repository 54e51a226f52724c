"""Simulated twins of the bench instruments: a pyvisa-sim device file and loopback SCPI servers."""

from pathlib import Path

from bench.instruments.sim.scpi_server import ScpiCommandError, ScpiServer
from bench.instruments.sim.twins import ArbPlayback, AwgTwin, CounterTwin, DmmTwin, SupplyTwin

#: pyvisa-sim device file of the DMM; backend string ``f"{STATIC_YAML}@sim"``
STATIC_YAML = Path(__file__).with_name("static.yaml")
STATIC_DMM_RESOURCE = "USB0::0x2A8D::0x0101::MY00000001::INSTR"

__all__ = [
    "STATIC_DMM_RESOURCE",
    "STATIC_YAML",
    "ArbPlayback",
    "AwgTwin",
    "CounterTwin",
    "DmmTwin",
    "ScpiCommandError",
    "ScpiServer",
    "SupplyTwin",
]
