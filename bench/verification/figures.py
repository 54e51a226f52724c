"""The requirement figures of the scenario library, computed once: the verification suite records
them (``Verify.figure``) and ``smile-bench accuracy`` prints them, both judged by
``bench.verification.verdict.figure_verdict`` against ``requirements.yaml`` — statistical limits
on their Wilson 95 % bound. Each function takes a DUT with ``run_scenario(name, seed)``
(``bench.run.play.ScenarioDut``) and the seeds; every figure here is **synthetic** (the library).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from bench.verification import accuracy_table as lib
from bench.verification.stats import Proportion, latency, wilson
from scenarios.library import FALL_SITES


@dataclass(frozen=True)
class Figure:
    requirement: str
    value: float
    proportion: Proportion | None = None
    name: str | None = None  # several figures of one requirement: which one
    detail: str = ""


def _pooled_steps(dut, names, seeds) -> tuple[Proportion, Proportion]:
    tp = fn = fp = 0
    for n in names:
        for s in seeds:
            m = dut.run_scenario(n, s).accuracy().steps
            tp, fn, fp = tp + m.tp, fn + m.fn, fp + m.fp
    return wilson(tp, tp + fn), wilson(tp, tp + fp)


def steps_walking(dut, seeds: Sequence[int]) -> list[Figure]:
    """SRS-001 sensitivity and SRS-002 PPV, pooled over walking at 0.8 m/s and faster."""
    sens, ppv = _pooled_steps(dut, lib.STEP_SCENARIOS, seeds)
    return [
        Figure("SRS-001", 0, sens, detail=str(sens)),
        Figure("SRS-002", 0, ppv, detail=str(ppv)),
    ]


def steps_slow(dut, seeds: Sequence[int]) -> list[Figure]:
    """SRS-005: sensitivity on crutches at 0.3-0.6 m/s."""
    sens, _ = _pooled_steps(dut, lib.SLOW_SCENARIOS, seeds)
    return [Figure("SRS-005", 0, sens, detail=str(sens))]


def step_count(dut, seeds: Sequence[int]) -> list[Figure]:
    """SRS-003 (1.1-1.5 m/s) and SRS-004 (0.8-1.7 m/s): worst count error per scenario."""
    cases = [(n, "SRS-003" if lim <= 0.03 else "SRS-004") for n, lim in lib.COUNT_LIMITS.items()]
    out = []
    for name, req in [*cases, ("walk_level_1p3", "SRS-004")]:
        worst = max(abs(dut.run_scenario(name, s).accuracy().step_count_error) for s in seeds)
        out.append(Figure(req, worst, name=f"step_count_error_abs {name}"))
    return out


def walking_bouts(dut, seeds: Sequence[int]) -> list[Figure]:
    """SRS-006 sensitivity and SRS-007 specificity of walking, per second, pooled."""
    tp = fn = tn = fp = 0
    for n in lib.BOUT_SCENARIOS:
        for s in seeds:
            a, b, c, d = dut.run_scenario(n, s).accuracy().walking_seconds_counts
            tp, fn, tn, fp = tp + a, fn + b, tn + c, fp + d
    sens, spec = wilson(tp, tp + fn), wilson(tn, tn + fp)
    return [
        Figure("SRS-006", 0, sens, detail=str(sens)),
        Figure("SRS-007", 0, spec, detail=str(spec)),
    ]


def falls(dut, seeds: Sequence[int]) -> list[Figure]:
    """SRS-010 falls missed, SRS-011 worst FALL latency after impact."""
    runs = [dut.run_scenario(n, s).accuracy() for n in lib.FALL_SCENARIOS for s in seeds]
    missed = sum(a.falls_truth - a.falls_detected for a in runs)
    lat = latency(x for a in runs for x in a.fall_latencies_s)
    return [
        Figure("SRS-010", missed, detail=f"{sum(a.falls_truth for a in runs)} falls"),
        Figure("SRS-011", lat.max_s, detail=f"p50 {lat.p50_s:.3f} s, p95 {lat.p95_s:.3f} s"),
    ]


def false_falls(dut, seeds: Sequence[int]) -> list[Figure]:
    """SRS-012: FALL events on look-alikes and daily living."""
    false = {
        n: sum(dut.run_scenario(n, s).accuracy().false_falls for s in seeds) for n in lib.LOOKALIKES
    }
    return [Figure("SRS-012", sum(false.values()), detail=str(false))]


@dataclass(frozen=True)
class FallTypeCell:
    """One fall type on one site: falls in the truth, FALL events matched to them."""

    fall_type: str
    site: str
    falls: int
    detected: int


def fall_type_cells(dut, seeds: Sequence[int]) -> list[FallTypeCell]:
    """Every type of the falls taxonomy on every fall site (``name@site``), pooled over seeds."""
    cells = []
    for name in lib.FALL_TYPE_SCENARIOS:
        for site in FALL_SITES:
            runs = [dut.run_scenario(f"{name}@{site}", s).accuracy() for s in seeds]
            cells.append(
                FallTypeCell(
                    name.removeprefix("fall_"),
                    site,
                    sum(a.falls_truth for a in runs),
                    sum(a.falls_detected for a in runs),
                )
            )
    return cells


def end_posture_counts(dut, seeds: Sequence[int]) -> dict[tuple[str, str], tuple[int, int]]:
    """(end posture, site) -> (falls in the truth, detected) over the falls taxonomy's types
    and ``seeds``: which end postures a placement cannot tell from where it started."""
    counts: dict[tuple[str, str], list[int]] = {}
    for name in lib.FALL_TYPE_SCENARIOS:
        for site in FALL_SITES:
            for seed in seeds:
                for posture, found in (
                    dut.run_scenario(f"{name}@{site}", seed).accuracy().fall_outcomes
                ):
                    cell = counts.setdefault((posture, site), [0, 0])
                    cell[0] += 1
                    cell[1] += int(found)
    return {key: (n, k) for key, (n, k) in counts.items()}


def cells_by_type(cells: Sequence[FallTypeCell]) -> dict[str, dict[str, FallTypeCell]]:
    """Fall type -> site -> its cell, in the taxonomy's and the sites' order."""
    out: dict[str, dict[str, FallTypeCell]] = {}
    for c in cells:
        out.setdefault(c.fall_type, {})[c.site] = c
    return out


def fall_types(
    dut, seeds: Sequence[int], cells: Sequence[FallTypeCell] | None = None
) -> list[Figure]:
    """SRS-013: the sensitivity of each fall type, pooled over the fall sites and seeds (of
    ``cells`` when the caller has them already)."""
    out = []
    for t, sites in cells_by_type(cells or fall_type_cells(dut, seeds)).items():
        n = sum(c.falls for c in sites.values())
        k = sum(c.detected for c in sites.values())
        per_site = ", ".join(f"{c.site} {c.detected}/{c.falls}" for c in sites.values())
        out.append(Figure("SRS-013", k / n if n else 0.0, name=t, detail=f"{k}/{n}: {per_site}"))
    return out


def site_lookalike_falls(dut, seeds: Sequence[int]) -> dict[tuple[str, str], int]:
    """FALL events on each look-alike of SRS-014 on each fall site, summed over seeds."""

    def false(name: str) -> int:
        return sum(dut.run_scenario(name, s).accuracy().false_falls for s in seeds)

    return {(n, site): false(f"{n}@{site}") for n in lib.SITE_LOOKALIKES for site in FALL_SITES}


def false_falls_on_sites(dut, seeds: Sequence[int]) -> list[Figure]:
    """SRS-014: FALL events on the look-alikes, each played on every fall site."""
    false = site_lookalike_falls(dut, seeds)
    hits = {f"{n}@{s}": v for (n, s), v in false.items() if v}
    return [Figure("SRS-014", sum(false.values()), detail=str(hits) if hits else "none")]


def overloads(dut, seeds: Sequence[int]) -> list[Figure]:
    """SRS-020 overloads missed, SRS-021 worst latency, SRS-022 OVERLOAD at the limit."""
    runs = [dut.run_scenario(n, s).accuracy() for n in lib.OVERLOAD_SCENARIOS for s in seeds]
    lat = latency(x for a in runs for x in a.overload_latencies_s)
    at_limit = [dut.run_scenario(n, s).accuracy() for n in lib.AT_LIMIT for s in seeds]
    return [
        Figure("SRS-020", sum(a.overloads_truth - a.overloads_detected for a in runs)),
        Figure(
            "SRS-021",
            lat.max_s,
            detail=f"p50 {lat.p50_s:.3f} s, p95 {lat.p95_s:.3f} s, n {lat.n}",
        ),
        Figure("SRS-022", sum(a.false_overloads + a.overloads_detected for a in at_limit)),
    ]


def prescribed_limit(dut, seeds: Sequence[int]) -> list[Figure]:
    """SRS-023: the OVERLOAD_LIMIT the DUT holds against the prescribed load's code."""
    from chip_sim.presets import strain_code
    from scenarios.sites import SITES

    run = dut.run_scenario("overload_partial_weight_bearing", seeds[0])
    site = SITES[run.scenario.patient.implant_site]
    expected = strain_code(run.rendering.overload_limit_n, site.strain_ue_per_n)
    addr = run.registers.map.by_name("OVERLOAD_LIMIT").addr
    value, nack = run.registers.read(addr)
    return [
        Figure(
            "SRS-023",
            abs(value - expected) if nack is None else 1e9,
            detail=f"read {value}, expected {expected} codes",
        )
    ]


