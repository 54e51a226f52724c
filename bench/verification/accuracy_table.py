"""The scenario sets each library requirement is judged on, and ``smile-bench accuracy``: the
verification suite's library figures on the golden model, judged against the requirements."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bench.verification.verdict import Verdict
from scenarios.falls import FALL_TYPES

#: Level walking on every implant site: the knee tibial tray at three speeds, the tibial plate
#: and the ankle orthosis at 0.8-1.7 m/s (KA-001), and free-living-like bouts on all six sites.
FREE_LIVING = tuple(
    f"free_living_{site}"
    for site in (
        "knee_tibial_tray",
        "tibial_plate",
        "ankle_orthosis",
        "hip_stem",
        "femoral_plate",
        "lower_back",
    )
)
STEP_SCENARIOS = (
    "walk_level_0p8",
    "walk_level_1p3",
    "walk_level_1p7",
    "walk_level_tibial_plate",
    "walk_level_ankle_orthosis",
    "antalgic_limp",
    "walk_lower_back_wearable",
    *FREE_LIVING,
)
#: SRS-003 (3 %, 1.1-1.5 m/s) and SRS-004 (5 %, 0.8-1.7 m/s): scenario -> count-error limit.
COUNT_LIMITS = {
    "walk_level_1p3": 0.03,
    "walk_level_0p8": 0.05,
    "walk_level_1p7": 0.05,
    "walk_level_tibial_plate": 0.05,
    "walk_level_ankle_orthosis": 0.05,
    **dict.fromkeys(FREE_LIVING, 0.05),
}
SLOW_SCENARIOS = ("early_post_op_crutches",)
BOUT_SCENARIOS = (*STEP_SCENARIOS, "stairs_knee", "sit_stand_transitions", "daily_living_morning")
FALL_SCENARIOS = ("fall_forward", "fall_backward", "fall_sideways", "fall_forward_knee")
LOOKALIKES = (
    "lookalike_hard_sit",
    "lookalike_lie_down",
    "lookalike_jump",
    "lookalike_near_fall",
    "stumble",
    "jogging",
    "sit_stand_transitions",
    "daily_living_morning",
)
#: The falls taxonomy (scenarios.falls, after SisFall F01-F15): one library scenario per type,
#: each played on every fall site (``name@site``, scenarios.library.FALL_SITES).
FALL_TYPE_SCENARIOS = tuple(f"fall_{t}" for t in FALL_TYPES)
#: The look-alikes played on every fall site (SRS-014): the earlier five and the taxonomy's.
SITE_LOOKALIKES = (
    "lookalike_hard_sit",
    "lookalike_sit_low_quick",
    "lookalike_collapse_into_chair",
    "lookalike_lie_down",
    "lookalike_sit_to_lie",
    "lookalike_roll_over",
    "lookalike_jump",
    "lookalike_jump_reach",
    "lookalike_near_fall",
    "stumble",
    "lookalike_squat",
    "lookalike_bend_over",
    "lookalike_kneel_down",
    "lookalike_sit_on_floor",
)
OVERLOAD_SCENARIOS = ("overload_partial_weight_bearing",)
AT_LIMIT = ("early_post_op_crutches",)
HEALING = {
    "healing_normal": "normal",
    "healing_normal_less_active": "normal",
    "healing_delayed_union": "slow",
    "healing_plateau_then_heal": "plateau_then_heal",
    "healing_non_union": "non_union",
}
DELAYED = ("healing_delayed_union", "healing_non_union", "healing_plateau_then_heal")
INFECTIONS = ("infection_knee", "infection_mild_late", "infection_severe_plate")
NO_INFECTION = ("temperature_normal_post_op", "healing_normal", "healing_non_union")


@dataclass(frozen=True)
class Row:
    """One figure of ``smile-bench accuracy``: the requirement, its limit and the verdict are the
    verification suite's (``bench.verification.figures``, ``bench.verification.verdict``)."""

    requirement: str
    figure: str
    measured: str  # the value, or a proportion with its Wilson 95 % interval
    limit: str
    verdict: Verdict
    detail: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict == Verdict.PASS


def accuracy_rows(seeds: Iterable[int] = (1,)) -> list[Row]:
    """Every library figure of the verification suite on the golden model (synthetic), judged
    as the suite judges it."""
    from bench.run.play import ScenarioDut
    from bench.verification.figures import LIBRARY_FIGURES
    from bench.verification.requirements import requirements
    from bench.verification.verdict import figure_verdict

    reqs = requirements()
    dut = ScenarioDut("golden")
    seeds = tuple(seeds)
    rows = []
    for compute in LIBRARY_FIGURES:
        for f in compute(dut, seeds):
            acc = reqs.get(f.requirement).acceptance
            measured = str(f.proportion) if f.proportion is not None else f"{f.value:.4g}"
            unit = f" {acc.unit}" if acc.unit and f.proportion is None else ""
            rows.append(
                Row(
                    f.requirement,
                    f.name or acc.metric,
                    measured + unit,
                    acc.text,
                    figure_verdict(f.requirement, f.value, f.proportion, reqs),
                    f.detail,
                )
            )
    return rows
