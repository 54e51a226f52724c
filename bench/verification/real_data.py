"""The chip's steps on public real recordings with an independent reference (the real-data tier).

Every figure here is measured on **real** recordings (``chip_sim.datasets``), never on the
scenario library, and nothing is tuned on them: the registers are the placement presets, tuned on
the library only. Scoring is the library's (``chip_sim.accuracy.match_times``, ±150 ms,
one-to-one), restricted to the windows in which the reference is complete: a STEP counts when it
lies inside a window widened by the tolerance, a reference contact when it lies inside a window.

Placement → preset: ``lower_back`` → ``lower-back``; ``foot`` → ``tibia`` (the shank preset: no
implant sits on the foot, and the distal shank — the ankle orthosis — is the nearest site; the
sagittal rate's swing peak and heel-strike reversal are the same marker on both).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version

import numpy as np

from bench.verification.stats import Proportion, wilson
from chip_sim.accuracy import STEP_TOLERANCE_S, Match, match_times
from chip_sim.datasets import RealRecording, inside
from chip_sim.icd import EventCode
from chip_sim.replay import replay

PRESET_OF_PLACEMENT = {"lower_back": "lower-back", "foot": "tibia"}
#: Where the published reference pipeline (scikit-digital-health, lumbar) runs beside the chip.
REFERENCE_PLACEMENT = "lower_back"
DATA_KIND = "real"  # every figure of this module: say so wherever it is printed


@dataclass(frozen=True)
class RealResult:
    recording: RealRecording
    preset: str
    match: Match
    #: scikit-digital-health's lumbar pipeline on the same recording (lower back only)
    reference: Match | None = None
    #: Mobilise-D's published pipelines' own contacts on this recording, scored the same way
    published: dict[str, Match] = field(default_factory=dict)

    @property
    def reference_steps(self) -> int:
        return self.match.tp + self.match.fn

    @property
    def chip_steps(self) -> int:
        return self.match.tp + self.match.fp

    @property
    def count_error(self) -> float:
        n = self.reference_steps
        return (self.chip_steps - n) / n if n else float("nan")


def chip_steps_s(rec: RealRecording, preset_name: str, registers: Mapping[str, int] | None = None):
    """STEP times (s from the recording's first sample) of the chip replaying ``rec``."""
    rp = replay(rec.recording, vertical_axis="z", preset_name=preset_name, registers=registers)
    ev = rp.events
    return ev["stream_index"][ev["code"] == int(EventCode.STEP)] / rp.rate_hz


def score(rec: RealRecording, detected_s: np.ndarray) -> Match:
    det = np.asarray(detected_s, dtype=float)
    det = det[inside(det, rec.windows_s, STEP_TOLERANCE_S)]
    return match_times(rec.scored_reference(), det, STEP_TOLERANCE_S)


def reference_steps_s(rec: RealRecording) -> np.ndarray:
    """scikit-digital-health's initial contacts on ``rec`` (its lumbar pipeline, published
    defaults; ``bench.verification.reference_gait``)."""
    from bench.verification.reference_gait import run_reference_on

    r = rec.recording
    return run_reference_on(r.acc_mps2, r.gyr_dps, r.rate_hz).initial_contacts_s


def evaluate(
    recordings: Sequence[RealRecording],
    registers: Mapping[str, int] | None = None,
    *,
    with_reference: bool = True,
) -> list[RealResult]:
    """The chip on every recording; beside it, on lower-back ones, the published pipeline."""
    out = []
    for rec in recordings:
        name = PRESET_OF_PLACEMENT[rec.placement]
        ref = None
        if with_reference and rec.placement == REFERENCE_PLACEMENT:
            ref = score(rec, reference_steps_s(rec))
        published = {algo: score(rec, t) for algo, t in rec.published_ic_s.items()}
        chip = score(rec, chip_steps_s(rec, name, registers))
        out.append(RealResult(rec, name, chip, ref, published))
    return out


@dataclass(frozen=True)
class Pooled:
    placement: str
    recordings: int
    sensitivity: Proportion
    ppv: Proportion
    reference_steps: int
    chip_steps: int
    skdh: Match | None = None  # the published pipeline pooled over the same recordings
    chip: Match | None = None  # the chip, pooled
    #: Mobilise-D's published pipelines pooled over the same recordings (lower back)
    published: dict[str, Match] = field(default_factory=dict)

    @property
    def count_error(self) -> float:
        return (self.chip_steps - self.reference_steps) / self.reference_steps

    def best_published(self) -> tuple[str, Match] | None:
        """The published pipeline with the highest F1 on these recordings."""
        if not self.published:
            return None
        return max(self.published.items(), key=lambda kv: (kv[1].f1, kv[0]))


def pooled(results: Sequence[RealResult]) -> list[Pooled]:
    out = []
    for placement in sorted({r.recording.placement for r in results}):
        rs = [r for r in results if r.recording.placement == placement]
        tp = sum(r.match.tp for r in rs)
        fn = sum(r.match.fn for r in rs)
        fp = sum(r.match.fp for r in rs)
        refs = [r.reference for r in rs if r.reference is not None]
        algos = sorted({a for r in rs for a in r.published})
        published = {
            a: Match.pooled([r.published[a] for r in rs if a in r.published]) for a in algos
        }
        out.append(
            Pooled(
                placement,
                len(rs),
                wilson(tp, tp + fn),
                wilson(tp, tp + fp),
                tp + fn,
                tp + fp,
                Match.pooled(refs) if refs else None,
                Match.pooled([r.match for r in rs]),
                published,
            )
        )
    return out


def table(results: Sequence[RealResult]) -> str:
    """Per recording, then pooled per placement (sensitivity and PPV with Wilson 95 % bounds)."""
    head = (
        f"{DATA_KIND} recordings (reference: independent system; detector tuned on the synthetic "
        "library only)\n"
        f"{'recording':42s} {'placement':10s} {'preset':10s} {'ref':>4s} {'chip':>4s} "
        f"{'sens':>6s} {'PPV':>6s} {'count':>7s}   {'skdh sens':>9s} {'skdh PPV':>8s}"
    )
    lines = [head]
    for r in results:
        m, k = r.match, r.reference
        side = f"   {k.sensitivity:9.3f} {k.ppv:8.3f}" if k is not None else ""
        lines.append(
            f"{r.recording.label:42s} {r.recording.placement:10s} {r.preset:10s} "
            f"{r.reference_steps:4d} {r.chip_steps:4d} {m.sensitivity:6.3f} {m.ppv:6.3f} "
            f"{r.count_error:+7.1%}{side}"
        )
    lines.append("pooled per placement (Wilson 95 %):")
    for p in pooled(results):
        lines.append(
            f"  {p.placement:10s} {p.recordings} recordings, {p.reference_steps} reference steps: "
            f"sensitivity {p.sensitivity}, PPV {p.ppv}, count {p.count_error:+.1%}"
        )
        if p.skdh is not None:
            k = p.skdh
            lines.append(
                f"  {'':10s} scikit-digital-health {version('scikit-digital-health')} on the same: "
                f"sensitivity {wilson(k.tp, k.tp + k.fn)}, PPV {wilson(k.tp, k.tp + k.fp)}"
            )
        if p.published:
            lines.append(
                f"  {'':10s} F1 (same scoring): chip {p.chip.f1:.3f}; Mobilise-D's published "
                "pipelines, their authors' own output on the same trials:"
            )
            for algo, k in p.published.items():
                lines.append(
                    f"  {'':12s}{algo:20s} sensitivity {k.sensitivity:.3f}, PPV {k.ppv:.3f}, "
                    f"F1 {k.f1:.3f}"
                )
    return "\n".join(lines)
