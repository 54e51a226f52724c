"""Postures, transitions and single events: stand, sit, lie, weight shift, sit-to-stand and
stand-to-sit, falls with a long lie, and the fall look-alikes (hard sit-down, lying down quickly,
jump)."""

from __future__ import annotations

import numpy as np

from scenarios import physiology as phys
from scenarios.model import Segment
from scenarios.motion import Context, Impact, Motion, bell, min_jerk, sitting_pose

LYING_HIP_M = 0.12
#: Postural load as a fraction of standing load (assumption): sitting unloads the leg, lying more.
SIT_LOAD_OF_STAND = 0.2
LIE_LOAD_OF_STAND = 0.08
G = phys.G_MPS2


def lying_angles(posture: str) -> tuple[float, float]:
    """(pitch, roll) of a lying body: supine faces up, prone down, left/right on that side."""
    return {
        "supine": (-np.pi / 2, 0.0),
        "prone": (np.pi / 2, 0.0),
        "right": (0.0, np.pi / 2),
        "left": (0.0, -np.pi / 2),
    }[posture]


def _sway(ctx: Context, n: int, amp_rad: float) -> np.ndarray:
    """Slow postural sway (0.1–0.5 Hz): a few random sinusoids, cheap for hours of signal."""
    t = ctx.t(n)
    out = np.zeros(n)
    for _ in range(3):
        f = ctx.rng.uniform(0.1, 0.5)
        out += amp_rad / 3 * np.sin(2 * np.pi * f * t + ctx.rng.uniform(0, 2 * np.pi))
    return out


def _upright(ctx: Context, n: int) -> Motion:
    """Standing upright, still, with the usual slight forward trunk lean."""
    return Motion.still(
        n,
        thigh=0.0,
        shank=0.0,
        trunk=np.deg2rad(3),
        hip_z=ctx.body.standing_hip_m,
        load_bw=ctx.peak_bw("stand"),
    )


def render_stand(seg: Segment, ctx: Context) -> Motion:
    n = ctx.n_samples(seg.duration_s)
    m = _upright(ctx, n)
    sway = _sway(ctx, n, np.deg2rad(0.8))
    m.thigh += sway
    m.shank += sway
    m.trunk += sway
    m.load_bw *= 1 + 4 * sway  # weight moves between the legs with the sway
    m.labels.append((0.0, seg.duration_s, "stand"))
    return m


def render_weight_shift(seg: Segment, ctx: Context) -> Motion:
    """Standing, then leaning onto the instrumented leg to a given foot load and back."""
    m = render_stand(seg, ctx)
    t = ctx.t(m.n)
    ramp_s = min(0.5, seg.duration_s / 4)
    w = min_jerk(t / ramp_s) * min_jerk((seg.duration_s - t) / ramp_s)
    target = ctx.peak_bw("one_leg_stance") * seg.p("foot_load_pct_bw") / 100.0
    m.load_bw = m.load_bw * (1 - w) + target * w
    m.roll += np.deg2rad(4) * w
    m.labels = [(0.0, seg.duration_s, "weight_shift")]
    return m


def seated_pose(
    ctx: Context, chair_height_m: float, knee_flex_deg: float | None = None
) -> tuple[float, float, float]:
    """(thigh pitch, shank pitch, hip height) seated. With ``knee_flex_deg`` the instrumented
    knee takes that flexion: the thigh rests on the seat as before and the foot is drawn back
    under it (more flexion) or pushed forward, as a stiff knee makes a patient sit and rise. The
    truth ``knee_flex_deg`` of the rendering is then exactly this value while seated."""
    thigh, shank, hip_z = sitting_pose(ctx.body, chair_height_m)
    if knee_flex_deg is not None:
        shank = thigh + float(np.deg2rad(knee_flex_deg))
    return thigh, shank, hip_z


def render_sit(seg: Segment, ctx: Context) -> Motion:
    n = ctx.n_samples(seg.duration_s)
    thigh, shank, hip_z = seated_pose(ctx, seg.p("chair_height_m"), seg.params.get("knee_flex_deg"))
    m = Motion.still(
        n,
        thigh=thigh,
        shank=shank,
        trunk=np.deg2rad(-5),
        hip_z=hip_z,
        load_bw=ctx.peak_bw("stand") * SIT_LOAD_OF_STAND,
    )
    m.trunk += _sway(ctx, n, np.deg2rad(1.5))
    fidget = _sway(ctx, n, np.deg2rad(2.0))  # fidgeting legs
    # A knee held at a set flexion (its day's limit, in a recovery course) only fidgets straighter.
    m.shank += fidget if seg.params.get("knee_flex_deg") is None else -np.abs(fidget)
    m.labels.append((0.0, seg.duration_s, "sit"))
    return m