@cache
def _digest(name: str, seed: int):
    from scenarios import library
    from scenarios.digest import render_digest

    return render_digest(library.load(name), seed, rate_hz=100)


def healing(dut, seeds: Sequence[int]) -> list[Figure]:
    """SRS-030 courses misclassified, SRS-031 latest delayed-union flag (99: a flag on normal
    healing or none at all). Long-horizon metrics of the golden model (``dut`` unused)."""
    from chip_sim.longterm.course import assess_healing

    wrong = {}
    for name, expected in lib.HEALING.items():
        for s in seeds:
            got = assess_healing(_digest(name, s)).classification
            if got != expected:
                wrong[f"{name} seed {s}"] = got
    latest = max(
        assess_healing(_digest(n, s)).delayed_union_flag_week or 99
        for n in lib.DELAYED
        for s in seeds
    )
    normal = [assess_healing(_digest("healing_normal", s)).delayed_union_flag_week for s in seeds]
    return [
        Figure("SRS-030", len(wrong), detail=str(wrong) if wrong else "all correct"),
        Figure(
            "SRS-031",
            latest if not any(normal) else 99,
            detail=f"latest flag week {latest}; flags on normal healing: {normal}",
        ),
    ]


def infection(dut, seeds: Sequence[int]) -> list[Figure]:
    """SRS-032 worst hours from onset to flag, SRS-033 flags on normal post-op courses."""
    from chip_sim.longterm.course import assess_infection

    worst = 0.0
    for name in lib.INFECTIONS:
        for s in seeds:
            d = _digest(name, s)
            onset = float(d.events[d.events["kind"] == "infection_onset"]["t_s"][0])
            flag = assess_infection(d, s).flag_t_s
            worst = max(worst, float("inf") if flag is None else (flag - onset) / 3600)
    false = sum(
        assess_infection(_digest(n, s), s).flag_t_s is not None
        for n in lib.NO_INFECTION
        for s in seeds
    )
    return [
        Figure("SRS-032", worst, detail="hours from onset to flag, worst case"),
        Figure("SRS-033", false),
    ]


def reference_pipeline(dut, seeds: Sequence[int]) -> list[Figure]:
    """SRS-008: step F1 minus that of the published pipeline, lower-back library scenarios."""
    from bench.verification.reference_gait import comparison_table

    total = comparison_table(tuple(seeds))[-1]
    return [
        Figure(
            "SRS-008",
            total["ours_f1"] - total["ref_f1"],
            detail=f"ours {total['ours_f1']:.3f}, {total['reference']} {total['ref_f1']:.3f}",
        )
    ]


#: what ``smile-bench accuracy`` prints, in this order
LIBRARY_FIGURES: tuple[Callable[..., list[Figure]], ...] = (
    steps_walking,
    step_count,
    steps_slow,
    walking_bouts,
    reference_pipeline,
    falls,
    false_falls,
    fall_types,
    false_falls_on_sites,
    overloads,
    prescribed_limit,
    healing,
    infection,
)
