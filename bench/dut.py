"""DUT backends behind one interface. This version has the golden model in-process; RTL and
serial boards arrive with their issues and plug in here."""

from __future__ import annotations

from dataclasses import dataclass, field

from chip_sim.core.frames import output_bytes
from chip_sim.pipeline import PipelineRun, run_scenario
from scenarios import library


@dataclass
class GoldenDut:
    """The golden model: scenario → front end → digital core, in this process."""

    name: str = "golden"
    _cache: dict = field(default_factory=dict, repr=False)

    def run_scenario(self, scenario_name: str, seed: int) -> PipelineRun:
        key = (scenario_name, seed)
        if key not in self._cache:
            self._cache[key] = run_scenario(library.load(scenario_name), seed)
        return self._cache[key]

    def frame_bytes(self, run: PipelineRun) -> bytes:
        """The run's events and STATUS as the DUT sends them: ICD frames."""
        return output_bytes(run.output)


def make_dut(kind: str) -> GoldenDut:
    if kind.startswith("mutant:"):
        from bench.verification.mutants import MutantDut

        return MutantDut(mutation=kind.split(":", 1)[1])
    return GoldenDut()