def render_lie(seg: Segment, ctx: Context, posture: str | None = None) -> Motion:
    n = ctx.n_samples(seg.duration_s)
    pitch, roll = lying_angles(posture or seg.p("posture"))
    m = Motion.still(
        n,
        thigh=pitch,
        shank=pitch,
        trunk=pitch,
        roll=roll,
        hip_z=LYING_HIP_M,
        load_bw=ctx.peak_bw("stand") * LIE_LOAD_OF_STAND,
    )
    breathing = np.deg2rad(0.3) * np.sin(2 * np.pi * 0.25 * ctx.t(n))
    m.trunk += breathing
    m.labels.append((0.0, seg.duration_s, "lie"))
    return m


def _transition(
    ctx: Context,
    n: int,
    *,
    to_stand: bool,
    chair_m: float,
    move_s: float,
    activity: str,
    knee_flex_deg: float | None = None,
) -> Motion:
    """Sit-to-stand (or its reverse) with a minimum-jerk path and a forward trunk lean."""
    t = ctx.t(n)
    t0 = (n / ctx.rate_hz - move_s) / 2
    x = min_jerk((t - t0) / move_s)
    s = x if to_stand else 1 - x  # 0 = sitting, 1 = standing
    thigh_s, shank_s, hip_s = seated_pose(ctx, chair_m, knee_flex_deg)
    thigh = thigh_s * (1 - s)
    shank = shank_s * (1 - s)
    hip = np.zeros((n, 3))
    hip[:, 2] = hip_s + (ctx.body.standing_hip_m - hip_s) * s
    hip[:, 0] = 0.25 * s  # the body moves over the feet
    # Trunk flexes forward ≈40° to bring the centre of mass over the feet at seat-off (≈40 % in).
    lean = bell(t, t0 + move_s * (0.35 if to_stand else 0.6), move_s * 0.22)
    trunk = np.deg2rad(-5) * (1 - s) + np.deg2rad(3) * s + np.deg2rad(40) * lean
    # Low seats need more knee flexion and more load (assumption: +15 % at 0.35 m).
    low_gain = 1 + max(0.0, 0.45 - chair_m) * 1.5
    peak = ctx.peak_bw("sit_to_stand" if to_stand else "stand_to_sit") * low_gain
    sit_load = ctx.peak_bw("stand") * SIT_LOAD_OF_STAND
    base = sit_load + (ctx.peak_bw("stand") - sit_load) * s
    load = np.maximum(
        base, peak * bell(t, t0 + move_s * (0.4 if to_stand else 0.65), move_s * 0.15)
    )
    m = Motion(
        thigh=thigh,
        shank=shank,
        trunk=trunk,
        roll=np.zeros(n),
        yaw=np.zeros(n),
        hip=hip,
        load_bw=load,
    )
    m.events.append((t0 + move_s * 0.5, activity, 0.0))
    m.labels.append((0.0, n / ctx.rate_hz, activity))
    return m


def _render_transition(seg: Segment, ctx: Context, *, to_stand: bool) -> Motion:
    chair = seg.p("chair_height_m")
    # Low seats take longer (+0.4 s per 10 cm below a standard 0.45 m seat, assumption).
    move_s = min(seg.duration_s * 0.8, (1.6 if to_stand else 1.8) + max(0.0, 0.45 - chair) * 4)
    return _transition(
        ctx,
        ctx.n_samples(seg.duration_s),
        to_stand=to_stand,
        chair_m=chair,
        move_s=move_s,
        activity=seg.activity,
        knee_flex_deg=seg.params.get("knee_flex_deg"),
    )


def render_sit_to_stand(seg: Segment, ctx: Context) -> Motion:
    return _render_transition(seg, ctx, to_stand=True)


def render_stand_to_sit(seg: Segment, ctx: Context) -> Motion:
    return _render_transition(seg, ctx, to_stand=False)


