"""Recovery courses after knee arthroplasty (digest mode): the published milestones of the normal
course (Ebert 2014 flexion; asymmetry worst at week 2, baseline by week 11), the one deviation of
each deviating course, the raw windows' kinematic truth against the day's state, determinism and
the schema's recovery block."""

from __future__ import annotations

import time

import numpy as np
import pytest

from scenarios import library, recovery
from scenarios.capture import read_capture, write_digest_capture
from scenarios.credibility import symmetry_index_pct
from scenarios.digest import (
    DAILY_DTYPE,
    RECOVERY_DAILY_DTYPE,
    RECOVERY_WINDOW_EVERY_DAYS,
    render_digest,
)
from scenarios.errors import ScenarioValidationError
from scenarios.generator import render
from scenarios.model import Recovery
from scenarios.schema import parse_scenario

COURSES = {
    "normal": "tka_recovery_normal",
    "stalled_rom": "tka_stalled_rom",
    "persisting_limp": "tka_persisting_limp",
    "declining_activity": "tka_declining_activity",
    "slow_walking": "tka_slow_walking",
}
RATE_HZ = 100


@pytest.fixture(scope="module")
def digests():
    out, seconds = {}, {}
    for course, name in COURSES.items():
        t = time.perf_counter()
        out[course] = render_digest(library.load(name), 1, rate_hz=RATE_HZ)
        seconds[name] = time.perf_counter() - t
    # Timing is reported, not asserted (machines differ): see `pytest -s`.
    print(
        "\n12-week recovery digest render at 100 Hz:", {k: f"{v:.2f} s" for k, v in seconds.items()}
    )
    return out


def at_week(d, week: float, column: str) -> float:
    """The daily truth on the day that contains ``week`` weeks after surgery."""
    weeks = d.daily["weeks_post_op"]
    return float(d.daily[column][int(np.argmin(np.abs(weeks - week)))])


def weekly_mean(d, column: str) -> np.ndarray:
    """Mean of a daily column per week after surgery (week 1 = days 0–6)."""
    return d.daily[column].reshape(-1, 7).mean(axis=1)


# --- the normal course hits the published milestones -------------------------------------------


def test_normal_flexion_passes_ebert_2014_milestones(digests):
    d = digests["normal"]
    assert at_week(d, 2.0, "knee_flex_max_deg") >= 80.0  # flag < 80° at weeks 1–2
    assert at_week(d, 7.0, "knee_flex_max_deg") >= 100.0  # flag < 100° at week 7
    weeks = d.daily["weeks_post_op"]
    assert np.all(d.daily["knee_flex_max_deg"][weeks >= 7] >= 100.0)
    assert 105.0 <= d.daily["knee_flex_max_deg"][-1] <= 120.0  # the plateau (assumption)
    assert np.all(np.diff(d.daily["knee_flex_max_deg"]) >= 0)


def test_normal_asymmetry_is_worst_at_week_2_and_back_to_baseline_by_week_11(digests):
    d = digests["normal"]
    si = d.daily["symmetry_index_pct"]
    peak_week = float(d.daily["weeks_post_op"][int(np.argmax(si))])
    assert 1.5 <= peak_week <= 2.5
    assert si.max() > recovery.SI_FLAG_PCT  # the early limp is one a monitor would see
    late = si[d.daily["weeks_post_op"] >= 11.0]
    assert len(late) and np.all(late <= recovery.SI_BASELINE_PCT + 1.0)


def test_normal_speed_and_steps_rise(digests):
    d = digests["normal"]
    speed = weekly_mean(d, "walk_speed_mps")
    assert 0.5 <= speed[0] <= 0.7 and 1.1 <= speed[-1] <= 1.3
    assert np.all(np.diff(speed) >= 0)
    steps = weekly_mean(d, "steps")
    assert steps[-1] > 2.0 * steps[0]
    target = d.scenario.recovery.steps_per_day
    assert steps[-4:].mean() == pytest.approx(target, rel=0.25)


# --- each deviating course deviates in its one respect -----------------------------------------


def same_as_normal(d, normal, columns) -> None:
    for c in columns:
        assert np.array_equal(d.daily[c], normal.daily[c]), c


def test_stalled_rom_stalls_and_is_normal_otherwise(digests):
    d, normal = digests["stalled_rom"], digests["normal"]
    weeks = d.daily["weeks_post_op"]
    flex = d.daily["knee_flex_max_deg"]
    assert np.all(flex[weeks >= 8] < 90.0)
    assert at_week(d, 7.0, "knee_flex_max_deg") < 100.0  # Ebert 2014 flags it
    week3 = flex[(weeks >= 3) & (weeks < 4)]
    assert week3.min() >= 75.0 and flex.max() <= 85.0  # plateau from week 3
    same_as_normal(d, normal, ("walk_speed_mps", "symmetry_index_pct", "steps"))


