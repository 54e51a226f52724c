"""Falls as people fall: a taxonomy after the SisFall lab set, one renderer for all of it, and
getting up from the floor.

SisFall (Sucerquia, López & Vargas-Bonilla 2017, Sensors 17(1):198) recorded 15 fall types by
young and elderly adults onto mattresses, with a waist sensor at 200 Hz: slips and trips while
walking or jogging, fainting while walking, falls while trying to sit down or get up, falls from
a chair. The library's types follow its codes (F01–F15) and add the project's earlier topples
from standing. Their impacts are often soft (2–4 g at the waist, issue 15 reading of SisFall) and
the body does not always end horizontal: a person may end sitting on the floor, on hands and
knees, or on their back with the legs still over the chair.

A fall renders in five phases, every one from physical quantities drawn by seed within the type's
ranges:
1. the activity it interrupts (walking or jogging at a speed, standing, sitting, rising from or
   lowering onto a chair) up to the loss of balance;
2. the descent: the pelvis falls to the floor with a growing speed (s = τ^2.5 of the drop) while
   the body rotates towards its end posture (τ², pendulum-like), so the sensor's |a| dips below
   1 g and its gravity vector turns;
3. the stop: every velocity decays to zero within ``stop_s``, chosen so that the pelvis's
   deceleration peaks at the drawn impact severity, plus a short shock through bone;
4. settling into the end posture;
5. the lie, still but breathing.

Ranges without a published figure are marked as assumptions.
"""

from __future__ import annotations

import numpy as np

from scenarios import physiology as phys
from scenarios.gait import render_gait
from scenarios.model import FallType, Segment
from scenarios.motion import Context, Impact, Motion, bell, min_jerk, sitting_pose
from scenarios.postures import (
    LIE_LOAD_OF_STAND,
    LYING_HIP_M,
    SIT_LOAD_OF_STAND,
    render_topple,
)

G = phys.G_MPS2
#: Hip joint above the floor lying or sitting on it: the lying posture's (scenarios.postures).
FLOOR_HIP_M = LYING_HIP_M
#: Knee on the floor: the knee joint's height (assumption).
KNEE_FLOOR_M = 0.05

#: End postures a fall can leave the body in (drawn by seed among a type's).
END_POSTURES = (
    "prone",
    "supine",
    "side",  # on the side the fall went to (lateral falls), or the right side
    "sitting",  # on the floor, legs forward, trunk upright to reclined
    "kneeling",  # on hands and knees, or kneeling upright
    "supine_legs_up",  # on the back, the legs still over the chair's seat
)
STARTS = ("stand", "walk", "jog", "sit", "sit_down", "get_up")
DIRECTIONS = ("forward", "backward", "lateral", "vertical")
#: A fall segment's time before its lie: the interrupted activity, the descent, the settling.
FALL_BEFORE_LIE_S = 6.0


