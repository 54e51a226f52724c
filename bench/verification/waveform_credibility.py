"""Scenario credibility against real waveforms (ASME V&V 40): the generator's signals beside
public real recordings, in the features the STEP detector rests on.

For a placement with a real recording (``chip_sim.datasets``), the same features are measured on
the chip's codes of the recording (replayed through the front end, so both pass the same
anti-alias filter and quantisation) and of the library's scenarios at that placement, both around
their heel strikes: the reference's initial contacts for the recording, the generator's truth for
the scenario. A feature passes when the synthetic value lies within the stated tolerance of the
real one. Every real value here is **real**, every synthetic one **synthetic**; nothing is tuned
on the recordings — they only judge.

Only steady walking is measured, on both sides by one rule: a heel strike counts when the next
one (either foot) follows within STEP_GAP_S, and a walking span runs over consecutive such steps.

Placements: ``lower_back`` (mobgap, INDIP contacts) against the lower-back wearable's scenarios.
The foot recordings (gaitmap) judge no scenario: no implant sits on the foot, and a foot's
angular rate is not a shank's (heel-strike to mid-swing sharpness of the sagittal rate 1.3 on
the feet, 8-9 on the library's shanks: different segments, not a generator error).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from chip_sim.datasets import RealRecording

#: consecutive heel strikes (either foot) closer than this are steady walking; farther, a stop
STEP_GAP_S = (0.3, 1.0)
#: the heel strike's neighbourhood (the detector's match tolerance is 150 ms; the shock itself
#: lasts tens of ms)
HS_HALF_WIDTH_S = 0.05
#: mid-step excludes this much after a heel strike and before the next
MID_STEP_MARGIN_S = 0.15
#: where the forward (AP) acceleration's step-locked maximum is sought, around the heel strike
AP_SEARCH_S = (-0.3, 0.1)
BAND_HZ = (0.5, 20.0)
SPLIT_HZ = 3.0  # above: the shock's and loading response's content; below: the step's sway


@dataclass(frozen=True)
class Feature:
    name: str
    unit: str
    what: str
    #: "factor": synthetic within [real / tol, real · tol]; "abs": |synthetic - real| <= tol
    kind: str
    tolerance: float


#: The features of the acceleration step detector (STEP_MODE 0 and any trunk mode): how sharp a
#: heel strike is, how it stands out of the rest of the step, where the power of |a| lies, the
#: sway the detector must ignore. Tolerances are this project's: a factor 1.5 on magnitudes
#: (the recordings' own spread between participants is larger), 0.15 on power shares, 50 ms on
#: timing (half the 100 ms the lower-back AP peak was said to be off).
FEATURES: tuple[Feature, ...] = (
    Feature(
        "hs_sharpness_mg",
        "mg",
        "median over heel strikes of the largest second difference of |a| within 50 ms",
        "factor",
        1.5,
    ),
    Feature(
        "hs_to_mid_step_sharpness",
        "",
        "median over steps of heel-strike sharpness over the largest mid-step sharpness",
        "factor",
        1.5,
    ),
    Feature(
        "share_above_3hz",
        "",
        "share of the power of |a| in 0.5-20 Hz that lies above 3 Hz",
        "abs",
        0.15,
    ),
    Feature("vertical_rms_mg", "mg", "RMS of |a| around its span mean", "factor", 1.5),
    Feature("ml_rms_mg", "mg", "RMS of the medio-lateral acceleration (chip y)", "factor", 1.5),
    Feature(
        "ap_peak_ms",
        "ms",
        "time of the step-locked mean forward acceleration's maximum, from the heel strike",
        "abs",
        50.0,
    ),
)


@dataclass(frozen=True)
class Walk:
    """One signal with its heel strikes: chip codes (mg for acceleration) at ``rate_hz``."""

    codes: np.ndarray
    heel_strikes_s: np.ndarray
    rate_hz: float


@dataclass(frozen=True)
class Check:
    feature: Feature
    real: float
    synthetic: float

    @property
    def passed(self) -> bool:
        f, r, s = self.feature, self.real, self.synthetic
        if not (np.isfinite(r) and np.isfinite(s)):
            return False
        if f.kind == "factor":
            return r > 0 and r / f.tolerance <= s <= r * f.tolerance
        return abs(s - r) <= f.tolerance

    @property
    def limit(self) -> str:
        f = self.feature
        if f.kind == "factor":
            return f"within x{f.tolerance:g} of real"
        return f"within +-{f.tolerance:g} {f.unit} of real".replace("  ", " ")


def _steady(hs_s: np.ndarray) -> list[np.ndarray]:
    """Runs of heel strikes whose gaps all lie in STEP_GAP_S (each run has >= 3 strikes)."""
    hs = np.sort(np.asarray(hs_s, dtype=float))
    runs, cur = [], [hs[0]] if len(hs) else []
    for a, b in itertools.pairwise(hs):
        if STEP_GAP_S[0] <= b - a <= STEP_GAP_S[1]:
            cur.append(b)
        else:
            if len(cur) >= 3:
                runs.append(np.asarray(cur))
            cur = [b]
    if len(cur) >= 3:
        runs.append(np.asarray(cur))
    return runs


def features(walks: Iterable[Walk]) -> dict[str, float]:
    """Every FEATURES value, pooled over ``walks`` (per-step medians, span-summed spectra)."""
    hs_sharp, contrast, ap_locked = [], [], []
    power_lo = power_hi = 0.0
    v_sq = ml_sq = 0.0
    n_samples = 0
    rates = set()
    for w in walks:
        rate = float(w.rate_hz)
        rates.add(rate)
        acc = w.codes[:, :3].astype(float)
        mag = np.sqrt((acc**2).sum(axis=1))
        r = np.zeros_like(mag)
        r[2:] = mag[2:] - 2 * mag[1:-1] + mag[:-2]
        half = round(HS_HALF_WIDTH_S * rate)
        margin = round(MID_STEP_MARGIN_S * rate)
        a0, a1 = (round(t * rate) for t in AP_SEARCH_S)
        for run in _steady(w.heel_strikes_s):
            idx = np.round(run * rate).astype(int)
            lo, hi = idx[0], idx[-1]
            if lo - half < 2 or hi + half >= len(mag):
                continue
            span = slice(lo, hi)
            m = mag[span] - mag[span].mean()
            y = acc[span, 1] - acc[span, 1].mean()
            v_sq += float((m**2).sum())
            ml_sq += float((y**2).sum())
            n_samples += len(m)
            spec = np.abs(np.fft.rfft(m * np.hanning(len(m)))) ** 2
            f = np.fft.rfftfreq(len(m), 1 / rate)
            band = (f >= BAND_HZ[0]) & (f <= BAND_HZ[1])
            power_lo += float(spec[band & (f < SPLIT_HZ)].sum())
            power_hi += float(spec[band & (f >= SPLIT_HZ)].sum())
            x = acc[:, 0] - acc[span, 0].mean()
            for i, j in itertools.pairwise(idx):
                s_hs = r[i - half : i + half + 1].max()
                hs_sharp.append(s_hs)
                if j - margin > i + margin:
                    mid = r[i + margin : j - margin].max()
                    if mid > 0:
                        contrast.append(s_hs / mid)
                if i + a0 >= 0 and i + a1 < len(x):
                    ap_locked.append(x[i + a0 : i + a1 + 1])
    if not hs_sharp or not ap_locked:
        return {f.name: float("nan") for f in FEATURES}
    if len(rates) != 1:
        raise ValueError(f"walks at rates {sorted(rates)} Hz; expected one chip rate")
    ap = np.mean(ap_locked, axis=0)
    total = power_lo + power_hi
    return {
        "hs_sharpness_mg": float(np.median(hs_sharp)),
        "hs_to_mid_step_sharpness": float(np.median(contrast)) if contrast else float("nan"),
        "share_above_3hz": power_hi / total if total else float("nan"),
        "vertical_rms_mg": float(np.sqrt(v_sq / n_samples)),
        "ml_rms_mg": float(np.sqrt(ml_sq / n_samples)),
        "ap_peak_ms": 1000 * (int(np.argmax(ap)) / rates.pop() + AP_SEARCH_S[0]),
    }


def compare(real: dict[str, float], synthetic: dict[str, float]) -> list[Check]:
    return [Check(f, real[f.name], synthetic[f.name]) for f in FEATURES]


def real_walks(recordings: Sequence[RealRecording], placement: str, preset: str) -> list[Walk]:
    """The recordings at ``placement`` replayed through the front end (chip codes), with the
    reference's initial contacts inside the scored windows."""
    from chip_sim.replay import replay

    out = []
    for rec in recordings:
        if rec.placement != placement:
            continue
        rp = replay(rec.recording, vertical_axis="z", preset_name=preset)
        out.append(Walk(np.asarray(rp.codes.codes), rec.scored_reference(), rp.rate_hz))
    return out


