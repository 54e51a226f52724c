"""From body pose to what the implant's sensors feel: specific force (m/s²) and angular rate
(deg/s) in the sensor frame, gravity and mounting orientation included.

Frames: world x forward, y left, z up. A segment's frame has z along its proximal axis and x
anterior; its orientation is R = Rz(yaw) · Ry(pitch) · Rx(roll). The sensor frame is the segment
frame rotated by the patient's ``sensor_orientation_deg`` (roll, pitch, yaw).
"""

from __future__ import annotations

import numpy as np

from scenarios.motion import Body, Impact, Motion
from scenarios.physiology import G_MPS2
from scenarios.sites import Site


def mount_matrix(roll_deg: float, pitch_deg: float, yaw_deg: float) -> np.ndarray:
    """Rotation from sensor frame to segment frame (Rz · Ry · Rx)."""
    r, p, y = np.deg2rad([roll_deg, pitch_deg, yaw_deg])
    rx = np.array([[1, 0, 0], [0, np.cos(r), -np.sin(r)], [0, np.sin(r), np.cos(r)]])
    ry = np.array([[np.cos(p), 0, np.sin(p)], [0, 1, 0], [-np.sin(p), 0, np.cos(p)]])
    rz = np.array([[np.cos(y), -np.sin(y), 0], [np.sin(y), np.cos(y), 0], [0, 0, 1]])
    return rz @ ry @ rx


def _cos_sin(angle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin; an angle that stays 0 (no roll while walking, no yaw in most postures) costs
    no transcendental functions: cos 0 = 1 and sin 0 = 0 exactly, so the result is the same."""
    if not angle.any():
        return np.ones(angle.shape), np.zeros(angle.shape)
    return np.cos(angle), np.sin(angle)


class _Trig:
    """cos/sin of roll and yaw, shared by every segment axis and the frame rotation."""

    def __init__(self, roll: np.ndarray, yaw: np.ndarray):
        self.cr, self.sr = _cos_sin(roll)
        self.cy, self.sy = _cos_sin(yaw)

    def axis(self, pitch: np.ndarray) -> np.ndarray:
        """World direction of a segment's proximal axis, shape (n, 3)."""
        out = np.empty((len(pitch), 3))
        x = np.sin(pitch) * self.cr
        out[:, 0] = self.cy * x + self.sy * self.sr
        out[:, 1] = self.sy * x - self.cy * self.sr
        out[:, 2] = np.cos(pitch) * self.cr
        return out


def segment_pitch(m: Motion, site: Site) -> np.ndarray:
    return {"shank": m.shank, "thigh": m.thigh, "trunk": m.trunk}[site.segment]


def sensor_position(m: Motion, site: Site, body: Body, trig: _Trig | None = None) -> np.ndarray:
    """World position of the sensor, (n, 3)."""
    trig = trig or _Trig(m.roll, m.yaw)
    d = site.position_fraction
    if site.segment == "trunk":
        return m.hip + d * body.trunk_m * trig.axis(m.trunk)
    pos = m.hip - (d * body.thigh_m if site.segment == "thigh" else body.thigh_m) * trig.axis(
        m.thigh
    )
    if site.segment == "shank":
        pos -= d * body.shank_m * trig.axis(m.shank)
    return pos


def second_derivative(p: np.ndarray, prev: np.ndarray | None, rate_hz: float) -> np.ndarray:
    """d²p/dt² by central differences, continued across the segment boundary with ``prev``
    (the last two positions of the previous segment)."""
    full = p if prev is None else np.concatenate((prev, p))
    a = np.gradient(np.gradient(full, axis=0), axis=0) * rate_hz**2
    return a if prev is None else a[len(prev) :]


def body_frame_signals(
    m: Motion,
    site: Site,
    body: Body,
    rate_hz: float,
    prev_pos: np.ndarray | None,
    prev_angles: np.ndarray | None,
):
    """Specific force (m/s²) and angular rate (rad/s) in the segment frame, plus the positions
    and angles to continue the next segment's derivatives from."""
    trig = _Trig(m.roll, m.yaw)
    pos = sensor_position(m, site, body, trig)
    acc = second_derivative(pos, prev_pos, rate_hz)
    acc[:, 2] += G_MPS2  # an accelerometer at rest reads +1 g upwards
    pitch, roll, yaw = segment_pitch(m, site), m.roll, m.yaw
    # f_body = Rx(roll)ᵀ Ry(pitch)ᵀ Rz(yaw)ᵀ f_world, written out to avoid (n, 3, 3) arrays.
    cy, sy, cr, sr = trig.cy, trig.sy, trig.cr, trig.sr
    fx = cy * acc[:, 0] + sy * acc[:, 1]
    fy = cy * acc[:, 1] - sy * acc[:, 0]
    fz = acc[:, 2]
    cp, sp = np.cos(pitch), np.sin(pitch)
    force = np.empty_like(acc)
    force[:, 0] = cp * fx - sp * fz
    fz = sp * fx + cp * fz
    force[:, 1] = cr * fy + sr * fz
    force[:, 2] = cr * fz - sr * fy

    angles = np.stack((pitch, roll, yaw), axis=1)
    full = angles if prev_angles is None else np.concatenate((prev_angles, angles))
    rates = np.gradient(full, axis=0)[0 if prev_angles is None else len(prev_angles) :] * rate_hz
    dp, dr, dy = rates[:, 0], rates[:, 1], rates[:, 2]
    # Body rates of a ZYX Euler sequence.
    omega = np.stack((dr - dy * sp, dp * cr + dy * sr * cp, -dp * sr + dy * cr * cp), axis=1)
    return force, omega, pos[-2:].copy(), angles[-2:].copy()


def add_impacts(force: np.ndarray, impacts: list[Impact], rate_hz: float, t0_s: float) -> None:
    """Add shock pulses (half-sine then a smaller rebound) in the segment frame, in place."""
    n = len(force)
    for imp in impacts:
        width = max(imp.duration_s * rate_hz, 1.0)
        start = (imp.t_s - t0_s) * rate_hz
        i0 = max(int(np.floor(start)) - 1, 0)
        i1 = min(int(np.ceil(start + 2 * width)) + 1, n)
        if i1 <= i0:
            continue
        u = (np.arange(i0, i1) - start) / width
        # Sample the pulse's average over each sample period: a pulse shorter than a sample still
        # deposits its momentum instead of vanishing between samples at low rates.
        pulse = _pulse_average(u, 1.0 / width)
        d = np.asarray(imp.direction, dtype=float)
        force[i0:i1] += np.outer(imp.peak_mps2 * pulse, d / np.linalg.norm(d))


def _pulse_average(u: np.ndarray, du: float) -> np.ndarray:
    """Mean of the unit pulse over [u - du/2, u + du/2].

    The pulse is sin(πu) on 0..1, then a rebound of −0.3 sin on 1..2."""
    lo, hi = u - du / 2, u + du / 2

    def integral(x: np.ndarray) -> np.ndarray:
        x = np.clip(x, 0.0, 2.0)
        first = (1 - np.cos(np.pi * np.minimum(x, 1.0))) / np.pi
        second = -0.3 * (1 - np.cos(np.pi * np.clip(x - 1.0, 0.0, 1.0))) / np.pi
        return first + second

    return (integral(hi) - integral(lo)) / du
