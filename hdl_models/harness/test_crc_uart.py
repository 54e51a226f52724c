"""cocotb tests of crc16, uart_tx/uart_rx and frame_tx against the project's codec (chip_sim.icd).

Toplevel ``tb_units`` (tb_units.v beside this file) holds all units, so each simulator builds once;
run through ``hdl_models.sim.build_and_test`` (tests/hdl/test_rtl_units.py). The clock is cocotb's
``Clock`` at the core's 921.6 kHz (rounded to 1085 ns); one bit is ``CLKS_PER_BIT`` clocks. All
tests share one simulation: each starts its clock and resets the whole harness first. Random data
comes from one ``numpy.random.Generator`` per test, seeded from cocotb's seed.
"""

from __future__ import annotations

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge, Timer
from cocotbext.uart import UartSink

from chip_sim.icd import EventPayload, FrameDecoder, FrameType, crc16, encode_frame

CORE_CLOCK_HZ = 921_600  # the core clock, see hdl_models/rtl/README.md
CLOCK_PERIOD_NS = 1085  # 1e9 / CORE_CLOCK_HZ = 1085.07 ns, rounded to the HDL time unit


def rng_for(name: str) -> np.random.Generator:
    """The test's random generator: cocotb's seed (COCOTB_RANDOM_SEED) and the test's name."""
    return np.random.default_rng([cocotb.RANDOM_SEED, *name.encode()])


class Harness:
    """Clock, reset and idle levels of tb_units; each unit's testbench wraps one of these."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.clks_per_bit = int(dut.CLKS_PER_BIT.value)
        self.bit_ns = self.clks_per_bit * CLOCK_PERIOD_NS

    async def start(self) -> None:
        d = self.dut
        Clock(d.clk, CLOCK_PERIOD_NS, unit="ns").start()
        for name in ("crc_init", "crc_valid", "crc_data", "uart_tx_valid", "uart_tx_data"):
            getattr(d, name).value = 0
        for name in ("frame_start", "frame_type", "frame_seq", "frame_len", "frame_pl_valid"):
            getattr(d, name).value = 0
        d.frame_pl_data.value = 0
        d.uart_rx_ext.value = 1
        d.rst_n.value = 0
        await ClockCycles(d.clk, 3)
        d.rst_n.value = 1
        await FallingEdge(d.clk)


class CrcTb:
    """crc16: one byte per clock, inputs driven on the falling edge."""

    def __init__(self, harness: Harness) -> None:
        self.dut = harness.dut

    async def crc_of(self, data: bytes) -> int:
        d = self.dut
        d.crc_init.value = 1
        await FallingEdge(d.clk)
        d.crc_init.value = 0
        for byte in data:
            d.crc_valid.value = 1
            d.crc_data.value = byte
            await FallingEdge(d.clk)
        d.crc_valid.value = 0
        return int(d.crc_out.value)


class UartTb:
    """uart_tx -> uart_rx loopback; received bytes and framing errors are collected."""

    def __init__(self, harness: Harness) -> None:
        self.h = harness
        self.dut = harness.dut
        self.received: list[int] = []
        self.frame_errors = 0
        cocotb.start_soon(self._collect())
        cocotb.start_soon(self._count_errors())

    async def _collect(self) -> None:
        while True:
            await RisingEdge(self.dut.uart_rx_valid)
            await ReadOnly()  # o_data settles in the same time step as o_valid
            self.received.append(int(self.dut.uart_rx_data.value))

    async def _count_errors(self) -> None:
        while True:
            await RisingEdge(self.dut.uart_rx_frame_err)
            self.frame_errors += 1

    async def send(self, data: bytes) -> None:
        """Hand ``data`` to uart_tx (valid/ready, driven and sampled on the falling edge)."""
        d = self.dut
        await FallingEdge(d.clk)  # after a Timer we may be at a falling edge yet to happen
        for byte in data:
            d.uart_tx_valid.value = 1
            d.uart_tx_data.value = byte
            while not d.uart_tx_ready.value:
                await FallingEdge(d.clk)
            await FallingEdge(d.clk)  # taken on the rising edge in between
        d.uart_tx_valid.value = 0

    async def idle_bits(self, bits: float) -> None:
        await Timer(round(bits * self.h.bit_ns), unit="ns")

    async def bang(self, levels: list[int]) -> None:
        """Drive ``levels`` on the receiver's line, one per bit time (the transmitter idles)."""
        for level in levels:
            self.dut.uart_rx_ext.value = level
            await Timer(self.h.bit_ns, unit="ns")
        self.dut.uart_rx_ext.value = 1


