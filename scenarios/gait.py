"""Cyclic gait: level walking (incl. crutches and limp), stairs and jogging, plus the two gait
perturbations (stumble, near-fall).

The instrumented leg's pose follows normative joint-angle curves over the gait phase (Perry &
Burnfield, Gait Analysis, sagittal hip and knee kinematics; keypoints read off the normative
curves, amplitudes scaled with speed by this project). Heel strikes of both legs are the truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import numpy as np
from scipy.interpolate import CubicSpline, PchipInterpolator

from scenarios import physiology as phys
from scenarios.model import Segment
from scenarios.motion import Context, Impact, Motion, bell

# Keypoints (gait phase %, degrees), phase 0 = ipsilateral heel strike.
HIP_FLEX = {
    "walk": [(0, 30), (10, 26), (30, 8), (50, -8), (60, -4), (70, 12), (85, 30), (92, 32)],
    "crutches": [(0, 22), (15, 18), (35, 8), (55, -2), (65, 2), (75, 12), (88, 22), (94, 23)],
    "stairs_up": [(0, 60), (30, 40), (60, 10), (75, 45), (88, 66), (95, 63)],
    "stairs_down": [(0, 10), (40, 15), (60, 30), (75, 35), (90, 20)],
    "jog": [(0, 35), (20, 20), (40, -10), (50, -12), (70, 25), (85, 45)],
}
KNEE_FLEX = {
    "walk": [(0, 4), (15, 18), (30, 10), (42, 5), (60, 38), (72, 62), (82, 45), (92, 12)],
    "crutches": [(0, 5), (15, 10), (40, 6), (62, 25), (75, 38), (85, 25), (94, 8)],
    "stairs_up": [(0, 60), (20, 45), (50, 10), (70, 75), (80, 92), (92, 72)],
    "stairs_down": [(0, 8), (20, 30), (45, 60), (60, 85), (75, 92), (90, 40)],
    "jog": [(0, 15), (12, 38), (35, 15), (50, 40), (70, 100), (85, 60)],
}
# Implant load over stance (u = 0..1 of stance), normalised to a peak of 1: the double-hump of
# joint contact and ground reaction forces (Kutzner 2010, Bergmann 2001 curve shapes).
STANCE_LOAD = {
    "double": [
        (0, 0.03),
        (0.06, 0.4),
        (0.17, 1.0),
        (0.33, 0.74),
        (0.5, 0.68),
        (0.72, 0.95),
        (0.85, 0.6),
        (0.95, 0.12),
        (1.0, 0.03),
    ],
    "single": [(0, 0.03), (0.08, 0.55), (0.16, 0.48), (0.45, 1.0), (0.8, 0.35), (1.0, 0.03)],
}
#: The closing step lands this long before the gait segment ends at the latest (the pose then
#: blends into standing), and at least MIN_CLOSING_STEP_S after the previous strike (a shorter
#: "step" is a shuffle, not a step; assumption).
CLOSING_STEP_MARGIN_S = 0.05
MIN_CLOSING_STEP_S = 0.25
#: The closing step is placed, not struck: half a walking heel strike's shock (assumption).
CLOSING_IMPACT = 0.5
CONTRA_IMPACT_SHARE = {"trunk": 1.0, "thigh": 0.35, "shank": 0.2}
SWING_FLOOR = {
    "knee": 0.12,
    "hip": 0.12,
    "limb": 0.0,
    "none": 0.0,
}  # fraction of peak, joint preload


@cache
def _periodic(kind: str, which: str) -> CubicSpline:
    pts = (HIP_FLEX if which == "hip" else KNEE_FLEX)[kind]
    x = np.array([p for p, _ in pts] + [100.0]) / 100.0
    y = np.deg2rad(np.array([v for _, v in pts] + [pts[0][1]]))
    return CubicSpline(x, y, bc_type="periodic")


@cache
def _stance_shape(kind: str) -> PchipInterpolator:
    pts = STANCE_LOAD[kind]
    return PchipInterpolator([p for p, _ in pts], [v for _, v in pts])


@dataclass(frozen=True)
class GaitSpec:
    kind: str  # key of the keypoint tables
    cadence_spm: float
    speed_mps: float  # forward speed of the pelvis
    stance: float  # stance fraction of the cycle
    amplitude: float  # joint-angle excursion scale (1 = normative)
    load_activity: str  # key of the peak-load tables
    load_scale: float  # multiplies the peak load (speed, partial weight bearing)
    load_shape: str
    impact_g: float  # ipsilateral heel-strike shock at the distal tibia, g
    climb_m_per_step: float = 0.0
    symmetry_index_pct: float = 0.0
    stride_cv: float = phys.STRIDE_CV_HEALTHY
    vertical_amp_m: float = 0.025
    flight: bool = False
    turn_deg: float = 0.0


def spec_for(seg: Segment, ctx: Context) -> GaitSpec:
    a = seg.activity
    p = ctx.patient
    impaired = p.impairment != "none"
    cv = phys.STRIDE_CV_IMPAIRED if impaired else phys.STRIDE_CV_HEALTHY
    if a in ("walk", "stumble", "near_fall"):
        v = seg.p("speed_mps")
        crutches = bool(seg.params.get("crutches", False)) or p.impairment in (
            "crutches",
            "early_post_op",
        )
        wb = seg.params.get("weight_bearing_pct", 100.0) / 100.0
        speed_gain = 1 + phys.LOAD_SPEED_SLOPE_PER_MPS * (v - phys.LOAD_REFERENCE_SPEED_MPS)
        return GaitSpec(
            kind="crutches" if crutches else "walk",
            cadence_spm=phys.walking_cadence_spm(v, crutches=crutches),
            speed_mps=v,
            stance=phys.stance_fraction(v, crutches=crutches),
            amplitude=float(np.clip(0.55 + 0.45 * v / phys.COMFORTABLE_SPEED_MPS, 0.5, 1.15)),
            load_activity="walk",
            load_scale=speed_gain * wb,
            load_shape="double",
            impact_g=(0.6 + 1.4 * v / phys.COMFORTABLE_SPEED_MPS) * (0.5 if crutches else 1.0),
            symmetry_index_pct=seg.params.get("symmetry_index_pct", 0.0),
            turn_deg=seg.params.get("turn_deg", 0.0),
            stride_cv=cv,
            vertical_amp_m=0.03 * min(v / phys.COMFORTABLE_SPEED_MPS, 1.3),
        )
    if a in ("stairs_up", "stairs_down"):
        up = a == "stairs_up"
        return GaitSpec(
            kind=a,
            cadence_spm=phys.STAIRS_CADENCE_SPM[a],
            speed_mps=0.45,
            stance=0.64,
            amplitude=1.0,
            load_activity=a,
            load_scale=seg.params.get("weight_bearing_pct", 100.0) / 100.0,
            load_shape="double",
            impact_g=1.0 if up else 2.2,
            climb_m_per_step=seg.p("step_height_m") * (1 if up else -1),
            stride_cv=cv,
            vertical_amp_m=0.02,
        )
    if a == "jog":
        v = seg.p("speed_mps")
        return GaitSpec(
            kind="jog",
            cadence_spm=phys.jogging_cadence_spm(v),
            speed_mps=v,
            stance=0.38,
            amplitude=1.0,
            load_activity="jog",
            load_scale=0.85 + 0.05 * v,
            load_shape="single",
            impact_g=4.0 + 1.0 * v,
            stride_cv=0.03,
            vertical_amp_m=0.08,
            flight=True,
        )
    raise ValueError(f"no gait for activity {a!r}")


def heel_strikes(
    spec: GaitSpec, duration_s: float, rng: np.random.Generator, ipsi_first: bool = True
):
    """Ipsilateral heel-strike times, the contralateral ones between them, the strides, and the
    time of the closing step (the last strike of one of the two lists; None without one)."""
    stride_s = 120.0 / spec.cadence_spm
    n = int(duration_s / stride_s) + 3
    # Stride-to-stride variability: AR(1) with persistence, as gait fluctuations are correlated.
    e = rng.standard_normal(n)
    ar = np.empty(n)
    ar[0] = e[0]
    for i in range(1, n):
        ar[i] = 0.5 * ar[i - 1] + np.sqrt(1 - 0.25) * e[i]
    strides = stride_s * (1 + spec.stride_cv * ar)
    start = 0.35 * stride_s if ipsi_first else 0.85 * stride_s  # first strike after gait initiation
    ipsi = start + np.concatenate(([0.0], np.cumsum(strides[:-1])))
    # SI = (R − L) / (0.5 (R + L)) × 100 on step times; a leg's step ends at its own heel strike.
    s = spec.symmetry_index_pct / 200.0
    contra_step = 0.5 * strides * (1 - s)  # contralateral step: ipsi strike → contra strike
    contra = ipsi + contra_step
    end_s = duration_s - 0.25 * stride_s
    keep_i, keep_c = ipsi < end_s, contra < end_s
    ipsi_out, contra_out = ipsi[keep_i], contra[keep_c]
    # Gait termination: the pelvis still travels after the last strike, so the leg then in the
    # air comes down beside the other one (the closing step, which gait references count as an
    # initial contact). It lands at its scheduled time or, when that lies beyond the segment, as
    # the gait fades out, CLOSING_STEP_MARGIN_S before the segment ends.
    first_i = ipsi[~keep_i][0] if (~keep_i).any() else np.inf
    first_c = contra[~keep_c][0] if (~keep_c).any() else np.inf
    closing = min(min(first_i, first_c), duration_s - CLOSING_STEP_MARGIN_S)
    last = max(
        ipsi_out[-1] if len(ipsi_out) else -np.inf, contra_out[-1] if len(contra_out) else -np.inf
    )
    if not (np.isfinite(last) and closing - last >= MIN_CLOSING_STEP_S):
        return ipsi_out, contra_out, strides, None
    if first_i < first_c:
        ipsi_out = np.append(ipsi_out, closing)
    else:
        contra_out = np.append(contra_out, closing)
    return ipsi_out, contra_out, strides, float(closing)


def render_gait(seg: Segment, ctx: Context, spec: GaitSpec | None = None) -> Motion:
    spec = spec or spec_for(seg, ctx)
    n = ctx.n_samples(seg.duration_s)
    t = ctx.t(n)
    ipsi, contra, strides, closing = heel_strikes(spec, seg.duration_s, ctx.rng)
    # The gait phase and the strides run on the full strides, without the closing step (unless it
    # is the instrumented leg's only strike).
    full = ipsi[ipsi != closing] if (ipsi != closing).any() else ipsi
    # Gait phase of the instrumented leg, continuous across strides (and before the first one).
    knots = np.concatenate(([full[0] - strides[0]], full, [full[-1] + strides[len(full) - 1]]))
    cycle = np.interp(t, knots, np.arange(len(knots)) - 1.0)
    phase = cycle - np.floor(cycle)

    # Gait initiation / termination: amplitudes and speed ramp over the first and last 0.6 s.
    ramp = np.clip(np.minimum(t, seg.duration_s - t) / 0.6, 0.0, 1.0)
    ramp = 0.5 * (1 - np.cos(np.pi * ramp))
    amp = spec.amplitude * ramp
    hip_flex = _periodic(spec.kind, "hip")(phase)
    knee_flex = _periodic(spec.kind, "knee")(phase)
    hip_mean = float(np.mean(_periodic(spec.kind, "hip")(np.linspace(0, 1, 200))))
    hip_flex = hip_mean * ramp + (hip_flex - hip_mean) * amp
    # Stair knee flexion is set by the step geometry, not by speed: only the ramp applies.
    knee_flex = knee_flex * (ramp if spec.kind.startswith("stairs") else amp)
    thigh = -hip_flex
    shank = thigh + knee_flex

    hip = np.zeros((n, 3))
    v = spec.speed_mps * ramp * (1 + 0.04 * np.cos(4 * np.pi * phase))
    hip[:, 0] = np.cumsum(v) / ctx.rate_hz
    hip[:, 1] = 0.02 * ramp * np.sin(2 * np.pi * phase)
    heading = np.zeros(n)
    if spec.turn_deg:
        heading, path_y = _turn_path(v, spec.turn_deg, ctx.rate_hz)
        hip[:, 0] = np.cumsum(v * np.cos(heading)) / ctx.rate_hz
        hip[:, 1] += path_y
    bob = -spec.vertical_amp_m * 0.5 * (1 + np.cos(4 * np.pi * phase))
    if spec.flight:
        bob = spec.vertical_amp_m * 0.5 * (1 - np.cos(4 * np.pi * (phase - spec.stance / 2)))
    hip[:, 2] = ctx.body.standing_hip_m - 0.02 * ramp + bob * ramp
    if spec.climb_m_per_step:
        # One step height per step, climbed at a rate that ramps with the gait.
        climb_mps = spec.climb_m_per_step * spec.cadence_spm / 60.0
        climb = np.cumsum(climb_mps * ramp) / ctx.rate_hz
        hip[:, 2] += climb
    yaw = heading + np.deg2rad(4.0) * ramp * np.sin(2 * np.pi * phase)
    trunk = np.deg2rad(4.0) * ramp + np.deg2rad(1.5) * ramp * np.sin(4 * np.pi * phase)

    # Load: stance of the instrumented leg, per-stride peak variability of 4 % (assumption).
    stride_idx = np.clip(np.floor(cycle).astype(int), 0, len(strides) - 1)
    stride_gain = 1 + 0.04 * np.clip(ctx.rng.standard_normal(len(strides)), -2.5, 2.5)
    u = phase / spec.stance
    shape = np.where(u <= 1.0, _stance_shape(spec.load_shape)(np.clip(u, 0, 1)), 0.0)
    floor = SWING_FLOOR[ctx.site.load_path]
    peak = ctx.peak_bw(spec.load_activity) * spec.load_scale
    stand = ctx.peak_bw("stand")
    load = peak * stride_gain[stride_idx] * (floor + (1 - floor) * shape)
    load = stand * (1 - ramp) + load * ramp

    m = Motion(
        thigh=thigh,
        shank=shank,
        trunk=trunk,
        roll=np.zeros(n),
        yaw=yaw,
        hip=hip,
        load_bw=load,
        floor_change_m=float(climb[-1]) if spec.climb_m_per_step else 0.0,
    )
    g = phys.G_MPS2
    for k, ts in enumerate(ipsi):
        gain = stride_gain[min(k, len(strides) - 1)] * (CLOSING_IMPACT if ts == closing else 1.0)
        peak = spec.impact_g * g * ctx.site.impact_gain * gain
        m.impacts.append(_heel_strike_impact(ctx, ts, peak))
        m.events.append((ts, "heel_strike", _leg(ctx, ipsilateral=True)))
    # Kinematic truth per stride of the instrumented leg (heel strike to its next one): the
    # pelvis's travel along its path over it, the stride length the biomarkers are judged against.
    x = np.cumsum(v) / ctx.rate_hz  # the path walked (= hip x on a straight bout, not in a turn)
    for a, b in pairwise(full):
        length_m = float(np.interp(b, t, x) - np.interp(a, t, x))
        m.events.append((a, "stride_length_m", round(length_m, 4)))
    for ts in contra:
        # The other leg's strike reaches the sensor through the pelvis: a trunk sensor feels both
        # legs alike, the operated leg's thigh and shank much less (assumption).
        share = CONTRA_IMPACT_SHARE[ctx.site.segment] * (CLOSING_IMPACT if ts == closing else 1.0)
        m.impacts.append(
            _heel_strike_impact(
                ctx, ts, share * spec.impact_g * g * ctx.site.impact_gain, (0.1, 0.0, 1.0)
            )
        )
        m.events.append((ts, "heel_strike", _leg(ctx, ipsilateral=False)))
    if ctx.site.gait_wobble_mps2:
        m.impacts.extend(_wobble(ctx, seg.duration_s, ramp))
    m.labels.append((0.0, seg.duration_s, seg.activity))
    return m


def _heel_strike_impact(
    ctx: Context, t_s: float, peak_mps2: float, direction=(0.25, 0.0, 1.0)
) -> Impact:
    """A heel strike's shock as the site feels it: ``peak_mps2`` is the 20 ms pulse's, the site
    widens it and scales its peak (Site.heel_strike_duration_s, heel_strike_peak_factor)."""
    site = ctx.site
    if site.heel_strike_jitter_s:  # drawn only when set, so other sites' renders stay as they were
        t_s += site.heel_strike_jitter_s * float(np.clip(ctx.rng.standard_normal(), -2.5, 2.5))
    return Impact(
        t_s, peak_mps2 * site.heel_strike_peak_factor, direction, site.heel_strike_duration_s
    )


#: Wobble pulses: random times (Poisson, this rate), widths, signs and directions.
WOBBLE_RATE_HZ = 20.0
WOBBLE_WIDTH_S = (1 / 30, 1 / 6)  # half-sines of 33-167 ms: 3-15 Hz


def _wobble(ctx: Context, duration_s: float, ramp: np.ndarray) -> list[Impact]:
    """Random pulses of Site.gait_wobble_mps2 RMS peak while walking, faded in and out with the
    gait's ramp (drawn from the scenario's generator, so seeded like everything else)."""
    rng = ctx.rng
    n = rng.poisson(WOBBLE_RATE_HZ * duration_s)
    t = np.sort(rng.uniform(0, duration_s, n))
    width = rng.uniform(*WOBBLE_WIDTH_S, n)
    gain = np.interp(t, np.arange(len(ramp)) / ctx.rate_hz, ramp)
    peak = ctx.site.gait_wobble_mps2 * rng.standard_normal(n) * gain
    dirs = rng.standard_normal((n, 3))
    return [
        Impact(float(a), float(p), tuple(float(x) for x in d), float(w))
        for a, p, d, w in zip(t, peak, dirs, width, strict=True)
    ]


#: A turn spans at least this much walked path, longer for larger turns (180° turns take
#: 3-5 steps; Mobilise-D turn definitions, Pham 2017: turns of 90-180° over 2-4 steps).
TURN_PATH_M = 1.2


def _turn_path(v: np.ndarray, turn_deg: float, rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Heading (rad) and lateral path (m) of a bout that turns by ``turn_deg`` a third of the way
    along and back two thirds of the way: the heading and the lateral position return to the
    start's, so the next segment joins without a jump (the generator keeps no world heading)."""
    dist = np.cumsum(v) / rate_hz
    total = max(float(dist[-1]), 1e-9)
    length = min(max(TURN_PATH_M, TURN_PATH_M * turn_deg / 180.0), total / 3)

    def smooth(x: np.ndarray) -> np.ndarray:
        return 0.5 * (1 - np.cos(np.pi * np.clip(x, 0.0, 1.0)))

    turn = np.deg2rad(turn_deg)
    heading = turn * (
        smooth((dist - (total / 3 - length / 2)) / length)
        - smooth((dist - (2 * total / 3 - length / 2)) / length)
    )
    y = np.cumsum(v * np.sin(heading)) / rate_hz
    return heading, y - y[-1] * smooth(dist / total)


