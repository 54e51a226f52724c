"""The validated scenario: frozen dataclasses that the generator consumes.

A scenario is data only. It is built by :func:`scenarios.schema.parse_scenario`, which is the one
place that knows the file format, its ranges and its defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

IMPLANT_SITES = (
    "tibial_plate",
    "femoral_plate",
    "hip_stem",
    "knee_tibial_tray",
    "ankle_orthosis",
    # Not an implant: a wearable on the lower back, so that public wearable recordings and
    # published gait pipelines (which assume this placement) can be compared on the same truth.
    "lower_back",
)

IMPAIRMENTS = ("none", "antalgic", "crutches", "early_post_op")
HEALING_COURSES = ("fast", "normal", "slow", "delayed_union", "plateau_then_heal", "non_union")
ACTIVITY_TRENDS = ("steady", "rising", "declining")
#: Recovery after knee arthroplasty (scenarios.recovery): the normal course and three deviations,
#: each deviating in the one respect its name says.
RECOVERY_COURSES = (
    "normal",
    "stalled_rom",
    "persisting_limp",
    "declining_activity",
    "slow_walking",
)


@dataclass(frozen=True)
class Patient:
    body_mass_kg: float
    height_m: float
    implant_site: str
    instrumented_side: str = "right"
    #: Roll, pitch, yaw (deg) of the sensor frame relative to the segment frame.
    sensor_orientation_deg: tuple[float, float, float] = (0.0, 0.0, 0.0)
    weeks_post_op: float = 12.0
    impairment: str = "none"
    #: Prescribed partial weight bearing as foot load (kg on a scale); None = full weight bearing.
    weight_bearing_limit_kg: float | None = None
    age_years: float = 65.0

    @property
    def weight_n(self) -> float:
        return self.body_mass_kg * 9.80665


@dataclass(frozen=True)
class Segment:
    """One activity on the timeline. ``params`` holds the activity's validated parameters."""

    activity: str
    duration_s: float
    params: dict[str, Any] = field(default_factory=dict)
    line: int | None = None

    def p(self, name: str) -> Any:
        return self.params[name]


@dataclass(frozen=True)
class Healing:
    course: str = "normal"
    weeks: float = 16.0
    activity_trend: str = "steady"
    steps_per_day: float = 4000.0


@dataclass(frozen=True)
class Recovery:
    """Weeks of recovery after knee arthroplasty, rendered as a digest (scenarios.recovery)."""

    course: str = "normal"
    weeks: float = 12.0
    #: Daily steps the patient reaches once recovered; the course sets the share of it per day.
    steps_per_day: float = 6000.0


@dataclass(frozen=True)
class Infection:
    onset_day: float
    rise_c: float
    ramp_days: float = 2.0


@dataclass(frozen=True)
class TemperatureCourse:
    baseline_c: float = 36.6
    post_op_decay: bool = True
    circadian_amplitude_c: float = 0.3
    infection: Infection | None = None
    weeks: float | None = None  # set for a weeks-long temperature-only course


@dataclass(frozen=True)
class Fault:
    kind: str
    t_start_s: float
    duration_s: float
    channel: str | None = None
    magnitude: float | None = None


@dataclass(frozen=True)
class FallType:
    """One kind of fall: what it interrupts, which way it goes, how it may end and how hard."""

    name: str
    code: str  # SisFall's code, or "" for the project's own
    description: str
    start: str  # one of scenarios.falls.STARTS
    direction: str  # one of scenarios.falls.DIRECTIONS
    end_postures: tuple[str, ...]
    impact_g: tuple[float, float]  # peak |a| at the pelvis, g (drawn uniformly)
    descent_s: tuple[float, float]  # loss of balance to floor contact, s (drawn uniformly)
    speed_mps: float = 0.0  # walking or jogging speed it interrupts
    hands: bool = False  # arms break the fall: the segment's own floor shock is halved

    @property
    def label(self) -> str:
        return f"fall_{self.name}"


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    patient: Patient
    timeline: tuple[Segment, ...]
    exercises: tuple[str, ...] = ()
    start_time_of_day_h: float = 9.0
    healing: Healing | None = None
    recovery: Recovery | None = None
    temperature: TemperatureCourse = field(default_factory=TemperatureCourse)
    faults: tuple[Fault, ...] = ()
    #: The scenario's own fall type (its ``fall`` block), if it describes one.
    fall: FallType | None = None
    source: str = "<memory>"
    sha256: str = ""

    @property
    def duration_s(self) -> float:
        if self.is_digest:
            return self.digest_weeks * 7 * 86400.0
        return float(sum(seg.duration_s for seg in self.timeline))

    @property
    def is_digest(self) -> bool:
        """Weeks-long scenarios (healing, recovery, temperature courses) render as a digest (daily
        statistics + sampled raw windows)."""
        return (
            self.healing is not None
            or self.recovery is not None
            or self.temperature.weeks is not None
        )

    @property
    def digest_weeks(self) -> float:
        courses = (
            self.healing and self.healing.weeks,
            self.recovery and self.recovery.weeks,
            self.temperature.weeks,
        )
        weeks = [w for w in courses if w]
        return float(max(weeks)) if weeks else 0.0
