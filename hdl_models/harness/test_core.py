"""cocotb benches of the assembled core (harness tb_core.v around rtl/smile_core.v).

Python works at frame level only: the harness streams the samples from a ``$readmemh`` file inside
the HDL; here cocotbext-uart's UartSource sends host frames into the chip's receive line and its
UartSink decodes the chip's transmit line into bytes, which ``chip_sim.icd.FrameDecoder`` turns
into frames. One case per simulation, described by the JSON file named in ``CORE_CASE_JSON``
(written by ``hdl_models.core_sim``)::

    {"name", "stimulus": [{"path", "n"}, ...] (chunks, streamed one after the other),
     "n_samples", "clks_per_sample", "writes": [[addr, value], ...],
     "host_script": [[hex bytes, expected answer frames [[type, payload hex], ...]], ...],
     "dump": {"path", "from", "to"} | null, "results": "<path of the results JSON>"}

The results JSON holds every frame received (type, seq, payload hex, time in ns), the harness's
counters and the simulated clocks; comparing them with the golden model is the caller's job
(``hdl_models.core_sim.compare``), so the same bench serves the equivalence tests, the RTL DUT
backend and the benchmark.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, RisingEdge, Timer, with_timeout
from cocotbext.uart import UartSink, UartSource

from chip_sim.icd import FrameDecoder, FrameType, encode_frame
from hdl_models.harness.common import CLOCK_PERIOD_NS, load_case, path_value

CASE_ENV = "CORE_CASE_JSON"
BAUD = 115200
BYTE_NS = 10 * 8 * CLOCK_PERIOD_NS  # one 8N1 byte at 8 clocks per bit
ANSWER_TIMEOUT_NS = 400 * BYTE_NS  # an answer waits behind at most a FIFO of frames
DRAIN_NS = 1000 * BYTE_NS  # a full event FIFO (32 frames of <= 19 bytes) and the answers


class CoreTb:
    def __init__(self, dut) -> None:
        self.dut = dut
        self.decoder = FrameDecoder()
        self.frames: list[dict] = []
        self.host_seq = 0
        self.sink = UartSink(dut.txd, baud=BAUD, bits=8)
        self.source = UartSource(dut.rxd, baud=BAUD, bits=8)
        for end in (self.sink, self.source):  # one log line per byte would swamp the run
            end.log.setLevel(logging.WARNING)

    async def _receive(self) -> None:
        while True:
            data = await self.sink.read()
            now = cocotb.utils.get_sim_time("ns")
            for f in self.decoder.feed(bytes(data)):
                self.frames.append(
                    {"type": f.frame_type, "seq": f.seq, "payload": f.payload.hex(), "t_ns": now}
                )

    async def start(self) -> None:
        d = self.dut
        d.load.value = 0
        d.n_samples.value = 0
        d.clks_per_sample.value = 0
        d.dump_from.value = 0
        d.dump_to.value = 0
        d.por_n.value = 0  # the harness generates the clock
        await ClockCycles(d.clk, 3)
        d.por_n.value = 1
        cocotb.start_soon(self._receive())
        await self.wait_frames(lambda f: f["type"] == FrameType.EVENT, "the power-on RESET event")

    async def wait_frames(self, pred, what: str, start: int = 0) -> dict:
        """The first frame from index ``start`` satisfying ``pred`` (waits for it)."""

        async def wait() -> dict:
            k = start
            while True:
                while k < len(self.frames):
                    if pred(self.frames[k]):
                        return self.frames[k]
                    k += 1
                await Timer(BYTE_NS, unit="ns")

        return await with_timeout(wait(), ANSWER_TIMEOUT_NS, "ns")

    async def wait_count(self, count: int) -> None:
        """Wait until ``count`` frames have arrived in all (the frame at index count - 1)."""
        if count > 0:
            await self.wait_frames(lambda f: True, f"{count} frames", count - 1)

    async def send(self, raw: bytes) -> None:
        await self.source.write(raw)
        await self.source.wait()

    async def request(self, frame_type: int, payload: bytes) -> dict:
        """Send one host frame and return the chip's answer (ACK, NACK or REG_VALUE)."""
        seq = self.host_seq
        self.host_seq = (seq + 1) & 0xFF
        mark = len(self.frames)
        await self.send(encode_frame(frame_type, seq, payload))
        answers = {FrameType.ACK, FrameType.NACK, FrameType.REG_VALUE}
        return await self.wait_frames(lambda f: f["type"] in answers, "an answer", mark)

    async def write_register(self, addr: int, value: int) -> dict:
        payload = bytes([addr]) + (value & 0xFFFF_FFFF).to_bytes(4, "little")
        return await self.request(FrameType.REG_WRITE, payload)

    async def read_register(self, addr: int) -> int | None:
        answer = await self.request(FrameType.REG_READ, bytes([addr]))
        if answer["type"] != FrameType.REG_VALUE:
            return None
        return int.from_bytes(bytes.fromhex(answer["payload"])[1:5], "little", signed=True)

    async def stream(self, case: dict) -> int:
        """Stream every chunk of the stimulus into the running chip; the samples streamed."""
        d = self.dut
        d.clks_per_sample.value = case["clks_per_sample"]
        dump = case.get("dump")
        if dump:
            d.dump_path.value = path_value(dump["path"])
            d.dump_from.value = dump["from"]
            d.dump_to.value = dump["to"]
        streamed = 0
        for chunk in case["stimulus"]:
            d.stim_path.value = path_value(chunk["path"])
            d.n_samples.value = chunk["n"]
            await FallingEdge(d.clk)
            d.load.value = 1
            await FallingEdge(d.clk)
            d.load.value = 0
            per_sample = case["clks_per_sample"] or 4000  # elastic: generous bound per sample
            limit_ns = (chunk["n"] + 100) * per_sample * CLOCK_PERIOD_NS + DRAIN_NS
            await with_timeout(RisingEdge(d.done), limit_ns, "ns")
            streamed += int(d.streamed.value)
        await Timer(2 * BYTE_NS, unit="ns")  # the sink finishes the last stop bit
        return streamed

    def counters(self) -> dict:
        d = self.dut
        return {
            name: int(getattr(d, name).value)
            for name in (
                "overruns",
                "streamed",
                "fifo_was_full",
                "events_dropped",
                "status_lost",
                "resp_dropped",
                "crc_errors",
            )
        }


