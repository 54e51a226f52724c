"""Time walking, standing, sitting, lying (issue 8): the per-site classification of gravity
vectors, the once-a-minute recording, the daily minutes, and the agreement with the truth on
library scenarios."""

from __future__ import annotations

import numpy as np
import pytest

from chip_sim.core.events import EVENT_DTYPE
from chip_sim.icd import EventCode
from chip_sim.mobility.posture import (
    LABELS,
    MEMBERS,
    RULES,
    SAMPLE_DTYPE,
    agreement,
    classify,
    compatible,
    daily_times,
    interval_for,
    posture_samples,
    scenario_postures,
)
from scenarios.kinematics import mount_matrix

RATE_HZ = 100


def _tilt(deg: float, sign: float = -1.0) -> tuple[float, float, float]:
    """Gravity (mg, segment frame) of a segment tilted ``deg`` from vertical in the sagittal
    plane."""
    a = np.deg2rad(deg)
    return (sign * 1000 * np.sin(a), 0.0, 1000 * np.cos(a))


#: gravity vector (segment frame, mg) → expected label on (shank, thigh, trunk): the site table.
CASES = {
    "upright": ((0.0, 0.0, 1000.0), ("upright", "standing", "upright")),
    "tilt 40°": (_tilt(40), ("upright", "unknown", "upright")),
    "tilt 52°": (_tilt(52), ("upright", "unknown", "unknown")),
    "tilt 65° forward": (_tilt(65), ("unknown", "lying", "lying")),
    "seated thigh": ((993.0, 0.0, 122.0), ("lying", "sitting_or_lying", "lying")),
    "supine": ((1000.0, 0.0, 0.0), ("lying", "sitting_or_lying", "lying")),
    "prone": ((-1000.0, 0.0, 0.0), ("lying", "lying", "lying")),
    "left side": ((0.0, -1000.0, 0.0), ("lying", "lying", "lying")),
    "right side": ((0.0, 1000.0, 0.0), ("lying", "lying", "lying")),
    "upside down": ((0.0, 0.0, -1000.0), ("unknown", "unknown", "unknown")),
    "too weak for gravity": ((0.0, 0.0, 700.0), ("unknown", "unknown", "unknown")),
    "too strong for gravity": ((0.0, 0.0, 1300.0), ("unknown", "unknown", "unknown")),
}
SITE_OF = {"shank": "tibial_plate", "thigh": "femoral_plate", "trunk": "lower_back"}


def _samples(vectors, *, walking=False, moving=False) -> np.ndarray:
    s = np.zeros(len(vectors), dtype=SAMPLE_DTYPE)
    s["t_s"] = 60.0 * np.arange(len(vectors))
    s["acc_mean_mg"] = vectors
    s["walking"], s["moving"] = walking, moving
    return s


@pytest.mark.parametrize("k, group", list(enumerate(("shank", "thigh", "trunk"))))
def test_gravity_vectors_classify_as_the_site_table_says(k, group):
    s = _samples([v for v, _ in CASES.values()])
    got = classify(s, SITE_OF[group])
    assert dict(zip(CASES, got, strict=True)) == {c: exp[k] for c, (_, exp) in CASES.items()}
    # Each site only gives labels whose true classes it can separate (its groups).
    rule = RULES[group]
    for lab in set(got) - {"unknown"}:
        assert any(set(MEMBERS[lab]) <= set(g) for g in rule.groups)
    # Walking comes from the chip's bouts at every site; motion outside a bout is unknown.
    assert set(
        classify(_samples([v for v, _ in CASES.values()], walking=True), SITE_OF[group])
    ) == {"walking"}
    assert set(classify(_samples([(0.0, 0.0, 1000.0)], moving=True), SITE_OF[group])) == {"unknown"}


def test_no_site_claims_sitting_alone():
    """Sitting is never separable on gravity alone: shank and trunk merge it with standing, the
    thigh with lying on the back."""
    vectors = [v for v, _ in CASES.values()]
    for site in SITE_OF.values():
        assert "sitting" not in set(classify(_samples(vectors), site))
    assert compatible(
        np.array(["upright", "sitting_or_lying"]), np.array(["sitting", "sitting"])
    ).all()
    assert not compatible(np.array(["upright"]), np.array(["lying"])).any()


def test_the_mounting_is_undone():
    mount = (10.0, 90.0, 30.0)
    # The sensor reads segment gravity turned by the mounting (segment = M · sensor).
    upright_in_sensor = mount_matrix(*mount).T @ np.array([0.0, 0.0, 1000.0])
    s = _samples([upright_in_sensor])
    assert classify(s, "hip_stem", mount)[0] == "standing"
    assert classify(s, "hip_stem")[0] != "standing"


def _events(rows) -> np.ndarray:
    ev = np.zeros(len(rows), dtype=EVENT_DTYPE)
    for e, (i, code, value) in zip(ev, rows, strict=True):
        e["stream_index"], e["sample_index"], e["code"], e["value"] = i, i, int(code), value
    return ev


