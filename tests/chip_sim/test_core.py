"""The digital core's detectors on hand-made code streams: exact decision samples and values,
and the reference (sample by sample) equal to the vectorised implementation on each."""

from __future__ import annotations

import numpy as np
import pytest

from chip_sim.core import Chip
from chip_sim.errors import ChipError
from chip_sim.icd import NO_DATA_CODE, EventCode

RATE = 100


def standing(n: int, seed: int = 0) -> np.ndarray:
    """Upright and still: 1 g on z, small noise on every channel so nothing looks stuck."""
    rng = np.random.default_rng(seed)
    codes = np.zeros((n, 8), dtype=np.int64)
    codes[:, 2] = 1000
    codes[:, 6] = 500
    codes[:, 7] = 37 * 128
    codes[:, :7] += rng.integers(-3, 4, size=(n, 7))
    codes[:, 7] += rng.integers(0, 2, size=n)
    return codes.astype(np.int16)


def run_both(codes, registers=None, brownouts=()):
    a = Chip(registers).run(codes, brownouts=brownouts)
    b = Chip(registers, implementation="reference").run(codes, brownouts=brownouts)
    assert np.array_equal(a.events, b.events), "vectorised and reference differ"
    assert np.array_equal(a.status, b.status), "STATUS differs"
    return a


def events(out, code):
    e = out.of(code)
    return list(zip(e["sample_index"].tolist(), e["value"].tolist(), strict=True))


def test_power_on_reset_and_status_every_period():
    out = run_both(standing(1000))
    assert events(out, EventCode.RESET) == [(0, 0)]
    assert out.status["sample_index"].tolist() == list(range(99, 1000, 100))
    assert np.all(out.status["fault_flags"] == 0) and np.all(out.status["step_count"] == 0)
    assert len(out.events) == 1  # nothing else happens while standing still


def test_steps_on_shocks_and_walking_bout_start_and_end():
    codes = standing(3000).astype(np.int64)
    shocks = list(range(500, 1100, 55))  # 11 shocks, 0.55 s apart
    for i in shocks:
        codes[i, 2] += 900  # a heel-strike shock: one sharp sample
    out = run_both(codes.astype(np.int16))
    steps = events(out, EventCode.STEP)
    assert [s for s, _ in steps] == [i + 1 for i in shocks]  # decided one sample after the peak
    assert [v for _, v in steps] == list(range(1, 12))
    assert events(out, EventCode.WALK_START) == [(shocks[3] + 1, 0)]  # WALK_START_STEPS = 4
    assert events(out, EventCode.WALK_END) == [(shocks[-1] + 1 + 200 + 1, 11)]
    assert out.status["step_count"][-1] == 11


def test_refractory_and_adaptive_threshold_reject_small_echoes():
    codes = standing(2000).astype(np.int64)
    for i in range(300, 1500, 60):
        codes[i, 2] += 900
        codes[i + 10, 2] += 600  # an echo inside the refractory period
        codes[i + 30, 2] += 60  # a small bump well below peak_avg >> 3
    out = run_both(codes.astype(np.int16))
    decided = out.of(EventCode.STEP)["sample_index"]
    shocks = np.arange(300, 1500, 60) + 1
    assert set(shocks) <= set(decided.tolist())
    assert not set(shocks + 10) & set(decided.tolist())  # echoes: inside the refractory period
    # Small bumps pass the 40 mg floor only until peak_avg >> 3 has risen above them.
    bumps = sorted(set(decided.tolist()) - set(shocks))
    assert bumps and max(bumps) < 300 + 5 * 60


# Sagittal rate on GYR_Y, swing negative (the chip frame's convention); the instrumented leg's
# STEP decided at its heel strike (no delay) to keep the arithmetic of these cases plain.
GYRO = {"STEP_MODE": 1, "STEP_GYRO_DELAY_SAMPLES": 0}


def strides(heel_strikes, n, *, stance_dps=30, stance_samples=40, skip_stance=()):
    """Standing codes with a sagittal-rate pattern on GYR_Y: a swing (-200 deg/s for 15 samples)
    ending just before each heel strike, a reversal (+1 deg/s) at it, then a stance rotation
    (``stance_dps`` for ``stance_samples``) unless its heel strike is in ``skip_stance``."""
    codes = standing(n).astype(np.int64)
    codes[:, 4] = 0
    for h in heel_strikes:
        codes[h - 15 : h, 4] = -2000
        codes[h, 4] = 10
        if h not in skip_stance:
            codes[h + 1 : h + 1 + stance_samples, 4] = 10 * stance_dps
    return codes.astype(np.int16)