#: Impact severities: SisFall's mattress falls are 2–4 g at the waist (issue 15); falls onto a
#: bare floor are harder (assumption: up to 6 g), a jogging trip harder still (assumption 7 g).
#: Descent times: a fall from standing takes ≈ 0.5–1 s from the loss of balance to the impact
#: (the pre-impact window of 150–300 ms in DOMAIN.md is its last part); arms on a table slow
#: it to 1–1.6 s (assumption).
_FALLS = (
    FallType("slip_walk_forward", "F01", "walking, slips, falls forward",
             "walk", "forward", ("prone", "kneeling"), (2.0, 5.0), (0.6, 0.9), 1.0),
    FallType("slip_walk_backward", "F02", "walking, slips, falls backward",
             "walk", "backward", ("supine", "sitting"), (2.0, 6.0), (0.5, 0.8), 1.0),
    FallType("slip_walk_lateral", "F03", "walking, slips, falls to the side",
             "walk", "lateral", ("side", "sitting"), (2.0, 5.0), (0.5, 0.8), 1.0),
    FallType("trip_walk_forward", "F04", "walking, trips, falls forward",
             "walk", "forward", ("prone", "kneeling"), (2.0, 6.0), (0.5, 0.8), 1.2),
    FallType("trip_jog_forward", "F05", "jogging, trips, falls forward",
             "jog", "forward", ("prone", "kneeling"), (3.0, 7.0), (0.45, 0.7), 2.5),
    FallType("faint_walk_vertical", "F06", "walking, faints, collapses vertically",
             "walk", "vertical", ("sitting", "side", "kneeling"), (2.0, 4.0), (0.5, 0.8), 0.8),
    FallType("faint_walk_table", "F07", "walking, faints, breaks the fall with the hands on a "
             "table", "walk", "vertical", ("sitting", "side", "kneeling"), (2.0, 3.0),
             (1.0, 1.6), 0.8, hands=True),
    FallType("get_up_forward", "F08", "trying to get up from a chair, falls forward",
             "get_up", "forward", ("prone", "kneeling"), (2.0, 4.0), (0.5, 0.8)),
    FallType("get_up_lateral", "F09", "trying to get up from a chair, falls to the side",
             "get_up", "lateral", ("side", "sitting"), (2.0, 4.0), (0.5, 0.8)),
    FallType("sit_down_forward", "F10", "trying to sit down, falls forward",
             "sit_down", "forward", ("prone", "kneeling"), (2.0, 4.0), (0.5, 0.8)),
    FallType("sit_down_backward", "F11", "trying to sit down, misses the chair, falls backward",
             "sit_down", "backward", ("sitting", "supine"), (2.0, 5.0), (0.4, 0.7)),
    FallType("sit_down_lateral", "F12", "trying to sit down, falls to the side",
             "sit_down", "lateral", ("side", "sitting"), (2.0, 4.0), (0.5, 0.8)),
    FallType("chair_forward", "F13", "sitting, faints or falls asleep, falls forward off the "
             "chair", "sit", "forward", ("prone", "kneeling"), (2.0, 4.0), (0.5, 0.9)),
    FallType("chair_backward", "F14", "sitting, faints or falls asleep, falls backward off the "
             "chair", "sit", "backward", ("supine_legs_up", "supine"), (2.0, 4.0), (0.5, 0.9)),
    FallType("chair_lateral", "F15", "sitting, faints or falls asleep, falls to the side off "
             "the chair", "sit", "lateral", ("side",), (2.0, 4.0), (0.5, 0.9)),
)  # fmt: skip
FALL_TYPES: dict[str, FallType] = {f.name: f for f in _FALLS}
#: A ``fall`` given by ``direction`` (the library's first four falls) is the earlier topple from
#: standing (scenarios.postures.render_topple), 3 s before its lie.
TOPPLE_BEFORE_LIE_S = 3.0


def end_pose(name: str, ctx: Context, side: float) -> np.ndarray:
    """(thigh, shank, trunk, roll, hip height) of an end posture, with its free angles drawn."""
    rng = ctx.rng
    d = np.deg2rad
    if name == "prone":
        return np.array([d(88), d(88), d(85), 0.0, FLOOR_HIP_M])
    if name == "supine":
        return np.array([d(-88), d(-88), d(-85), 0.0, FLOOR_HIP_M])
    if name == "side":
        return np.array([d(10), d(15), d(5), side * d(rng.uniform(70, 90)), FLOOR_HIP_M])
    if name == "sitting":
        knee = d(rng.uniform(0, 60))  # legs straight to knees drawn up
        recline = d(rng.uniform(0, 45))  # trunk upright to leaning back on the hands
        return np.array([d(-90) - knee / 2, d(-90) + knee / 2, -recline, 0.0, FLOOR_HIP_M])
    if name == "kneeling":
        thigh = d(rng.uniform(0, 35))  # upright kneel to hands and knees
        trunk = d(rng.uniform(20, 85))
        hip = KNEE_FLOOR_M + ctx.body.thigh_m * np.cos(thigh)
        return np.array([thigh, d(90), trunk, 0.0, hip])
    if name == "supine_legs_up":
        flex = d(rng.uniform(30, 80))  # the hips still flexed over the seat
        return np.array([d(-90) - flex, d(-90), d(-85), 0.0, FLOOR_HIP_M])
    raise ValueError(f"unknown end posture {name!r}; expected one of {', '.join(END_POSTURES)}")