def test_persisting_limp_stays_asymmetric_and_is_normal_otherwise(digests):
    d, normal = digests["persisting_limp"], digests["normal"]
    si = d.daily["symmetry_index_pct"]
    assert np.all(si[d.daily["weeks_post_op"] >= 2] >= recovery.SI_FLAG_PCT)
    assert at_week(d, 11.5, "symmetry_index_pct") > at_week(normal, 11.5, "symmetry_index_pct") + 8
    same_as_normal(d, normal, ("walk_speed_mps", "knee_flex_max_deg", "steps"))


def test_declining_activity_falls_from_week_4_and_is_normal_otherwise(digests):
    d, normal = digests["declining_activity"], digests["normal"]
    steps = weekly_mean(d, "steps")
    normal_steps = weekly_mean(normal, "steps")
    assert steps[-2:].mean() < 0.6 * steps[3:5].mean()  # falls from week 4 on
    assert steps[-2:].mean() < 0.5 * normal_steps[-2:].mean()
    assert steps[:4] == pytest.approx(normal_steps[:4], rel=0.01)  # same rise to week 4
    same_as_normal(d, normal, ("walk_speed_mps", "knee_flex_max_deg", "symmetry_index_pct"))


def test_slow_walking_plateaus_and_is_normal_otherwise(digests):
    d, normal = digests["slow_walking"], digests["normal"]
    weeks = d.daily["weeks_post_op"]
    speed = d.daily["walk_speed_mps"]
    assert np.all(speed[weeks >= 6] < 0.8) and np.all(
        normal.daily["walk_speed_mps"][weeks >= 6] >= 1.0
    )
    assert speed[weeks < 2] == pytest.approx(normal.daily["walk_speed_mps"][weeks < 2])
    same_as_normal(d, normal, ("knee_flex_max_deg", "symmetry_index_pct", "steps"))


def test_only_recovery_digests_carry_the_recovery_columns(digests):
    d = render_digest(library.load("infection_knee"), 1, rate_hz=RATE_HZ)
    assert d.daily.dtype == DAILY_DTYPE  # other courses' tables are as they were
    assert digests["normal"].daily.dtype == RECOVERY_DAILY_DTYPE
    assert set(DAILY_DTYPE.names) < set(RECOVERY_DAILY_DTYPE.names)
    for c in ("walk_speed_mps", "symmetry_index_pct", "knee_flex_max_deg"):
        assert np.all(np.isfinite(digests["normal"].daily[c])), c


def test_recovery_digest_capture_holds_the_recovery_columns(digests, tmp_path):
    d = digests["stalled_rom"]
    cap = read_capture(write_digest_capture(tmp_path / "r.h5", d))
    daily = cap.groups["daily"]
    for c in ("walk_speed_mps", "symmetry_index_pct", "knee_flex_max_deg", "steps"):
        assert np.array_equal(daily[c], d.daily[c]), c
    assert len(cap.groups["windows"]) == d.days


# --- raw windows carry the day's state ----------------------------------------------------------


def stride_speeds_mps(r) -> np.ndarray:
    """Pelvis travel over each stride of the instrumented leg / that stride's duration."""
    right = r.scenario.patient.instrumented_side == "right"
    hs = r.events_of("heel_strike")
    ipsi = hs["t_s"][hs["value"] == (1.0 if right else 0.0)]
    duration = dict(zip(ipsi[:-1], np.diff(ipsi), strict=True))
    strides = r.events_of("stride_length_m")
    return np.array([e["value"] / duration[e["t_s"]] for e in strides if e["t_s"] in duration])


@pytest.mark.parametrize("course", list(COURSES))
def test_every_day_has_a_window_with_the_days_state(digests, course):
    d = digests[course]
    assert RECOVERY_WINDOW_EVERY_DAYS == 1 and len(d.windows) == d.days
    flex_err, si_err, speed_err = [], [], []
    for day, (t0, r) in enumerate(d.windows):
        row = d.daily[day]
        assert t0 // 86400 == day
        assert r.knee_flex_deg is not None
        flex_err.append(float(r.knee_flex_deg.max()) - row["knee_flex_max_deg"])
        si_err.append(symmetry_index_pct(r, 0) - row["symmetry_index_pct"])
        speed_err.append(float(np.median(stride_speeds_mps(r))) - row["walk_speed_mps"])
    flex_err, si_err, speed_err = map(np.abs, (flex_err, si_err, speed_err))
    print(
        f"\n{course}: window truth vs day state, max |error|: knee flexion "
        f"{flex_err.max():.2f}°, SI {si_err.max():.2f} pp, stride speed {speed_err.max():.3f} m/s"
    )
    assert flex_err.max() <= 3.0
    assert si_err.max() <= 2.0
    assert speed_err.max() <= 0.05


