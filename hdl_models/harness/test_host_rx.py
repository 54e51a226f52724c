"""cocotb tests of host_rx (hdl_models/rtl/host_rx.v) against the reference receiver.

Toplevel ``tb_host_rx`` (tb_host_rx.v beside this file); run through
``hdl_models.sim.build_and_test`` by tests/hdl/test_host_rx.py. Bytes reach the DUT's line through
cocotbext-uart's ``UartSource`` at 115 200 baud (8 clocks of 1085 ns per bit); a byte with a bad
stop bit is driven by hand. Every test resets the DUT, sends one byte stream and compares what
the DUT accepted — TYPE, SEQ, LEN, the first 5 payload bytes, in order — with
``chip_sim.icd.FrameDecoder`` fed exactly the bytes uart_rx delivers (a bad-stop-bit byte is not
delivered), as well as ``o_crc_errors`` with ``crc_errors`` and ``o_bytes_dropped`` with
``bytes_skipped``. Each test also checks that every valid frame it meant to be found was found
(no lock-up after garbage). Random data comes from one ``numpy.random.Generator`` per test,
seeded from cocotb's seed and the test's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge, Timer
from cocotbext.uart import UartSource

from chip_sim.icd import MAX_PAYLOAD, SYNC0, SYNC1, FrameDecoder, crc16, encode_frame
from hdl_models.harness.common import CLOCK_PERIOD_NS

CORE_CLOCK_HZ = 921_600  # the core clock, see hdl_models/rtl/README.md
KEPT = 5  # payload bytes host_rx reports
TYPES = (0x10, 0x11, 0x20, 0x01, 0x02, 0x7E, 0x7F, 0x00, 0xFF, SYNC0, SYNC1)

#: (TYPE, SEQ, LEN, first 5 payload bytes as an int, byte 0 lowest, the whole payload as an int
#: from the payload-byte strobes): what one o_frame reports.
Result = tuple[int, int, int, int, int]


def rng_for(name: str) -> np.random.Generator:
    """The test's random generator: cocotb's seed (COCOTB_RANDOM_SEED) and the test's name."""
    return np.random.default_rng([cocotb.RANDOM_SEED, *name.encode()])


def result_of(frame_type: int, seq: int, payload: bytes) -> Result:
    full = int.from_bytes(payload, "little")
    return frame_type, seq, len(payload), int.from_bytes(payload[:KEPT], "little"), full


@dataclass
class Stream:
    """What a test sends: UART bytes, and bytes with a bad stop bit, in order."""

    rng: np.random.Generator
    segments: list[tuple[str, bytes]] = field(default_factory=list)
    must_find: list[Result] = field(default_factory=list)

    def raw(self, data: bytes) -> None:
        self.segments.append(("uart", bytes(data)))

    def bad_stop(self, byte: int) -> None:
        self.segments.append(("bad_stop", bytes([byte])))

    def random_payload(self, length: int) -> bytes:
        return self.rng.integers(0, 256, length, dtype=np.uint8).tobytes()

    def random_frame(self, length: int | None = None) -> tuple[int, int, bytes]:
        if length is None:
            length = int(
                self.rng.choice([0, 1, 2, 4, 5, 6, 7, 10, 12, int(self.rng.integers(0, 40))])
            )
        frame_type = int(self.rng.choice(TYPES))
        return frame_type, int(self.rng.integers(0, 256)), self.random_payload(length)

    def good(self, frame_type: int, seq: int, payload: bytes) -> bytes:
        """A valid frame that must be found."""
        wire = encode_frame(frame_type, seq, payload)
        self.raw(wire)
        self.must_find.append(result_of(frame_type, seq, payload))
        return wire

    def garbage(self, count: int) -> None:
        """Random bytes with stray SYNC0s and SYNC0 SYNC1 pairs."""
        data = bytearray(self.random_payload(count))
        for _ in range(int(self.rng.integers(0, 3))):
            if data:
                data[int(self.rng.integers(0, len(data)))] = SYNC0
        if count >= 2 and self.rng.random() < 0.5:
            at = int(self.rng.integers(0, count - 1))
            data[at : at + 2] = bytes((SYNC0, SYNC1))
        self.raw(data)

    def delivered(self) -> bytes:
        """The bytes uart_rx delivers: all but those with a bad stop bit."""
        return b"".join(data for kind, data in self.segments if kind == "uart")


