"""The truth a bout's biomarkers are judged against, from the scenario's rendering: heel strikes
per leg, stride lengths (pelvis travel per stride of the instrumented leg), knee flexion and the
instrumented segment's sagittal pitch over time. Same definitions as the estimates."""

from __future__ import annotations

import itertools

import numpy as np

from chip_sim.mobility.estimate import BOUT_DTYPE, step_time_si_pct
from scenarios.generator import Rendering
from scenarios.sites import SITES

MARGIN_S = 0.3  # chip step decisions lag heel strikes by < 150 ms; strikes this close count


def bout_truth(r: Rendering, start_s: float, end_s: float) -> np.void:
    """BOUT_DTYPE row of the truth between a bout's first and last step decision."""
    p = r.scenario.patient
    right = p.instrumented_side == "right"
    hs = r.events_of("heel_strike")
    hs = hs[(hs["t_s"] >= start_s - MARGIN_S) & (hs["t_s"] <= end_s)]
    t, leg = hs["t_s"], hs["value"]
    mine = (leg == 1.0) if right else (leg == 0.0)
    row = np.zeros((), dtype=BOUT_DTYPE)
    row["start_s"], row["end_s"], row["steps"] = start_s, end_s, len(t)
    row["cadence_spm"] = 60.0 * (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 else np.nan
    strikes = t[mine]
    sl = r.events_of("stride_length_m")
    sl = sl[np.isin(np.round(sl["t_s"], 9), np.round(strikes[:-1], 9))]
    stride_s = np.diff(strikes)[: len(sl)] if len(sl) else np.zeros(0)
    row["stride_time_s"] = float(np.median(np.diff(strikes))) if len(strikes) > 1 else np.nan
    row["stride_length_m"] = float(np.mean(sl["value"])) if len(sl) else np.nan
    row["speed_mps"] = float(np.sum(sl["value"]) / np.sum(stride_s)) if len(sl) else np.nan
    row["distance_m"] = float(np.sum(sl["value"])) if len(sl) else np.nan
    knee = r.knee_flex_deg
    segment = SITES[p.implant_site].segment
    pitch = r.shank_pitch_deg if segment == "shank" else r.shank_pitch_deg - knee
    seg_rom, knee_rom = [], []
    for a, b in itertools.pairwise(strikes):
        i, j = round(a * r.rate_hz), round(b * r.rate_hz) + 1
        seg_rom.append(float(np.ptp(pitch[i:j])))
        knee_rom.append(float(np.ptp(knee[i:j])))
    row["segment_rom_deg"] = float(np.median(seg_rom)) if seg_rom else np.nan
    row["knee_rom_deg"] = float(np.median(knee_rom)) if knee_rom else np.nan
    row["symmetry_index_pct"] = step_time_si_pct(t, np.where(mine, 1, -1), p.instrumented_side)
    return row
