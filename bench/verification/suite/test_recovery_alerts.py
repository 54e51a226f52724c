"""Verification of the rehabilitation-deviation alerts (issue 8) on the recovery courses: each
deviating course alerted for its reason, no alert on normal recovery."""

from __future__ import annotations

import allure
import pytest

from chip_sim.mobility.course import EARLIEST_WEEK, alerts, course_days, weekly
from chip_sim.mobility.figures import recovery_curve
from scenarios import library
from scenarios.digest import render_digest

pytestmark = allure.epic("Mobility biomarkers")

EXPECTED = {
    "tka_recovery_normal": None,
    "tka_stalled_rom": "rom_below_milestone",
    "tka_persisting_limp": "symmetry_not_recovering",
    "tka_declining_activity": "activity_declining",
    "tka_slow_walking": "speed_not_recovering",
}


@allure.feature("Recovery alerts")
@pytest.mark.requirement("SRS-087")
def test_each_deviating_course_is_alerted_for_its_reason(seeds, verify):
    wrong, table = [], ["course                   seed  week  reason                    value"]
    for name, reason in EXPECTED.items():
        for seed in seeds:
            digest = render_digest(library.load(name), seed, rate_hz=100)  # as the chip samples
            weeks = weekly(course_days(digest, seed))
            got = alerts(weeks)
            if seed == seeds[0]:
                png = recovery_curve(weeks, digest.daily, got, title=f"{name}, seed {seed}")
                verify.attach(f"{name} recovery curve", png, "png")
            for a in got:
                table.append(f"{name:<25}{seed:>4}{a.week:>6}  {a.reason:<26}{a.value:.3g}")
            if [a.reason for a in got] != ([reason] if reason else []):
                wrong.append(f"{name} seed {seed}: {[(a.week, a.reason) for a in got]}")
            elif got and got[0].week < EARLIEST_WEEK[reason]:
                wrong.append(f"{name} seed {seed}: week {got[0].week} before its rule allows")
            if not got:
                table.append(f"{name:<25}{seed:>4}     -  no alert")
    verify.attach("alert table", "\n".join(table), "txt")
    verify.figure("SRS-087", len(wrong), detail="; ".join(wrong) or "every course as expected")
    verify.check()
