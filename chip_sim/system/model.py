"""``run_system``: one patient's scenario through implant, link, phone, cloud and notifications.

All randomness comes from one ``numpy.random.Generator`` seeded from ``seed`` (recorded in the
result) and passed down; the scenario's own render uses the same seed, as ``run_scenario`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import simpy

from chip_sim.errors import ChipError
from chip_sim.system.backend import LOCAL, VIA_CLOUD, Backend, offline_windows
from chip_sim.system.config import SystemConfig
from chip_sim.system.energy import STATES, EnergyStore
from chip_sim.system.implant import Implant
from chip_sim.system.ledger import DELIVERED, LOST, UNPOWERED, Ledger
from chip_sim.system.link import Link, absences, connection, presence
from chip_sim.system.workload import Workload, chip_workload, digest_workload
from scenarios import library

HOPS = (
    "chip→phone",
    "phone→cloud",
    "cloud→notify",
    "phone→patient",
    "end-to-end",
    "day end→clinician",
)
PERCENTILES = (50, 95, 99)
RECIPIENTS = {**LOCAL, **VIA_CLOUD}  # who is notified of a record kind; others go to the cloud


def hop_latencies_s(led: Ledger, kind: str) -> dict[str, np.ndarray]:
    """Per hop (``HOPS``), the latencies of the delivered records of ``kind``."""
    m = (led.records["kind"] == kind) & (led.fate == DELIVERED)
    dec, ph, cl, no = led.t_decided[m], led.t_phone[m], led.t_cloud[m], led.t_notify[m]
    local = led.recipient[m] == "patient"
    out = {
        "chip→phone": ph - dec,
        "phone→cloud": cl - ph,
        "cloud→notify": (no - cl)[~local],
        "phone→patient": (no - ph)[local],
        "end-to-end": np.where(led.recipient[m] != "", no, cl) - dec,
    }
    if kind == "DAILY":  # the day's summary is due at the day's end, whenever decided
        out["day end→clinician"] = no - led.records["t_s"][m]
    return {h: v[~np.isnan(v)] for h, v in out.items()}


def latency_rows(led: Ledger, decided: np.ndarray) -> list[str]:
    """The latency table's head and rows: per kind of the ``decided`` records, per hop."""
    head = f"{'event':<16}{'to':<10}{'n':>6}{'lost':>6}  {'hop':<18}"
    head += "".join(f"{'p' + str(p):>11}" for p in PERCENTILES) + f"{'max':>11}"
    lines = [head]
    for kind in sorted(set(led.records["kind"][decided])):
        lat = hop_latencies_s(led, kind)
        n = len(lat["chip→phone"])
        first = True
        for hop in HOPS:
            v = lat.get(hop, np.zeros(0))
            if len(v) == 0:
                continue
            to = RECIPIENTS.get(kind, "cloud")
            pre = f"{kind:<16}{to:<10}{n:>6}{led.lost_by_kind[kind]:>6}" if first else " " * 38
            q = "".join(f"{np.percentile(v, p):>11.3f}" for p in PERCENTILES)
            lines.append(f"{pre}  {hop:<18}{q}{v.max():>11.3f}")
            first = False
    return lines


