"""The kinematic truth the mobility biomarkers are judged against (issue 8): stride lengths per
stride of the instrumented leg, knee flexion and tibial pitch over time, kept through decimation
and written to captures."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from scenarios import library
from scenarios.capture import write_capture
from scenarios.generator import render
from scenarios.model import Patient, Scenario, Segment


def _walk(speed_mps: float, seconds: float = 20.0, **walk) -> Scenario:
    return Scenario(
        name="truth_walk",
        description="kinematic truth",
        patient=Patient(body_mass_kg=75.0, height_m=1.75, implant_site="knee_tibial_tray"),
        timeline=(
            Segment("stand", 2.0),
            Segment("walk", seconds, {"speed_mps": speed_mps, **walk}),
            Segment("sit", 5.0, {"chair_height_m": 0.45}),
        ),
    )


@pytest.mark.parametrize("speed_mps", [0.8, 1.3, 1.7])
def test_every_stride_of_the_instrumented_leg_has_its_length_and_speed(speed_mps):
    r = render(_walk(speed_mps), 3, rate_hz=1000)
    hs = r.events_of("heel_strike")
    ipsi = hs["t_s"][hs["value"] == 1.0]  # right leg instrumented
    strides = r.events_of("stride_length_m")
    assert len(strides) == len(ipsi) - 1
    np.testing.assert_allclose(strides["t_s"], ipsi[:-1])
    speed = strides["value"] / np.diff(ipsi)
    steady = (strides["t_s"] > 3.5) & (strides["t_s"] < 19.0)  # away from the 0.6 s ramps
    assert np.median(speed[steady]) == pytest.approx(speed_mps, rel=0.03)


def test_knee_flexion_and_tibial_pitch_follow_the_activity():
    r = render(_walk(1.3), 3, rate_hz=1000)
    t = r.t_s
    walking = (t > 4) & (t < 20)
    sitting = t > 24
    standing = t < 1.5
    assert r.knee_flex_deg.dtype == np.float32 and len(r.knee_flex_deg) == r.n
    assert 55 < r.knee_flex_deg[walking].max() < 70  # swing peak near 60 deg at 1.3 m/s
    assert r.knee_flex_deg[standing].max() < 10
    assert 70 < np.median(r.knee_flex_deg[sitting]) < 110
    assert np.ptp(r.shank_pitch_deg[walking]) > 50  # the tibia swings through its range
    assert abs(np.median(r.shank_pitch_deg[standing])) < 5


def test_the_truth_survives_decimation_and_is_written_to_captures(tmp_path):
    r = render(library.load("walk_level_1p3"), 1, rate_hz=1000)
    d = r.decimated(100)
    np.testing.assert_array_equal(d.knee_flex_deg, r.knee_flex_deg[::10])
    np.testing.assert_array_equal(d.shank_pitch_deg, r.shank_pitch_deg[::10])
    path = write_capture(tmp_path / "walk.h5", r)
    with h5py.File(path) as f:
        knee = f["truth/knee_flex_deg"]
        assert knee.attrs["unit"] == "deg" and knee.attrs["rate_hz"] == 1000.0
        np.testing.assert_allclose(knee[()], r.knee_flex_deg, rtol=1e-6)
        kinds = set(f["truth/events"]["kind"].astype(str))
        assert "stride_length_m" in kinds