_NO_EVENTS = np.zeros(0, dtype=EVENT_DTYPE)


def test_sampling_once_a_minute_adds_up_to_the_duration():
    minutes = 30
    n = minutes * 60 * RATE_HZ
    codes = np.zeros((n, 8), dtype=np.int16)
    codes[:, 2] = 1000  # upright, still
    # A bout of 4 counted steps 10:00.2–10:01.7 (an isolated step before it is not its own).
    steps = [580.0, 600.2, 600.7, 601.2, 601.7]
    rows = [(round(t * RATE_HZ), EventCode.STEP, 0) for t in steps]
    rows += [(round(603.0 * RATE_HZ), EventCode.WALK_END, 4)]
    s = posture_samples(codes, _events(rows), RATE_HZ)
    assert len(s) == minutes and np.array_equal(s["t_s"], 60.0 * np.arange(minutes))
    assert np.allclose(s["acc_mean_mg"], [0, 0, 1000]) and not s["moving"].any()
    assert np.flatnonzero(s["walking"]).tolist() == [10]  # the sample at 10:00.5; not at 9:40
    labels = classify(s, "knee_tibial_tray")
    times = daily_times(labels)
    assert set(times) == set(LABELS)
    assert times["walking"] == 1 and times["upright"] == minutes - 1
    assert sum(times.values()) == minutes
    # A record of 30 min 30 s holds one more sample; one shorter than a window holds none.
    assert (
        len(posture_samples(np.vstack([codes, codes[: 30 * RATE_HZ]]), _NO_EVENTS, RATE_HZ)) == 31
    )
    assert len(posture_samples(codes[:50], _NO_EVENTS, RATE_HZ)) == 0


def test_motion_flag_marks_a_shaking_second():
    codes = np.zeros((120 * RATE_HZ, 8), dtype=np.int16)
    codes[:, 2] = 1000
    codes[60 * RATE_HZ : 61 * RATE_HZ : 2, 2] = 1400  # 0.4 g shocks every other sample
    s = posture_samples(codes, _NO_EVENTS, RATE_HZ)
    assert s["moving"].tolist() == [False, True]
    assert classify(s, "lower_back").tolist() == ["upright", "unknown"]


# Library scenarios (seed 1), each site group. Measured with seeds 1 and 2 (docs/biomarkers.md):
# 100 % agreement on the daily-living scenarios sampled once a minute, 96.7–100 % on the short
# posture scenarios sampled every second, with ≤ 3.3 % unknown and ≤ 2.9 % given a wrong class
# (walking samples at a bout's edge). The limits leave a margin for generator changes.
LIBRARY = {
    "daily_living_morning": (0.97, 0.01),
    "lookalike_lie_down": (0.93, 0.02),
    "fall_sideways": (0.95, 0.02),
    "sit_stand_transitions": (0.90, 0.06),
}


@pytest.mark.parametrize("group", ("shank", "thigh", "trunk"))
@pytest.mark.parametrize("name", tuple(LIBRARY))
def test_agreement_on_library_scenarios(name, group):
    interval = interval_for(name)
    est, true, _ = scenario_postures(name, 1, group, interval)
    row = agreement(est, true, group, interval)
    min_agree, max_wrong = LIBRARY[name]
    assert row["n"] >= 30
    assert row["agree"] >= min_agree and row["wrong"] <= max_wrong
    for c, (n, a) in row["per_class"].items():
        if c != "walking" or n >= 10:  # a handful of walking seconds: bout edges dominate
            assert a >= 0.75, (c, n, a)
    assert set(est) <= {lab for lab in LABELS if lab == "unknown" or lab in _labels_of(group)}
    if interval == 60.0:
        # Minutes per separable class within 3 min (or 10 %) of the truth over the two hours.
        for grp, (e, t) in row["minutes"].items():
            if grp not in ("unknown", "other"):
                assert abs(e - t) <= max(3.0, 0.1 * t), (grp, e, t)
        assert sum(e for e, _ in row["minutes"].values()) == len(est)


def _labels_of(group: str) -> set[str]:
    rule = RULES[group]
    return {"walking", "lying", rule.upright_label, rule.face_up_label}


def test_thigh_separates_side_lying_from_sitting():
    """On a hip stem, lying on the back merges with sitting, lying on the side does not."""
    est, true, _ = scenario_postures("lookalike_lie_down", 1, "thigh", 1.0)
    t = np.arange(len(est)) + 0.5
    supine, side, sit = (t > 15) & (t < 45), (t > 70) & (t < 100), (t > 50) & (t < 53)
    assert set(est[supine]) == {"sitting_or_lying"} and set(true[supine]) == {"lying"}
    assert set(est[side]) == {"lying"}
    assert set(est[sit]) == {"sitting_or_lying"} and set(true[sit]) == {"sitting"}


def test_deterministic():
    a = scenario_postures("fall_forward", 2, "thigh", 1.0)
    b = scenario_postures("fall_forward", 2, "thigh", 1.0)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]