def test_gyro_steps_heel_strike_then_the_other_leg_by_the_end_of_its_window():
    hs = [300, 400, 500, 600, 700]
    out = run_both(strides(hs, 1500, skip_stance=(700,)), GYRO)
    decided = out.of(EventCode.STEP)["sample_index"].tolist()
    # No shock from the other leg: its STEP closes the window, half a stride plus the slack (15)
    # after the heel strike - STEP_HALF_STRIDE_SAMPLES (55) for the first, then half the measured
    # stride (50). After the last one the leg did not rotate over its foot (the walk ended on
    # it): no step for the other leg.
    assert decided == [300, 370, 400, 465, 500, 565, 600, 665, 700]
    assert out.of(EventCode.STEP)["value"].tolist() == list(range(1, 10))
    assert events(out, EventCode.WALK_START) == [(465, 0)]


def test_gyro_steps_take_the_other_legs_shock_in_its_window_around_half_a_stride():
    codes = strides([300, 400, 500], 1200).astype(np.int64)
    codes[310, 2] += 400  # before the window (half a stride - 15 = 40 samples on): not a step
    codes[348, 2] += 400  # the other leg's heel strike: decided one sample after its peak
    codes[452, 2] += 400
    out = run_both(codes.astype(np.int16), GYRO)
    assert out.of(EventCode.STEP)["sample_index"].tolist() == [300, 349, 400, 453, 500, 565]


def test_gyro_steps_need_a_swing_and_enough_stance_rotation():
    codes = strides([300, 400], 1000, stance_dps=5)  # 5 deg/s x 40 samples = 200 < 800
    codes[500, 4] = 10  # a reversal without a swing before it: no heel strike
    out = run_both(codes, GYRO)
    assert out.of(EventCode.STEP)["sample_index"].tolist() == [300, 400]
    out = run_both(codes, GYRO | {"STEP_STANCE_MIN": 200})
    assert out.of(EventCode.STEP)["sample_index"].tolist() == [300, 370, 400, 465]


def test_gyro_heel_strike_closes_the_other_legs_window_and_long_strides_are_not_measured():
    # 40 samples after a heel strike comes the next: the first one's window (to +70) is closed.
    # 460 samples later (> STEP_MAX_STRIDE_SAMPLES 400) the stride is not measured.
    out = run_both(strides([300, 340, 800], 1200), GYRO)
    assert out.of(EventCode.STEP)["sample_index"].tolist() == [300, 340, 375, 800, 870]


def test_gyro_heel_strike_step_is_delayed_to_the_shock_latency_and_rearms_after_it():
    codes = strides([300, 400], 1000).astype(np.int64)
    codes[402:405, 4] = -2000  # a swing right after the heel strike: ignored until its STEP
    codes[405, 4] = 10
    out = run_both(codes.astype(np.int16), GYRO | {"STEP_GYRO_DELAY_SAMPLES": 5})
    # 305, 405: five samples after each heel strike; 370 closes the first one's window; the swing
    # at 402-404 armed nothing, so 405's reversal is no heel strike (and it cost the second
    # stance its rotation: 37 x 30 - 3 x 200 = 510 deg/s x samples < 800, no other leg)
    assert out.of(EventCode.STEP)["sample_index"].tolist() == [305, 370, 405]


def test_gyro_axis_negation_and_fallback_to_acceleration_when_the_gyro_is_off():
    codes = strides([300, 400, 500], 1000).astype(np.int64)
    flipped = codes.copy()
    flipped[:, 4] = -codes[:, 4]
    a = run_both(codes.astype(np.int16), GYRO)
    b = run_both(flipped.astype(np.int16), GYRO | {"STEP_GYRO_AXIS": 4})
    assert np.array_equal(a.events, b.events)
    codes[[320, 420, 520], 2] += 900  # heel-strike shocks for the acceleration path
    off = run_both(codes.astype(np.int16), GYRO | {"CHANNEL_ENABLE": 0xFF & ~(1 << 4)})
    assert off.of(EventCode.STEP)["sample_index"].tolist() == [321, 421, 521]


