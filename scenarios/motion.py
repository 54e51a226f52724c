"""The intermediate product of every activity: body pose and implant load over a segment.

An activity renderer returns a :class:`Motion` in its own local time (0 at the segment start). The
generator stitches motions together and turns them into sensor signals
(:mod:`scenarios.kinematics`).
Angles are segment pitches in radians: the inclination of the segment's proximal axis from the
vertical about the medio-lateral axis, positive when that axis tilts forward.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scenarios.model import Patient
from scenarios.sites import (
    SHANK_LENGTH_PER_HEIGHT,
    THIGH_LENGTH_PER_HEIGHT,
    TRUNK_LENGTH_PER_HEIGHT,
    Site,
)

ANKLE_HEIGHT_M = 0.08  # ankle joint above the floor (Winter: 0.039 H; rounded for a shoe)


@dataclass(frozen=True)
class Body:
    """Segment lengths derived from the patient."""

    thigh_m: float
    shank_m: float
    trunk_m: float

    @classmethod
    def of(cls, patient: Patient) -> Body:
        h = patient.height_m
        return cls(
            h * THIGH_LENGTH_PER_HEIGHT, h * SHANK_LENGTH_PER_HEIGHT, h * TRUNK_LENGTH_PER_HEIGHT
        )

    @property
    def standing_hip_m(self) -> float:
        return self.thigh_m + self.shank_m + ANKLE_HEIGHT_M


@dataclass
class Impact:
    """A shock transmitted to the sensor: a short pulse added to the specific force."""

    t_s: float
    peak_mps2: float
    direction: tuple[float, float, float] = (0.25, 0.0, 1.0)  # segment frame
    duration_s: float = 0.02


@dataclass
class Motion:
    """Pose and load of one segment, sampled at the rendering rate."""

    thigh: np.ndarray
    shank: np.ndarray
    trunk: np.ndarray
    roll: np.ndarray
    yaw: np.ndarray
    hip: np.ndarray  # (n, 3) m; x forward (local, from 0), y left, z up (absolute height)
    load_bw: np.ndarray  # implant load, multiples of body weight
    impacts: list[Impact] = field(default_factory=list)
    events: list[tuple[float, str, float]] = field(default_factory=list)  # (t_local_s, kind, value)
    labels: list[tuple[float, float, str]] = field(default_factory=list)  # (t0, t1, activity)
    #: Change of floor level over the segment (stairs): hip heights are relative to the floor the
    #: segment starts on, and the next segment starts on the new floor.
    floor_change_m: float = 0.0

    @property
    def n(self) -> int:
        return len(self.thigh)

    @classmethod
    def still(
        cls,
        n: int,
        *,
        thigh: float,
        shank: float,
        trunk: float,
        hip_z: float,
        load_bw: float,
        roll: float = 0.0,
    ) -> Motion:
        hip = np.zeros((n, 3))
        hip[:, 2] = hip_z
        return cls(
            thigh=np.full(n, thigh),
            shank=np.full(n, shank),
            trunk=np.full(n, trunk),
            roll=np.full(n, roll),
            yaw=np.zeros(n),
            hip=hip,
            load_bw=np.full(n, load_bw),
        )

    def end_pose(self) -> np.ndarray:
        return self.end_pose_at(-1)

    def blend_from(self, pose: np.ndarray, rate_hz: float) -> None:
        """Remove the pose jump to the previous segment (C1 cosine). Small jumps blend in 0.3 s; a
        posture change (lying → standing) takes up to 1.3 s, as a person would."""
        delta = pose - self.end_pose_at(0)
        change_rad = float(np.max(np.abs(delta[:5])))
        n_blend = min(int((0.3 + change_rad / (np.pi / 2)) * rate_hz), self.n)
        if n_blend <= 0:
            return
        w = 0.5 * (1 + np.cos(np.linspace(0, np.pi, n_blend)))  # 1 → 0
        for arr, d in zip(
            (self.thigh, self.shank, self.trunk, self.roll, self.yaw), delta[:5], strict=True
        ):
            arr[:n_blend] += d * w
        self.hip[:n_blend, 1] += delta[5] * w
        self.hip[:n_blend, 2] += delta[6] * w
        self.load_bw[:n_blend] += delta[7] * w

    def end_pose_at(self, i: int) -> np.ndarray:
        return np.array(
            [
                self.thigh[i],
                self.shank[i],
                self.trunk[i],
                self.roll[i],
                self.yaw[i],
                self.hip[i, 1],
                self.hip[i, 2],
                self.load_bw[i],
            ]
        )


@dataclass
class Context:
    """What every activity renderer needs: who, where, how fast, and the random source."""

    patient: Patient
    site: Site
    body: Body
    rate_hz: float
    rng: np.random.Generator
    #: Multiplies limb loads on plates: the share of the load the plate still carries.
    implant_share: float = 1.0

    def n_samples(self, duration_s: float) -> int:
        return max(1, round(duration_s * self.rate_hz))

    def t(self, n: int) -> np.ndarray:
        return np.arange(n) / self.rate_hz

    #: Activities whose load a patient on partial weight bearing keeps under the limit without
    #: thinking (standing on the good leg, pushing up with the arms); gait and deliberate weight
    #: shifts are set explicitly by the scenario.
    GUARDED = ("stand", "sit_to_stand", "stand_to_sit")
    GUARD_FRACTION = 0.8

    @property
    def limit_bw(self) -> float | None:
        """The prescribed weight-bearing limit as implant load (multiples of body weight)."""
        kg = self.patient.weight_bearing_limit_kg
        if kg is None:
            return None
        return kg / self.patient.body_mass_kg * self.site.foot_to_implant * self.implant_share

    def peak_bw(self, activity: str) -> float:
        peak = self.site.peak_load_bw(activity) * self.implant_share
        limit = self.limit_bw
        if limit is not None and activity in self.GUARDED:
            peak = min(peak, self.GUARD_FRACTION * limit)
        return peak


def min_jerk(x: np.ndarray) -> np.ndarray:
    """Minimum-jerk profile 0 → 1 for x in [0, 1] (Flash & Hogan 1985), as human transitions."""
    x = np.clip(x, 0.0, 1.0)
    return x**3 * (10 - 15 * x + 6 * x**2)


def bell(x: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - centre) / width) ** 2)


def sitting_pose(body: Body, chair_height_m: float) -> tuple[float, float, float]:
    """(thigh pitch, shank pitch, hip height) sitting on a chair of the given seat height."""
    hip_z = chair_height_m + 0.09  # hip joint above the seat (ischial tuberosity + soft tissue)
    knee_z = min(chair_height_m + 0.04, body.shank_m + ANKLE_HEIGHT_M)
    shank = np.arccos(np.clip((knee_z - ANKLE_HEIGHT_M) / body.shank_m, -1, 1))
    # Feet are drawn back under a low seat: the shank tilts forward (knee ahead of the ankle).
    thigh = -np.arccos(np.clip((hip_z - knee_z) / body.thigh_m, -1, 1))
    return float(thigh), float(shank), hip_z
