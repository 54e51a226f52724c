"""The waveform-credibility features measure what they say, on hand-made walks with known
answers (no recordings needed); the checks' tolerances work both ways."""

from __future__ import annotations

import numpy as np
import pytest

from bench.verification import waveform_credibility as wc

RATE_HZ = 100
STEP_S = 0.5  # 120 steps/min


def walk(*, spike_mg=0, mid_spike_mg=0, ml_amp_mg=0.0, ap_lead_s=0.1, seconds=20, bob_mg=100.0):
    """Upright (1 g on z) with a 2 Hz vertical bob, a one-sample |a| spike at each heel strike
    and another mid-step, a medio-lateral sway at the stride rate, and a forward-acceleration
    bump ``ap_lead_s`` before each heel strike."""
    n = seconds * RATE_HZ
    t = np.arange(n) / RATE_HZ
    codes = np.zeros((n, 8), dtype=np.int64)
    hs = np.arange(1.0, seconds - 1.0, STEP_S)
    z = 1000 + bob_mg * np.cos(2 * np.pi * t / STEP_S)
    x = np.zeros(n)
    for h in hs:
        i = round(h * RATE_HZ)
        z[i] += spike_mg
        z[i + round(STEP_S / 2 * RATE_HZ)] += mid_spike_mg
        x += 80 * np.exp(-(((t - (h - ap_lead_s)) / 0.03) ** 2))
    codes[:, 0] = np.round(x)
    codes[:, 1] = np.round(ml_amp_mg * np.sin(np.pi * t / STEP_S))
    codes[:, 2] = np.round(z)
    return wc.Walk(codes, hs, RATE_HZ)


def test_a_smooth_bob_has_its_power_below_3_hz_and_its_rms():
    f = wc.features([walk(bob_mg=100.0)])
    assert f["share_above_3hz"] < 0.01
    assert f["vertical_rms_mg"] == pytest.approx(100 / np.sqrt(2), rel=0.03)
    assert f["ml_rms_mg"] < 1


def test_heel_strike_sharpness_and_its_contrast_to_mid_step():
    # a one-sample spike of s on top of the bob: second difference -2s at it, +s beside it
    f = wc.features([walk(spike_mg=200, mid_spike_mg=50)])
    assert f["hs_sharpness_mg"] == pytest.approx(200, abs=15)
    assert f["hs_to_mid_step_sharpness"] == pytest.approx(200 / 50, rel=0.15)
    # spikes are broadband: 200 mg every 0.5 s puts ~5 % of the power above 3 Hz (a bob alone 0)
    assert 0.03 < wc.features([walk(spike_mg=200)])["share_above_3hz"] < 0.08


def test_sway_and_the_forward_peak_timing():
    f = wc.features([walk(ml_amp_mg=60.0, ap_lead_s=0.12)])
    assert f["ml_rms_mg"] == pytest.approx(60 / np.sqrt(2), rel=0.05)
    assert f["ap_peak_ms"] == pytest.approx(-120, abs=10)


def test_stops_split_the_walk_and_too_few_steps_give_no_figure():
    w = walk()
    gappy = wc.Walk(w.codes, w.heel_strikes_s[::4], RATE_HZ)  # 2 s apart: never steady walking
    assert all(np.isnan(v) for v in wc.features([gappy]).values())
    with pytest.raises(ValueError, match="expected one chip rate"):
        wc.features([w, wc.Walk(w.codes, w.heel_strikes_s, 50)])


@pytest.mark.parametrize(
    ("name", "real", "synthetic", "passed"),
    [
        ("hs_sharpness_mg", 50.0, 74.0, True),  # factor 1.5
        ("hs_sharpness_mg", 50.0, 76.0, False),
        ("hs_sharpness_mg", 50.0, 33.0, False),
        ("share_above_3hz", 0.40, 0.26, True),  # +-0.15
        ("share_above_3hz", 0.40, 0.24, False),
        ("ap_peak_ms", -90.0, -139.0, True),  # +-50 ms
        ("ap_peak_ms", -90.0, float("nan"), False),
    ],
)
def test_checks_pass_inside_their_tolerance_only(name, real, synthetic, passed):
    feature = next(f for f in wc.FEATURES if f.name == name)
    assert wc.Check(feature, real, synthetic).passed is passed
