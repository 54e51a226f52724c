"""Scenario + seed → physical signals and ground truth.

The same scenario and seed give bit-identical output; every random draw comes from the one
``numpy.random.Generator`` made from the seed. Rendering is streamed segment by segment into
preallocated arrays, so a day at 100 Hz stays well inside a gigabyte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.signal import decimate as _sp_decimate

from scenarios import falls, gait, lookalikes, postures
from scenarios.daily import expand_daily_living
from scenarios.faults import apply_faults, fault_truth
from scenarios.kinematics import add_impacts, body_frame_signals, mount_matrix
from scenarios.model import Scenario, Segment
from scenarios.motion import Body, Context, Motion
from scenarios.physiology import G_MPS2, plate_share
from scenarios.sites import SITES
from scenarios.temperature import sensor_temperature_c

DEFAULT_TRUTH_RATE_HZ = 1000.0
MIN_RATE_HZ, MAX_RATE_HZ = 50.0, 20000.0
#: ≈ 1.2 GB of float32 signals; a day at 100 Hz is 8.64 M samples.
MAX_SAMPLES = 30_000_000
#: Static activities longer than this are rendered in chunks to bound memory.
CHUNK_S = 600.0

RENDERERS: dict[str, Callable[[Segment, Context], Motion]] = {
    "stand": postures.render_stand,
    "sit": postures.render_sit,
    "lie": postures.render_lie,
    "weight_shift": postures.render_weight_shift,
    "sit_to_stand": postures.render_sit_to_stand,
    "stand_to_sit": postures.render_stand_to_sit,
    "hard_sit": postures.render_hard_sit,
    "lie_down_fast": postures.render_lie_down_fast,
    "jump": postures.render_jump,
    "fall": falls.render_fall,
    "get_up": falls.render_get_up,
    "walk": gait.render_gait,
    "stairs_up": gait.render_gait,
    "stairs_down": gait.render_gait,
    "jog": gait.render_gait,
    "stumble": gait.render_stumble,
    "near_fall": gait.render_near_fall,
    **lookalikes.RENDERERS,
}
STATIC = ("stand", "sit", "lie")

SIGNAL_DTYPE = np.float32
EVENT_DTYPE = np.dtype([("t_s", "f8"), ("kind", "U24"), ("value", "f8")])
SEGMENT_DTYPE = np.dtype([("t_start_s", "f8"), ("t_end_s", "f8"), ("activity", "U24")])


@dataclass
class Rendering:
    """Physical signals at ``rate_hz`` and the truth, in the units of ICD section 4."""

    scenario: Scenario
    seed: int
    rate_hz: float
    acc_mps2: np.ndarray  # (N, 3)
    gyr_dps: np.ndarray  # (N, 3)
    strain_ue: np.ndarray  # (N,)
    load_n: np.ndarray  # (N,)
    temp_c: np.ndarray  # (N,)
    events: np.ndarray  # EVENT_DTYPE, sorted by time
    segments: np.ndarray  # SEGMENT_DTYPE
    overload_limit_n: float | None = None
    attrs: dict[str, float | str] = field(default_factory=dict)
    #: Kinematic truth of the instrumented leg (degrees, float32): knee flexion (0 = straight,
    #: positive flexed) and the shank's (tibia's) sagittal pitch from the vertical, positive when
    #: its proximal end tilts forward. None for renderings made elsewhere (tests, replays).
    knee_flex_deg: np.ndarray | None = None
    shank_pitch_deg: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.load_n)

    @property
    def duration_s(self) -> float:
        return self.n / self.rate_hz

    @property
    def t_s(self) -> np.ndarray:
        return np.arange(self.n) / self.rate_hz

    def events_of(self, kind: str) -> np.ndarray:
        return self.events[self.events["kind"] == kind]

    def decimated(self, rate_hz: float) -> Rendering:
        """A view at a lower rate (e.g. the chip's 100 Hz) through an FIR anti-alias filter."""
        factor = self.rate_hz / rate_hz
        if factor < 1 or abs(factor - round(factor)) > 1e-9:
            raise ValueError(f"rate_hz {rate_hz:g} must divide the rendering rate {self.rate_hz:g}")
        q = round(factor)
        if q == 1:
            return self

        def dec(x: np.ndarray) -> np.ndarray:
            # NaN (dropouts) would spread through the filter: filter a filled copy, re-mark gaps.
            gaps = np.isnan(x)
            y = _sp_decimate(np.where(gaps, 0.0, x), q, ftype="fir", axis=0, zero_phase=True)
            return np.where(gaps[::q][: len(y)], np.nan, y)

        return replace(
            self,
            rate_hz=rate_hz,
            acc_mps2=dec(self.acc_mps2),
            gyr_dps=dec(self.gyr_dps),
            strain_ue=dec(self.strain_ue),
            load_n=self.load_n[::q].copy(),
            temp_c=self.temp_c[::q].copy(),
            knee_flex_deg=None if self.knee_flex_deg is None else self.knee_flex_deg[::q].copy(),
            shank_pitch_deg=(
                None if self.shank_pitch_deg is None else self.shank_pitch_deg[::q].copy()
            ),
        )


MAX_SEED = 2**63 - 1


def check_seed(seed: int) -> None:
    """Seeds are recorded as int64 in every output; refuse what cannot be recorded."""
    if (
        isinstance(seed, bool)
        or not isinstance(seed, int | np.integer)
        or not 0 <= seed <= MAX_SEED
    ):
        raise ValueError(f"seed {seed!r} is out of range; expected an integer in 0..{MAX_SEED}")


def expand(scenario: Scenario, rng: np.random.Generator) -> list[Segment]:
    """Primitive segments: composites expanded, long static ones split into chunks."""
    out: list[Segment] = []
    t = 0.0
    for seg in scenario.timeline:
        if seg.activity == "daily_living":
            parts = expand_daily_living(seg, scenario.start_time_of_day_h + t / 3600, rng)
        else:
            parts = [seg]
        for part in parts:
            if part.activity in STATIC and part.duration_s > CHUNK_S:
                k = int(np.ceil(part.duration_s / CHUNK_S))
                out += [replace(part, duration_s=part.duration_s / k)] * k
            else:
                out.append(part)
        t += seg.duration_s
    return out


def render(
    scenario: Scenario,
    seed: int,
    *,
    rate_hz: float = DEFAULT_TRUTH_RATE_HZ,
    duration_s: float | None = None,
) -> Rendering:
    """Render a full-detail scenario (optionally only its first ``duration_s``)."""
    if scenario.is_digest and not scenario.timeline:
        raise ValueError(
            f"scenario {scenario.name!r} is a weeks-long course; render it with "
            "scenarios.digest.render_digest"
        )
    check_seed(seed)
    if not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
        raise ValueError(
            f"rate_hz {rate_hz:g} is out of range; expected {MIN_RATE_HZ:g}..{MAX_RATE_HZ:g} Hz"
        )
    rng = np.random.default_rng(seed)
    patient = scenario.patient
    site = SITES[patient.implant_site]
    body = Body.of(patient)
    course = scenario.healing.course if scenario.healing else "normal"
    share = (
        float(plate_share(patient.weeks_post_op, course)) if site.name.endswith("plate") else 1.0
    )
    ctx = Context(patient, site, body, rate_hz, rng, implant_share=share)

    segments = expand(scenario, rng)
    if duration_s is not None:
        segments = _truncate(segments, duration_s)
    # Sample boundaries from the cumulative durations, so rounding never accumulates.
    bounds = np.round(np.cumsum([0.0] + [s.duration_s for s in segments]) * rate_hz).astype(int)
    sizes = [max(int(b), 1) for b in np.diff(bounds)]
    n = int(sum(sizes))
    if n > MAX_SAMPLES:
        raise ValueError(
            f"{scenario.name}: {n / rate_hz:g} s at {rate_hz:g} Hz is {n:,} samples; "
            f"expected at most {MAX_SAMPLES:,} (lower rate_hz or render a shorter duration)"
        )
    # Signals are held in float32 (24-bit mantissa, far finer than the chip's 16-bit codes): half
    # the memory, and on this class of machine first-touching memory dominates a day's render.
    # Capture files store float64 as ICD section 4 requires.
    acc = np.empty((n, 3), dtype=SIGNAL_DTYPE)
    gyr = np.empty((n, 3), dtype=SIGNAL_DTYPE)
    load_bw = np.empty(n, dtype=SIGNAL_DTYPE)
    knee_deg = np.empty(n, dtype=SIGNAL_DTYPE)
    shank_deg = np.empty(n, dtype=SIGNAL_DTYPE)
    events: list[tuple[float, str, float]] = []
    labels: list[tuple[float, float, str]] = []
    mount = mount_matrix(*patient.sensor_orientation_deg)
    aligned = bool(np.allclose(mount, np.eye(3)))
    prev_pose: np.ndarray | None = None
    prev_pos = prev_ang = None
    x_end = floor_m = 0.0
    i0 = 0
    for seg, size in zip(segments, sizes, strict=True):
        m = RENDERERS[seg.activity](seg, ctx)
        m = _fit(m, size)
        if prev_pose is not None:
            prev_pose[6] -= floor_m  # blend heights above the floor the segment starts on
            m.blend_from(prev_pose, rate_hz)
        # Forward position continues where it was. Each segment is kept in its own x origin (its
        # start at 0) and the previous positions are shifted to it: only differences matter, and
        # kilometres of walking would otherwise cost precision in the second derivative.
        m.hip[:, 0] -= m.hip[0, 0]
        if prev_pos is not None:
            prev_pos[:, 0] -= x_end
        m.hip[:, 2] += floor_m
        t0 = i0 / rate_hz
        force, omega, prev_pos, prev_ang = body_frame_signals(
            m, site, body, rate_hz, prev_pos, prev_ang
        )
        add_impacts(force, m.impacts, rate_hz, 0.0)
        # Sensor frame = segment frame rotated by the mounting: v_sensor = Mᵀ v_segment.
        if aligned:
            acc[i0 : i0 + size] = force
            np.multiply(omega, 180.0 / np.pi, out=gyr[i0 : i0 + size])
        else:
            acc[i0 : i0 + size] = force @ mount
            gyr[i0 : i0 + size] = np.rad2deg(omega) @ mount
        load_bw[i0 : i0 + size] = m.load_bw
        np.rad2deg(m.shank - m.thigh, out=knee_deg[i0 : i0 + size], casting="unsafe")
        np.rad2deg(m.shank, out=shank_deg[i0 : i0 + size], casting="unsafe")
        events += [(t0 + t, kind, value) for t, kind, value in m.events]
        end = size / rate_hz
        labels += [
            (t0 + min(a, end), t0 + (end if k == len(m.labels) - 1 else min(b, end)), act)
            for k, (a, b, act) in enumerate(m.labels)
        ]
        prev_pose = m.end_pose()
        x_end = float(m.hip[-1, 0])
        floor_m += m.floor_change_m
        i0 += size

    # Soft-tissue wobble and physiological tremor: small broadband motion the sensor really sees
    # (assumption: 0.05 m/s² and 0.3 °/s rms).
    # Drawn in float32 and in chunks: half the time and a bounded temporary for a day of data.
    for lo in range(0, n, 1 << 20):
        hi = min(lo + (1 << 20), n)
        acc[lo:hi] += 0.05 * rng.standard_normal((hi - lo, 3), dtype=np.float32)
        gyr[lo:hi] += 0.3 * rng.standard_normal((hi - lo, 3), dtype=np.float32)
    load_n = np.maximum(load_bw, 0.0)
    load_n *= patient.weight_n
    strain = load_n * np.float32(site.strain_ue_per_n)
    temp = sensor_temperature_c(
        scenario.temperature,
        n,
        rate_hz,
        weeks_post_op0=patient.weeks_post_op,
        start_hour=scenario.start_time_of_day_h,
    )
    limit_n = None
    if ctx.limit_bw is not None and site.load_path != "none":
        limit_n = ctx.limit_bw * patient.weight_n
    _fill_impact_values(events, acc, rate_hz)
    events += _overload_truth(load_n, limit_n, rate_hz)
    faults = tuple(f for f in scenario.faults if f.t_start_s < n / rate_hz)
    signals = {"acc": acc, "gyr": gyr, "strain": strain, "temp": temp}
    apply_faults(signals, faults, rate_hz)
    events += fault_truth(faults)
    if scenario.temperature.infection is not None:
        inf = scenario.temperature.infection
        onset_s = (inf.onset_day - patient.weeks_post_op * 7) * 86400
        if 0 <= onset_s < n / rate_hz:
            events.append((onset_s, "infection_onset", inf.rise_c))
    ev = np.array(sorted(events, key=lambda e: (e[0], e[1])), dtype=EVENT_DTYPE)
    return Rendering(
        scenario=scenario,
        seed=seed,
        rate_hz=rate_hz,
        acc_mps2=acc,
        gyr_dps=gyr,
        strain_ue=strain,
        load_n=load_n,
        temp_c=temp,
        events=ev,
        segments=np.array(_merge(labels), dtype=SEGMENT_DTYPE),
        overload_limit_n=limit_n,
        attrs={"implant_share": share},
        knee_flex_deg=knee_deg,
        shank_pitch_deg=shank_deg,
    )


def _fit(m: Motion, size: int) -> Motion:
    """Renderers round durations themselves; make the arrays exactly ``size`` long."""
    if m.n == size:
        return m
    idx = np.minimum(np.arange(size), m.n - 1)
    return replace(
        m,
        thigh=m.thigh[idx],
        shank=m.shank[idx],
        trunk=m.trunk[idx],
        roll=m.roll[idx],
        yaw=m.yaw[idx],
        hip=m.hip[idx],
        load_bw=m.load_bw[idx],
    )


def _truncate(segments: list[Segment], duration_s: float) -> list[Segment]:
    out, t = [], 0.0
    for s in segments:
        if t >= duration_s:
            break
        out.append(replace(s, duration_s=min(s.duration_s, duration_s - t)))
        t += s.duration_s
    return out


def _merge(labels: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Join adjacent pieces of the same activity (chunks of a long rest, split renders)."""
    out: list[tuple[float, float, str]] = []
    for a, b, act in labels:
        if out and out[-1][2] == act and abs(out[-1][1] - a) < 1e-6:
            out[-1] = (out[-1][0], b, act)
        else:
            out.append((a, b, act))
    return out


def _fill_impact_values(events: list, acc: np.ndarray, rate_hz: float) -> None:
    """Value of an impact-like truth event: the peak |acceleration| (g) the sensor saw within
    150 ms of it."""
    kinds = {"fall_impact", "jump_landing", "hard_sit_impact", "stumble", "near_fall"}
    for k, (t, kind, _) in enumerate(events):
        if kind in kinds:
            i = int(t * rate_hz)
            w = int(0.15 * rate_hz)
            lo, hi = max(i - w, 0), min(i + w + 1, len(acc))
            if hi > lo:
                peak = float(np.max(np.linalg.norm(acc[lo:hi], axis=1))) / G_MPS2
                events[k] = (t, kind, round(peak, 3))


def _overload_truth(load_n: np.ndarray, limit_n: float | None, rate_hz: float):
    """Intervals where the implant load exceeds the prescribed limit (no minimum duration: the
    chip's minimum duration is a register, and the verification applies it)."""
    if limit_n is None:
        return []
    above = load_n > limit_n
    edges = np.flatnonzero(np.diff(above.astype(np.int8)))
    starts = list(edges[~above[edges]] + 1)
    ends = list(edges[above[edges]] + 1)
    if above[0]:
        starts.insert(0, 0)
    if above[-1]:
        ends.append(len(above))
    out = []
    for s, e in zip(starts, ends, strict=True):
        out.append((s / rate_hz, "overload_start", float(np.max(load_n[s:e]))))
        out.append((e / rate_hz, "overload_end", (e - s) / rate_hz))
    return out
