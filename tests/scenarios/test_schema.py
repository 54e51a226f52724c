"""Validation of scenario files: scenarios.schema.parse_scenario and load_scenario_file.

Every rejected file must produce problems that name the file, the line, the field path and, in the
message, the bad value and what was expected; every problem in a file is reported at once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from scenarios import library
from scenarios.errors import Problem, ScenarioValidationError, UnknownScenarioError
from scenarios.model import IMPLANT_SITES
from scenarios.physiology import walking_cadence_spm
from scenarios.schema import MAX_DURATION_S, parse_scenario

FILE = "probe.yaml"

# One field per line, so that every line number below is unambiguous. Total: 5 + 10 + 63 s.
BASE = """\
name: probe
description: a probe scenario for the schema tests
patient:
  body_mass_kg: 70
  height_m: 1.7
  implant_site: hip_stem
timeline:
  - activity: stand
    duration_s: 5
  - activity: walk
    speed_mps: 1.3
    duration_s: 10
  - activity: fall
    direction: forward
"""
BASE_DURATION_S = 78.0
HEADER = BASE.split("timeline:")[0]  # name, description and patient, no timeline


def edit(text: str, old: str, new: str) -> str:
    """Replace the one occurrence of ``old`` (fails loudly if the fixture text drifts)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, needle: str) -> int:
    """1-based number of the one line of ``text`` that contains ``needle`` (that *is* ``needle``
    without its end, if it ends with a newline)."""
    lines = enumerate(text.splitlines(), start=1)
    if needle.endswith("\n"):
        hits = [i for i, line in lines if line == needle[:-1]]
    else:
        hits = [i for i, line in lines if needle in line]
    assert len(hits) == 1, f"{needle!r} is on lines {hits}"
    return hits[0]


def problems_of(text: str, file: str = FILE) -> list[Problem]:
    with pytest.raises(ScenarioValidationError) as info:
        parse_scenario(text, file)
    assert info.value.problems, "a validation error must list at least one problem"
    return info.value.problems


def only_problem(text: str) -> Problem:
    problems = problems_of(text)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


# --- the library -----------------------------------------------------------------------------


def test_library_is_not_empty():
    assert len(library.library_names()) >= 10


@pytest.mark.parametrize("name", library.library_names())
def test_library_scenario_parses(name):
    path = library.LIBRARY_DIR / f"{name}.yaml"
    scenario = library.load(name)
    assert scenario.name == name
    assert scenario.name.strip()
    assert scenario.description.strip()
    assert scenario.source == str(path)
    assert scenario.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert scenario.duration_s > 0
    assert scenario.timeline or scenario.is_digest


# --- YAML syntax -----------------------------------------------------------------------------


def test_mismatched_bracket_is_one_problem_on_its_line():
    text = edit(BASE, "  implant_site: hip_stem\n", "  implant_site: [hip_stem}\n")
    problem = only_problem(text)
    assert problem.file == FILE
    assert problem.line == line_of(text, "[hip_stem}")
    assert problem.field == ""
    assert "malformed YAML" in problem.message
    assert f"{FILE}:{problem.line}: malformed YAML" in str(problem)


def test_unclosed_bracket_on_the_last_line_points_at_that_line():
    # The bracket is never closed; the parser only notices at the end of the stream. The problem
    # must still point at a line of the file (the one with the bracket), not one past its end.
    text = BASE + "  - {activity: stand, duration_s: 5\n"
    problem = only_problem(text)
    n_lines = len(text.splitlines())
    assert problem.line == n_lines, (
        f"line {problem.line} reported for an unclosed bracket on line {n_lines} "
        f"of a {n_lines}-line file"
    )
    assert "malformed YAML" in problem.message


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("name: probe\n", "name: probe\nname: probe_again\n", "name"),
        ("  height_m: 1.7\n", "  height_m: 1.7\n  body_mass_kg: 71\n", "body_mass_kg"),
        ("    speed_mps: 1.3\n", "    speed_mps: 1.3\n    speed_mps: 1.4\n", "speed_mps"),
    ],
    ids=["top", "patient", "timeline"],
)
def test_duplicate_key_names_key_and_line_of_the_repeat(old, new, key):
    text = edit(BASE, old, new)
    problem = only_problem(text)
    second = [i for i, line in enumerate(text.splitlines(), 1) if line.strip().startswith(key)]
    assert len(second) == 2
    assert problem.file == FILE
    assert problem.line == second[1]
    assert "duplicate" in problem.message
    assert repr(key) in problem.message


