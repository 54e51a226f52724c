"""Verification of the link (frames, CRC, SEQ, STATUS rate) and the register interface."""

from __future__ import annotations

import allure
import numpy as np
import pytest

from chip_sim.core.frames import output_frames
from chip_sim.icd import FrameDecoder, crc16
from chip_sim.registers import (
    NACK_OUT_OF_RANGE,
    NACK_READ_ONLY,
    NACK_UNKNOWN_REGISTER,
    RegisterFile,
)

pytestmark = allure.epic("Link and interface")


@allure.feature("Frames")
@pytest.mark.requirement("SRS-050", "SRS-051")
def test_bit_errors_never_pass_and_intact_frames_are_recovered(dut, seeds, verify):
    assert crc16(b"123456789") == 0x29B1
    for seed in seeds:
        run = dut.run_scenario("walk_level_1p3", seed)
        line = FrameDecoder()
        line.feed(dut.frame_bytes(run))
        frames = output_frames(run.output)
        # The DUT's own bytes, clean: every frame on its line must arrive intact.
        refused = line.crc_errors + line.bad_length
        verify.figure("SRS-051", refused, name=f"SRS-051 clean seed {seed}")
        rng = np.random.default_rng(seed)
        sent, stream = [], bytearray()
        for f in frames:
            raw = bytearray(f.encode())
            flips = np.flatnonzero(rng.random(len(raw) * 8) < 1e-3)
            for bit in flips:
                raw[bit // 8] ^= 1 << (bit % 8)
            sent.append((bytes(f.encode()), len(flips) == 0))
            stream += raw
            if rng.random() < 0.05:
                stream += rng.integers(0, 256, int(rng.integers(1, 20)), dtype=np.uint8).tobytes()
        dec, got = FrameDecoder(), []
        pos = 0
        while pos < len(stream):  # reads of random size, as a serial port delivers them
            k = int(rng.integers(1, 64))
            got += [g.encode() for g in dec.feed(bytes(stream[pos : pos + k]))]
            pos += k
        got += [g.encode() for g in dec.flush()]
        originals = {raw for raw, _ in sent}
        intact = [raw for raw, clean in sent if clean]
        verify.figure(
            "SRS-050",
            sum(g not in originals for g in got),
            name=f"SRS-050 seed {seed}",
            detail=f"{len(frames)} frames, {dec.crc_errors} CRC errors",
        )
        verify.figure(
            "SRS-051",
            sum(raw not in set(got) for raw in intact),
            name=f"SRS-051 seed {seed}",
            detail=f"SEQ gaps counted: {dec.seq_gaps}",
        )
        lost = len(frames) - len(got)
        assert dec.seq_gaps >= lost - 1  # lost frames show as SEQ gaps (a lost last frame cannot)
    verify.check()


@allure.feature("Frames")
@pytest.mark.requirement("SRS-052")
def test_status_at_least_once_per_second(dut, seeds, verify):
    worst = 0.0
    for seed in seeds:
        run = dut.run_scenario("daily_living_morning", seed)
        idx = np.concatenate(([-1], run.output.status["stream_index"]))
        worst = max(worst, float(np.max(np.diff(idx))) / run.rate_hz)  # from power-on
    verify.figure("SRS-052", worst)
    verify.check()


@allure.feature("Registers")
@pytest.mark.requirement("SRS-053", "SRS-054")
def test_register_access_rules_and_identity(verify):
    rf = RegisterFile()
    violations = 0
    for reg in rf.map:
        if reg.writable:
            before = rf.read(reg.addr)[0]
            violations += rf.write(reg.addr, reg.max + 1) != NACK_OUT_OF_RANGE
            violations += rf.write(reg.addr, reg.min - 1) != NACK_OUT_OF_RANGE
            violations += rf.read(reg.addr)[0] != before
            violations += rf.write(reg.addr, reg.max) is not None
        else:
            violations += rf.write(reg.addr, 0) != NACK_READ_ONLY
    used = {r.addr for r in rf.map}
    unknown = [a for a in range(256) if a not in used]
    violations += sum(rf.write(a, 0) != NACK_UNKNOWN_REGISTER for a in unknown)
    violations += sum(rf.read(a)[1] != NACK_UNKNOWN_REGISTER for a in unknown)
    verify.figure("SRS-053", violations)
    identity = (rf.read(0x00)[0] != 0x5C1E0001) + (rf.read(0x01)[0] != 1)
    verify.figure("SRS-054", identity)
    verify.check()


@allure.feature("Channels")
@pytest.mark.requirement("SRS-055")
def test_channel_order_sign_and_scale(dut, seeds, verify):
    errors = 0
    for seed in seeds:
        run = dut.run_scenario("walk_level_1p3", seed)
        still = run.codes.codes[50:450].astype(float)  # the first 4.5 s: standing upright
        x, y, z = (np.median(still[:, k]) for k in range(3))
        errors += (abs(z - 1000) > 60) + (abs(x) > 100) + (abs(y) > 100)
    verify.figure("SRS-055", errors)
    verify.check()
