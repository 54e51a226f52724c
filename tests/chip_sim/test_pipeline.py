"""Scenario → front end → golden core: reference equals vectorised on every library scenario, and
the accuracy the issue asks for holds on the library."""

from __future__ import annotations

import numpy as np
import pytest

from chip_sim.accuracy import match_times, walking_seconds
from chip_sim.core import Chip
from chip_sim.icd import EventCode
from chip_sim.pipeline import run_scenario
from scenarios import library

FULL = [n for n in library.library_names() if not library.load(n).is_digest]


@pytest.mark.parametrize("name", [n for n in FULL if n != "daily_living_day"])
def test_reference_and_vectorised_agree_on_every_library_scenario(name):
    run = run_scenario(library.load(name), 3)
    ref = Chip(run.registers, implementation="reference").run(
        run.codes.codes, brownouts=run.codes.brownouts
    )
    assert np.array_equal(ref.events, run.output.events)
    assert np.array_equal(ref.status, run.output.status)


@pytest.mark.nightly
def test_reference_and_vectorised_agree_on_a_whole_day():
    run = run_scenario(library.load("daily_living_day"), 3)
    ref = Chip(run.registers, implementation="reference").run(run.codes.codes)
    assert np.array_equal(ref.events, run.output.events)


def test_brownout_scenario_resets_the_chip_and_the_run_goes_on():
    run = run_scenario(library.load("system_faults"), 1)
    resets = run.output.of(EventCode.RESET)
    assert resets["value"].tolist() == [0, 1, 1]
    b0 = run.codes.brownouts[0]
    assert resets["stream_index"][1] == b0[1]
    steps = run.output.of(EventCode.STEP)
    after = steps[steps["stream_index"] > run.codes.brownouts[-1][1]]
    assert len(after) > 10 and after["value"][0] == 1  # the count restarts after the brown-out


def test_sensor_faults_are_reported_on_the_right_channels():
    run = run_scenario(library.load("sensor_faults"), 1)
    got = {
        (int(e["code"]), int(e["value"]))
        for e in run.output.events
        if e["code"] >= 0x10 and e["code"] < 0x20
    }
    assert (int(EventCode.FAULT_DROPOUT), 0) in got  # accelerometer dropout, 15 s
    assert (int(EventCode.FAULT_STUCK), 3) in got  # gyroscope stuck, 30 s
    assert (int(EventCode.FAULT_SATURATION), 6) in got  # strain saturation, 60 s
    drop = run.output.of(EventCode.FAULT_DROPOUT)
    assert abs(drop["stream_index"][0] / 100 - 15.0) < 0.2


def test_same_seed_same_events_other_seed_other_noise():
    s = library.load("walk_level_1p3")
    a, b, c = run_scenario(s, 4), run_scenario(s, 4), run_scenario(s, 5)
    assert np.array_equal(a.codes.codes, b.codes.codes)
    assert np.array_equal(a.output.events, b.output.events)
    assert not np.array_equal(a.codes.codes, c.codes.codes)


def test_matching_is_one_to_one_and_nearest_first():
    m = match_times(np.array([1.0, 2.0, 3.0]), np.array([1.1, 1.12, 2.2, 3.05]), 0.15)
    assert (m.tp, m.fn, m.fp) == (2, 1, 2)
    assert sorted(np.round(m.offsets_s, 3)) == [0.05, 0.1]


def test_walking_seconds_need_half_a_second():
    assert walking_seconds([(0.4, 2.6)], 4).tolist() == [True, True, True, False]