def _start_pose(ft: FallType, ctx: Context, chair_m: float) -> np.ndarray:
    """(thigh, shank, trunk, roll, hip height) when the fall's segment begins."""
    if ft.start in ("sit", "get_up"):
        thigh, shank, hip = sitting_pose(ctx.body, chair_m)
        return np.array([thigh, shank, np.deg2rad(-5), 0.0, hip])
    return np.array([0.0, 0.0, np.deg2rad(3), 0.0, ctx.body.standing_hip_m])


def _balance_lost_pose(ft: FallType, ctx: Context, start: np.ndarray, chair_m: float):
    """The pose where balance is lost (the end of phase 1), and phase 1's duration."""
    d = np.deg2rad
    if ft.start in ("get_up", "sit_down"):
        # Part way between sitting and standing, trunk leant forward (near seat-off).
        thigh, shank, hip = sitting_pose(ctx.body, chair_m)
        up = ctx.rng.uniform(0.3, 0.6)  # 0 sitting, 1 standing
        stand_hip = ctx.body.standing_hip_m
        return np.array([thigh * (1 - up), shank * (1 - up), d(30), 0.0,
                         hip + (stand_hip - hip) * up]), 1.2  # fmt: skip
    if ft.start == "sit":
        lean = d(10 if ft.direction == "forward" else -10)
        return start + np.array([0.0, 0.0, lean, 0.0, 0.0]), 1.5
    return start, 0.8  # standing: a moment of sway, then the fall


#: The perturbation of a gait (deg of thigh, shank, trunk pitch): a slip shoots the feet forward,
#: a trip catches the foot and throws the trunk forward, a faint buckles the knees. It rises and
#: dies within the descent's first 0.4 s (assumption).
KICKS_DEG = {
    "slip": (-25.0, -25.0, -10.0),
    "trip": (10.0, -25.0, 20.0),
    "faint": (-25.0, 25.0, 15.0),
}
#: Fastest angular deceleration of the falling body at the stop (rad/s², assumption).
ALPHA_MAX = 150.0
#: Walking or jogging before the loss of balance (s): a few steps at the type's speed.
GAIT_LEAD_S = 2.5


