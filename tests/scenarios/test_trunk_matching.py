"""The lower back's matched heel strike and gait wobble (scenarios.sites.LOWER_BACK_MATCHED)
do what they are for: a softer, wider heel strike and broadband trunk motion while walking,
seeded like everything else; with them off (SITES today) nothing changes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from scenarios import library
from scenarios.generator import render
from scenarios.sites import LOWER_BACK_MATCHED, SITES

SCENARIO = "walk_lower_back_wearable"
RATE_HZ = 100


def heel_strike_sharpness_and_hf_share(r) -> tuple[float, float]:
    """Median largest second difference of |a| within 50 ms of each heel strike (m/s²), and the
    share of |a|'s 0.5-20 Hz power above 3 Hz, on |a| averaged to 100 Hz (the chip's rate)."""
    q = round(r.rate_hz / RATE_HZ)
    raw = np.linalg.norm(r.acc_mps2, axis=1)
    mag = raw[: len(raw) // q * q].reshape(-1, q).mean(axis=1)
    d2 = np.zeros_like(mag)
    d2[2:] = mag[2:] - 2 * mag[1:-1] + mag[:-2]
    half = round(0.05 * RATE_HZ)
    hs = [round(float(e[0]) * RATE_HZ) for e in r.events_of("heel_strike")]
    sharp = float(np.median([d2[i - half : i + half + 1].max() for i in hs]))
    walking = slice(hs[0], hs[-1])
    m = mag[walking] - mag[walking].mean()
    p = np.abs(np.fft.rfft(m * np.hanning(len(m)))) ** 2
    f = np.fft.rfftfreq(len(m), 1 / RATE_HZ)
    band = (f >= 0.5) & (f <= 20)
    return sharp, float(p[band & (f >= 3)].sum() / p[band].sum())


@pytest.fixture
def matched(monkeypatch):
    monkeypatch.setitem(
        SITES, "lower_back", dataclasses.replace(SITES["lower_back"], **LOWER_BACK_MATCHED)
    )


def test_the_matched_trunk_softens_heel_strikes_and_adds_broadband_motion(matched):
    scenario = library.load(SCENARIO)
    r = render(scenario, seed=1)
    sharp, hf = heel_strike_sharpness_and_hf_share(r)
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(
            SITES,
            "lower_back",
            dataclasses.replace(
                SITES["lower_back"],
                heel_strike_duration_s=0.02,
                heel_strike_peak_factor=1.0,
                gait_wobble_mps2=0.0,
            ),
        )
        plain = render(scenario, seed=1)
    sharp0, hf0 = heel_strike_sharpness_and_hf_share(plain)
    assert sharp < sharp0 / 2, (sharp, sharp0)  # the heel strike is spread, its peak lower
    assert hf > hf0 + 0.05, (hf, hf0)  # wobble puts power above 3 Hz
    # the same seed gives the same wobble; another seed another
    assert np.array_equal(render(scenario, seed=1).acc_mps2, r.acc_mps2)
    assert not np.array_equal(render(scenario, seed=2).acc_mps2[: len(r.acc_mps2)], r.acc_mps2)


def test_wobble_only_while_walking(matched):
    r = render(library.load(SCENARIO), seed=1)
    hs = [float(e[0]) for e in r.events_of("heel_strike")]
    still = r.t_s < hs[0] - 1.0  # standing before the first bout
    assert still.any()
    mag = np.linalg.norm(r.acc_mps2[still], axis=1)
    assert mag.std() < 0.05  # m/s²: standing stays still