def test_gait_knee_flexion_is_stiffer_early_and_below_the_capacity(digests):
    d = digests["normal"]

    def gait_peak(r) -> float:
        walk = r.segments[r.segments["activity"] == "walk"][0]
        i0, i1 = (int(walk[k] * r.rate_hz) for k in ("t_start_s", "t_end_s"))
        return float(r.knee_flex_deg[i0:i1].max())

    early, late = gait_peak(d.windows[3][1]), gait_peak(d.windows[-1][1])
    assert early < late - 10.0  # stiff-knee gait in the first weeks
    assert 50.0 <= late <= 75.0  # DOMAIN: walking needs 60–75°
    for day, (_, r) in enumerate(d.windows):
        assert gait_peak(r) < d.daily["knee_flex_max_deg"][day]


def test_recovery_digest_is_deterministic():
    s = library.load("tka_persisting_limp")
    a, b = render_digest(s, 5, rate_hz=RATE_HZ), render_digest(s, 5, rate_hz=RATE_HZ)
    assert a.daily.tobytes() == b.daily.tobytes()  # NaN-safe: the same bits
    assert np.array_equal(a.loading_events, b.loading_events)
    for (ta, ra), (tb, rb) in zip(a.windows, b.windows, strict=True):
        assert ta == tb
        assert np.array_equal(ra.acc_mps2, rb.acc_mps2)
        assert np.array_equal(ra.events, rb.events)
    c = render_digest(s, 6, rate_hz=RATE_HZ)
    assert not np.array_equal(a.daily["steps"], c.daily["steps"])


# --- the seated knee-flexion target --------------------------------------------------------------


@pytest.mark.parametrize("target", [75.0, 110.0])
def test_seated_knee_flexion_target_sets_the_knee_angle(target):
    s = parse_scenario(
        f"""
name: t
description: chair rise at a set knee flexion
patient: {{body_mass_kg: 75, height_m: 1.75, implant_site: knee_tibial_tray}}
timeline:
  - {{activity: stand, duration_s: 2}}
  - {{activity: stand_to_sit, knee_flex_deg: {target}}}
  - {{activity: sit, duration_s: 4, knee_flex_deg: {target}}}
  - {{activity: sit_to_stand, knee_flex_deg: {target}}}
  - {{activity: stand, duration_s: 2}}
""",
        "t.yaml",
    )
    r = render(s, 1, rate_hz=200)
    sit = r.segments[r.segments["activity"] == "sit"][0]
    i0, i1 = int(sit["t_start_s"] * 200) + 100, int(sit["t_end_s"] * 200)
    assert r.knee_flex_deg.max() == pytest.approx(target, abs=0.5)
    assert np.median(r.knee_flex_deg[i0:i1]) == pytest.approx(target, abs=2.0)
    assert abs(r.knee_flex_deg[-1]) < 3.0  # standing again


# --- the schema's recovery block -----------------------------------------------------------------

BASE = """\
name: probe
description: a recovery probe
patient: {body_mass_kg: 80, height_m: 1.7, implant_site: knee_tibial_tray, weeks_post_op: 0}
recovery: {course: normal, weeks: 12, steps_per_day: 6000}
"""


def test_recovery_block_parses_into_a_digest_course():
    s = parse_scenario(BASE, "probe.yaml")
    assert s.recovery == Recovery(course="normal", weeks=12.0, steps_per_day=6000.0)
    assert s.is_digest and s.digest_weeks == 12.0 and s.timeline == ()
    defaults = parse_scenario(BASE.replace(", weeks: 12, steps_per_day: 6000", ""), "p.yaml")
    assert defaults.recovery == Recovery()


@pytest.mark.parametrize(
    ("old", "new", "field", "expected"),
    [
        ("course: normal", "course: sluggish", "recovery.course", "normal, stalled_rom"),
        ("weeks: 12", "weeks: 80", "recovery.weeks", "1..52 weeks"),
        ("steps_per_day: 6000", "steps_per_day: -3", "recovery.steps_per_day", "200..20000"),
        ("steps_per_day: 6000", "steps_per_day: 6000, pace: 2", "recovery.pace", "course"),
        (
            "implant_site: knee_tibial_tray",
            "implant_site: hip_stem",
            "patient.implant_site",
            "knee",
        ),
    ],
)
def test_bad_recovery_fields_give_one_line_errors_naming_the_field(old, new, field, expected):
    with pytest.raises(ScenarioValidationError) as info:
        parse_scenario(BASE.replace(old, new), "probe.yaml")
    problems = info.value.problems
    assert len(problems) == 1, problems
    text = str(problems[0])
    assert "\n" not in text
    assert problems[0].field == field
    assert problems[0].line == (3 if field.startswith("patient") else 4)
    assert expected in text and text.startswith("probe.yaml:")


def test_empty_recovery_block_is_refused():
    with pytest.raises(ScenarioValidationError, match="recovery: is empty"):
        parse_scenario(BASE.replace("{course: normal, weeks: 12, steps_per_day: 6000}", ""), "p")


def test_course_functions_refuse_unknown_courses_and_negative_weeks():
    with pytest.raises(ValueError, match="expected one of normal"):
        recovery.knee_flex_capacity_deg(3.0, "bad")
    with pytest.raises(ValueError, match="negative"):
        recovery.walk_speed_mps(-1.0)