def render_fall(seg: Segment, ctx: Context) -> Motion:
    """A fall of ``seg``'s type (see the module doc), then the lie of ``lie_s``."""
    ft: FallType | None = seg.p("fall_type")
    if ft is None:  # the earlier form, ``direction``: a topple from standing, hard impact
        return render_topple(seg, ctx)
    rng = ctx.rng
    n = ctx.n_samples(seg.duration_s)
    t = ctx.t(n)
    chair_m = 0.45
    side = 1.0 if rng.random() < 0.5 else -1.0
    posture = str(seg.params.get("end_posture") or rng.choice(ft.end_postures))
    if seg.params.get("impact_g") is not None:
        impact_g = float(seg.params["impact_g"])
    else:
        impact_g = float(rng.uniform(*ft.impact_g))
    descent_s = float(rng.uniform(*ft.descent_s))
    walking = ft.start in ("walk", "jog")

    gait_m = None
    if walking:
        # The fall interrupts a gait at full speed (its termination ramp is never reached).
        speed = ft.speed_mps or (1.0 if ft.start == "walk" else 2.5)
        gait_m = render_gait(Segment(ft.start, GAIT_LEAD_S + 1.0, {"speed_mps": speed}), ctx)
        pre_s = GAIT_LEAD_S
        i_lost = min(ctx.n_samples(pre_s), gait_m.n - 1)
        start = np.array([a[i_lost] for a in (gait_m.thigh, gait_m.shank, gait_m.trunk,
                                              gait_m.roll, gait_m.hip[:, 2])])  # fmt: skip
        lost = start.copy()
        v0 = float((gait_m.hip[i_lost, 0] - gait_m.hip[i_lost - 1, 0]) * ctx.rate_hz)
    else:
        start = _start_pose(ft, ctx, chair_m)
        lost, pre_s = _balance_lost_pose(ft, ctx, start, chair_m)
        v0 = 0.0
    end = end_pose(posture, ctx, side)
    # The stop: the velocity decays as a half cosine over stop_s, so the pelvis's deceleration
    # peaks at a = v·π/(2·stop_s) after travelling v²/a (tissue, hands and knees giving way). a is
    # the drawn severity less the 1 g already there; the segment's own contact with the floor
    # adds a shock (OWN_CONTACT).
    a_stop = (impact_g - 1.0) * G * 0.8
    drop_m = max(lost[4] - end[4], 0.05)
    # The descent must not outrun gravity: s = τ^2.5 ends at s'' = 3.75 / T² of the drop.
    descent_s = max(descent_s, float(np.sqrt(3.75 * drop_m / (0.95 * G))))
    # v at contact from the drop left after the stop's travel: v = 2.5 (D − v²/a) / T.
    k = 2.5 / (a_stop * descent_s)
    v_hit = (-1 + np.sqrt(1 + 4 * k * 2.5 * drop_m / descent_s)) / (2 * k)
    stop_s = float(v_hit * np.pi / (2 * a_stop))
    t_lost = pre_s
    t_hit = t_lost + descent_s
    # The body's rotation stops over stop_ang_s, no faster than ALPHA_MAX (a limb does not flip
    # to rest in a few ms, however short the pelvis's stop); angles at contact are so far that
    # going on through their stop ends at the end posture.
    turn = float(np.max(np.abs(end[:4] - lost[:4])))
    stop_ang_s = max(stop_s, 2.0 * turn / descent_s * np.pi / 2 / ALPHA_MAX)
    f = 1 / (1 + 4 * stop_ang_s / (np.pi * descent_s))
    stop_ang_s = max(stop_s, 2.0 * f * turn / descent_s * np.pi / 2 / ALPHA_MAX)
    f = 1 / (1 + 4 * stop_ang_s / (np.pi * descent_s))
    # Columns: thigh, shank, trunk, roll, hip height, then the hip's travel forward and left the
    # way the body falls (a gait's own speed glides out apart).
    reach = {"forward": 0.5, "backward": -0.4, "lateral": 0.0, "vertical": 0.1}[ft.direction]
    lateral = -side * 0.4 if ft.direction == "lateral" else 0.0
    start, lost, end = (np.append(p, [0.0, 0.0]) for p in (start, lost, end))
    end[5:] = reach, lateral
    contact = lost + f * (end - lost)
    contact[4] = end[4] + v_hit**2 / a_stop
    keys = np.zeros((n, 7))
    # Phase 1: from the start to the loss of balance (minimum jerk).
    x1 = min_jerk(t / pre_s)
    # Phase 2: τ² for angles and travel (a pendulum's growing rate), τ^2.5 for the height.
    tau = np.clip((t - t_lost) / descent_s, 0.0, 1.0)
    for j in range(7):
        prof = tau**2.5 if j == 4 else tau**2
        keys[:, j] = start[j] + (lost[j] - start[j]) * x1 + (contact[j] - lost[j]) * prof
    # Phase 3: each coordinate goes on at its contact velocity, which decays in stop_s.
    vel = 2.0 * (contact - lost) / descent_s
    vel[4] = -v_hit
    stops = np.full(7, stop_ang_s)
    stops[4] = stop_s
    u = np.clip((t[:, None] - t_hit) / stops, 0.0, 1.0)
    ease = stops * (2 / np.pi) * np.sin(np.pi / 2 * u)
    after = t >= t_hit
    keys[after] = contact + ease[after] * vel
    # Phase 4: settle into the end posture.
    settle_s = float(rng.uniform(0.8, 1.6))
    stop_s = max(stop_s, stop_ang_s)
    stopped = keys[min(np.searchsorted(t, t_hit + stop_s), n - 1)].copy()
    x4 = min_jerk((t - t_hit - stop_s) / settle_s)
    late = t >= t_hit + stop_s
    keys[late] = stopped + np.outer(x4[late], end - stopped)
    cause = ft.name.split("_")[0]
    if walking and cause in KICKS_DEG:
        bump = np.sin(np.pi * np.clip((t - t_lost) / 0.4, 0.0, 1.0)) ** 2  # C1: no velocity jump
        keys[:, :3] += np.outer(bump, np.deg2rad(KICKS_DEG[cause]))

    hip = np.zeros((n, 3))
    hip[:, 2] = keys[:, 4]
    # A gait's speed dies away linearly by the contact.
    glide = np.clip(t - t_lost, 0.0, descent_s)
    hip[:, 0] = v0 * (glide - glide**2 / (2 * descent_s)) + keys[:, 5]
    hip[:, 1] = keys[:, 6]
    still = min_jerk((t - t_hit - stop_s - settle_s) / 2.0)  # breathing fades in, no kink
    breathing = np.deg2rad(0.3) * np.sin(2 * np.pi * 0.25 * t) * still
    m = Motion(
        thigh=keys[:, 0].copy(),
        shank=keys[:, 1].copy(),
        trunk=keys[:, 2] + breathing,
        roll=keys[:, 3].copy(),
        yaw=np.zeros(n),
        hip=hip,
        load_bw=_fall_load(ctx, t, t_lost, t_hit, posture),
    )
    if gait_m is not None:
        # Hand over from the gait to the fall over 0.3 s (C1: no jump in any velocity).
        idx = np.minimum(np.arange(n), gait_m.n - 1)
        w = min_jerk((t - t_lost) / 0.3)
        m.hip[:, 0] += gait_m.hip[i_lost, 0]
        for a_new, a_gait in ((m.thigh, gait_m.thigh), (m.shank, gait_m.shank),
                              (m.trunk, gait_m.trunk), (m.roll, gait_m.roll),
                              (m.yaw, gait_m.yaw), (m.load_bw, gait_m.load_bw)):  # fmt: skip
            a_new[:] = a_gait[idx] * (1 - w) + a_new * w
        for c in range(3):
            m.hip[:, c] = gait_m.hip[idx, c] * (1 - w) + m.hip[:, c] * w
        m.impacts += [imp for imp in gait_m.impacts if imp.t_s < t_lost + 0.15]
        m.events += [e for e in gait_m.events if e[0] < t_lost + 0.15]
        m.labels.append((0.0, t_lost, ft.start))
    # Arms that break the fall (on a table, on the floor) take the first contact (assumption: half).
    gain = _landing_gain(ctx, posture) * (0.5 if ft.hands else 1.0)
    seg_pitch = {"trunk": contact[2], "thigh": contact[0], "shank": contact[1]}[ctx.site.segment]
    m.impacts.append(
        Impact(t_hit, 0.5 * impact_g * G * gain, _up_in_segment(seg_pitch, contact[3]), 0.03)
    )
    m.events.append((t_hit, "fall_impact", 0.0))  # value = peak |acc|, filled from the signals
    # What the seed drew, for the truth: the pelvis's severity (g) and the end posture's index.
    m.events.append((t_hit, "fall_severity", round(impact_g, 3)))
    m.events.append((t_hit + stop_s + settle_s, "fall_end_posture", END_POSTURES.index(posture)))
    m.labels += [(t_lost if walking else 0.0, t_hit + 1.0, ft.label),
                 (t_hit + 1.0, seg.duration_s, "long_lie")]  # fmt: skip
    return m


