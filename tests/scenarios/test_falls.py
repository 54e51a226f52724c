"""The falls taxonomy, its look-alikes, the scenario's ``fall`` block and ``name@site``."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios import library
from scenarios.errors import ScenarioValidationError, UnknownScenarioError
from scenarios.falls import END_POSTURES, FALL_TYPES
from scenarios.generator import render
from scenarios.physiology import G_MPS2
from scenarios.schema import parse_scenario

LOOKALIKES = [n for n in library.library_names() if n.startswith("lookalike_")] + ["stumble"]
RATE_HZ = 500.0  # enough for impacts of 30 ms, half the cost of the default truth rate


def peak_g(r) -> float:
    return float(np.max(np.linalg.norm(r.acc_mps2, axis=1))) / G_MPS2


def drawn(r):
    severity = r.events_of("fall_severity")["value"]
    postures = [END_POSTURES[int(v)] for v in r.events_of("fall_end_posture")["value"]]
    return severity, postures


def test_the_taxonomy_has_sisfalls_fifteen_types():
    codes = sorted(t.code for t in FALL_TYPES.values())
    assert codes == [f"F{k:02d}" for k in range(1, 16)]
    # every type is a library scenario
    assert {f"fall_{t}" for t in FALL_TYPES} <= set(library.library_names())


@pytest.mark.parametrize("name", list(FALL_TYPES))
def test_each_fall_type_on_each_site_has_its_truth_within_its_ranges(name):
    ft = FALL_TYPES[name]
    for site in library.FALL_SITES:
        r = render(library.load(f"fall_{name}@{site}"), 1, rate_hz=RATE_HZ)
        impacts = r.events_of("fall_impact")
        severity, postures = drawn(r)
        assert len(impacts) == len(severity) == len(postures) == 3, site
        assert all(ft.impact_g[0] <= g <= ft.impact_g[1] for g in severity), (site, severity)
        assert set(postures) <= set(ft.end_postures), (site, postures)
        assert ft.label in set(r.segments["activity"]), site
        # No kinematic spike: a fall's hardest moment is its impact (≤ 7 g at the pelvis).
        assert peak_g(r) < 9.0, (site, peak_g(r))
        if site == "lower_back":
            # The sensor near the pelvis feels about the drawn severity.
            ratio = impacts["value"] / severity
            assert np.all((ratio > 0.7) & (ratio < 2.5)), ratio


def test_severity_and_end_posture_vary_by_seed_and_a_seed_repeats_exactly():
    scenario = library.load("fall_faint_walk_vertical@lower_back")
    seen_postures, seen_severity = set(), set()
    for seed in range(1, 6):
        severity, postures = drawn(render(scenario, seed, rate_hz=RATE_HZ))
        seen_postures |= set(postures)
        seen_severity |= set(severity.tolist())
    assert len(seen_postures) >= 2
    assert len(seen_severity) == 15
    a, b = (render(scenario, 3, rate_hz=RATE_HZ) for _ in range(2))
    assert np.array_equal(a.acc_mps2, b.acc_mps2)
    assert np.array_equal(a.events, b.events)


def test_an_end_posture_left_as_drawn_is_where_gravity_points_at_the_end():
    """Lying prone, the trunk's anterior axis points down: gravity's reaction along −x."""
    text = LAB.replace("type: stairs_trip", "type: stairs_trip\n  end_postures: [prone]")
    r = render(parse_scenario(text), 2, rate_hz=RATE_HZ)
    still = r.acc_mps2[-int(RATE_HZ) :].mean(axis=0) / G_MPS2
    assert still[0] < -0.9, still
    assert drawn(r)[1] == ["prone"]


@pytest.mark.parametrize("name", LOOKALIKES)
def test_each_lookalike_renders_on_each_site_without_a_fall(name):
    for site in library.FALL_SITES:
        r = render(library.load(f"{name}@{site}"), 1, rate_hz=RATE_HZ)
        assert len(r.events_of("fall_impact")) == 0
        assert peak_g(r) < 10.0, (site, peak_g(r))


def test_getting_up_ends_standing():
    r = render(library.load("lookalike_kneel_down@lower_back"), 1, rate_hz=RATE_HZ)
    start = r.acc_mps2[: int(RATE_HZ)].mean(axis=0)
    end = r.acc_mps2[-int(RATE_HZ) :].mean(axis=0)
    cos = start @ end / np.linalg.norm(start) / np.linalg.norm(end)
    assert cos > 0.99


def test_name_at_site_replaces_only_the_implant_site():
    base = library.load("fall_chair_lateral")
    moved = library.load("fall_chair_lateral@knee_tibial_tray")
    assert moved.name == "fall_chair_lateral@knee_tibial_tray"
    assert moved.patient.implant_site == "knee_tibial_tray"
    assert moved.timeline == base.timeline
    assert moved.patient.body_mass_kg == base.patient.body_mass_kg


def test_name_at_site_refuses_an_unknown_site_and_a_course():
    with pytest.raises(UnknownScenarioError, match="unknown implant site 'elbow'"):
        library.load("fall_chair_lateral@elbow")
    with pytest.raises(UnknownScenarioError, match="weeks-long course"):
        library.load("healing_normal@hip_stem")


# --- the scenario's own fall type ---------------------------------------------------------------

LAB = """\
name: lab_stairs
description: A lab's own fall, trips on a stair going up
patient: {body_mass_kg: 70, height_m: 1.7, implant_site: lower_back}
fall:
  type: stairs_trip
  like: trip_walk_forward
  impact_g: [3.0, 3.5]
  description: trips on the third stair, falls forward onto the stairs