def synthetic_walks(names: Sequence[str], seeds: Sequence[int]) -> list[Walk]:
    """Library scenarios rendered and digitised, with the generator's heel strikes (both legs)."""
    from chip_sim.pipeline import run_scenario
    from scenarios import library

    out = []
    for name in names:
        for seed in seeds:
            run = run_scenario(library.load(name), seed=seed)
            hs = np.asarray([float(e[0]) for e in run.rendering.events_of("heel_strike")])
            out.append(Walk(np.asarray(run.codes.codes), hs, run.rate_hz))
    return out


#: placement -> (preset the recording replays with, library scenarios at that placement)
PLACEMENTS = {
    "lower_back": ("lower-back", ("walk_lower_back_wearable", "free_living_lower_back")),
}


def table(checks: Sequence[Check], placement: str) -> str:
    lines = [
        f"waveform credibility, {placement}: real recordings beside the synthetic library",
        f"{'feature':26s} {'real':>9s} {'synthetic':>10s}  {'limit':24s} verdict",
    ]
    for c in checks:
        lines.append(
            f"{c.feature.name:26s} {c.real:9.3g} {c.synthetic:10.3g}  {c.limit:24s} "
            f"{'pass' if c.passed else 'FAIL'}"
        )
    return "\n".join(lines)