def render_hard_sit(seg: Segment, ctx: Context) -> Motion:
    """Dropping onto a seat: the last 15 cm are nearly free fall, stopped by the seat in ≈40 ms."""
    n = ctx.n_samples(seg.duration_s)
    move_s = 1.0
    m = _transition(
        ctx, n, to_stand=False, chair_m=seg.p("chair_height_m"), move_s=move_s, activity="hard_sit"
    )
    t = ctx.t(n)
    t0 = (seg.duration_s - move_s) / 2
    t_hit = t0 + move_s * 0.85
    m.impacts.append(Impact(t_hit, 3.2 * G * trunk_gain(ctx), (0.0, 0.0, 1.0), 0.04))
    m.load_bw = np.maximum(m.load_bw, 0.6 * ctx.peak_bw("stand_to_sit") * bell(t, t_hit, 0.03))
    m.events = [(t_hit, "hard_sit_impact", 0.0)]
    m.labels = [(0.0, seg.duration_s, "hard_sit")]
    return m


def trunk_gain(ctx: Context) -> float:
    """Seat and floor impacts hit the pelvis: thigh and trunk sensors feel them, the shank less."""
    return {"trunk": 1.0, "thigh": 0.8, "shank": 0.35}[ctx.site.segment]


def render_lie_down_fast(seg: Segment, ctx: Context) -> Motion:
    """Lying down quickly but controlled (onto a bed or sofa): large rotation, no hard impact."""
    n = ctx.n_samples(seg.duration_s)
    t = ctx.t(n)
    pitch, roll = lying_angles(seg.p("posture"))
    move_s = 1.2
    t0 = 0.5
    x = min_jerk((t - t0) / move_s)
    m = Motion.still(
        n,
        thigh=0.0,
        shank=0.0,
        trunk=0.0,
        hip_z=ctx.body.standing_hip_m,
        load_bw=ctx.peak_bw("stand"),
    )
    for arr in (m.thigh, m.shank, m.trunk):
        arr[:] = pitch * x
    m.roll[:] = roll * x
    bed_hip = 0.55  # onto a bed: the pelvis stops at mattress height
    m.hip[:, 2] = ctx.body.standing_hip_m + (bed_hip - ctx.body.standing_hip_m) * x
    m.load_bw = ctx.peak_bw("stand") * (1 - x) + ctx.peak_bw("stand") * LIE_LOAD_OF_STAND * x
    m.impacts.append(Impact(t0 + move_s * 0.95, 1.2 * G * trunk_gain(ctx), (1.0, 0.0, 0.0), 0.08))
    m.events.append((t0 + move_s, "lie_down", 0.0))
    m.labels.append((0.0, seg.duration_s, "lie_down_fast"))
    return m


def render_jump(seg: Segment, ctx: Context) -> Motion:
    """Countermovement jump: crouch, push-off, flight of the given height, landing absorbed by
    the legs in ≈0.1 s, then standing (fall look-alike with a hard impact)."""
    n = ctx.n_samples(seg.duration_s)
    t = ctx.t(n)
    h = seg.p("height_m")
    v0 = np.sqrt(2 * G * h)  # take-off speed for a flight apex of h
    flight_s = 2 * v0 / G
    t_c0, push_s, land_s = 0.6, 0.6, 0.1
    t_off = t_c0 + push_s
    t_land = t_off + flight_s
    # Vertical pelvis velocity, piecewise: countermovement down then up to v0; ballistic flight;
    # landing decelerates from −v0 to 0 (sharpest at touch-down).
    x = np.clip((t - t_c0) / push_s, 0.0, 1.0)
    v = np.where(t < t_off, v0 * min_jerk(x) - 0.6 * np.sin(np.pi * x) * (t >= t_c0), 0.0)
    v = np.where((t >= t_off) & (t < t_land), v0 - G * (t - t_off), v)
    xl = np.clip((t - t_land) / land_s, 0.0, 1.0)
    v = np.where(t >= t_land, -v0 * (1 - np.sin(np.pi / 2 * xl)), v)
    z = np.cumsum(v) / ctx.rate_hz
    # The landing crouch recovers to upright stance over 0.8 s.
    z -= z[-1] * min_jerk((t - t_land - land_s) / 0.8)
    # Knee flexion follows the pelvis drop (≈60° for a 20 cm squat); smooth, so no kink in rate.
    crouch = np.sqrt(np.minimum(z, 0.0) ** 2 + 1e-4) - 1e-2
    knee = np.deg2rad(60) * crouch / 0.2
    m = _upright(ctx, n)
    m.thigh -= knee / 2
    m.shank += knee / 2
    m.trunk += knee / 3
    m.hip[:, 2] += z
    airborne = (t >= t_off) & (t < t_land)
    push = bell(t, t_off - 0.1, 0.08)
    land = bell(t, t_land + 0.04, 0.03)
    m.load_bw = np.where(airborne, 0.0, m.load_bw)
    m.load_bw = np.maximum(m.load_bw, ctx.peak_bw("jog") * (0.6 * push + 0.9 * land))
    m.impacts.append(
        Impact(t_land, (3.0 + 8.0 * h) * G * ctx.site.impact_gain, (0.1, 0.0, 1.0), 0.03)
    )
    m.events.append((t_land, "jump_landing", 0.0))
    m.labels.append((0.0, seg.duration_s, "jump"))
    return m