timeline:
  - {activity: stand, duration_s: 3}
  - {activity: fall, lie_s: 10}
"""


def test_a_labs_own_type_takes_the_library_types_values_it_does_not_set():
    s = parse_scenario(LAB)
    ft = s.fall
    base = FALL_TYPES["trip_walk_forward"]
    assert (ft.name, ft.code, ft.impact_g) == ("stairs_trip", "", (3.0, 3.5))
    inherited = (ft.start, ft.direction, ft.end_postures, ft.descent_s)
    assert inherited == (base.start, base.direction, base.end_postures, base.descent_s)
    fall = s.timeline[1]
    assert fall.params["fall_type"] is ft
    severity, _ = drawn(render(s, 1, rate_hz=RATE_HZ))
    assert 3.0 <= severity[0] <= 3.5
    assert "fall_stairs_trip" in set(render(s, 1, rate_hz=RATE_HZ).segments["activity"])


def test_a_labs_own_type_without_like_needs_every_field():
    text = LAB.replace("  like: trip_walk_forward\n", "")
    with pytest.raises(ScenarioValidationError) as err:
        parse_scenario(text, "lab.yaml")
    (p,) = err.value.problems
    assert p.field == "fall.start"
    assert "missing" in p.message and "like" in p.message


def test_a_full_own_type_needs_no_library_type():
    text = LAB.replace(
        "  like: trip_walk_forward\n",
        "  start: stand\n  direction: lateral\n  end_postures: [side, sitting]\n"
        "  descent_s: [0.6, 0.8]\n",
    )
    ft = parse_scenario(text).fall
    assert (ft.start, ft.direction, ft.end_postures, ft.descent_s) == (
        "stand",
        "lateral",
        ("side", "sitting"),
        (0.6, 0.8),
    )


@pytest.mark.parametrize(
    "old, new, field, words",
    [
        ("impact_g: [3.0, 3.5]", "impact_g: [3.5, 3.0]", "fall.impact_g", "low above high"),
        ("impact_g: [3.0, 3.5]", "impact_g: 3", "fall.impact_g", "a list [low, high]"),
        ("like: trip_walk_forward", "like: tumble", "fall.like", "not allowed"),
        ("type: stairs_trip", "type: chair_forward", "fall.type", "is a library type"),
        ("{activity: fall, lie_s: 10}", "{activity: fall, type: tumble}", "timeline[1].type",
         "not a fall type"),
        ("{activity: fall, lie_s: 10}", "{activity: fall, type: chair_forward, direction: forward}",
         "timeline[1]", "not both"),
        ("{activity: fall, lie_s: 10}", "{activity: fall, end_posture: upside_down}",
         "timeline[1].end_posture", "not allowed"),
    ],
)  # fmt: skip
def test_a_bad_fall_is_one_problem_naming_its_field(old, new, field, words):
    assert old in LAB
    with pytest.raises(ScenarioValidationError) as err:
        parse_scenario(LAB.replace(old, new), "lab.yaml")
    (p,) = err.value.problems
    assert (p.file, p.field) == ("lab.yaml", field)
    assert words in p.message


def test_a_fall_without_a_type_needs_the_block():
    text = LAB.split("fall:\n")[0] + "timeline:" + LAB.split("timeline:")[1]
    with pytest.raises(ScenarioValidationError) as err:
        parse_scenario(text)
    (p,) = err.value.problems
    assert p.field == "timeline[1].type" and "top-level 'fall' block" in p.message


def test_a_segment_fixes_what_the_type_would_draw():
    text = LAB.replace(
        "{activity: fall, lie_s: 10}", "{activity: fall, lie_s: 10, end_posture: side, impact_g: 5}"
    )
    severity, postures = drawn(render(parse_scenario(text), 4, rate_hz=RATE_HZ))
    assert severity.tolist() == [5.0] and postures == ["side"]