# --- one mistake, one problem -----------------------------------------------------------------

FAULT_DROPOUT_NO_CHANNEL = """\
faults:
  - kind: dropout
    t_start_s: 1
    duration_s: 1
"""
FAULT_ENDS_LATE = """\
faults:
  - kind: dropout
    channel: acc
    t_start_s: 70
    duration_s: 10
"""

# id: (text, field, line needle (None: line 1, the document), words the message must contain)
CASES = {
    "missing body_mass_kg": (
        edit(BASE, "  body_mass_kg: 70\n", ""),
        "patient.body_mass_kg",
        "patient:",
        ["missing", "30..250 kg"],
    ),
    "missing name": (
        edit(BASE, "name: probe\n", ""),
        "name",
        None,
        ["missing", "text"],
    ),
    "out of range": (
        edit(BASE, "speed_mps: 1.3", "speed_mps: 5"),
        "timeline[1].speed_mps",
        "speed_mps: 5",
        ["5 is out of range", "0.1..2.5 m/s"],
    ),
    "patient out of range": (
        edit(BASE, "body_mass_kg: 70", "body_mass_kg: 20"),
        "patient.body_mass_kg",
        "body_mass_kg: 20",
        ["20 is out of range", "30..250 kg"],
    ),
    "string for number": (
        edit(BASE, "speed_mps: 1.3", "speed_mps: fast"),
        "timeline[1].speed_mps",
        "speed_mps: fast",
        ["'fast' is not a number", "0.1..2.5 m/s"],
    ),
    "quoted number": (
        edit(BASE, "speed_mps: 1.3", "speed_mps: '1.3'"),
        "timeline[1].speed_mps",
        "speed_mps: '1.3'",
        ["'1.3' is not a number", "0.1..2.5 m/s"],
    ),
    "bool for number": (
        edit(BASE, "body_mass_kg: 70", "body_mass_kg: true"),
        "patient.body_mass_kg",
        "body_mass_kg: true",
        ["True is not a number", "30..250 kg"],
    ),
    "unknown activity": (
        edit(BASE, "activity: stand", "activity: sprint"),
        "timeline[0].activity",
        "activity: sprint",
        ["'sprint' is not an activity", "stand", "walk", "fall", "repeat"],
    ),
    "unknown implant_site": (
        edit(BASE, "implant_site: hip_stem", "implant_site: elbow"),
        "patient.implant_site",
        "implant_site: elbow",
        ["'elbow' is not allowed", *IMPLANT_SITES],
    ),
    "walk with duration_s and steps": (
        edit(BASE, "    duration_s: 10\n", "    duration_s: 10\n    steps: 20\n"),
        "timeline[1]",
        "activity: walk",
        ["walk", "exactly one of duration_s", "steps"],
    ),
    "walk with neither duration_s nor steps": (
        edit(BASE, "    duration_s: 10\n", ""),
        "timeline[1]",
        "activity: walk",
        ["walk", "exactly one of duration_s", "steps"],
    ),
    "steps on a stand": (
        edit(BASE, "duration_s: 5", "steps: 5"),
        "timeline[0].steps",
        "steps: 5",
        ["not a field of stand", "duration_s"],
    ),
    "duration_s on a fall": (
        BASE + "    duration_s: 4\n",
        "timeline[2].duration_s",
        "duration_s: 4",
        ["not a field of fall", "lie_s"],
    ),
    "stand without duration_s": (
        edit(BASE, "    duration_s: 5\n", ""),
        "timeline[0].duration_s",
        "activity: stand",
        ["missing", "0.5..604800 s"],
    ),
    "dropout fault without channel": (
        BASE + FAULT_DROPOUT_NO_CHANNEL,
        "faults[0].channel",
        "kind: dropout",
        ["dropout", "acc", "gyr", "strain", "temp"],
    ),
    "fault ends after the timeline": (
        BASE + FAULT_ENDS_LATE,
        "faults[0].t_start_s",
        "t_start_s: 70",
        ["80 s", f"{BASE_DURATION_S:g} s"],
    ),
    "weight_bearing_limit_kg above body_mass_kg": (
        edit(BASE, "  height_m: 1.7\n", "  height_m: 1.7\n  weight_bearing_limit_kg: 80\n"),
        "patient.weight_bearing_limit_kg",
        "weight_bearing_limit_kg: 80",
        ["80 kg", "70 kg"],
    ),
    "empty timeline": (
        HEADER + "timeline: []\n",
        "timeline",
        "timeline: []",
        ["empty"],
    ),
    "timeline longer than 7 days": (
        HEADER
        + "timeline:\n"
        + "  - activity: lie\n    duration_s: 600000\n"
        + "  - activity: stand\n    duration_s: 5000\n",
        "timeline",
        "timeline:",
        ["605000 s", f"{MAX_DURATION_S:g} s"],
    ),
    "repeat longer than 7 days": (
        HEADER
        + "timeline:\n"
        + "  - activity: repeat\n    times: 8\n    timeline:\n"
        + "      - activity: lie\n        duration_s: 86400\n",
        "timeline",
        "timeline:\n",
        ["691200 s", f"{MAX_DURATION_S:g} s"],
    ),
    "unknown top-level field": (
        BASE + "falts: []\n",
        "falts",
        "falts:",
        ["unknown field", "faults"],
    ),
}


