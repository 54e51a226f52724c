"""Calibrate the biomarker models that cannot be measured directly — stride length from the
segment's range of motion and stride time, knee range of motion from the segment's — on a
calibration set kept apart from the verification set (other seeds, other patients, speeds on a
grid rather than the library's).

The thigh's pitch when seated (for the knee flexion from a seated shank) is calibrated on heel
slides on a 45 cm chair at 70–110° of flexion, both heights, as a line in the patient's height
(a taller patient's thigh slopes less on the same chair).

Run ``python -m chip_sim.mobility.calibrate`` to rewrite ``calibration.yaml``; the nightly suite
checks that the stored coefficients are what this procedure gives.

The set: level walking at 0.5–1.8 m/s (steps of 0.1) and on crutches at 0.3–0.7 m/s, step-time
symmetry 0, 8 and 16 %, patients 1.60 and 1.90 m, every implant site of each segment, seeds from
``SEED0`` on. On synthetic data the generator ties joint excursion to speed exactly, so these
fits are tighter than any calibration on people can be (docs/biomarkers.md).
"""

from __future__ import annotations

import sys
from itertools import product

import numpy as np
import yaml

from chip_sim.mobility.estimate import (
    CALIBRATION,
    Calibration,
    bout_biomarkers,
)
from chip_sim.mobility.recording import bouts_of
from chip_sim.mobility.truth import bout_truth
from chip_sim.pipeline import run_scenario
from scenarios.model import Patient, Scenario, Segment

SEED0 = 910_000  # calibration seeds: far from the verification seeds (1, 2, 3, ...)
SITES_BY_SEGMENT = {"shank": ("knee_tibial_tray", "tibial_plate"), "thigh": ("hip_stem",)}
WALK_SPEEDS = np.round(np.arange(0.5, 1.81, 0.1), 2)
CRUTCH_SPEEDS = (0.3, 0.4, 0.5, 0.6, 0.7)
SYMMETRY = (0.0, 8.0, 16.0)
HEIGHTS_M = (1.60, 1.90)


def calibration_scenarios(segment: str):
    """(scenario, seed) pairs of the calibration set for one segment."""
    k = 0
    gaits = [(v, False) for v in WALK_SPEEDS] + [(v, True) for v in CRUTCH_SPEEDS]
    for site, (v, crutches), si, h in product(
        SITES_BY_SEGMENT[segment], gaits, SYMMETRY, HEIGHTS_M
    ):
        k += 1
        if (k % 3) != 0:  # a third of the grid: every speed, symmetry and height still covered
            continue
        walk = {"speed_mps": float(v), "symmetry_index_pct": si, "crutches": crutches}
        patient = Patient(body_mass_kg=75.0, height_m=h, implant_site=site)
        sc = Scenario(
            name=f"calibration_{segment}_{k}",
            description="biomarker calibration walk",
            patient=patient,
            timeline=(Segment("stand", 3.0), Segment("walk", 30.0, walk), Segment("stand", 3.0)),
        )
        yield sc, SEED0 + k


def samples(segment: str) -> np.ndarray:
    """Per calibration bout: (segment ROM rad, stride time s, stride length m, truth knee ROM deg,
    segment ROM deg)."""
    rows = []
    for sc, seed in calibration_scenarios(segment):
        run = run_scenario(sc, seed)
        p = sc.patient
        for b in bouts_of(run.output.events, run.codes.codes, run.rate_hz):
            e = bout_biomarkers(
                b,
                implant_site=p.implant_site,
                instrumented_side=p.instrumented_side,
                cal=Calibration(stride={}, knee={}),
            )
            t = bout_truth(run.rendering, b.start_s, b.end_s)
            rows.append(
                (
                    np.deg2rad(e["segment_rom_deg"]),
                    e["stride_time_s"],
                    t["stride_length_m"],
                    t["knee_rom_deg"],
                    e["segment_rom_deg"],
                )
            )
    return np.array(rows, dtype=float)


