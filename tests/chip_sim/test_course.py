"""Recovery courses through the implant's records (issue 8): daily biomarkers from the raw
windows against the day's truth, the weekly table, and the deviation alerts with their reasons."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from chip_sim.mobility.course import (
    REASONS,
    WEEK_DTYPE,
    Alert,
    alerts,
    course_days,
    weekly,
)
from scenarios import library
from scenarios.digest import render_digest

COURSES = {
    "tka_recovery_normal": None,
    "tka_stalled_rom": "rom_below_milestone",
    "tka_persisting_limp": "symmetry_not_recovering",
    "tka_declining_activity": "activity_declining",
    "tka_slow_walking": "speed_not_recovering",
}


@cache
def course(name: str, seed: int):
    d = render_digest(library.load(name), seed, rate_hz=100)
    days = course_days(d, seed)
    return d, days, weekly(days)


def test_daily_biomarkers_follow_the_days_truth():
    d, days, _ = course("tka_recovery_normal", 1)
    truth = d.daily
    after_crutches = truth["weeks_post_op"] >= 2
    speed = days["speed_mps"] - truth["walk_speed_mps"]
    si = days["symmetry_index_pct"] - np.abs(truth["symmetry_index_pct"])
    flex = days["knee_flex_max_deg"] - truth["knee_flex_max_deg"]
    assert np.nanmean(np.abs(speed)) < 0.05
    assert np.nanmean(np.abs(si[after_crutches])) < 2.0
    assert np.nanmedian(np.abs(flex)) < 3.0
    assert np.mean(np.isfinite(flex)) > 0.9  # the seated part is found on most days
    assert np.all(days["steps"] == truth["steps"])


def test_weekly_medians_hide_a_bad_day():
    _, days, weeks = course("tka_stalled_rom", 1)
    assert weeks.dtype == WEEK_DTYPE and list(weeks["week"]) == list(range(12))
    spoiled = days.copy()
    spoiled["knee_flex_max_deg"][15] = 150.0  # one absurd day in week 2
    assert weekly(spoiled)["knee_flex_max_deg"][2] == pytest.approx(
        weeks["knee_flex_max_deg"][2], abs=1.0
    )


@pytest.mark.parametrize("name", list(COURSES))
def test_each_deviation_is_alerted_for_its_reason_and_normal_recovery_is_not(name):
    for seed in (1, 2):
        got = alerts(course(name, seed)[2])
        expected = COURSES[name]
        assert [a.reason for a in got] == ([expected] if expected else []), (seed, got)


def test_alerts_come_no_earlier_than_their_rules_allow():
    week = np.zeros(12, dtype=WEEK_DTYPE)
    week["week"] = np.arange(12)
    week["steps"] = 5000
    week["knee_flex_max_deg"] = 120.0
    week["symmetry_index_pct"] = 15.0  # high from the start: normal early on
    week["speed_mps"] = 0.5  # slow from the start: normal early on
    got = {a.reason: a for a in alerts(week)}
    assert got["symmetry_not_recovering"].week == 6
    assert got["speed_not_recovering"].week == 6
    week["symmetry_index_pct"], week["speed_mps"] = 3.0, 1.2
    week["knee_flex_max_deg"][1] = 79.0  # below 80 in week 2
    assert [(a.week, a.reason) for a in alerts(week)] == [(2, "rom_below_milestone")]
    week["knee_flex_max_deg"] = 120.0
    week["steps"][4:] = 3000  # 60 % of the best week from week 5 on
    (a,) = alerts(week)
    assert (a.week, a.reason) == (6, "activity_declining") and a.value == pytest.approx(0.6)
    assert isinstance(a, Alert) and set(REASONS) >= {a.reason}