@dataclass(frozen=True)
class SystemResult:
    scenario_name: str
    seed: int
    config: SystemConfig
    workload: Workload
    ledger: Ledger
    duration_s: float
    charge_c: dict[str, float]  # per power state, over the scenario (not the drain tail)
    brownouts: int  # all, including forced_brownouts
    forced_brownouts: int  # injected supply faults (scenario faults, configured windows)
    off_s: float
    voltage_trace: np.ndarray  # (n, 2): t_s, V (harvest only)
    away_s: list[tuple[float, float]]
    connected_s: list[list[float]]  # link connections (start, end)
    offline_s: list[tuple[float, float]]
    clinician_days: list[tuple[int, float, float]]
    end_s: float
    supply_off_s: tuple[tuple[float, float], ...]  # windows without power, scenario time
    feedback_passes: int  # golden-model runs until the brown-outs fed back were stable
    feedback_residual_s: float  # their last change (0 when stable)

    # --- counts --------------------------------------------------------------------------------
    @property
    def decided(self) -> int:
        return int(self.ledger.decided.sum())

    @property
    def delivered(self) -> int:
        return int(np.sum(self.ledger.fate == DELIVERED))

    @property
    def lost(self) -> int:
        return int(np.sum(self.ledger.fate == LOST))

    @property
    def unpowered(self) -> int:
        return int(np.sum(self.ledger.fate == UNPOWERED))

    @property
    def pending(self) -> int:
        return self.decided - self.delivered - self.lost

    @property
    def mean_current_ua(self) -> float:
        return sum(self.charge_c.values()) / self.duration_s * 1e6

    @property
    def battery_life_days(self) -> float | None:
        if self.config.energy.source != "battery":
            return None
        return self.config.energy.battery_mah * 3.6 / (self.mean_current_ua * 1e-6) / 86400.0

    def hop_latencies_s(self, kind: str) -> dict[str, np.ndarray]:
        return hop_latencies_s(self.ledger, kind)

    # --- tables --------------------------------------------------------------------------------
    def latency_table(self) -> str:
        led = self.ledger
        lines = [
            f"Latency per hop (s) — {self.scenario_name}, seed {self.seed}, "
            f"{self.duration_s / 86400:.3g} days",
            *latency_rows(led, led.decided),
        ]
        lines.append(
            f"records decided {self.decided} = delivered {self.delivered} + lost "
            f"(buffer overflow) {self.lost} + pending {self.pending}; not decided while browned "
            f"out {self.unpowered}; filtered by policy: "
            + ", ".join(f"{k} {v}" for k, v in self.workload.filtered.items())
        )
        ts = led.ts_error_s[~np.isnan(led.ts_error_s)]
        lines.append(
            f"link: {led.tx_attempts} frames, {led.retransmissions} retransmitted, "
            f"{led.frames_lost_in_flight} lost in flight to brown-outs, buffer peak "
            f"{led.max_occupancy}/{self.config.buffer_events}; timestamp error from clock drift "
            f"max {np.abs(ts).max() if len(ts) else 0.0:.3f} s"
        )
        return "\n".join(lines)

    def energy_table(self) -> str:
        e = self.config.energy
        total = sum(self.charge_c.values())
        lines = [
            f"Energy — source {e.source}, {self.duration_s / 3600:.3g} h simulated",
            f"{'state':<12}{'charge mC':>12}{'mean µA':>10}{'share':>8}",
        ]
        for s in STATES:
            c = self.charge_c[s]
            lines.append(
                f"{s:<12}{c * 1e3:>12.3f}{c / self.duration_s * 1e6:>10.2f}"
                f"{(c / total if total else 0):>8.1%}"
            )
        lines.append(f"{'total':<12}{total * 1e3:>12.3f}{self.mean_current_ua:>10.2f}")
        if e.source == "harvest":
            lines.append(
                f"brown-outs {self.brownouts} ({self.forced_brownouts} injected), "
                f"off {self.off_s / 3600:.3g} h "
                f"({self.off_s / self.duration_s:.1%}); capacitor {e.capacitance_f * 1e3:g} mF, "
                f"brown-out {e.v_brownout} V, restart {e.v_restart} V"
            )
        else:
            lines.append(
                f"brown-outs {self.brownouts} (all injected faults); "
                f"battery {e.battery_mah:g} mAh → life "
                f"{self.battery_life_days:.0f} days ({self.battery_life_days / 365.25:.2f} years)"
            )
        return "\n".join(lines)


#: The golden model is re-run with the brown-outs the system model caused until the supply's off
#: windows repeat (usually the second pass: the windows depend on the reader and the charge, not
#: on the few records that change); at most this many passes.
MAX_FEEDBACK_PASSES = 4
FEEDBACK_TOLERANCE_S = 0.005  # half a sample at 100 Hz: the windows are taken as equal


