"""Scenario → front end → digital core → events: the one pipeline the CLI and the tests use."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chip_sim.accuracy import ScenarioAccuracy, evaluate
from chip_sim.afe import Codes, FrontEnd
from chip_sim.core import Chip, CoreOutput
from chip_sim.intervals import merge_intervals
from chip_sim.presets import registers_for
from chip_sim.registers import RegisterFile
from scenarios.generator import Rendering, render
from scenarios.model import Scenario
from scenarios.sites import SITES

CHIP_RATE_HZ = 100
TRUTH_RATE_HZ = 1000
#: Longer scenarios render directly at the chip rate: a day at 1 kHz would not fit in memory.
FULL_TRUTH_MAX_S = 3600.0


def merge_windows(windows, n: int) -> tuple[tuple[int, int], ...]:
    """(start, end) sample windows clipped to [0, n], empty ones dropped, overlaps merged."""
    return tuple(merge_intervals(((int(a), int(b)) for a, b in windows), 0, n))


@dataclass(frozen=True)
class PipelineRun:
    scenario: Scenario
    seed: int
    rendering: Rendering
    codes: Codes
    registers: RegisterFile
    output: CoreOutput

    @property
    def rate_hz(self) -> float:
        return self.codes.rate_hz

    def accuracy(self) -> ScenarioAccuracy:
        regs = self.registers
        return evaluate(
            self.scenario.name,
            self.rendering.events,
            self.rendering.segments,
            self.output.events,
            self.rate_hz,
            self.codes.n / self.rate_hz,
            overload_min_s=regs["OVERLOAD_MIN_SAMPLES"] / self.rate_hz,
            walk_start_steps=regs["WALK_START_STEPS"],
        )


def run_scenario(
    scenario: Scenario,
    seed: int,
    *,
    registers: dict[str, int] | None = None,
    duration_s: float | None = None,
    implementation: str = "vectorised",
    frontend: FrontEnd | None = None,
    supply_off: tuple[tuple[int, int], ...] = (),
) -> PipelineRun:
    """Render the scenario, digitise it through the front end, run the golden core.

    The seed drives the scenario; the front end's noise uses an independent stream derived from
    the same seed, so one recorded seed reproduces the whole run. ``supply_off``: further
    (start, end) sample windows without power, beyond the scenario's own brown-out faults (the
    system model's brown-outs fed back); the chip restarts after each (RESET reason 1)."""
    length = scenario.duration_s if duration_s is None else min(duration_s, scenario.duration_s)
    truth_rate = TRUTH_RATE_HZ if length <= FULL_TRUTH_MAX_S else CHIP_RATE_HZ
    r = render(scenario, seed, rate_hz=truth_rate, duration_s=duration_s)
    return run_rendering(
        r,
        seed,
        registers=registers,
        implementation=implementation,
        frontend=frontend,
        supply_off=supply_off,
    )


def digitise(r: Rendering, seed: int, frontend: FrontEnd | None = None) -> Codes:
    """A rendering through the front end at the chip rate; its noise stream derives from
    ``seed`` (the same codes for every run of one scenario and seed)."""
    rng = np.random.default_rng([seed, 1])
    return (frontend or FrontEnd()).digitise(r, rng=rng, rate_hz=CHIP_RATE_HZ)


def run_rendering(
    r: Rendering,
    seed: int,
    *,
    registers: dict[str, int] | None = None,
    implementation: str = "vectorised",
    frontend: FrontEnd | None = None,
    supply_off: tuple[tuple[int, int], ...] = (),
) -> PipelineRun:
    """A rendering (a scenario's, or a digest's raw window) through the front end and the golden
    core; the front end's noise stream derives from ``seed``."""
    codes = digitise(r, seed, frontend)
    patient = r.scenario.patient
    regs = registers_for(
        patient.implant_site,
        overload_limit_n=r.overload_limit_n,
        strain_ue_per_n=SITES[patient.implant_site].strain_ue_per_n,
        extra=registers,
    )
    brownouts = merge_windows([*codes.brownouts, *supply_off], codes.n)
    out = Chip(regs, implementation=implementation).run(codes.codes, brownouts=brownouts)
    return PipelineRun(r.scenario, seed, r, codes, regs, out)