@pytest.mark.parametrize(("text", "field", "needle", "words"), CASES.values(), ids=CASES.keys())
def test_one_mistake_gives_one_exact_problem(text, field, needle, words):
    problem = only_problem(text)
    expected_line = 1 if needle is None else line_of(text, needle)
    assert problem == Problem(FILE, expected_line, field, problem.message)
    for word in words:
        assert word in problem.message, f"{word!r} not in {problem.message!r}"
    assert str(problem).startswith(f"{FILE}:{expected_line}: {field}: ")


def test_timeline_longer_than_7_days_edges():
    at_limit = HEADER + f"timeline:\n  - activity: lie\n    duration_s: {MAX_DURATION_S:g}\n"
    assert parse_scenario(at_limit).duration_s == MAX_DURATION_S
    over = HEADER + f"timeline:\n  - activity: lie\n    duration_s: {MAX_DURATION_S + 1:g}\n"
    problem = only_problem(over)
    assert problem.field == "timeline[0].duration_s"
    assert f"{MAX_DURATION_S + 1:g}" in problem.message


def test_missing_timeline():
    problem = only_problem(HEADER)
    assert problem == Problem(FILE, 1, "timeline", problem.message)
    assert "missing" in problem.message
    assert "list of activities" in problem.message


def test_typo_in_field_name_is_reported_as_unknown_with_the_choices():
    text = edit(BASE, "speed_mps: 1.3", "speed_mp: 1.3")
    problems = {p.field: p for p in problems_of(text)}
    # The typo itself, on its own line, naming the fields a walk does have …
    typo = problems.pop("timeline[1].speed_mp")
    assert typo.file == FILE
    assert typo.line == line_of(text, "speed_mp: 1.3")
    assert "unknown field" in typo.message
    for name in ("speed_mps", "symmetry_index_pct", "weight_bearing_pct", "crutches"):
        assert name in typo.message
    # … and, as a consequence, the required speed is missing (nothing is guessed).
    missing = problems.pop("timeline[1].speed_mps")
    assert missing.line == line_of(text, "activity: walk")
    assert "missing" in missing.message
    assert "0.1..2.5 m/s" in missing.message
    assert not problems


def test_repeat_with_empty_body_is_rejected():
    # A repeat of nothing contributes no activity: here the whole timeline would be empty (0 s).
    text = HEADER + "timeline:\n  - activity: repeat\n    times: 3\n    timeline: []\n"
    problems = problems_of(text)
    assert any(
        p.field.startswith("timeline") and "empty" in p.message and p.line is not None
        for p in problems
    ), problems