# Floor 50 rather than the preset's 20: the shock test needs a margin above a bump's band.
TRUNK = {"STEP_MODE": 2, "STEP_SHARP_MIN_MG": 50, "STEP_REFRACTORY_SAMPLES": 40}


def test_trunk_steps_on_loading_bumps_not_on_single_sample_shocks():
    """STEP_MODE 2 follows the trunk's loading bump (|a| band-passed): a 150 ms half-sine of
    400 mg is a step, decided one sample after the band-passed peak; a one-sample shock of the
    same height, which mode 0 takes, is not: the fast running mean moves by 1/8 of it and the
    slow one by 1/32, so its band-passed peak is 400/8 - 400/32 = 37 mg, under the 50 mg floor."""
    codes = standing(1500).astype(np.int64)
    bumps = (200, 300, 400, 500, 600)
    bump = np.round(400 * np.sin(np.pi * np.arange(15) / 15)).astype(np.int64)
    for b in bumps:
        codes[b : b + 15, 2] += bump
    shocks = (900, 1000, 1100)
    for t in shocks:
        codes[t, 2] += 400
    codes = codes.astype(np.int16)
    out = run_both(codes, TRUNK)
    got = [i for i, _ in events(out, EventCode.STEP)]
    assert len(got) == len(bumps), got
    for b, i in zip(bumps, got, strict=True):
        assert b + 7 <= i <= b + 15, (b, i)  # after the bump's crest, before its end
    # the same stream in mode 0 takes the shocks
    acc = [i for i, _ in events(run_both(codes, {"STEP_SHARP_MIN_MG": 50}), EventCode.STEP)]
    assert {t + 1 for t in shocks} <= set(acc)


def test_trunk_steps_keep_mode_0s_refractory_and_adaptive_rules():
    """Two bumps 30 samples apart: the second falls inside STEP_REFRACTORY_SAMPLES 40 and is
    refused; the running means' shifts are registers (a slower fast mean smooths the bump below
    the floor)."""
    codes = standing(1000).astype(np.int64)
    bump = np.round(400 * np.sin(np.pi * np.arange(15) / 15)).astype(np.int64)
    for b in (200, 230, 400):
        codes[b : b + 15, 2] += bump
    codes = codes.astype(np.int16)
    got = [i for i, _ in events(run_both(codes, TRUNK), EventCode.STEP)]
    assert len(got) == 2 and got[0] < 230 <= 400 <= got[1], got
    assert events(run_both(codes, TRUNK | {"STEP_TRUNK_FAST_SHIFT": 6}), EventCode.STEP) == []


def toppling(n: int = 1200, impact_at: int = 600, rate_dps: int = 150) -> np.ndarray:
    """Standing, then turning at ``rate_dps`` about y for the 30 samples before an impact of
    5.8 g, then lying still (gravity on x)."""
    codes = standing(n).astype(np.int64)
    codes[impact_at - 30 : impact_at, 4] = rate_dps * 10
    codes[impact_at, :3] = (0, 3000, 5000)
    codes[impact_at + 1 :, :3] = (1000, 0, 0)
    codes[impact_at + 1 :, :3] += np.random.default_rng(1).integers(
        -3, 4, size=(n - impact_at - 1, 3)
    )
    return codes


# The reset values (the hip preset): FALL_SETTLE_SAMPLES 40, FALL_STILL_SAMPLES 100,
# FALL_WAIT_SAMPLES 120, FALL_RATE_DPS 90 over FALL_RATE_SAMPLES 10.


def test_fall_needs_impact_stillness_a_turned_posture_and_a_turn_rate():
    out = run_both(toppling().astype(np.int16))
    peak = int(np.sqrt(3000**2 + 5000**2))
    assert events(out, EventCode.FALL) == [(600 + 40 + 100, peak)]  # settle, then still
    slow = run_both(toppling(rate_dps=80).astype(np.int16))  # below FALL_RATE_DPS 90
    assert events(slow, EventCode.FALL) == []
    # without a gyroscope the rate condition is off, not failed
    no_gyro = run_both(toppling(rate_dps=0).astype(np.int16), {"CHANNEL_ENABLE": 0xC7})
    assert events(no_gyro, EventCode.FALL) == [(740, peak)]
    # the rate window ends at the impact: a turn 20 samples before it is outside 10 samples
    early = toppling(rate_dps=0)
    early[560:580, 4] = 1500
    assert events(run_both(early.astype(np.int16)), EventCode.FALL) == []
    assert events(run_both(early.astype(np.int16), {"FALL_RATE_SAMPLES": 50}), EventCode.FALL)