async def run_host_script(tb: CoreTb, script: list) -> list[dict]:
    """Send each step's bytes; collect the frames that arrive until the expected number of
    answers (or, for steps expecting none, a quiet period) has passed."""
    log = []
    for raw_hex, expected in script:
        mark = len(tb.frames)
        await tb.send(bytes.fromhex(raw_hex))
        if expected:
            await tb.wait_count(mark + len(expected))
        await Timer(40 * BYTE_NS, unit="ns")  # anything more (it must not come) arrives now
        log.append({"sent": raw_hex, "frames": tb.frames[mark:]})
    return log


@cocotb.test()
async def core_run(dut) -> None:
    """Power on, write the case's registers, run a host script, stream the samples, read back
    the live registers; record every frame for the caller to compare."""
    case = load_case(CASE_ENV)
    longest = max([c["n"] for c in case["stimulus"]], default=0)
    assert longest <= int(dut.MAX_SAMPLES.value), (
        f"{case['name']}: a chunk of {longest} samples, tb_core holds {int(dut.MAX_SAMPLES.value)}"
    )
    tb = CoreTb(dut)
    await tb.start()
    writes = []
    for addr, value in case.get("writes", []):
        answer = await tb.write_register(addr, value)
        writes.append([addr, value, answer["type"], answer["payload"]])
    script_log = await run_host_script(tb, case.get("host_script", []))
    start_cycle = cocotb.utils.get_sim_time("ns") // CLOCK_PERIOD_NS
    t0 = cocotb.utils.get_sim_time("ns")
    streamed = await tb.stream(case) if case["n_samples"] else 0
    cycles = cocotb.utils.get_sim_time("ns") // CLOCK_PERIOD_NS - start_cycle
    stream_end = len(tb.frames)
    live = {}
    for name, addr in case.get("live", {}).items():
        live[name] = await tb.read_register(addr)
    Path(case["results"]).write_text(
        json.dumps(
            {
                "name": case["name"],
                "frames": tb.frames,
                "stream_end": stream_end,
                "t_stream_ns": t0,
                "writes": writes,
                "host_log": script_log,
                "live": live,
                "counters": {**tb.counters(), "streamed": streamed},
                "cycles": int(cycles),
                "decoder": {
                    "crc_errors": tb.decoder.crc_errors,
                    "bad_length": tb.decoder.bad_length,
                    "bytes_skipped": tb.decoder.bytes_skipped,
                    "seq_gaps": tb.decoder.seq_gaps,
                },
            }
        )
    )