def test_repeat_without_times():
    text = HEADER + "timeline:\n  - activity: repeat\n    timeline:\n"
    text += "      - activity: stand\n        duration_s: 5\n"
    problem = only_problem(text)
    assert problem.field == "timeline[0].times"
    assert problem.line == line_of(text, "activity: repeat")
    assert "missing" in problem.message
    assert "1..10000" in problem.message


# --- every problem at once --------------------------------------------------------------------


def test_all_problems_in_a_file_are_reported_together():
    text = edit(BASE, "body_mass_kg: 70", "body_mass_kg: 500")
    text = edit(text, "speed_mps: 1.3", "speed_mps: 5")
    text = edit(text, "direction: forward", "direction: upward")
    with pytest.raises(ScenarioValidationError) as info:
        parse_scenario(text, FILE)
    got = {(p.file, p.line, p.field) for p in info.value.problems}
    assert got == {
        (FILE, line_of(text, "body_mass_kg: 500"), "patient.body_mass_kg"),
        (FILE, line_of(text, "speed_mps: 5"), "timeline[1].speed_mps"),
        (FILE, line_of(text, "direction: upward"), "timeline[2].direction"),
    }
    assert len(info.value.problems) == 3
    messages = {p.field: p.message for p in info.value.problems}
    assert "500" in messages["patient.body_mass_kg"]
    assert "5 is out of range" in messages["timeline[1].speed_mps"]
    direction = messages["timeline[2].direction"]
    assert "'upward'" in direction
    assert all(d in direction for d in ("forward", "backward", "sideways"))
    assert "(and 2 more)" in str(info.value)


def test_problems_in_patient_and_faults_are_reported_with_timeline_problems():
    text = edit(BASE, "implant_site: hip_stem", "implant_site: elbow")
    text = edit(text, "activity: stand", "activity: sprint")
    text += FAULT_DROPOUT_NO_CHANNEL
    fields = {(p.field, p.line) for p in problems_of(text)}
    assert fields == {
        ("patient.implant_site", line_of(text, "implant_site: elbow")),
        ("timeline[0].activity", line_of(text, "activity: sprint")),
        ("faults[0].channel", line_of(text, "kind: dropout")),
    }


# --- defaults, steps, repeat ------------------------------------------------------------------


def test_defaults_are_filled():
    s = parse_scenario(BASE, FILE)
    assert s.source == FILE
    assert s.sha256 == hashlib.sha256(BASE.encode()).hexdigest()
    assert s.exercises == ()
    assert s.start_time_of_day_h == 9.0
    p = s.patient
    assert (p.body_mass_kg, p.height_m, p.implant_site) == (70.0, 1.7, "hip_stem")
    assert p.instrumented_side == "right"
    assert p.sensor_orientation_deg == (0.0, 0.0, 0.0)
    assert p.weeks_post_op == 12.0
    assert p.impairment == "none"
    assert p.weight_bearing_limit_kg is None
    assert p.age_years == 65.0
    stand, walk, fall = s.timeline
    assert (stand.activity, stand.duration_s) == ("stand", 5.0)
    assert walk.activity == "walk"
    assert walk.params["speed_mps"] == 1.3
    assert walk.params["weight_bearing_pct"] == 100.0
    assert walk.params["symmetry_index_pct"] == 0.0
    assert walk.params["crutches"] is False
    assert walk.duration_s == 10.0
    assert fall.params == {
        "direction": "forward",
        "lie_s": 60.0,
        "type": None,
        "end_posture": None,
        "impact_g": None,
        "fall_type": None,  # the earlier topple (scenarios.postures.render_topple)
    }
    assert fall.duration_s == 3.0 + 60.0
    assert s.duration_s == BASE_DURATION_S
    assert not s.is_digest
    assert s.faults == ()
    assert [seg.line for seg in s.timeline] == [
        line_of(BASE, "activity: stand"),
        line_of(BASE, "activity: walk"),
        line_of(BASE, "activity: fall"),
    ]


