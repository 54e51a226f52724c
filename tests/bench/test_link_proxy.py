"""The fault-injecting link proxy between a SerialDut and the board emulator: what the proxy did
not touch is recovered, nothing it corrupted is accepted, losses show as SEQ gaps."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from bench.duts.emulator import BoardEmulator
from bench.duts.link_proxy import C2H, LinkProxy
from bench.duts.serial_board import SerialDut, is_reset_event
from tests.bench.test_emulator import STREAM_TYPES, walk

SPEED = 40.0


def rig(
    seconds: float, status_period: int = 100, **proxy_kwargs
) -> tuple[BoardEmulator, LinkProxy, SerialDut]:
    run = walk(seconds)
    registers = {**run.registers.values(), "STATUS_PERIOD_SAMPLES": status_period}
    emu = BoardEmulator(registers=registers, speed=SPEED).start()
    emu.load_codes(run.codes.codes)
    port = int(emu.url.rsplit(":", 1)[1])
    proxy = LinkProxy("127.0.0.1", port, **proxy_kwargs)
    dut = SerialDut(proxy.url, name="proxied", speed=SPEED, retries=5, timeout_s=0.3)
    return emu, proxy, dut


def test_faults_lose_only_touched_frames_and_accept_no_corrupted_one():
    seconds = 120.0
    emu, proxy, dut = rig(
        seconds,
        status_period=20,  # 5 STATUS a second: more bytes through the faults
        rng=np.random.default_rng(2024),
        ber=1e-4,
        drop_rate=1e-3,
        burst_rate=5e-4,
        burst_bytes=(2, 24),
        direction="chip_to_host",
    )
    try:
        dut.wait_for(is_reset_event(0), timeout_s=2)
        rec = dut.run(duration_s=walk(seconds).codes.n / 100 / SPEED, timeout_s=15)
        assert rec.aborted is None
        time.sleep(0.1)
        # one connection: the proxy's chip→host stream is the emulator's frames back to back
        assert proxy.counts.connections == 1
        sent = [s.frame for s in emu.sent]
        ends = np.cumsum([len(f.encode()) for f in sent])
        starts = ends - [len(f.encode()) for f in sent]
        hit = np.zeros(len(sent), dtype=bool)
        for _, direction, offset in proxy.touched:
            assert direction == C2H
            k = int(np.searchsorted(ends, offset, side="right"))
            if k < len(sent):
                assert starts[k] <= offset < ends[k]
                hit[k] = True
        received = [rf.frame for rf in dut.received]
        # no corrupted frame accepted: what arrived is a subsequence of what was sent
        it = iter(sent)
        assert all(any(f == s for s in it) for f in received)
        missing = [i for i, f in enumerate(sent) if f not in received]
        assert not [i for i in missing if not hit[i]], "an untouched frame was lost"
        stream_sent = sum(f.frame_type in STREAM_TYPES for f in sent)
        print(
            f"\nBER 1e-4, drop 1e-3, bursts 5e-4: {len(sent)} frames sent ({stream_sent} "
            f"EVENT/STATUS, {int(ends[-1])} bytes), {int(hit.sum())} touched, "
            f"{len(missing)} lost, 0 corrupted accepted; proxy: {proxy.bits_flipped} bits "
            f"flipped, {proxy.bytes_dropped} bytes dropped, {proxy.bursts} bursts; "
            f"reception: {rec.stats}"
        )
        assert proxy.bits_flipped > 0 and proxy.bytes_dropped > 0 and proxy.bursts > 0
        lost_in_run = [i for i in missing if sent[i] not in [rf.frame for rf in rec.frames]]
        assert rec.stats.seq_gaps > 0 and len(lost_in_run) > 0
        assert rec.stats.crc_errors + rec.stats.bad_length > 0
        assert len(received) >= 0.9 * len(sent)
    finally:
        dut.close()
        proxy.close()
        emu.close()


def test_disconnect_mid_run_reconnects_and_frames_keep_coming():
    seconds = 60.0
    emu, proxy, dut = rig(seconds, rng=np.random.default_rng(1))
    try:
        dut.wait_for(is_reset_event(0), timeout_s=2)
        duration = walk(seconds).codes.n / 100 / SPEED
        cut: list[float] = []

        def disconnect() -> None:
            cut.append(time.monotonic())
            proxy.disconnect()

        timer = threading.Timer(duration / 3, disconnect)
        timer.start()
        rec = dut.run(duration_s=duration, timeout_s=15)
        timer.join()
        assert rec.aborted is None
        assert rec.stats.reconnects == 1 and proxy.counts.connections == 2
        after = [rf for rf in rec.frames if rf.t_host_s > cut[0] + 0.1]
        assert sum(rf.frame.frame_type in STREAM_TYPES for rf in after) >= 10
        assert rec.stats.seq_gaps > 0  # frames sent while nobody listened
        stream = [rf.frame for rf in rec.frames if rf.frame.frame_type in STREAM_TYPES]
        sent = [s.frame for s in emu.sent if s.frame.frame_type in STREAM_TYPES]
        it = iter(sent)
        assert all(any(f == s for s in it) for f in stream)
    finally:
        dut.close()
        proxy.close()
        emu.close()


def test_faults_on_the_host_side_are_retried():
    emu, proxy, dut = rig(
        10.0, rng=np.random.default_rng(5), ber=1e-3, drop_rate=1e-3, direction="both"
    )
    try:
        for value in range(60, 72):
            dut.write_register("FALL_STILL_MG", value)
            assert dut.read_register("FALL_STILL_MG") == value
        assert proxy.counts.bytes_in["host_to_chip"] > 0
        assert proxy.bits_flipped + proxy.bytes_dropped > 0
    finally:
        dut.close()
        proxy.close()
        emu.close()


def test_bad_proxy_parameters_are_refused():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="direction"):
        LinkProxy("127.0.0.1", 1, rng=rng, direction="host_only")
    with pytest.raises(ValueError, match="ber"):
        LinkProxy("127.0.0.1", 1, rng=rng, ber=2.0)
    with pytest.raises(ValueError, match="burst_bytes"):
        LinkProxy("127.0.0.1", 1, rng=rng, burst_bytes=(5, 2))
