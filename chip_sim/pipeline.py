"""Scenario → front end → digital core → events: the one pipeline the CLI and the tests use."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chip_sim.accuracy import ScenarioAccuracy, evaluate
from chip_sim.afe import Codes, FrontEnd
from chip_sim.core import Chip, CoreOutput
from chip_sim.presets import registers_for
from chip_sim.registers import RegisterFile
from scenarios.generator import Rendering, render
from scenarios.model import Scenario
from scenarios.sites import SITES

CHIP_RATE_HZ = 100
TRUTH_RATE_HZ = 1000
#: Longer scenarios render directly at the chip rate: a day at 1 kHz would not fit in memory.
FULL_TRUTH_MAX_S = 3600.0


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
) -> PipelineRun:
    """Render the scenario, digitise it through the front end, run the golden core.

    The seed drives the scenario; the front end's noise uses an independent stream derived from
    the same seed, so one recorded seed reproduces the whole run."""
    length = scenario.duration_s if duration_s is None else min(duration_s, scenario.duration_s)
    truth_rate = TRUTH_RATE_HZ if length <= FULL_TRUTH_MAX_S else CHIP_RATE_HZ
    r = render(scenario, seed, rate_hz=truth_rate, duration_s=duration_s)
    rng = np.random.default_rng([seed, 1])
    codes = (frontend or FrontEnd()).digitise(r, rng=rng, rate_hz=CHIP_RATE_HZ)
    site = SITES[scenario.patient.implant_site]
    regs = registers_for(
        scenario.patient.implant_site,
        overload_limit_n=r.overload_limit_n,
        strain_ue_per_n=site.strain_ue_per_n,
        extra=registers,
    )
    out = Chip(regs, implementation=implementation).run(codes.codes, brownouts=codes.brownouts)
    return PipelineRun(scenario, seed, r, codes, regs, out)