def render_topple(seg: Segment, ctx: Context) -> Motion:
    """The library's earlier falls (a ``fall`` with ``direction``): loss of balance, the body
    topples like an inverted pendulum about the feet, hits the floor (soft-tissue stop in ≈50 ms),
    then lies still for ``lie_s`` (the long lie)."""
    n = ctx.n_samples(seg.duration_s)
    t = ctx.t(n)
    direction = seg.p("direction")
    # Inverted pendulum θ'' = (g / L) sin θ with L the centre-of-mass height (≈0.55 H), until the
    # pelvis reaches the floor.
    length_m = 0.55 * ctx.patient.height_m
    leg = ctx.body.standing_hip_m
    theta_contact = np.arccos((LYING_HIP_M + 0.03) / leg)
    dt = 1e-3
    theta, omega, times, angles = np.deg2rad(4.0), 0.0, [0.0], [np.deg2rad(4.0)]
    while theta < theta_contact:
        omega += (G / length_m) * np.sin(theta) * dt
        theta += omega * dt
        times.append(times[-1] + dt)
        angles.append(theta)
    t_start = 0.8  # stagger before the topple
    t_hit = t_start + times[-1]
    stop_s = 0.05
    # After contact every velocity decays to zero within ``stop_s`` (the soft-tissue stop): the
    # displacement still travelled is v · stop · 2/π along a half-cosine velocity profile.
    tau = np.clip((t - t_hit) / stop_s, 0.0, 1.0)
    ease = stop_s * (2 / np.pi) * np.sin(np.pi / 2 * tau)
    ang = np.interp(t - t_start, times, angles)
    ang = np.where(t < t_start, angles[0] * min_jerk(t / t_start), ang)
    ang = np.where(t < t_hit, ang, angles[-1] + omega * ease)
    height = leg * np.cos(ang)
    reach = leg * np.sin(ang)
    contact_h, contact_r = leg * np.cos(angles[-1]), leg * np.sin(angles[-1])
    after = t >= t_hit
    height[after] = contact_h - leg * np.sin(angles[-1]) * omega * ease[after]
    reach[after] = contact_r + leg * np.cos(angles[-1]) * omega * ease[after]
    # Then the limbs settle into the lying posture over 1.5 s.
    settle = min_jerk((t - t_hit - stop_s) / 1.5)
    ang = ang + (np.pi / 2 - ang[-1]) * settle
    height = height + (LYING_HIP_M - height[-1]) * settle
    sign = {"forward": 1.0, "backward": -1.0, "sideways": 1.0}[direction]
    pitch = sign * ang if direction != "sideways" else np.zeros(n)
    roll = ang if direction == "sideways" else np.zeros(n)
    hip = np.zeros((n, 3))
    hip[:, 2] = height
    if direction == "sideways":
        hip[:, 1] = -reach
    else:
        hip[:, 0] = sign * reach
    fall_s = times[-1]
    m = Motion(
        thigh=pitch.copy(),
        shank=pitch.copy(),
        trunk=pitch.copy(),
        roll=roll,
        yaw=np.zeros(n),
        hip=hip,
        load_bw=np.where(
            t < t_hit,
            ctx.peak_bw("stand") * (1 - min_jerk((t - t_start) / fall_s)),
            ctx.peak_bw("stand") * LIE_LOAD_OF_STAND,
        ),
    )
    m.load_bw = np.maximum(m.load_bw, 0.5 * ctx.peak_bw("stumble") * bell(t, t_hit, 0.02))
    m.impacts.append(Impact(t_hit, 2.5 * G * trunk_gain(ctx), (0.3, 0.3, 1.0), 0.03))
    m.events.append((t_hit, "fall_impact", 0.0))  # value = peak |acc|, filled from the signals
    m.labels += [(0.0, t_hit + 1.0, f"fall_{direction}"), (t_hit + 1.0, seg.duration_s, "long_lie")]
    return m