class HostRxTb:
    """Clock, reset, the UART source, the hand-driven line and the o_frame collector."""

    def __init__(self, dut) -> None:
        self.dut = dut
        self.clks_per_bit = int(dut.CLKS_PER_BIT.value)
        self.bit_ns = self.clks_per_bit * CLOCK_PERIOD_NS
        # nominal baud: UartSource times bits as int(1e9 / baud) ns = 8680 ns = 8 clocks of 1085 ns
        self.source = UartSource(dut.uart_src, baud=CORE_CLOCK_HZ / self.clks_per_bit, bits=8)
        self.results: list[Result] = []

    async def start(self) -> None:
        d = self.dut
        Clock(d.clk, CLOCK_PERIOD_NS, unit="ns").start()
        d.line_ext.value = 1
        d.hold.value = 0
        d.rst_n.value = 0
        await ClockCycles(d.clk, 3)
        d.rst_n.value = 1
        await FallingEdge(d.clk)
        cocotb.start_soon(self._collect())

    async def _collect(self) -> None:
        d = self.dut
        while True:
            await RisingEdge(d.o_frame)
            await ReadOnly()
            length = int(d.o_len.value)
            self.results.append(
                (
                    int(d.o_type.value),
                    int(d.o_seq.value),
                    length,
                    int(d.o_payload.value),
                    int(d.o_full_payload.value) & ((1 << (8 * length)) - 1),
                )
            )

    async def bang_bad_stop(self, byte: int) -> None:
        """Start bit, ``byte`` LSB first, a LOW stop bit, then the line high for 2 bits."""
        levels = [0] + [(byte >> k) & 1 for k in range(8)] + [0]
        for level in levels:
            self.dut.line_ext.value = level
            await Timer(self.bit_ns, unit="ns")
        self.dut.line_ext.value = 1
        await Timer(2 * self.bit_ns, unit="ns")

    async def send(self, stream: Stream) -> None:
        for kind, data in stream.segments:
            if kind == "uart":
                await self.source.write(data)
                await self.source.wait()
            else:
                await self.bang_bad_stop(data[0])
        await ClockCycles(self.dut.clk, 1000)  # let the parser finish any re-hunt in its buffer


async def toggle_hold(dut, on_clocks: int, off_clocks: int) -> None:
    """Hold the parser ``on_clocks`` of every ``on_clocks + off_clocks`` (the bytes keep coming)."""
    while True:
        dut.hold.value = 1
        await ClockCycles(dut.clk, on_clocks)
        dut.hold.value = 0
        await ClockCycles(dut.clk, off_clocks)


