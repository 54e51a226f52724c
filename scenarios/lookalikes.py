"""Fall look-alikes beyond the earlier five (hard sit, lying down quickly, jump, near-fall,
stumble): the daily activities of SisFall (Sucerquia et al. 2017, D01–D19) that come closest to
a fall — collapsing back into a chair when getting up fails (D10), lying down quickly from
sitting (D12), turning over in bed (D13), squatting to pick something up (D14), bending at the
waist (D15) — and two the bench adds because they end where falls end: kneeling on the floor and
sitting down on the floor, both controlled.

Each is a sequence of key poses joined by minimum-jerk moves, with the durations and depths
drawn by seed (ranges are assumptions where no figure is cited), and a contact shock where a
body part meets a seat, a mattress or the floor.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from scenarios import physiology as phys
from scenarios.falls import FLOOR_HIP_M, KNEE_FLOOR_M, LIE_LOAD_OF_STAND, SIT_LOAD_OF_STAND
from scenarios.model import Segment
from scenarios.motion import Context, Impact, Motion, min_jerk, sitting_pose
from scenarios.postures import trunk_gain

G = phys.G_MPS2
d = np.deg2rad
#: Mattress top above the floor for lying on a bed (assumption).
BED_HIP_M = 0.55


def _standing(ctx: Context) -> np.ndarray:
    """Key pose columns: thigh, shank, trunk, roll (rad), hip height (m), load (× stand)."""
    return np.array([0.0, 0.0, d(3), 0.0, ctx.body.standing_hip_m, 1.0])


def _seated(ctx: Context, chair_m: float = 0.45) -> np.ndarray:
    thigh, shank, hip = sitting_pose(ctx.body, chair_m)
    return np.array([thigh, shank, d(-5), 0.0, hip, SIT_LOAD_OF_STAND])


def _keyed(ctx: Context, n: int, keys: list[tuple[float, np.ndarray]], label: str) -> Motion:
    """Poses through the key times, minimum jerk between each pair (zero velocity at every key:
    a person pauses at each stage of these movements)."""
    t = ctx.t(n)
    out = np.tile(keys[0][1], (n, 1)).astype(float)
    for (t0, p0), (t1, p1) in pairwise(keys):
        out += np.outer(min_jerk((t - t0) / max(t1 - t0, 1e-3)), p1 - p0)
    hip = np.zeros((n, 3))
    hip[:, 2] = out[:, 4]
    m = Motion(
        thigh=out[:, 0].copy(),
        shank=out[:, 1].copy(),
        trunk=out[:, 2].copy(),
        roll=out[:, 3].copy(),
        yaw=np.zeros(n),
        hip=hip,
        load_bw=ctx.peak_bw("stand") * out[:, 5],
    )
    m.labels.append((0.0, n / ctx.rate_hz, label))
    return m


def _gain(ctx: Context, on: str) -> float:
    """The share of a contact's shock the sensor feels: pelvis contacts reach thigh and trunk
    (as a seat's, scenarios.postures.trunk_gain), knee contacts the shank (assumption)."""
    if on == "knees":
        return {"trunk": 0.5, "thigh": 0.7, "shank": 1.0}[ctx.site.segment]
    return trunk_gain(ctx)


def _out_and_back(seg, ctx, rest, pose, *, t0_s, move_s, hold_s, back_s, label) -> Motion:
    """Rest until ``t0_s``, move to ``pose`` (done at t1, the event), hold, move back, rest;
    the move, hold and back durations drawn in that order from their (low, high) ranges."""
    rng = ctx.rng
    t1 = t0_s + rng.uniform(*move_s)
    t2 = t1 + rng.uniform(*hold_s)
    t3 = t2 + rng.uniform(*back_s)
    keys = [(0.0, rest), (t0_s, rest), (t1, pose), (t2, pose), (t3, rest), (seg.duration_s, rest)]
    m = _keyed(ctx, ctx.n_samples(seg.duration_s), keys, label)
    m.events.append((t1, label, 0.0))
    return m


def render_collapse_into_chair(seg: Segment, ctx: Context) -> Motion:
    """Sitting, trying to get up, failing part way and dropping back onto the seat (D10)."""
    rng = ctx.rng
    n = ctx.n_samples(seg.duration_s)
    sit, stand = _seated(ctx), _standing(ctx)
    up = rng.uniform(0.3, 0.6)  # how far the rise got
    half = sit + up * (stand - sit)
    half[2] = d(35)  # trunk leant forward over the feet
    t_up = 1.0 + rng.uniform(0.6, 1.0)
    t_seat = t_up + rng.uniform(0.25, 0.45)  # the drop back
    keys = [(0.0, sit), (1.0, sit), (t_up, half), (t_seat, sit), (seg.duration_s, sit)]
    m = _keyed(ctx, n, keys, "collapse_into_chair")
    peak_g = rng.uniform(2.0, 3.5)  # at the pelvis, as a hard sit (assumption)
    shock = (peak_g - 1) * G * _gain(ctx, "pelvis")
    m.impacts.append(Impact(t_seat - 0.05, shock, (0, 0, 1), 0.05))
    m.events.append((t_seat, "collapse_into_chair", 0.0))
    return m


def render_sit_to_lie_fast(seg: Segment, ctx: Context) -> Motion:
    """Sitting on a bed's edge, lying down quickly on the back or side, lying, sitting up again
    (D12)."""
    rng = ctx.rng
    n = ctx.n_samples(seg.duration_s)
    sit = _seated(ctx, 0.5)
    side = rng.random() < 0.5
    lie = np.array([sit[0], sit[1], d(-85), 0.0, sit[4], LIE_LOAD_OF_STAND])
    if side:
        lie = np.array([d(-60), d(10), d(0), d(80), BED_HIP_M, LIE_LOAD_OF_STAND])
    t_down = 1.0 + rng.uniform(0.6, 1.0)
    t_up = t_down + rng.uniform(3.0, 5.0)
    keys = [(0.0, sit), (1.0, sit), (t_down, lie), (t_up, lie), (t_up + 1.5, sit),
            (seg.duration_s, sit)]  # fmt: skip
    m = _keyed(ctx, n, keys, "sit_to_lie_fast")
    m.impacts.append(Impact(t_down - 0.1, rng.uniform(0.3, 0.8) * G * _gain(ctx, "pelvis"),
                            (1, 0, 0), 0.08))  # fmt: skip
    m.events.append((t_down, "sit_to_lie_fast", 0.0))
    return m


def render_roll_over(seg: Segment, ctx: Context) -> Motion:
    """Lying on the back, turning onto the side, lying there, turning back (D13)."""
    supine = np.array([d(-88), d(-88), d(-88), 0.0, BED_HIP_M, LIE_LOAD_OF_STAND])
    sign = 1.0 if ctx.rng.random() < 0.5 else -1.0
    side = np.array([d(-20), d(-10), d(0), sign * d(85), BED_HIP_M, LIE_LOAD_OF_STAND])
    return _out_and_back(seg, ctx, supine, side, t0_s=1.0, move_s=(1.0, 2.0), hold_s=(2.0, 4.0),
                         back_s=(1.0, 2.0), label="roll_over")  # fmt: skip


def render_squat(seg: Segment, ctx: Context) -> Motion:
    """Standing, bending the knees to pick something up from the floor, standing up (D14)."""
    rng = ctx.rng
    knee = d(rng.uniform(90, 130))
    thigh = -knee * 0.6
    squat = np.array([thigh, thigh + knee, d(rng.uniform(30, 50)), 0.0, 0.0, 1.1])
    b = ctx.body
    squat[4] = 0.08 + b.shank_m * np.cos(squat[1]) + b.thigh_m * np.cos(thigh)
    return _out_and_back(seg, ctx, _standing(ctx), squat, t0_s=0.8, move_s=(1.0, 1.6),
                         hold_s=(0.8, 2.0), back_s=(1.2, 1.8), label="squat")  # fmt: skip


def render_bend_over(seg: Segment, ctx: Context) -> Motion:
    """Standing, bending at the waist with straight knees, straightening up (D15)."""
    rng = ctx.rng
    stand = _standing(ctx)
    bent = stand + np.array([d(rng.uniform(5, 15)), 0.0, d(rng.uniform(70, 95)), 0.0, -0.02, 0.0])
    return _out_and_back(seg, ctx, stand, bent, t0_s=0.8, move_s=(1.0, 1.5), hold_s=(0.5, 2.0),
                         back_s=(1.0, 1.5), label="bend_over")  # fmt: skip


def render_kneel_down(seg: Segment, ctx: Context) -> Motion:
    """Standing, kneeling down on the floor onto one knee then both, staying there (to clean,
    to garden), the hands on the floor or upright. Getting up is the next segment's."""
    rng = ctx.rng
    n = ctx.n_samples(seg.duration_s)
    stand = _standing(ctx)
    half = np.array([d(-50), d(20), d(20), 0.0, 0.55 * ctx.body.standing_hip_m, 1.0])
    thigh = d(rng.uniform(0, 35))
    hip = KNEE_FLOOR_M + ctx.body.thigh_m * np.cos(thigh)
    kneel = np.array([thigh, d(90), d(rng.uniform(20, 80)), 0.0, hip, SIT_LOAD_OF_STAND])
    t1 = 0.8 + rng.uniform(0.8, 1.2)
    t2 = t1 + rng.uniform(0.8, 1.5)
    keys = [(0.0, stand), (0.8, stand), (t1, half), (t2, kneel), (seg.duration_s, kneel)]
    m = _keyed(ctx, n, keys, "kneel_down")
    # The knee placed on the floor: a small shock (assumption 1.2–1.8 g at the knee).
    m.impacts.append(Impact(t2 - 0.1, rng.uniform(0.2, 0.8) * G * _gain(ctx, "knees"),
                            (0, 0, 1), 0.05))  # fmt: skip
    m.events.append((t2, "kneel_down", 0.0))
    return m


def render_sit_on_floor(seg: Segment, ctx: Context) -> Motion:
    """Standing, lowering oneself to sit on the floor (a knee and a hand first), sitting there
    legs forward. Getting up is the next segment's."""
    rng = ctx.rng
    n = ctx.n_samples(seg.duration_s)
    stand = _standing(ctx)
    knee = d(rng.uniform(0, 60))
    half = np.array([d(-60), d(40), d(30), 0.0, 0.45 * ctx.body.standing_hip_m, 1.0])
    floor = np.array([d(-90) - knee / 2, d(-90) + knee / 2, -d(rng.uniform(0, 40)), 0.0,
                      FLOOR_HIP_M, SIT_LOAD_OF_STAND])  # fmt: skip
    t1 = 0.8 + rng.uniform(1.0, 1.5)
    t2 = t1 + rng.uniform(1.0, 1.5)
    keys = [(0.0, stand), (0.8, stand), (t1, half), (t2, floor), (seg.duration_s, floor)]
    m = _keyed(ctx, n, keys, "sit_on_floor")
    m.impacts.append(Impact(t2 - 0.15, rng.uniform(0.3, 0.8) * G * _gain(ctx, "pelvis"),
                            (0, 0, 1), 0.06))  # fmt: skip
    m.events.append((t2, "sit_on_floor", 0.0))
    return m


RENDERERS = {
    "collapse_into_chair": render_collapse_into_chair,
    "sit_to_lie_fast": render_sit_to_lie_fast,
    "roll_over": render_roll_over,
    "squat": render_squat,
    "bend_over": render_bend_over,
    "kneel_down": render_kneel_down,
    "sit_on_floor": render_sit_on_floor,
}