class FrameTxTb:
    """frame_tx: header and payload handshakes; its line decoded by cocotbext-uart's UartSink."""

    def __init__(self, harness: Harness) -> None:
        self.dut = harness.dut
        # nominal baud: UartSink times bits as int(1e9 / baud) ns = 8680 ns = 8 clocks of 1085 ns
        baud = CORE_CLOCK_HZ / harness.clks_per_bit
        self.sink = UartSink(self.dut.frame_txd, baud=baud, bits=8)

    async def send(self, frame_type: int, seq: int, payload: bytes) -> None:
        """One frame through the header and payload handshakes; returns once it is on the line."""
        d = self.dut
        await FallingEdge(d.clk)
        while not d.frame_ready.value:
            await FallingEdge(d.clk)
        d.frame_type.value, d.frame_seq.value, d.frame_len.value = frame_type, seq, len(payload)
        d.frame_start.value = 1
        await FallingEdge(d.clk)
        d.frame_start.value = 0
        for byte in payload:
            d.frame_pl_valid.value = 1
            d.frame_pl_data.value = byte
            while not d.frame_pl_ready.value:
                await RisingEdge(d.frame_pl_ready)
                await FallingEdge(d.clk)
            await FallingEdge(d.clk)
        d.frame_pl_valid.value = 0
        while not d.frame_ready.value:
            await RisingEdge(d.frame_ready)
        await FallingEdge(d.clk)

    async def wire_bytes(self, count: int) -> bytes:
        """The next ``count`` bytes UartSink decoded (after the last stop bit has passed)."""
        data = bytearray()
        while len(data) < count:
            data += await self.sink.read()
        return bytes(data)


# --- crc16 ------------------------------------------------------------------------------------


@cocotb.test()
async def crc_check_value(dut) -> None:
    """CRC-16/CCITT-FALSE of ASCII "123456789" is 0x29B1 (ICD section 2), as in chip_sim.icd."""
    h = Harness(dut)
    await h.start()
    got = await CrcTb(h).crc_of(b"123456789")
    assert got == 0x29B1 == crc16(b"123456789"), f"crc16('123456789') = 0x{got:04X}"


@cocotb.test()
async def crc_random_strings(dut) -> None:
    """200 random byte strings (0..64 bytes) give chip_sim.icd.crc16's value."""
    h = Harness(dut)
    await h.start()
    tb, rng = CrcTb(h), rng_for("crc_random_strings")
    for i in range(200):
        data = rng.integers(0, 256, size=int(rng.integers(0, 65)), dtype=np.uint8).tobytes()
        got = await tb.crc_of(data)
        assert got == crc16(data), (
            f"string {i} {data.hex()}: RTL 0x{got:04X}, model 0x{crc16(data):04X}"
        )


# --- uart_tx / uart_rx ------------------------------------------------------------------------


@cocotb.test()
async def uart_loopback_random_bytes(dut) -> None:
    """64 random bytes sent back-to-back by uart_tx arrive unchanged at uart_rx, no errors."""
    h = Harness(dut)
    await h.start()
    tb, rng = UartTb(h), rng_for("uart_loopback_random_bytes")
    data = bytes([0x00, 0xFF, 0x55, 0xAA]) + rng.integers(0, 256, 60, dtype=np.uint8).tobytes()
    await tb.send(data)
    await tb.idle_bits(12)
    assert bytes(tb.received) == data, f"sent {data.hex()}, received {bytes(tb.received).hex()}"
    assert tb.frame_errors == 0