async def run_and_compare(dut, stream: Stream, hold: tuple[int, int] | None = None) -> None:
    """Send ``stream``; the DUT must accept what FrameDecoder accepts, with the same counters
    (``hold``: the parser held for that many clocks of every period, as a STIMULUS copy does)."""
    decoder = FrameDecoder()
    decoder.feed(stream.delivered())
    if decoder.pending_bytes:  # resolve a held-back try at the end with bytes that never sync
        stream.raw(bytes(MAX_PAYLOAD + 7))
    decoder = FrameDecoder()
    frames = decoder.feed(stream.delivered())
    expected = [result_of(f.frame_type, f.seq, f.payload) for f in frames]
    assert decoder.pending_bytes == 0

    tb = HostRxTb(dut)
    await tb.start()
    holder = cocotb.start_soon(toggle_hold(dut, *hold)) if hold else None
    await tb.send(stream)
    if holder is not None:
        holder.cancel()
        dut.hold.value = 0
        await ClockCycles(dut.clk, 1000)
    await FallingEdge(dut.clk)

    for i, (got, want) in enumerate(zip(tb.results, expected, strict=False)):
        assert got == want, f"frame {i}: DUT {got}, FrameDecoder {want}"
    assert len(tb.results) == len(expected), (
        f"DUT accepted {len(tb.results)} frames, FrameDecoder {len(expected)}"
    )
    # every frame meant to be found is there, in order (a subsequence of the accepted frames)
    found = iter(expected)
    missing = [r for r in stream.must_find if not any(r == e for e in found)]
    assert not missing, f"valid frames not found: {missing[:3]}"
    assert int(dut.o_crc_errors.value) == decoder.crc_errors, (
        f"o_crc_errors {int(dut.o_crc_errors.value)}, FrameDecoder {decoder.crc_errors}"
    )
    assert int(dut.o_bytes_dropped.value) == decoder.bytes_skipped, (
        f"o_bytes_dropped {int(dut.o_bytes_dropped.value)}, FrameDecoder {decoder.bytes_skipped}"
    )
    dut._log.info(
        "%d bytes, %d frames accepted, %d CRC errors, %d bad LEN, %d bytes skipped",
        len(stream.delivered()),
        len(expected),
        decoder.crc_errors,
        decoder.bad_length,
        decoder.bytes_skipped,
    )


def corrupt(wire: bytes, at: int, rng: np.random.Generator) -> bytes:
    """``wire`` with byte ``at`` changed (XOR with a random nonzero value)."""
    out = bytearray(wire)
    out[at] ^= int(rng.integers(1, 256))
    return bytes(out)


# --- tests ------------------------------------------------------------------------------------


@cocotb.test()
async def valid_frames(dut) -> None:
    """Valid frames of several TYPEs and LENs (0, 1..5, 6, 10, 37, 250) back to back."""
    stream = Stream(rng_for("valid_frames"))
    for length in (0, 1, 2, 3, 4, 5, 6, 10, 0, 37, 250, 0, 249, 5):
        stream.good(*stream.random_frame(length))
    for _ in range(20):
        stream.good(*stream.random_frame())
    await run_and_compare(dut, stream)


@cocotb.test()
async def held_parser(dut) -> None:
    """Long frames back to back while the parser is held 2000 of every 3500 clocks (25 bytes of
    the line each time): nothing lost, every payload byte strobed."""
    stream = Stream(rng_for("held_parser"))
    for length in (245, 250, 5, 245, 0, 245, 37, 245):
        stream.good(*stream.random_frame(length))
    await run_and_compare(dut, stream, hold=(2000, 1500))


@cocotb.test()
async def corrupted_frames(dut) -> None:
    """Frames with a corrupted CRC byte or payload byte (dropped, counted), LEN 251..255."""
    stream = Stream(rng_for("corrupted_frames"))
    rng = stream.rng
    for i in range(36):
        frame_type, seq, payload = stream.random_frame(int(rng.integers(1, 20)) if i % 9 else 250)
        wire = encode_frame(frame_type, seq, payload)
        kind = i % 3
        if kind == 0:  # one of the two CRC bytes
            stream.raw(corrupt(wire, len(wire) - 1 - int(rng.integers(0, 2)), rng))
        elif kind == 1:  # a payload byte
            stream.raw(corrupt(wire, 5 + int(rng.integers(0, len(payload))), rng))
        else:  # LEN 251..255, with a CRC that would be right for the bytes sent
            bad_len = 251 + i % 5
            body = bytes((frame_type, seq, bad_len)) + payload
            stream.raw(bytes((SYNC0, SYNC1)) + body + crc16(body).to_bytes(2, "little"))
        stream.good(*stream.random_frame())
    await run_and_compare(dut, stream)


