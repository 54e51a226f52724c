"""chip_sim.accuracy's fall matching: which FALL detects which impact, and each fall's end
posture from the truth (the per-posture table of `smile-bench falls`, KA-004's evidence)."""

from __future__ import annotations

import numpy as np

from chip_sim.accuracy import _end_postures, fall_latencies, fall_matches
from scenarios.falls import END_POSTURES
from scenarios.generator import EVENT_DTYPE


def test_each_impact_is_detected_by_the_first_fall_after_it_and_before_the_next():
    assert fall_matches([10.0, 20.0], []) == [None, None]
    assert fall_matches([10.0, 20.0], [5.0, 11.0, 12.0, 25.0]) == [1, 3]  # 5 and 12: false
    assert fall_matches([10.0, 20.0], [21.0]) == [None, 0]  # found for the second only
    assert fall_latencies([10.0, 20.0], [11.5, 20.5]) == [1.5, 0.5]


def test_each_fall_takes_the_end_posture_the_truth_gives_after_its_impact():
    truth = np.array(
        [
            (10.0, "fall_impact", 0),
            (11.0, "fall_end_posture", END_POSTURES.index("kneeling")),
            (20.0, "fall_impact", 0),
            (30.0, "fall_impact", 0),
            (31.5, "fall_end_posture", END_POSTURES.index("sitting")),
        ],
        dtype=EVENT_DTYPE,
    )
    impacts = truth[truth["kind"] == "fall_impact"]["t_s"]
    assert _end_postures(truth, impacts) == ["kneeling", "", "sitting"]
