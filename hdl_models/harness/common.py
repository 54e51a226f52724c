"""What the cocotb benches of the stimulus-file harnesses (tb_step, tb_load_temp,
tb_fall_fault) share: the core clock, the case JSON named by an environment variable, the
stimulus path as a string port, and one run of a harness (`run_stimulus`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from cocotb import start_soon
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge

CLOCK_PERIOD_NS = 1085  # the core clock, 921.6 kHz (hdl_models/rtl/README.md)
PATH_BYTES = 256  # width of the harnesses' stim_path port in bytes


def load_case(env_var: str) -> dict:
    """The case JSON named by ``env_var``; a clear error when it is not set."""
    path = os.environ.get(env_var)
    if not path:
        raise RuntimeError(f"environment variable {env_var} is not set (path of the case JSON)")
    return json.loads(Path(path).read_text())


def path_value(path: str) -> int:
    """``path`` as the integer of a Verilog string vector (last character in the low byte)."""
    raw = path.encode("ascii")
    if len(raw) > PATH_BYTES:
        raise ValueError(
            f"stimulus path {path!r} has {len(raw)} bytes; the harness takes {PATH_BYTES}"
        )
    return int.from_bytes(raw, "big")


async def run_stimulus(dut, case: dict, register_ports: dict[str, str], collectors=()) -> None:
    """One run of a stimulus-file harness (tb_step, tb_load_temp, tb_fall_fault): the case's
    stimulus path and registers on the ports, the core clock, reset, the event collectors
    started, one `load` pulse, then wait for `done`. Other inputs must be idle already."""
    dut.stim_path.value = path_value(case["stimulus"])
    dut.n_samples.value = case["n_samples"]
    for register, port in register_ports.items():
        getattr(dut, port).value = case["registers"][register] & 0xFFFF_FFFF
    Clock(dut.clk, CLOCK_PERIOD_NS, unit="ns").start()
    dut.load.value = 0
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 3)
    dut.rst_n.value = 1
    await FallingEdge(dut.clk)
    for collector in collectors:
        start_soon(collector)
    dut.load.value = 1
    await FallingEdge(dut.clk)
    dut.load.value = 0
    await RisingEdge(dut.done)
    await FallingEdge(dut.clk)