def run_system(
    scenario_name: str,
    seed: int,
    *,
    days: float | None = None,
    config: SystemConfig | None = None,
) -> SystemResult:
    """Simulate ``scenario_name`` (library name or file) for its length or ``days``. A weeks-long
    course runs in digest mode (DAILY summaries; the clinician gets the healing trend daily).

    At full detail the implant's brown-outs are fed back into the golden model (its detectors
    restart, a RESET record follows each) until the off windows are stable."""
    cfg = config or SystemConfig()
    if days is not None and not 0 < days <= 366:
        raise ChipError(f"days = {days!r}; expected more than 0 and at most 366")
    scenario = library.load(scenario_name)
    if scenario.is_digest:  # DAILY summaries are kept for the next power-up: nothing to feed back
        work = digest_workload(scenario, seed, days=days, drift_ppm=cfg.implant_drift_ppm)
        return _simulate(work, cfg, seed, passes=1)
    supply_off: tuple[tuple[float, float], ...] = ()
    runs: dict = {}  # golden-model runs shared by the passes: a window that stays needs no rerun
    for n in range(1, MAX_FEEDBACK_PASSES + 1):
        work = chip_workload(
            scenario,
            seed,
            duration_s=None if days is None else days * 86400.0,
            min_steps=cfg.walk_bout_min_steps,
            drift_ppm=cfg.implant_drift_ppm,
            supply_off_s=supply_off,
            runs=runs,
        )
        result = _simulate(work, cfg, seed, passes=n)
        residual_s = _window_residual_s(supply_off, result.supply_off_s)
        if residual_s <= FEEDBACK_TOLERANCE_S:
            break
        supply_off = result.supply_off_s
    return replace(result, feedback_residual_s=residual_s)


def _window_residual_s(a, b) -> float:
    """Largest edge difference between two lists of windows (inf when their counts differ)."""
    if len(a) != len(b):
        return float("inf")
    return max(
        (max(abs(x0 - y0), abs(x1 - y1)) for (x0, x1), (y0, y1) in zip(a, b, strict=True)),
        default=0.0,
    )


def _simulate(work: Workload, cfg: SystemConfig, seed: int, *, passes: int) -> SystemResult:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    rng_link, rng_phone, rng_offline = rng.spawn(3)
    env = simpy.Environment()
    ledger = Ledger(work.records)
    energy = EnergyStore(env, cfg.energy)
    link = Link(env, cfg.link, energy, rng_link)
    backend = Backend(
        env,
        ledger,
        rng_phone,
        drift_ppm=cfg.implant_drift_ppm - cfg.phone_drift_ppm,
        trend=work.trend,
    )
    implant = Implant(
        env,
        cfg.power,
        energy,
        link,
        ledger,
        buffer_events=cfg.buffer_events,
        phone_inbox=backend.inbox,
    )
    end_s = work.duration_s
    away = absences(cfg.schedule, start_hour=work.start_hour, end_s=end_s)
    offline = offline_windows(
        rng_offline,
        per_day=cfg.schedule.offline_per_day,
        mean_s=cfg.schedule.offline_mean_s,
        end_s=end_s,
        fixed=cfg.schedule.offline_s,
    )
    env.process(presence(env, link, away))
    env.process(connection(env, link, cfg.power.connected_idle_ua, cfg.power.radio_ua))
    env.process(implant.motion(env, work.motion_s))
    env.process(implant.decide(env))
    env.process(implant.restart(env))
    env.process(implant.radio(env))
    for proc in (backend.app, backend.uploader, backend.ingest, backend.notifier):
        env.process(proc(env))
    env.process(backend.offline(env, offline))
    forced = sorted([*work.brownouts_s, *((a, a + d) for a, d in cfg.schedule.brownouts_s)])
    env.process(energy.forced_brownouts(env, forced))
    env.run(until=end_s)
    energy.finish()
    charge, brownouts, off_s = dict(energy.charge_c), energy.brownouts, energy.off_s
    forced_brownouts = energy.forced
    while (ledger.unresolved() or not implant.settled) and env.now < end_s + cfg.drain_tail_s:
        env.run(until=env.now + 60.0)
    trace = np.array(energy.trace or [(0.0, np.nan)], dtype=float)
    supply_off = tuple(
        (float(a), float(min(b, end_s))) for a, b in energy.off_intervals if a < end_s
    )
    return SystemResult(
        work.scenario_name,
        seed,
        cfg,
        work,
        ledger,
        end_s,
        charge,
        brownouts,
        forced_brownouts,
        off_s,
        trace,
        away,
        link.connected_intervals,
        offline,
        sorted(backend.clinician_days),
        env.now,
        supply_off,
        passes,
        0.0,
    )
