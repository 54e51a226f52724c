"""The generator: determinism, physical sense of the signals, and the truth it reports."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios import library
from scenarios.generator import render
from scenarios.kinematics import mount_matrix
from scenarios.schema import parse_scenario

G = 9.80665


def scenario(timeline: str, patient: str = "", extra: str = ""):
    return parse_scenario(
        f"""
name: t
description: test scenario
patient: {{body_mass_kg: 75, height_m: 1.75, implant_site: knee_tibial_tray{patient}}}
timeline:
{timeline}
{extra}
""",
        "t.yaml",
    )


STAND = "  - {activity: stand, duration_s: 4}\n"


def test_same_seed_is_bit_identical_and_other_seed_differs():
    s = library.load("walk_level_1p3")
    a, b, c = render(s, 7, rate_hz=200), render(s, 7, rate_hz=200), render(s, 8, rate_hz=200)
    for name in ("acc_mps2", "gyr_dps", "strain_ue", "load_n", "temp_c"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
        assert not np.array_equal(getattr(a, name), getattr(c, name)) or name == "temp_c", name
    assert np.array_equal(a.events, b.events)
    # Another seed changes stride-to-stride variability, hence the heel-strike times.
    ha, hc = a.events_of("heel_strike")["t_s"], c.events_of("heel_strike")["t_s"]
    assert len(ha) != len(hc) or not np.allclose(ha, hc)


def test_standing_still_reads_one_g_up_and_no_rotation():
    r = render(scenario(STAND), 1)
    acc = r.acc_mps2[500:-500]
    assert np.allclose(np.median(acc, axis=0), [0, 0, G], atol=0.15)
    assert np.all(np.abs(np.median(r.gyr_dps[500:-500], axis=0)) < 1.0)


@pytest.mark.parametrize(
    ("posture", "axis", "sign"),
    [("supine", 0, 1), ("prone", 0, -1), ("right", 1, 1), ("left", 1, -1)],
)
def test_lying_postures_put_gravity_on_the_expected_axis(posture, axis, sign):
    r = render(scenario(f"  - {{activity: lie, duration_s: 5, posture: {posture}}}\n"), 1)
    g = np.median(r.acc_mps2[1000:], axis=0)
    assert g[axis] == pytest.approx(sign * G, abs=0.3)
    assert abs(g[2]) < 0.3


def test_sensor_orientation_rotates_the_readings():
    plain = render(scenario(STAND), 1)
    tilted = render(scenario(STAND, ", sensor_orientation_deg: [0, 90, 0]"), 1)
    m = mount_matrix(0, 90, 0)
    # Same motion and noise draw; the noise is added in the sensor frame, so compare to its level.
    assert np.percentile(np.abs(tilted.acc_mps2 - plain.acc_mps2 @ m), 99) < 0.4
    # Pitching the sensor 90° moves gravity from its z to its (negative) x axis.
    assert np.median(tilted.acc_mps2[:, 0]) == pytest.approx(-G, abs=0.2)


def test_gyro_integrates_to_the_posture_change_of_sit_to_stand():
    s = scenario(
        "  - {activity: sit, duration_s: 3}\n  - {activity: sit_to_stand}\n" + STAND,
        extra="",
    )
    r = render(s, 1)
    # Shank pitch while seated (knee ahead of ankle) returns to vertical on standing.
    angle_deg = np.sum(r.gyr_dps[:, 1]) / r.rate_hz
    from scenarios.motion import Body, sitting_pose

    shank_sit = np.rad2deg(sitting_pose(Body.of(s.patient), 0.45)[1])
    assert angle_deg == pytest.approx(-shank_sit, abs=1.5)


@pytest.mark.parametrize("steps", [12, 36, 75])
def test_walk_given_in_steps_has_that_many_steps(steps):
    r = render(
        scenario(f"{STAND}  - {{activity: walk, speed_mps: 1.1, steps: {steps}}}\n{STAND}"), 2
    )
    n = len(r.events_of("heel_strike"))
    assert steps - 1 <= n <= steps + 2


def test_heel_strikes_alternate_legs_and_sit_inside_walk_segments():
    r = render(library.load("walk_level_1p3"), 3, rate_hz=200)
    hs = r.events_of("heel_strike")
    walks = r.segments[r.segments["activity"] == "walk"]
    inside = np.zeros(len(hs), bool)
    for w in walks:
        bout = (hs["t_s"] >= w["t_start_s"]) & (hs["t_s"] <= w["t_end_s"])
        assert np.all(np.diff(hs["value"][bout]) != 0)  # right, left, right, ... within a bout
        inside |= bout
    assert inside.all()
    assert len(walks) == 4


def test_heel_strike_shows_as_an_acceleration_peak():
    r = render(library.load("walk_level_1p3"), 1)
    mag = np.linalg.norm(r.acc_mps2, axis=1)
    right = r.events_of("heel_strike")
    right = right[right["value"] == 1.0]["t_s"][2:-2]
    for t in right:
        i = int(t * r.rate_hz)
        local = mag[i - 100 : i + 100]
        assert abs(int(np.argmax(local)) - 100) <= 30  # the shock peaks within 30 ms


def test_fall_truth_impact_is_the_peak_and_is_followed_by_a_still_long_lie():
    r = render(library.load("fall_forward"), 1)
    impact = r.events_of("fall_impact")
    assert len(impact) == 1
    t, peak_g = impact["t_s"][0], impact["value"][0]
    mag = np.linalg.norm(r.acc_mps2, axis=1) / G
    assert peak_g == pytest.approx(mag.max(), rel=1e-3)
    assert peak_g >= 3.0
    lie = r.segments[r.segments["activity"] == "long_lie"][0]
    assert lie["t_end_s"] - lie["t_start_s"] >= 115
    still = slice(int((t + 3) * r.rate_hz), None)
    assert np.std(mag[still]) < 0.02
    assert np.max(np.abs(r.gyr_dps[still])) < 5.0
    # Lying prone: gravity on the sensor's −x axis.
    assert np.median(r.acc_mps2[still, 0]) == pytest.approx(-G, abs=0.5)


@pytest.mark.parametrize(
    "name",
    [
        "lookalike_hard_sit",
        "lookalike_lie_down",
        "lookalike_jump",
        "lookalike_near_fall",
        "stumble",
    ],
)
def test_fall_lookalikes_have_no_fall_in_truth(name):
    r = render(library.load(name), 1, rate_hz=200)
    assert len(r.events_of("fall_impact")) == 0
    assert not any(str(a).startswith("fall") for a in r.segments["activity"])


def test_jump_landing_is_a_hard_impact_without_a_fall():
    r = render(library.load("lookalike_jump"), 1)
    landings = r.events_of("jump_landing")
    assert len(landings) == 3
    assert np.all(np.diff(landings["value"]) > 0)  # higher jump, harder landing
    assert landings["value"][-1] > 3.0


def test_overload_truth_matches_the_load_signal():
    r = render(library.load("overload_partial_weight_bearing"), 1)
    limit = r.overload_limit_n
    assert limit == pytest.approx(20 * G * r.attrs["implant_share"], rel=1e-6)
    starts, ends = r.events_of("overload_start"), r.events_of("overload_end")
    assert len(starts) == len(ends) >= 5
    for s, e in zip(starts, ends, strict=True):
        i0, i1 = round(s["t_s"] * r.rate_hz), round(e["t_s"] * r.rate_hz)
        assert np.all(r.load_n[i0:i1] > limit)
        assert r.load_n[i0 - 1] <= limit and r.load_n[i1] <= limit
        assert e["value"] == pytest.approx(e["t_s"] - s["t_s"])
    # The 0.8 s weight shift is an overload shorter than a second; the 4 s one lasts seconds.
    durations = ends["value"]
    assert durations.min() < 1.0 and durations.max() > 3.0


def test_walking_at_the_prescribed_limit_stays_under_it():
    r = render(library.load("early_post_op_crutches"), 1)
    assert r.overload_limit_n is not None
    assert len(r.events_of("overload_start")) == 0
    assert r.load_n.max() > 0.7 * r.overload_limit_n  # close to the limit, not trivially below


def test_sensor_faults_change_the_signals_and_are_in_the_truth():
    r = render(library.load("sensor_faults"), 1)
    rate = r.rate_hz
    assert np.isnan(r.acc_mps2[int(15.5 * rate) : int(17 * rate)]).all()
    assert not np.isnan(r.acc_mps2[: int(14.9 * rate)]).any()
    stuck = r.gyr_dps[int(30 * rate) : int(34 * rate)]
    assert np.all(stuck == stuck[0])
    assert np.all(np.abs(r.strain_ue[int(60 * rate) : int(63 * rate)]) == 4000.0)
    clean = render(library.load("walk_level_1p3"), 1)  # same temperature course, no drift
    drift = r.temp_c[int(99 * rate)] - clean.temp_c[int(99 * rate)]
    assert drift == pytest.approx(1.5, abs=0.05)
    kinds = set(r.events["kind"])
    for k in ("dropout", "stuck", "saturation", "bias_drift"):
        assert {f"{k}_start", f"{k}_end"} <= kinds


def test_system_faults_are_truth_only():
    faulty = render(library.load("system_faults"), 4, rate_hz=200)
    assert len(faulty.events_of("brownout_start")) == 2
    assert len(faulty.events_of("link_gap_start")) == 2
    assert not np.isnan(faulty.acc_mps2).any()


def test_decimated_view_keeps_low_frequency_content_and_gaps():
    r = render(library.load("sensor_faults"), 1)
    d = r.decimated(100)
    assert d.rate_hz == 100 and d.n == r.n // 10
    assert np.isnan(d.acc_mps2[1600]).all()  # the dropout survives decimation
    ok = ~np.isnan(d.acc_mps2[:, 2])
    coarse = r.acc_mps2[::10, 2][: d.n]
    # Band-limited: the 100 Hz view follows the 1 kHz truth except for the impact spikes.
    assert np.median(np.abs(d.acc_mps2[ok, 2] - coarse[ok])) < 0.3
    with pytest.raises(ValueError, match="must divide"):
        r.decimated(300)


def test_temperature_follows_the_post_op_course_and_the_sensor_lag():
    s = scenario(STAND, ", weeks_post_op: 6", extra="temperature: {baseline_c: 36.0}")
    r = render(s, 1)
    # Week 6: +1.6 °C (Haidar 2006); daily rhythm at 09:00 is −0.3·cos(7/24·2π) ≈ +0.18 °C.
    expected = 36.0 + 1.6 + 0.3 * np.cos(2 * np.pi * (9 - 16) / 24)
    assert r.temp_c[0] == pytest.approx(expected, abs=0.02)


@pytest.mark.parametrize("rate", [10.0, 50000.0])
def test_rate_out_of_range_is_refused(rate):
    with pytest.raises(ValueError, match="rate_hz"):
        render(library.load("walk_level_1p3"), 1, rate_hz=rate)


def test_duration_limits_the_render():
    r = render(library.load("daily_living_day"), 1, rate_hz=100, duration_s=600)
    assert r.n == 60000
    assert r.segments["t_end_s"].max() <= 600.0 + 1e-6


def test_weeks_long_course_is_refused_by_the_full_renderer():
    with pytest.raises(ValueError, match="render_digest"):
        render(library.load("healing_normal"), 1)


@pytest.mark.parametrize(
    "name", [n for n in library.library_names() if not library.load(n).is_digest]
)
def test_every_full_scenario_is_physically_plausible(name):
    s = library.load(name)
    r = render(s, 5, rate_hz=200, duration_s=min(s.duration_s, 1800))
    acc = np.nan_to_num(r.acc_mps2)
    mag = np.linalg.norm(acc, axis=1) / G
    saturated = {e["t_s"] for e in r.events if str(e["kind"]).startswith("saturation")}
    assert not saturated or name == "sensor_faults"
    # Nothing but impacts goes beyond 6 g, and nothing at all beyond the 16 g full scale.
    impacts = r.events[np.isin(r.events["kind"], ["fall_impact", "jump_landing", "heel_strike"])]
    assert mag.max() < 16.0
    far = np.ones(r.n, bool)
    for t in impacts["t_s"]:
        i = int(t * r.rate_hz)
        far[max(i - 40, 0) : i + 40] = False
    assert mag[far].max() < 6.0 if name != "jogging" else True
    assert np.abs(r.gyr_dps).max() < 2000.0
    assert np.all(r.load_n >= 0)
    assert np.nanmax(np.abs(r.strain_ue)) <= 3276.7 or name == "sensor_faults"
    assert r.segments["t_start_s"][0] == 0.0
    assert np.allclose(r.segments["t_start_s"][1:], r.segments["t_end_s"][:-1])


def test_daily_living_fills_the_day_exactly_and_sleeps_at_night():
    r = render(library.load("daily_living_day"), 2, rate_hz=50)
    assert r.n == 86400 * 50
    lying = r.segments[r.segments["activity"] == "lie"]
    night = (lying["t_start_s"] < 7 * 3600) & (lying["t_end_s"] > 6 * 3600)
    assert night.any()  # asleep at 06:00
    steps = len(r.events_of("heel_strike"))
    assert 3000 <= steps <= 10000  # ≈ 6000 steps/day requested, day-to-day variation ≈ ±30 %