def fit(segment: str) -> tuple[tuple[float, ...], tuple[float, float], dict]:
    s = samples(segment)
    s = s[np.all(np.isfinite(s), axis=1)]
    a = np.column_stack((np.ones(len(s)), s[:, 0], s[:, 1], s[:, 0] * s[:, 1]))
    stride, *_ = np.linalg.lstsq(a, s[:, 2], rcond=None)
    k = np.column_stack((np.ones(len(s)), s[:, 4]))
    knee, *_ = np.linalg.lstsq(k, s[:, 3], rcond=None)
    stats = {
        "bouts": len(s),
        "stride_rms_residual_m": float(np.sqrt(np.mean((a @ stride - s[:, 2]) ** 2))),
        "knee_rms_residual_deg": float(np.sqrt(np.mean((k @ knee - s[:, 3]) ** 2))),
    }
    return tuple(round(float(c), 6) for c in stride), tuple(round(float(c), 6) for c in knee), stats


SEATED_FLEX_DEG = (70.0, 80.0, 90.0, 100.0, 110.0)


def seated_samples() -> np.ndarray:
    """Per calibration chair sit: (shank inclination seated, estimated; true knee flexion;
    patient height m)."""
    from chip_sim.mobility.course import seated_inclination_deg

    rows = []
    for k, (flex, h) in enumerate(product(SEATED_FLEX_DEG, HEIGHTS_M)):
        chair = {"chair_height_m": 0.45, "knee_flex_deg": flex}
        sc = Scenario(
            name=f"calibration_seated_{k}",
            description="biomarker calibration: heel slide on a chair",
            patient=Patient(body_mass_kg=75.0, height_m=h, implant_site="knee_tibial_tray"),
            timeline=(
                Segment("stand", 3.0),
                Segment("stand_to_sit", 2.5, chair),
                Segment("sit", 5.0, chair),
                Segment("sit_to_stand", 2.5, chair),
                Segment("stand", 3.0),
            ),
        )
        run = run_scenario(sc, SEED0 + 5000 + k)
        incl = seated_inclination_deg(run.codes.codes, run.rate_hz, 0.0, (0, 0, 0))
        rows.append((incl, flex, h))
    return np.array(rows, dtype=float)


def calibrate() -> dict:
    out: dict = {
        "calibration_set": "chip_sim/mobility/calibrate.py: level and crutch walking on a speed "
        f"grid, SI {list(SYMMETRY)} %, heights {list(HEIGHTS_M)} m, seeds from {SEED0}",
        "stride": {},
        "knee": {},
        "fit": {},
    }
    for segment in SITES_BY_SEGMENT:
        stride, knee, stats = fit(segment)
        out["stride"][segment] = list(stride)
        out["knee"][segment] = list(knee)
        out["fit"][segment] = stats
    seated = seated_samples()
    thigh = seated[:, 0] - seated[:, 1]  # knee flexion = shank pitch - thigh pitch
    a = np.column_stack((np.ones(len(seated)), seated[:, 2]))
    coef, *_ = np.linalg.lstsq(a, thigh, rcond=None)
    out["seated_thigh_pitch_deg"] = [round(float(c), 4) for c in coef]
    out["fit"]["seated"] = {
        "sits": len(seated),
        "flexion_max_abs_residual_deg": float(np.max(np.abs(a @ coef - thigh))),
    }
    return out


def main() -> int:
    data = calibrate()
    header = (
        "# Biomarker calibration (stride length m = c0 + c1 ROM_rad + c2 stride_time_s\n"
        "# + c3 ROM_rad stride_time_s;\n"
        "# knee ROM deg = k0 + k1 segment ROM deg),\n"
        "# written by python -m chip_sim.mobility.calibrate\n"
    )
    tmp = CALIBRATION.with_suffix(".tmp")
    tmp.write_text(header + yaml.safe_dump(data, sort_keys=False))
    tmp.replace(CALIBRATION)
    print(yaml.safe_dump(data, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
