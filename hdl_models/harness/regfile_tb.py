"""cocotb test bench of the generated register file, against the golden model's RegisterFile."""

from __future__ import annotations

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from chip_sim.registers import RegisterFile, register_map


class RegfileTb:
    def __init__(self, dut):
        self.dut = dut
        cocotb.start_soon(Clock(dut.clk, 1085, unit="ns").start())  # 921.6 kHz core clock

    async def reset(self) -> None:
        d = self.dut
        d.rst_n.value = 0
        d.wr_en.value = 0
        d.rd_en.value = 0
        d.addr.value = 0
        d.wdata.value = 0
        for name in ("step_count", "fault_flags", "events_dropped", "sample_index"):
            getattr(d, f"live_{name}").value = 0
        await ClockCycles(d.clk, 2)
        d.rst_n.value = 1
        await RisingEdge(d.clk)

    async def write(self, addr: int, value: int) -> int:
        d = self.dut
        d.addr.value = addr
        d.wdata.value = value & 0xFFFFFFFF
        d.wr_en.value = 1
        await RisingEdge(d.clk)
        d.wr_en.value = 0
        await RisingEdge(d.clk)
        return int(d.status.value)

    async def read(self, addr: int) -> tuple[int, int]:
        d = self.dut
        d.addr.value = addr
        d.rd_en.value = 1
        await RisingEdge(d.clk)
        d.rd_en.value = 0
        await RisingEdge(d.clk)
        return d.rdata.value.to_signed(), int(d.status.value)


@cocotb.test()
async def registers_match_the_golden_model(dut):
    """Every register: reset value, in-range and out-of-range writes, read-only and unknown
    addresses — status (0 = ACK, else the NACK reason) and values as the golden model's."""
    tb = RegfileTb(dut)
    await tb.reset()
    model = RegisterFile()
    used = {r.addr for r in register_map()}
    for reg in register_map():
        value, status = await tb.read(reg.addr)
        expected, _ = model.read(reg.addr)
        assert (value, status) == (expected, 0), f"{reg.name}: read {value}, expected {expected}"
        probes = [reg.reset] if not reg.writable else [reg.min, reg.max, reg.min - 1, reg.max + 1]
        for v in probes:
            status = await tb.write(reg.addr, v)
            want = model.write(reg.addr, v) or 0
            assert status == want, f"{reg.name} <- {v}: status {status}, expected {want}"
            value, _ = await tb.read(reg.addr)
            assert value == model.read(reg.addr)[0], f"{reg.name} after writing {v}"
    for addr in (a for a in range(256) if a not in used):
        assert await tb.write(addr, 1) == 3
        assert (await tb.read(addr))[1] == 3
