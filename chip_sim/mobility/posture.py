"""Time walking, standing, sitting and lying per day (issue 8), from a once-a-minute posture
sample the implant keeps, judged against the scenario's truth at the same instants.

Recording policy (a firmware assumption of this project, like ``recording.py``'s; not an ICD
feature): once every ``SAMPLE_INTERVAL_S`` (60 s) the implant keeps one posture sample — the mean
of the accelerometer codes over ``WINDOW_S`` (1 s: the gravity direction), the standard deviation
of |acc| over that second, and whether the chip was inside a walking bout at the middle of that
second (a bout spans the steps its WALK_END counts, ± ``BOUT_PAD_S``: the STEP events are
recorded, so a bout is known back to its first step once it ends). Sample k covers the minute
[k · 60 s, (k + 1) · 60 s) and its window is that minute's first second.

Classification (``classify``), in this order:

1. inside a walking bout → walking (every site: the chip's own decision);
2. |mean acc| more than ``G_TOL`` from 1 g, or the |acc| deviation above ``MOVING_SD_MG`` (a
   transition, a fall, steps outside a qualified bout) → unknown;
3. the segment's inclination from vertical (gravity in the segment frame: x forward, y left,
   z along the segment) and, when it is horizontal, the roll of gravity about the segment axis
   (face up: gravity on +x; prone: −x; on a side: ±y), by the site's rule (``RULES``).

What each segment can tell apart on gravity alone (``RULES``; the label set and its members in
``MEMBERS``): a shank is vertical when standing *and* sitting (a low chair tilts it < 50°), so a
shank implant reports "upright" (standing or sitting) and "lying" (shank near horizontal; legs
stretched out on a sofa or bed would read as lying — not in the scenario library). A thigh is
vertical standing and horizontal both sitting and lying on the back (gravity on +x in both, the
seated thigh ≈ 7° above horizontal in the generator, a supine one ≈ 0°: no honest threshold), so
it reports "standing", "sitting_or_lying" (face up) and "lying" (prone or on a side: gravity on
−x or ±y, which a seated thigh never shows). A trunk leans a few degrees more or less sitting
than standing (3° forward vs 5° back in the generator, far less than real postures vary): it
reports "upright" and "lying". Between the upright and horizontal bands, or a segment upside down,
→ unknown. No site guesses between classes it cannot separate.

Truth (``true_labels``): the rendering's activity at the middle of each sample's window: walk,
stairs, jog → walking; stand, weight shift → standing; sit → sitting; lie, long lie → lying;
transitions, falls, stumbles, jumps → "other" (seconds long; not judged, their minutes shown
apart).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from chip_sim.afe import to_physical
from chip_sim.icd import EventCode
from chip_sim.mobility.recording import ACC
from scenarios.kinematics import mount_matrix
from scenarios.sites import SITES

SAMPLE_INTERVAL_S = 60.0  # assumption: one posture sample a minute
WINDOW_S = 1.0  # the sample's accelerometer mean is over one second
MOVING_SD_MG = 60.0  # sd of |acc| over the second above this: moving (quiet: 2–5 mg median)
BOUT_PAD_S = 0.5  # a bout spans its counted steps and this margin either side
G_TOL = 0.15  # |mean acc| within 15 % of 1 g: the mean is the gravity direction

SAMPLE_DTYPE = np.dtype(
    [
        ("t_s", "f8"),
        ("acc_mean_mg", "f8", (3,)),
        ("acc_sd_mg", "f8"),
        ("walking", "?"),
        ("moving", "?"),
    ]
)

#: The truth's classes; "other" (transitions, falls) is not judged.
CLASSES = ("walking", "standing", "sitting", "lying")
#: Every label ``classify`` can give → the true classes it stands for.
MEMBERS: dict[str, tuple[str, ...]] = {
    **{c: (c,) for c in CLASSES},
    "upright": ("standing", "sitting"),
    "sitting_or_lying": ("sitting", "lying"),
    "unknown": (),
}
LABELS = tuple(MEMBERS)

TRUTH_CLASS = {
    "walk": "walking",
    "stairs_up": "walking",
    "stairs_down": "walking",
    "jog": "walking",
    "stand": "standing",
    "weight_shift": "standing",
    "sit": "sitting",
    "lie": "lying",
    "long_lie": "lying",
}


@dataclass(frozen=True)
class SiteRule:
    """Inclination bands of a segment (deg from vertical) and the labels they give."""

    upright_max_deg: float  # inclination up to this: ``upright_label``
    horizontal_min_deg: float  # from this to 180 − it: horizontal (lying or, face up, see below)
    upright_label: str
    face_up_label: str  # horizontal with gravity on +x (roll within 45°)
    #: The partition of the true classes this site separates (minutes are compared per group).
    groups: tuple[tuple[str, ...], ...]


RULES: dict[str, SiteRule] = {
    "shank": SiteRule(
        60.0, 70.0, "upright", "lying", (("walking",), ("standing", "sitting"), ("lying",))
    ),
    "thigh": SiteRule(
        35.0,
        60.0,
        "standing",
        "sitting_or_lying",
        (("walking",), ("standing",), ("sitting", "lying")),
    ),
    "trunk": SiteRule(
        45.0, 60.0, "upright", "lying", (("walking",), ("standing", "sitting"), ("lying",))
    ),
}
#: The library site standing for each segment when a scenario is re-rendered for another group.
GROUP_SITE = {"shank": "knee_tibial_tray", "thigh": "hip_stem", "trunk": "lower_back"}


def _bout_mask(events: np.ndarray, n: int, rate_hz: float) -> np.ndarray:
    """True for each stream sample inside a walking bout of the chip: from ``BOUT_PAD_S`` before
    the first of the steps its WALK_END counts to ``BOUT_PAD_S`` after the last (the STEP events
    are recorded, so the bout is known back to its first step once it ends)."""
    step_i = np.sort(events["stream_index"][events["code"] == int(EventCode.STEP)])
    ends = events[events["code"] == int(EventCode.WALK_END)]
    pad = round(BOUT_PAD_S * rate_hz)
    edges = np.zeros(n + 1, dtype=np.int64)
    for e in ends:
        mine = step_i[step_i <= int(e["stream_index"])][-max(1, int(e["value"])) :]
        if len(mine):
            edges[max(0, int(mine[0]) - pad)] += 1
            edges[min(n, int(mine[-1]) + pad + 1)] -= 1
    return np.cumsum(edges[:n]) > 0


def posture_samples(
    codes: np.ndarray,
    events: np.ndarray,
    rate_hz: float,
    *,
    interval_s: float = SAMPLE_INTERVAL_S,
    window_s: float = WINDOW_S,
) -> np.ndarray:
    """The posture samples (SAMPLE_DTYPE) the implant keeps from the ICD ``codes`` (N, 8) and the
    chip's ``events``: one per ``interval_s`` whose ``window_s`` window fits in the record."""
    step, w = round(interval_s * rate_hz), round(window_s * rate_hz)
    n = len(codes)
    starts = np.arange(0, n - w + 1, step) if n >= w else np.zeros(0, dtype=int)
    acc = to_physical(codes[starts[:, None] + np.arange(w)], ACC)  # (k, w, 3)
    mag = np.linalg.norm(acc, axis=2)
    out = np.zeros(len(starts), dtype=SAMPLE_DTYPE)
    out["t_s"] = starts / rate_hz
    out["acc_mean_mg"] = acc.mean(axis=1) if len(starts) else np.zeros((0, 3))
    out["acc_sd_mg"] = mag.std(axis=1) if len(starts) else 0.0
    out["walking"] = _bout_mask(events, n, rate_hz)[starts + w // 2]
    out["moving"] = out["acc_sd_mg"] > MOVING_SD_MG
    return out


def classify(
    samples: np.ndarray,
    implant_site: str,
    sensor_orientation_deg: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> np.ndarray:
    """A label (one of ``LABELS``) per posture sample, by the rule of the site's segment."""
    rule = RULES[SITES[implant_site].segment]
    g = samples["acc_mean_mg"] @ mount_matrix(*sensor_orientation_deg).T  # segment frame
    norm = np.linalg.norm(g, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        incl = np.degrees(np.arccos(np.clip(g[:, 2] / norm, -1.0, 1.0)))
    roll = np.degrees(np.arctan2(g[:, 1], g[:, 0]))
    out = np.full(len(samples), "unknown", dtype="U16")
    out[incl <= rule.upright_max_deg] = rule.upright_label
    horizontal = (incl >= rule.horizontal_min_deg) & (incl <= 180.0 - rule.horizontal_min_deg)
    out[horizontal] = "lying"
    out[horizontal & (np.abs(roll) <= 45.0)] = rule.face_up_label
    still = (np.abs(norm - 1000.0) <= G_TOL * 1000.0) & ~samples["moving"]
    out[~still] = "unknown"
    out[samples["walking"]] = "walking"
    return out


def daily_times(labels: np.ndarray, interval_s: float = SAMPLE_INTERVAL_S) -> dict[str, float]:
    """Minutes per label (every label of ``LABELS``, and "other" if present): each sample stands
    for its ``interval_s``."""
    keys = list(LABELS) + (["other"] if np.any(labels == "other") else [])
    return {k: float(np.sum(labels == k)) * interval_s / 60.0 for k in keys}


def true_labels(rendering, t_s: np.ndarray, window_s: float = WINDOW_S) -> np.ndarray:
    """The true class (``CLASSES`` or "other") at the middle of each sample's window."""
    segs = rendering.segments
    mid = np.asarray(t_s) + window_s / 2
    i = np.clip(np.searchsorted(segs["t_start_s"], mid, side="right") - 1, 0, len(segs) - 1)
    return np.array([TRUTH_CLASS.get(str(a), "other") for a in segs["activity"][i]], dtype="U16")


# --- accuracy on the library -------------------------------------------------------------------


def compatible(est: np.ndarray, true: np.ndarray) -> np.ndarray:
    """True where the estimated label stands for the true class (merged labels included)."""
    return np.array([t in MEMBERS[e] for e, t in zip(est, true, strict=True)], dtype=bool)


def with_site(scenario, group: str):
    """The scenario with its implant on the segment ``group`` (its own site if already there)."""
    if SITES[scenario.patient.implant_site].segment == group:
        return scenario
    return replace(scenario, patient=replace(scenario.patient, implant_site=GROUP_SITE[group]))


def scenario_postures(
    name: str, seed: int, group: str, interval_s: float
) -> tuple[np.ndarray, np.ndarray, str]:
    """(estimated labels, true classes, implant site) of a library scenario."""
    from chip_sim.pipeline import run_scenario
    from scenarios import library

    sc = with_site(library.load(name), group)
    run = run_scenario(sc, seed)
    s = posture_samples(run.codes.codes, run.output.events, run.rate_hz, interval_s=interval_s)
    p = sc.patient
    est = classify(s, p.implant_site, p.sensor_orientation_deg)
    return est, true_labels(run.rendering, s["t_s"]), p.implant_site


def agreement(est: np.ndarray, true: np.ndarray, group: str, interval_s: float) -> dict:
    """Agreement on the judged samples (truth not "other"): overall and per true class (with the
    shares left unknown and given wrong), and minutes per separable group, estimated vs true."""
    judged = true != "other"
    ok = compatible(est, true)
    unknown = est == "unknown"
    row: dict = {
        "n": int(judged.sum()),
        "agree": float(ok[judged].mean()) if judged.any() else float("nan"),
        "unknown": float(unknown[judged].mean()) if judged.any() else float("nan"),
        "wrong": float((~ok & ~unknown)[judged].mean()) if judged.any() else float("nan"),
        "per_class": {},
        "minutes": {},
    }
    for c in CLASSES:
        m = true == c
        if m.any():
            row["per_class"][c] = (int(m.sum()), float(ok[m].mean()))
    k = interval_s / 60.0
    for grp in RULES[group].groups:
        e = sum(
            float(np.sum(est == lab))
            for lab in LABELS
            if MEMBERS[lab] and set(MEMBERS[lab]) <= set(grp)
        )
        t = float(np.isin(true, grp).sum())
        row["minutes"]["/".join(grp)] = (e * k, t * k)
    row["minutes"]["unknown"] = (float(unknown.sum()) * k, 0.0)
    row["minutes"]["other"] = (0.0, float((~judged).sum()) * k)
    return row


SHORT = (
    "sit_stand_transitions",
    "lookalike_lie_down",
    "fall_forward",
    "fall_backward",
    "fall_sideways",
)
LONG = ("daily_living_morning", "daily_living_day")


def interval_for(name: str) -> float:
    """The firmware's 60 s for day-long scenarios; scenarios shorter than an hour are sampled
    every second instead (same classifier, more instants judged: a 50 s scenario holds no
    minute sample)."""
    from scenarios import library

    return SAMPLE_INTERVAL_S if library.load(name).duration_s >= 3600 else 1.0


def posture_table(
    names=SHORT + LONG, seeds=(1, 2), groups=("shank", "thigh", "trunk"), *, echo: bool = True
) -> list[dict]:
    """Agreement and minutes per class, estimated vs true, per scenario and site group (seeds
    pooled); printed unless ``echo`` is false."""
    rows = []
    for name in names:
        interval = interval_for(name)
        for group in groups:
            est, true, sites = [], [], set()
            for seed in seeds:
                e, t, site = scenario_postures(name, seed, group, interval)
                est.append(e)
                true.append(t)
                sites.add(site)
            row = agreement(np.concatenate(est), np.concatenate(true), group, interval)
            row.update(
                scenario=name, group=group, site="/".join(sorted(sites)), interval_s=interval
            )
            rows.append(row)
    if echo:
        print(format_posture_table(rows, len(seeds)))
    return rows


def format_posture_table(rows: list[dict], n_seeds: int = 1) -> str:
    lines = [
        f"{'scenario':<22}{'site':<18}{'every':>6}{'n':>6}{'agree':>7}{'unkn':>6}{'wrong':>6}"
        "  per class (n, agree) | minutes est/true (seeds summed)"
    ]
    for r in rows:
        pc = " ".join(f"{c}({n}) {a:.0%}" for c, (n, a) in r["per_class"].items())
        mins = " ".join(f"{g} {e:.0f}/{t:.0f}" for g, (e, t) in r["minutes"].items())
        mins = mins if r["interval_s"] >= SAMPLE_INTERVAL_S else "—"
        lines.append(
            f"{r['scenario']:<22}{r['site']:<18}{r['interval_s']:>5g}s{r['n']:>6}"
            f"{r['agree']:>7.1%}{r['unknown']:>6.1%}{r['wrong']:>6.1%}  {pc} | {mins}"
        )
    return "\n".join(lines)