def _fall_load(ctx: Context, t, t_lost: float, t_hit: float, posture: str) -> np.ndarray:
    stand = ctx.peak_bw("stand")
    rest = stand * (SIT_LOAD_OF_STAND if posture in ("sitting", "kneeling") else LIE_LOAD_OF_STAND)
    unload = min_jerk((t - t_lost) / max(t_hit - t_lost, 1e-3))
    load = stand * (1 - unload) + rest * unload
    return np.maximum(load, 0.5 * ctx.peak_bw("stumble") * bell(t, t_hit, 0.02))


#: How hard the sensor's own segment meets the floor, by end posture, as a share of the pelvis's
#: severity (assumption): on a floor the whole body lands — the knees when falling forward, the
#: greater trochanter on the side, the calves and heels on the back — whereas a bed or a chair
#: catches the trunk and pelvis first (scenarios.postures, scenarios.lookalikes).
OWN_CONTACT = {
    "prone": {"trunk": 0.6, "thigh": 0.6, "shank": 1.0},
    "supine": {"trunk": 0.8, "thigh": 0.5, "shank": 0.6},
    "side": {"trunk": 0.8, "thigh": 1.0, "shank": 0.8},
    "sitting": {"trunk": 0.6, "thigh": 0.8, "shank": 0.5},
    "kneeling": {"trunk": 0.3, "thigh": 0.7, "shank": 1.0},
    "supine_legs_up": {"trunk": 0.8, "thigh": 0.3, "shank": 0.2},
}


