"""Step detection side by side with a published open-source lower-back gait pipeline.

The reference is scikit-digital-health (``skdh``, Pfizer), whose lumbar pipeline is the LightGBM
gait classifier ``skdh.context.PredictGaitLumbarLgbm`` followed by ``skdh.gait.GaitLumbar``.
Both see the same scenario rendering as the chip, are scored against the same truth heel strikes
with the same rule (``chip_sim.accuracy.match_times`` within ±150 ms, one-to-one), and end up in
one table (:func:`comparison_table`).

Stages of the reference that run, all with their published defaults:

1. gait-bout detection: ``PredictGaitLumbarLgbm`` on the whole recording (non-overlapping 3 s
   windows, threshold 0.7). It is not given our truth bouts;
2. bout merging and the 8 s minimum bout length (``GaitLumbar``);
3. per bout: ``PreprocessGaitBout`` (orientation correction, 20 Hz low-pass, step-frequency
   estimate), ``ApCwtGaitEvents`` (the default initial/final-contact detector),
   ``CreateStridesAndQc`` (drops contacts that do not form a plausible stride) and
   ``TurnDetection`` (angular rate given, so it runs; it only flags steps in turns);
4. the gait endpoints (cadence, gait speed, …), computed but not used here.

The reference's initial contacts are its ``IC Timestamp`` output: the QC'ed contacts.

Adapter conventions (read from the skdh 0.17 source):
- rate: 50 Hz. The gait classifier is trained at 50 Hz and resamples anything else, but designs
  its band-pass filter with the *input* rate and applies it to the resampled signal; fed 100 Hz
  it splits bouts, fed 1 kHz it finds none. The rendering is therefore decimated to 50 Hz here
  (FIR anti-alias, zero phase: ``Rendering.decimated``);
- units: acceleration in g (÷ 9.80665), angular rate in rad/s;
- axes: skdh takes any axis order and estimates the vertical (largest mean) and AP axes per bout;
  the mounting is known, so ``v_axis=2`` (sensor z, up when upright) and ``ap_axis=0`` (sensor x,
  anterior) are passed; its own estimates are returned so a test can check that they agree;
- time: seconds since the start of the recording, read as naive Unix time; no day split;
- leg length: the default 0.53 × the patient's height (only the spatial endpoints use it).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from importlib.metadata import version

import numpy as np
import skdh
from scipy.signal import resample_poly
from skdh.context import PredictGaitLumbarLgbm
from skdh.gait import GaitLumbar

from chip_sim.accuracy import STEP_TOLERANCE_S, Match, match_times
from chip_sim.icd import EventCode
from chip_sim.pipeline import run_scenario
from scenarios import library
from scenarios.generator import Rendering
from scenarios.physiology import G_MPS2

REFERENCE = "scikit-digital-health"
REFERENCE_VERSION = version(REFERENCE)
#: The placement the reference pipeline is made for.
REFERENCE_SITE = "lower_back"
REFERENCE_RATE_HZ = 50.0
#: Sensor-frame axes (x anterior, y left, z up when upright).
V_AXIS, AP_AXIS = 2, 0


@dataclass(frozen=True)
class ReferenceResult:
    initial_contacts_s: np.ndarray  # the reference's QC'ed initial contacts, s from the start
    bouts_s: np.ndarray  # (n, 2) gait bouts its classifier found, s
    v_axis_estimates: np.ndarray  # per bout, its own estimate of the vertical axis index
    ap_axis_estimates: np.ndarray  # per bout, its own estimate of the AP axis index


def _at_reference_rate(rendering: Rendering) -> tuple[np.ndarray, np.ndarray]:
    """Acceleration (g) and angular rate (rad/s) at 50 Hz, float64, dropouts interpolated."""
    ratio = Fraction(rendering.rate_hz).limit_denominator(1000) / Fraction(REFERENCE_RATE_HZ)
    if ratio.denominator == 1:
        r = rendering.decimated(REFERENCE_RATE_HZ)
        acc, gyr = r.acc_mps2, r.gyr_dps
    else:  # a rendering rate that 50 Hz does not divide
        up, down = ratio.denominator, ratio.numerator
        acc = resample_poly(_filled(rendering.acc_mps2), up, down, axis=0)
        gyr = resample_poly(_filled(rendering.gyr_dps), up, down, axis=0)
    return _filled(acc) / G_MPS2, np.deg2rad(_filled(gyr))


def _filled(x: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaN (sensor dropouts): the classifier cannot take NaN."""
    x = np.array(x, dtype=np.float64)
    for k in range(x.shape[1]):
        gaps = np.isnan(x[:, k])
        if gaps.all():
            x[:, k] = 0.0
        elif gaps.any():
            i = np.arange(len(x))
            x[gaps, k] = np.interp(i[gaps], i[~gaps], x[~gaps, k])
    return x


def run_reference(rendering: Rendering) -> ReferenceResult:
    """The reference pipeline (all stages, see the module docstring) on one rendering."""
    site = rendering.scenario.patient.implant_site
    if site != REFERENCE_SITE:
        raise ValueError(f"the reference pipeline expects a {REFERENCE_SITE} sensor, not {site}")
    acc, gyr = _at_reference_rate(rendering)
    return run_reference_signals(acc, gyr, rendering.scenario.patient.height_m)


#: Height given to the reference for recordings without one: only its spatial endpoints use it
#: (not used here), never its initial contacts.
NOMINAL_HEIGHT_M = 1.70