def test_steps_become_a_duration():
    text = edit(BASE, "    duration_s: 10\n", "    steps: 20\n")
    walk = parse_scenario(text, FILE).timeline[1]
    cadence = walking_cadence_spm(1.3)
    assert 10.0 < walk.duration_s < 14.0
    # 20 steps at the cadence, plus one stride (two steps) so the last step lies inside.
    assert walk.duration_s == pytest.approx(20 * 60 / cadence + 2 * 60 / cadence, abs=1e-3)
    assert walk.params["steps"] == 20


@pytest.mark.parametrize(("steps", "word"), [(0, "out of range"), (12.5, "not an integer")])
def test_steps_must_be_a_positive_integer(steps, word):
    text = edit(BASE, "    duration_s: 10\n", f"    steps: {steps}\n")
    problem = only_problem(text)
    assert problem.field == "timeline[1].steps"
    assert problem.line == line_of(text, f"steps: {steps}")
    assert f"{steps} is {word}" in problem.message
    assert "1..100000" in problem.message


def test_repeat_blocks_expand():
    text = (
        HEADER
        + "timeline:\n"
        + "  - activity: repeat\n"
        + "    times: 3\n"
        + "    timeline:\n"
        + "      - activity: stand\n"
        + "        duration_s: 5\n"
        + "      - activity: walk\n"
        + "        speed_mps: 1.3\n"
        + "        duration_s: 10\n"
    )
    s = parse_scenario(text, FILE)
    assert len(s.timeline) == 6
    assert [seg.activity for seg in s.timeline] == ["stand", "walk"] * 3
    assert s.duration_s == 3 * (5.0 + 10.0)


def test_problem_inside_repeat_names_the_nested_path():
    text = (
        HEADER
        + "timeline:\n"
        + "  - activity: stand\n"
        + "    duration_s: 5\n"
        + "  - activity: repeat\n"
        + "    times: 2\n"
        + "    timeline:\n"
        + "      - activity: walk\n"
        + "        speed_mps: 9\n"
        + "        duration_s: 10\n"
    )
    problem = only_problem(text)
    assert problem.field == "timeline[1].timeline[0].speed_mps"
    assert problem.line == line_of(text, "speed_mps: 9")
    assert "9 is out of range" in problem.message


# --- files and names --------------------------------------------------------------------------


def test_load_scenario_file_reads_a_user_file(tmp_path: Path):
    from scenarios.schema import load_scenario_file

    path = tmp_path / "mine.yaml"
    path.write_text(BASE, encoding="utf-8")
    s = load_scenario_file(path)
    assert s.name == "probe"
    assert s.source == str(path)
    assert s.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_load_scenario_file_problems_name_the_file(tmp_path: Path):
    from scenarios.schema import load_scenario_file

    path = tmp_path / "bad.yaml"
    text = edit(BASE, "speed_mps: 1.3", "speed_mps: 5")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioValidationError) as info:
        load_scenario_file(path)
    [problem] = info.value.problems
    assert problem.file == str(path)
    assert problem.line == line_of(text, "speed_mps: 5")
    assert str(info.value).startswith(f"{path}:{problem.line}: timeline[1].speed_mps: ")


def test_load_scenario_file_missing_path(tmp_path: Path):
    from scenarios.schema import load_scenario_file

    path = tmp_path / "nowhere" / "missing.yaml"
    with pytest.raises(ScenarioValidationError) as info:
        load_scenario_file(path)
    [problem] = info.value.problems
    assert problem.file == str(path)
    assert problem.line is None
    assert "no such file" in problem.message
    assert str(path) in str(info.value)
    assert "no such file" in str(info.value)


def test_library_load_unknown_name():
    with pytest.raises(UnknownScenarioError) as info:
        library.load("no_such_name")
    assert "'no_such_name'" in str(info.value)
    assert "scenarios list" in str(info.value)


def test_library_load_takes_a_user_path(tmp_path: Path):
    path = tmp_path / "mine.yaml"
    path.write_text(BASE, encoding="utf-8")
    assert library.load(path).name == "probe"
    assert library.load(str(path)).source == str(path)