@cocotb.test()
async def garbage_between_frames(dut) -> None:
    """Random garbage (stray A5, A5 5A pairs) between 120 frames; every frame is still found."""
    stream = Stream(rng_for("garbage_between_frames"))
    for _ in range(120):
        stream.garbage(int(stream.rng.integers(0, 12)))
        stream.good(*stream.random_frame())
    await run_and_compare(dut, stream)


@cocotb.test()
async def sync_bytes_inside_frames(dut) -> None:
    """A5 5A inside frames, frames hidden inside bad frames, a long run of A5 5A pairs."""
    stream = Stream(rng_for("sync_bytes_inside_frames"))
    rng = stream.rng
    # a good frame whose payload holds A5 5A and even a whole frame: only the outer one counts
    inner = encode_frame(0x10, 7, bytes([1, 2, 3, 4, 5]))
    stream.good(0x20, 1, bytes((0xAA, SYNC0, SYNC1, 0x11)))
    stream.good(0x11, 2, bytes((SYNC0, SYNC1)) + inner + bytes((SYNC0,)))
    stream.good(SYNC0, SYNC1, bytes((SYNC0, SYNC1, SYNC0, SYNC1, SYNC0)))
    # a valid frame hidden inside a bad frame (outer CRC or payload corrupted): the re-hunt finds
    # it; the frame after the bad one is found too
    for i in range(8):
        hidden_type, hidden_seq, hidden_payload = stream.random_frame()
        hidden = encode_frame(hidden_type, hidden_seq, hidden_payload)
        pad = stream.random_payload(int(rng.integers(0, 8)))
        outer_payload = pad + hidden + stream.random_payload(int(rng.integers(0, 8)))
        if i == 3:  # the longest outer frame
            outer_payload += stream.random_payload(MAX_PAYLOAD - len(outer_payload))
        outer = encode_frame(0x02, i, outer_payload)
        # odd i: a payload byte before the hidden frame (if any), else a CRC byte
        crc_byte_at = len(outer) - 1 - i % 2
        at = 5 + int(rng.integers(0, len(pad))) if i % 2 and pad else crc_byte_at
        stream.raw(corrupt(outer, at, rng))
        stream.must_find.append(result_of(hidden_type, hidden_seq, hidden_payload))
        stream.good(*stream.random_frame())
    # a fake header with a large LEN holding back the frames behind it
    stream.raw(bytes((SYNC0, SYNC1, 0x10, 0x00, 200)))
    for _ in range(5):
        stream.good(*stream.random_frame())
    # a sustained run of A5 5A pairs (every one a try with LEN 0xA5 = 165), then frames
    stream.raw(bytes((SYNC0, SYNC1)) * 200)
    for _ in range(5):
        stream.good(*stream.random_frame())
    await run_and_compare(dut, stream)


@cocotb.test()
async def bad_stop_bit(dut) -> None:
    """A byte with a low stop bit is dropped: between frames, and inside a frame (still good)."""
    stream = Stream(rng_for("bad_stop_bit"))
    stream.good(*stream.random_frame(8))
    stream.bad_stop(SYNC0)
    stream.good(*stream.random_frame(3))
    wire = encode_frame(0x10, 42, bytes((0x03, 0x78, 0x56, 0x34, 0x12)))
    stream.raw(wire[:6])
    stream.bad_stop(0x3C)  # not delivered: the frame around it arrives whole
    stream.raw(wire[6:])
    stream.must_find.append(result_of(0x10, 42, bytes((0x03, 0x78, 0x56, 0x34, 0x12))))
    wire = encode_frame(0x20, 43, bytes((0x02,)))
    stream.raw(wire[:3])
    stream.bad_stop(0xFF)
    stream.raw(wire[4:])  # SEQ lost on the line: a CRC error
    stream.good(*stream.random_frame(4))
    await run_and_compare(dut, stream)