def _landing_gain(ctx: Context, posture: str) -> float:
    return OWN_CONTACT[posture][ctx.site.segment]


def _up_in_segment(pitch: float, roll: float) -> tuple[float, float, float]:
    """The world's up (the floor's push) in the frame of a segment at (pitch, roll)."""
    cp, sp, cr, sr = np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    fx, fz = -sp, cp  # Ry(pitch)ᵀ · (0, 0, 1)
    return (float(fx), float(sr * fz), float(cr * fz))


def render_get_up(seg: Segment, ctx: Context) -> Motion:
    """Getting up from the floor: onto hands and knees, one foot forward, up to standing, taking
    ``duration_s`` (older adults take 3–10 s, assumption). Starts from whatever posture the
    previous segment left (the generator blends it)."""
    n = ctx.n_samples(seg.duration_s)
    t = ctx.t(n)
    dur = seg.duration_s
    d = np.deg2rad
    kneel_hip = KNEE_FLOOR_M + ctx.body.thigh_m * np.cos(d(20))
    # Key poses: on the floor (supine-ish) → hands and knees → half-kneel → standing.
    keys_t = np.array([0.0, 0.35, 0.65, 1.0]) * dur * 0.85 + 0.05 * dur
    poses = np.array(
        [
            [d(30), d(90), d(80), 0.0, kneel_hip],
            [d(20), d(90), d(70), 0.0, kneel_hip],
            [d(-40), d(10), d(45), 0.0, 0.6 * ctx.body.standing_hip_m],
            [0.0, 0.0, d(3), 0.0, ctx.body.standing_hip_m],
        ]
    )
    out = np.empty((n, 5))
    for k in range(5):
        out[:, k] = poses[0, k]
        for j in range(1, 4):
            x = min_jerk((t - keys_t[j - 1]) / (keys_t[j] - keys_t[j - 1]))
            out[:, k] += (poses[j, k] - poses[j - 1, k]) * x
    hip = np.zeros((n, 3))
    hip[:, 2] = out[:, 4]
    rise = min_jerk((t - keys_t[1]) / (keys_t[3] - keys_t[1]))
    stand = ctx.peak_bw("stand")
    m = Motion(
        thigh=out[:, 0].copy(),
        shank=out[:, 1].copy(),
        trunk=out[:, 2].copy(),
        roll=np.zeros(n),
        yaw=np.zeros(n),
        hip=hip,
        load_bw=stand * (SIT_LOAD_OF_STAND + (1.2 - SIT_LOAD_OF_STAND) * rise * (1 - 0.2 * rise)),
    )
    m.events.append((keys_t[3], "get_up", 0.0))
    m.labels.append((0.0, dur, "get_up"))
    return m
