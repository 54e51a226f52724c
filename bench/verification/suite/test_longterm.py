"""Verification of the long-horizon metrics (golden model): healing and infection."""

from __future__ import annotations

from functools import cache

import allure
import pytest

from bench.verification import accuracy_table as lib
from chip_sim.longterm.course import assess_healing, assess_infection
from scenarios import library
from scenarios.digest import render_digest

pytestmark = allure.epic("Long-horizon metrics")


@cache
def digest(name: str, seed: int):
    return render_digest(library.load(name), seed, rate_hz=100)


@allure.feature("Healing")
@pytest.mark.requirement("SRS-030", "SRS-031")
def test_healing_classification_and_delayed_union_flag(seeds, verify):
    wrong = {}
    for name, expected in lib.HEALING.items():
        for s in seeds:
            got = assess_healing(digest(name, s)).classification
            if got != expected:
                wrong[f"{name} seed {s}"] = got
    verify.figure("SRS-030", len(wrong), detail=str(wrong) if wrong else "all correct")
    latest = max(
        assess_healing(digest(n, s)).delayed_union_flag_week or 99
        for n in lib.DELAYED
        for s in seeds
    )
    normal_flags = [
        assess_healing(digest("healing_normal", s)).delayed_union_flag_week for s in seeds
    ]
    verify.figure(
        "SRS-031",
        latest if not any(normal_flags) else 99,
        detail=f"latest flag week {latest}; flags on normal healing: {normal_flags}",
    )
    verify.check()


@allure.feature("Infection")
@pytest.mark.requirement("SRS-032", "SRS-033")
def test_infection_flag(seeds, verify):
    worst = 0.0
    for name in lib.INFECTIONS:
        for s in seeds:
            d = digest(name, s)
            onset = float(d.events[d.events["kind"] == "infection_onset"]["t_s"][0])
            flag = assess_infection(d, s).flag_t_s
            worst = max(worst, float("inf") if flag is None else (flag - onset) / 3600)
    verify.figure("SRS-032", worst, detail="hours from onset to flag, worst case")
    false = sum(
        assess_infection(digest(n, s), s).flag_t_s is not None
        for n in lib.NO_INFECTION
        for s in seeds
    )
    verify.figure("SRS-033", false)
    verify.check()