def _leg(ctx: Context, *, ipsilateral: bool) -> float:
    """Truth value of a heel strike: 1 = right leg, 0 = left leg."""
    right = ctx.patient.instrumented_side == "right"
    return 1.0 if right == ipsilateral else 0.0


def render_stumble(seg: Segment, ctx: Context) -> Motion:
    """A trip: the swing foot is arrested at mid-segment, a fast recovery step lands hard and
    takes a load far above walking (hip 720–870 %BW, Bergmann 2001), walking then continues."""
    m = render_gait(seg, ctx)
    t = ctx.t(m.n)
    strikes = np.array(sorted(ts for ts, kind, _ in m.events if kind == "heel_strike"))
    mid = (
        strikes[np.argmin(np.abs(strikes - seg.duration_s / 2))]
        if len(strikes)
        else seg.duration_s / 2
    )
    trip = mid - 0.25
    # Arrested swing: shank pushed back, trunk pitched forward, recovery in ≈0.8 s.
    w = bell(t, trip + 0.15, 0.12)
    m.shank -= np.deg2rad(25) * w
    m.trunk += np.deg2rad(22) * bell(t, trip + 0.3, 0.22)
    m.hip[:, 2] -= 0.05 * bell(t, trip + 0.35, 0.15)
    stumble_peak = ctx.peak_bw("stumble")
    m.load_bw = np.maximum(m.load_bw, stumble_peak * bell(t, mid + 0.05, 0.05))
    m.impacts.append(
        Impact(mid + 0.02, 3.5 * phys.G_MPS2 * ctx.site.impact_gain / 0.8, duration_s=0.025)
    )
    m.events.append((trip, "stumble", 0.0))
    m.labels = [(0.0, seg.duration_s, "stumble")]
    return m


def render_near_fall(seg: Segment, ctx: Context) -> Motion:
    """Loss of balance with a large trunk excursion and rapid corrective steps; no impact with
    the floor and the person walks on (fall look-alike)."""
    m = render_gait(seg, ctx)
    t = ctx.t(m.n)
    t0 = seg.duration_s * 0.45
    m.trunk += np.deg2rad(28) * bell(t, t0 + 0.35, 0.25)
    m.roll += np.deg2rad(14) * bell(t, t0 + 0.3, 0.2)
    m.hip[:, 2] -= 0.08 * bell(t, t0 + 0.4, 0.18)
    m.hip[:, 1] += 0.12 * bell(t, t0 + 0.35, 0.25)
    m.impacts.append(
        Impact(t0 + 0.55, 2.8 * phys.G_MPS2 * ctx.site.impact_gain / 0.8, duration_s=0.03)
    )
    m.events.append((t0, "near_fall", 0.0))
    m.labels = [(0.0, seg.duration_s, "near_fall")]
    return m