def test_a_later_impact_rearms_and_the_peak_is_the_episodes():
    """A step's impact 30 samples before the fall must not swallow the fall's own impact: the
    fall is decided from the later impact, with the larger of the two as its value."""
    codes = toppling()
    codes[570, :3] = (0, 0, 7000)  # the step: bigger, while still upright
    out = run_both(codes.astype(np.int16))
    assert events(out, EventCode.FALL) == [(740, 7000)]


def test_the_turn_rate_is_held_over_the_episode_and_forgotten_after_it():
    """A fall's later contact (a bounce 20 samples after the impact, when the segment has stopped
    turning) re-arms the detector but keeps the rate of the turn before the first contact."""
    codes = toppling()
    codes[620, :3] = (2500, 0, 0)
    peak = int(np.sqrt(3000**2 + 5000**2))
    assert events(run_both(codes.astype(np.int16)), EventCode.FALL) == [(620 + 40 + 100, peak)]
    # an episode that gave up (fast turn and impact, then no stillness within the wait) leaves
    # nothing behind: a slow topple later is judged on its own rate
    later = toppling(n=2000, impact_at=1200, rate_dps=80)
    later[270:300, 4] = 1500
    later[300, :3] = (0, 0, 3000)
    later[301:600, 0] += 400
    assert events(run_both(later.astype(np.int16)), EventCode.FALL) == []
    later[1170:1200, 4] = 1500  # the same topple, turning fast: detected
    assert events(run_both(later.astype(np.int16)), EventCode.FALL)


def test_stillness_may_begin_within_the_wait_and_not_later():
    codes = toppling()
    codes[641:700, 0] += 400  # moving on the floor until 700: stillness from 700 to 799
    assert events(run_both(codes.astype(np.int16)), EventCode.FALL)[0][0] == 799
    late = toppling()
    late[641:762, 0] += 400  # stillness starts at 762 > 600 + 40 + 120 + 1
    assert events(run_both(late.astype(np.int16)), EventCode.FALL) == []
    assert events(run_both(late.astype(np.int16), {"FALL_WAIT_SAMPLES": 200}), EventCode.FALL)


def test_no_fall_when_the_posture_stays_upright_or_motion_goes_on():
    codes = standing(1200).astype(np.int64)
    codes[590:600, 4] = 2000  # a quick turn and a jump landing: then standing upright
    codes[600, 2] = 6000
    out = run_both(codes.astype(np.int16))
    assert len(out.of(EventCode.FALL)) == 0
    lying = toppling()
    lying[700::50, 0] = 1500  # moving every half second on the floor: never still long enough
    out = run_both(lying.astype(np.int16))
    assert len(out.of(EventCode.FALL)) == 0


def test_overload_start_end_and_minimum_duration():
    codes = standing(1000).astype(np.int64)
    codes[100:105, 6] = 2000  # 5 samples: shorter than OVERLOAD_MIN_SAMPLES = 10
    codes[300:450, 6] = 2000 + np.arange(150)
    out = run_both(codes.astype(np.int16), {"OVERLOAD_LIMIT": 1500, "OVERLOAD_HYST": 50})
    assert events(out, EventCode.OVERLOAD_START) == [(309, 2000)]
    assert events(out, EventCode.OVERLOAD_END) == [(450, 150)]


def test_overload_hysteresis_keeps_one_interval():
    codes = standing(600).astype(np.int64)
    codes[100:400, 6] = 1600
    codes[200:210, 6] = 1480  # dips below the limit but not below limit − hysteresis
    out = run_both(codes.astype(np.int16), {"OVERLOAD_LIMIT": 1500, "OVERLOAD_HYST": 50})
    assert len(out.of(EventCode.OVERLOAD_START)) == 1
    assert events(out, EventCode.OVERLOAD_END) == [(400, 300)]


