"""Configuration of the system model: implant power, energy source, link, reader schedule, phone,
cloud and notifications. Frozen, keyword-only, units in names.

Published figures carry their source; every other figure is this project's assumption and says so
(docs: a figure that moves a verified result goes into the changelog's "Model changes").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chip_sim.errors import ChipError

# --- implant currents --------------------------------------------------------------------------
BMI270_FULL_UA = 685.0  # DOMAIN.md (BMI270, full operation)
BMI270_SUSPEND_UA = 3.5  # DOMAIN.md (BMI270, suspend)
ADXL362_WAKE_UA = 1.8  # DOMAIN.md (ADXL362 at 100 Hz): the wake-on-motion sensor
CORE_ACTIVE_UA = 200.0  # assumption (docs/decisions.md, issue 6): front end and core sampling
CORE_SLEEP_UA = 10.0  # assumption (docs/decisions.md, issue 6): front end and core asleep
PROCESSING_UA = 2000.0  # assumption: core burst deciding and storing a record (FRAM write)
PROCESSING_S = 0.002  # assumption
RADIO_UA = 5300.0  # BLE-class radio TX at 0 dBm, nRF52832-class part (≈5.3 mA); assumption here
FRAME_AIR_S = 0.001  # assumption: one EVENT frame with its ACK, radio on ≈1 ms
CONNECTED_IDLE_UA = 50.0  # assumption: empty connection events at 30 ms (≈0.3 ms at 5 mA)

# --- energy sources ----------------------------------------------------------------------------
CAP_F = 0.011  # assumption: thin-film supercapacitor class (~11 mF, 3.3 V), not a datasheet value
CAP_V_MAX = 3.3  # assumption: the harvester's clamp
CAP_V_BROWNOUT = 1.8  # assumption: the core's brown-out detector
CAP_V_RESTART = 2.4  # assumption: restart hysteresis
HARVEST_UA = 2000.0  # assumption: net charging current from a worn reader at a few cm
BATTERY_MAH = 100.0  # assumption: a small primary implant cell (option)

# --- link and reader ---------------------------------------------------------------------------
CONNECTION_INTERVAL_S = 0.030  # assumption: BLE connection interval 30 ms (7.5 ms..4 s allowed)
ADVERTISING_INTERVAL_S = 1.0  # assumption: the implant advertises every second when unconnected
GOOD_LOSS = 0.01  # assumption: Gilbert–Elliott good-state frame loss
BAD_LOSS = 0.6  # assumption: bad-state (fade, body shadowing) frame loss
GOOD_MEAN_S = 60.0  # assumption: mean sojourn in the good state
BAD_MEAN_S = 2.0  # assumption: mean loss burst
BUFFER_EVENTS = 256  # assumption: on-chip event buffer (FRAM, retained through brown-outs)
WALK_BOUT_MIN_STEPS = 7  # issue 7: only walking bouts of >= 7 steps are recorded

# --- phone, cloud, notifications (all assumptions, lognormal: median, sigma of ln) -------------
APP_MEDIAN_S, APP_SIGMA = 0.02, 0.5  # phone app handling a received frame
UI_MEDIAN_S, UI_SIGMA = 0.10, 0.3  # local feedback on the phone (vibration + screen)
UPLOAD_MEDIAN_S, UPLOAD_SIGMA = 0.3, 0.6  # phone → cloud over cellular / Wi-Fi
PUSH_MEDIAN_S, PUSH_SIGMA = 1.5, 0.7  # cloud → carer / clinician push notification
OFFLINE_PER_DAY = 1.0  # assumption: phone offline episodes per day (Poisson)
OFFLINE_MEAN_S = 600.0  # assumption: mean offline episode
IMPLANT_DRIFT_PPM = 50.0  # assumption: implant RC / crystal oscillator error
PHONE_DRIFT_PPM = -20.0  # assumption: phone clock error between network syncs
DRAIN_TAIL_S = 2 * 86400.0  # after the scenario, run on until every record is resolved


def _check(name: str, value: float, lo: float, hi: float) -> None:
    if not lo <= value <= hi:
        raise ChipError(f"{name} = {value!r}; expected {lo}..{hi}")


@dataclass(frozen=True, kw_only=True)
class PowerConfig:
    sleep_ua: float = ADXL362_WAKE_UA + BMI270_SUSPEND_UA + CORE_SLEEP_UA
    sampling_ua: float = BMI270_FULL_UA + CORE_ACTIVE_UA
    processing_ua: float = PROCESSING_UA
    processing_s: float = PROCESSING_S
    radio_ua: float = RADIO_UA
    frame_air_s: float = FRAME_AIR_S
    connected_idle_ua: float = CONNECTED_IDLE_UA


@dataclass(frozen=True, kw_only=True)
class EnergyConfig:
    """``source`` "harvest" (storage capacitor charged while the reader is in range) or
    "battery" (a primary cell; never browns out in this model)."""

    source: str = "harvest"
    capacitance_f: float = CAP_F
    v_max: float = CAP_V_MAX
    v_brownout: float = CAP_V_BROWNOUT
    v_restart: float = CAP_V_RESTART
    harvest_ua: float = HARVEST_UA
    battery_mah: float = BATTERY_MAH

    def __post_init__(self) -> None:
        if self.source not in ("harvest", "battery"):
            raise ChipError(f"energy source {self.source!r}; expected 'harvest' or 'battery'")
        if not 0 < self.v_brownout < self.v_restart <= self.v_max:
            raise ChipError(
                f"thresholds brown-out {self.v_brownout} V, restart {self.v_restart} V, "
                f"max {self.v_max} V; expected 0 < brown-out < restart <= max"
            )
        _check("capacitance_f", self.capacitance_f, 1e-6, 10.0)
        _check("battery_mah", self.battery_mah, 0.1, 10_000.0)


@dataclass(frozen=True, kw_only=True)
class LinkConfig:
    connection_interval_s: float = CONNECTION_INTERVAL_S
    advertising_interval_s: float = ADVERTISING_INTERVAL_S
    good_loss: float = GOOD_LOSS
    bad_loss: float = BAD_LOSS
    good_mean_s: float = GOOD_MEAN_S
    bad_mean_s: float = BAD_MEAN_S

    def __post_init__(self) -> None:
        _check("connection_interval_s", self.connection_interval_s, 0.0075, 4.0)
        _check("good_loss", self.good_loss, 0.0, 0.99)
        _check("bad_loss", self.bad_loss, 0.0, 0.99)


@dataclass(frozen=True, kw_only=True)
class ScheduleConfig:
    """When the reader (worn RF reader paired with the phone) is in range, when the phone is
    offline, and injected supply failures. Times of day in hours; ``absences_s``, ``offline_s``
    and ``brownouts_s`` are (start, duration) windows in scenario seconds (brown-outs add to the
    scenario's own brown-out faults)."""

    night_absent_h: tuple[float, float] | None = (22.0, 7.0)
    absences_s: tuple[tuple[float, float], ...] = ()
    offline_s: tuple[tuple[float, float], ...] = ()
    brownouts_s: tuple[tuple[float, float], ...] = ()
    offline_per_day: float = OFFLINE_PER_DAY
    offline_mean_s: float = OFFLINE_MEAN_S


@dataclass(frozen=True, kw_only=True)
class SystemConfig:
    power: PowerConfig = field(default_factory=PowerConfig)
    energy: EnergyConfig = field(default_factory=EnergyConfig)
    link: LinkConfig = field(default_factory=LinkConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    buffer_events: int = BUFFER_EVENTS
    walk_bout_min_steps: int = WALK_BOUT_MIN_STEPS
    implant_drift_ppm: float = IMPLANT_DRIFT_PPM
    phone_drift_ppm: float = PHONE_DRIFT_PPM
    drain_tail_s: float = DRAIN_TAIL_S

    def __post_init__(self) -> None:
        _check("buffer_events", self.buffer_events, 1, 1_000_000)
        _check("implant_drift_ppm", self.implant_drift_ppm, -1000, 1000)
        _check("phone_drift_ppm", self.phone_drift_ppm, -1000, 1000)
