"""The generator reproduces the published figures of ../shared/DOMAIN.md.

Limits are written here again, from the publications, rather than read from the code under test:
a change to a constant in scenarios/ cannot move the goalposts.
"""

from __future__ import annotations

import numpy as np
import pytest

from scenarios import library
from scenarios.credibility import cadence_spm, run_checks, stride_peaks_bw, symmetry_index_pct
from scenarios.generator import render

# (figure, published value, tolerance) — Kutzner 2010 (knee), Bergmann 2001 (hip), ±10 % (issue).
PEAK_LOADS = [
    ("knee_tibial_tray", "walk_level_1p3", "walk", 261),
    ("knee_tibial_tray", "stairs_knee", "stairs_up", 316),
    ("knee_tibial_tray", "stairs_knee", "stairs_down", 346),
    ("hip_stem", "stairs_hip", "walk", 238),
    ("hip_stem", "stairs_hip", "stairs_up", 251),
    ("hip_stem", "stairs_hip", "stairs_down", 260),
]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(("site", "name", "activity", "published_pct_bw"), PEAK_LOADS)
def test_peak_implant_load_matches_orthoload(site, name, activity, published_pct_bw, seed):
    r = render(library.load(name), seed, rate_hz=500)
    assert r.scenario.patient.implant_site == site
    peaks = stride_peaks_bw(r, activity) * 100
    assert len(peaks) >= 5
    assert abs(np.median(peaks) / published_pct_bw - 1) <= 0.10


@pytest.mark.parametrize(
    ("name", "lo", "hi"),
    [
        ("walk_level_0p8", 82, 105),  # CADENCE-Adults, approx. mean ± 1 SD near 0.9 m/s
        ("walk_level_1p3", 100, 120),  # DOMAIN: lab cadence 100–120 steps/min
        ("walk_level_1p7", 115, 135),  # CADENCE-Adults, approx. mean ± 1 SD near 1.8 m/s
    ],
)
@pytest.mark.parametrize("seed", [1, 2])
def test_cadence_is_inside_the_published_range(name, lo, hi, seed):
    assert lo <= cadence_spm(render(library.load(name), seed, rate_hz=200)) <= hi


def test_cadence_rises_with_speed():
    c = [
        cadence_spm(render(library.load(n), 1, rate_hz=200))
        for n in ("walk_level_0p8", "walk_level_1p3", "walk_level_1p7")
    ]
    assert c[0] < c[1] < c[2]


def test_early_post_op_gait_is_slow_and_inside_the_hip_fracture_cohort_range():
    r = render(library.load("early_post_op_crutches"), 1, rate_hz=200)
    # Mobilise-D hip-fracture cohort: cadence 47–133 steps/min, stride 0.90–2.58 s.
    c = cadence_spm(r)
    assert 47 <= c <= 133
    assert 0.9 <= 120 / c <= 2.58


@pytest.mark.parametrize(("index", "target"), [(0, 12.0), (1, 25.0)])
def test_antalgic_limp_has_the_set_symmetry_index(index, target):
    r = render(library.load("antalgic_limp"), 3, rate_hz=200)
    si = abs(symmetry_index_pct(r, index))
    assert 10 <= si <= 30  # the library's limp range
    assert si == pytest.approx(target, abs=3)


def test_all_credibility_checks_pass_for_two_seeds():
    for seed in (1, 2):
        failed = [c for c in run_checks(seed) if not c.passed]
        assert not failed, failed