@cocotb.test()
async def uart_rx_bad_stop_bit_is_dropped(dut) -> None:
    """A byte with a low stop bit is dropped with one framing-error pulse; the next is fine."""
    h = Harness(dut)
    await h.start()
    tb = UartTb(h)
    # start, 0x3C LSB first, stop bit low, then low for two more bits (a short break)
    await tb.bang([0] + [(0x3C >> k) & 1 for k in range(8)] + [0, 0, 0])
    await tb.idle_bits(2)
    assert tb.received == [], f"a frame with a low stop bit was delivered: {tb.received}"
    assert tb.frame_errors == 1
    await tb.send(b"\x96")
    await tb.idle_bits(12)
    assert tb.received == [0x96]
    assert tb.frame_errors == 1


@cocotb.test()
async def uart_rx_recovers_from_garbage(dut) -> None:
    """After random levels of random lengths (glitches, breaks) the receiver takes good bytes."""
    h = Harness(dut)
    await h.start()
    tb, rng = UartTb(h), rng_for("uart_rx_recovers_from_garbage")
    for burst in range(5):
        for _ in range(40):  # levels lasting 1 clock .. 3 bits, not bit-aligned
            dut.uart_rx_ext.value = int(rng.integers(0, 2))
            await Timer(int(rng.integers(1, 3 * h.clks_per_bit + 1)) * CLOCK_PERIOD_NS, unit="ns")
        dut.uart_rx_ext.value = 0  # end on a long low: the receiver is in a break
        await tb.idle_bits(15)
        dut.uart_rx_ext.value = 1
        await tb.idle_bits(12)  # one frame of idle line resynchronises
        tb.received.clear()
        good = bytes([0xA5, burst, 0x5A])
        await tb.send(good)
        await tb.idle_bits(12)
        assert bytes(tb.received) == good, f"burst {burst}: got {bytes(tb.received).hex()}"
    assert tb.frame_errors >= 5, "every burst ended in a break, which is a framing error"


# --- frame_tx ---------------------------------------------------------------------------------


@cocotb.test()
async def frame_tx_matches_encode_frame(dut) -> None:
    """frame_tx's line, decoded by UartSink and FrameDecoder, equals chip_sim.icd.encode_frame."""
    h = Harness(dut)
    await h.start()
    tb, rng = FrameTxTb(h), rng_for("frame_tx_matches_encode_frame")
    event = EventPayload(code=0x01, flags=0, sample_index=123_456, value=-42).encode()
    cases = [
        (FrameType.EVENT, 0, event),
        (FrameType.ACK, 255, bytes([0x10, 7])),
        (0x55, 17, b""),  # empty payload, a TYPE the ICD does not know
        (0x03, 200, rng.integers(0, 256, 37, dtype=np.uint8).tobytes()),
        (0x02, 201, rng.integers(0, 256, 250, dtype=np.uint8).tobytes()),  # MAX_PAYLOAD
    ]
    decoder = FrameDecoder()
    for frame_type, seq, payload in cases:
        expected = encode_frame(frame_type, seq, payload)
        await tb.send(frame_type, seq, payload)
        wire = await tb.wire_bytes(len(expected))
        assert wire == expected, (
            f"TYPE 0x{frame_type:02X}: wire {wire.hex()}, model {expected.hex()}"
        )
        frames = decoder.feed(wire)
        assert [(f.frame_type, f.seq, f.payload) for f in frames] == [(frame_type, seq, payload)]
    assert decoder.crc_errors == decoder.bad_length == decoder.bytes_skipped == 0


@cocotb.test()
async def frame_tx_refuses_long_payload(dut) -> None:
    """LEN 251 (> MAX_PAYLOAD) is refused with o_len_err and nothing goes on the line."""
    h = Harness(dut)
    await h.start()
    tb = FrameTxTb(h)
    dut.frame_type.value, dut.frame_seq.value, dut.frame_len.value = 0x02, 1, 251
    dut.frame_start.value = 1
    await FallingEdge(dut.clk)
    dut.frame_start.value = 0
    assert int(dut.frame_len_err.value) == 1
    assert int(dut.frame_ready.value) == 1
    await ClockCycles(dut.clk, 2 * h.clks_per_bit)
    assert int(dut.frame_txd.value) == 1
    assert tb.sink.empty()