def run_reference_on(acc_mps2: np.ndarray, gyr_dps: np.ndarray, rate_hz: float) -> ReferenceResult:
    """The reference pipeline on a recording in the sensor frame (x anterior, y left, z up),
    m/s² and °/s at ``rate_hz``: resampled to 50 Hz with resample_poly's anti-alias filter."""
    ratio = Fraction(rate_hz).limit_denominator(1000) / Fraction(REFERENCE_RATE_HZ)
    up, down = ratio.denominator, ratio.numerator
    acc = resample_poly(_filled(acc_mps2), up, down, axis=0)
    gyr = resample_poly(_filled(gyr_dps), up, down, axis=0)
    return run_reference_signals(acc / G_MPS2, np.deg2rad(gyr), NOMINAL_HEIGHT_M)


def run_reference_signals(
    acc_g: np.ndarray, gyr_rads: np.ndarray, height_m: float
) -> ReferenceResult:
    """The reference pipeline on acceleration (g) and angular rate (rad/s) at 50 Hz."""
    acc, gyr = acc_g, gyr_rads
    t = np.arange(len(acc)) / REFERENCE_RATE_HZ
    pipeline = skdh.Pipeline()
    pipeline.add(PredictGaitLumbarLgbm())
    pipeline.add(GaitLumbar(day_window=None))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = pipeline.run(
            time=t,
            accel=acc,
            gyro=gyr,
            fs=REFERENCE_RATE_HZ,
            height=height_m,
            v_axis=V_AXIS,
            ap_axis=AP_AXIS,
        )
    # GaitLumbar turns an exception inside a bout into a warning and drops the bout: that would
    # silently cost the reference steps, so it is an error of the adapter here.
    errors = [str(w.message) for w in caught if "error processing bout" in str(w.message)]
    if errors:
        raise RuntimeError(f"reference pipeline failed on {len(errors)} bout(s): {errors[0]}")
    bouts = out["PredictGaitLumbarLgbm"]
    gait = out["GaitLumbar"]
    bout_n = np.asarray(gait["Bout N"])
    first = np.unique(bout_n, return_index=True)[1]
    return ReferenceResult(
        initial_contacts_s=np.sort(np.asarray(gait["IC Timestamp"], dtype=float)),
        bouts_s=np.column_stack(
            (np.asarray(bouts["Gait Bout Start"]), np.asarray(bouts["Gait Bout Stop"]))
        ).astype(float),
        v_axis_estimates=np.asarray(gait["debug:v axis est"])[first].astype(int),
        ap_axis_estimates=np.asarray(gait["debug:ap axis est"])[first].astype(int),
    )


def reference_initial_contacts(rendering: Rendering) -> np.ndarray:
    """Initial-contact (heel-strike) times, s, the reference pipeline finds in ``rendering``."""
    return run_reference(rendering).initial_contacts_s


def lower_back_scenarios() -> list[str]:
    """Library scenarios with the sensor where the reference expects it."""
    return [
        n for n in library.library_names() if library.load(n).patient.implant_site == REFERENCE_SITE
    ]


def _row(scenario: str, seeds: list[int], truth: int, ours: Match, ref: Match) -> dict:
    row: dict = {"scenario": scenario, "seeds": tuple(seeds), "truth_steps": truth}
    for who, m in (("ours", ours), ("ref", ref)):
        row |= {
            f"{who}_steps": m.tp + m.fp,
            f"{who}_tp": m.tp,
            f"{who}_fn": m.fn,
            f"{who}_fp": m.fp,
            f"{who}_sensitivity": m.sensitivity,
            f"{who}_ppv": m.ppv,
            f"{who}_f1": m.f1,
            f"{who}_median_offset_s": (
                float(np.median(m.offsets_s)) if len(m.offsets_s) else float("nan")
            ),
        }
    row["reference"] = f"{REFERENCE} {REFERENCE_VERSION}"
    return row


def comparison_table(seeds: Iterable[int]) -> list[dict]:
    """Steps of the chip and of the reference against the truth heel strikes, per lower-back
    scenario (summed over ``seeds``) and a final ``scenario == "total"`` row.

    Keys per row: truth_steps and, for ``ours_`` and ``ref_``: steps (detections), tp, fn, fp,
    sensitivity, ppv, f1, median_offset_s (detection − truth of the matches)."""
    seeds = list(seeds)
    rows, all_ours, all_ref, all_truth = [], [], [], 0
    for name in lower_back_scenarios():
        scenario = library.load(name)
        ours, ref, truth_n = [], [], 0
        for seed in seeds:
            run = run_scenario(scenario, seed)
            truth = run.rendering.events_of("heel_strike")["t_s"]
            ev = run.output.events
            chip_s = ev["stream_index"][ev["code"] == int(EventCode.STEP)] / run.rate_hz
            ours.append(match_times(truth, chip_s, STEP_TOLERANCE_S))
            ref.append(
                match_times(truth, reference_initial_contacts(run.rendering), STEP_TOLERANCE_S)
            )
            truth_n += len(truth)
        rows.append(_row(name, seeds, truth_n, Match.pooled(ours), Match.pooled(ref)))
        all_ours += ours
        all_ref += ref
        all_truth += truth_n
    rows.append(_row("total", seeds, all_truth, Match.pooled(all_ours), Match.pooled(all_ref)))
    return rows