def test_temp_high_once_until_rearmed():
    codes = standing(4000).astype(np.int64)
    codes[:, 7] = 5000  # 39.06 °C > 39.0 °C
    codes[2000:2100, 7] = 4980  # inside the hysteresis: stays disarmed
    codes[3000:3010, 7] = 4900  # below 39.0 − 0.5 °C: re-armed
    out = run_both(codes.astype(np.int16), {"TEMP_MIN_SAMPLES": 500})
    assert events(out, EventCode.TEMP_HIGH) == [(499, 5000), (3509, 5000)]


def test_sensor_faults_and_status_flags():
    codes = standing(2000).astype(np.int64)
    codes[200:400, 0] = 16000  # saturated
    codes[500:800, 4] = 123  # stuck gyro
    codes[900:950, 6] = NO_DATA_CODE  # strain dropout
    codes[:, 7] = 4736  # temperature constant: not checked for stuck by default
    out = run_both(codes.astype(np.int16))
    assert events(out, EventCode.FAULT_SATURATION) == [(219, 0)]
    assert events(out, EventCode.FAULT_STUCK) == [(599, 4)]
    assert events(out, EventCode.FAULT_DROPOUT) == [(902, 6)]
    flags = dict(
        zip(out.status["sample_index"].tolist(), out.status["fault_flags"].tolist(), strict=True)
    )
    assert flags[299] == 1 << 0 and flags[699] == 1 << 4 and flags[999] == 0
    assert flags[1999] == 0


def test_brownout_restarts_the_core_and_sample_index():
    codes = standing(1000).astype(np.int64)
    for i in (100, 160, 220, 280, 700, 760):
        codes[i, 2] += 900
    out = run_both(codes.astype(np.int16), brownouts=((400, 500),))
    assert events(out, EventCode.RESET) == [(0, 0), (0, 1)]
    resets = out.of(EventCode.RESET)
    assert resets["stream_index"].tolist() == [0, 500]
    steps = out.of(EventCode.STEP)
    assert steps["value"].tolist() == [1, 2, 3, 4, 1, 2]  # the count restarts with the chip
    assert steps["sample_index"].tolist()[-2:] == [201, 261]
    assert not np.any((out.status["stream_index"] >= 400) & (out.status["stream_index"] < 500))


def test_disabled_channel_reads_no_data_and_raises_no_fault():
    codes = standing(500)
    out = run_both(codes, {"CHANNEL_ENABLE": 0xFF & ~(1 << 6)})
    assert len(out.of(EventCode.FAULT_DROPOUT)) == 0


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (np.zeros((10, 8), dtype=np.float32), "dtype float32; expected int16"),
        (np.zeros((10, 7), dtype=np.int16), r"shape \(10, 7\); expected \(N, 8\)"),
        (np.zeros(8, dtype=np.int16), r"shape \(8,\)"),
        ([[0] * 8], "numpy array of int16, got list"),
    ],
)
def test_bad_codes_are_refused_with_the_expectation(codes, message):
    with pytest.raises(ChipError, match=message):
        Chip().run(codes)


def test_bad_brownout_and_implementation_are_refused():
    with pytest.raises(ChipError, match="brownout"):
        Chip().run(standing(10), brownouts=((5, 50),))
    with pytest.raises(ChipError, match="implementation"):
        Chip(implementation="fast")


def test_output_travels_as_icd_frames_and_decodes_back():
    from chip_sim.core.frames import output_bytes
    from chip_sim.icd import EventPayload, FrameDecoder, StatusPayload

    codes = standing(1000).astype(np.int64)
    for i in (100, 160, 220, 280, 700, 760):
        codes[i, 2] += 900
    out = run_both(codes.astype(np.int16), brownouts=((400, 500),))
    dec = FrameDecoder()
    frames = dec.feed(output_bytes(out))
    assert dec.crc_errors == 0 and dec.bytes_skipped == 0
    payloads = [f.decode_payload() for f in frames]
    events = [(p.code, p.sample_index, p.value) for p in payloads if isinstance(p, EventPayload)]
    assert events == [(int(e["code"]), int(e["sample_index"]), int(e["value"])) for e in out.events]
    status = [p for p in payloads if isinstance(p, StatusPayload)]
    assert [s.sample_index for s in status] == out.status["sample_index"].tolist()
    # SEQ restarts at 0 with every RESET frame.
    seqs = [f.seq for f in frames]
    reset_at = [k for k, p in enumerate(payloads) if isinstance(p, EventPayload) and p.code == 0x30]
    assert [seqs[k] for k in reset_at] == [0, 0]
