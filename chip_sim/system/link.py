"""The reader's presence over the patient's day and the radio link between implant and reader.

The reader is the phone with its worn RF reader: in range it powers the implant (harvesting) and
holds a BLE-class connection (connection events every ``connection_interval_s``). Frame loss
follows a Gilbert–Elliott channel: a good and a bad (fade / body shadowing) state with
exponential sojourns and their own loss probability; a lost frame is retransmitted at the next
connection event."""

from __future__ import annotations

import math

import numpy as np
import simpy

from chip_sim.intervals import merge_intervals
from chip_sim.system.config import LinkConfig, ScheduleConfig
from chip_sim.system.energy import EnergyStore


def absences(
    sched: ScheduleConfig, *, start_hour: float, end_s: float
) -> list[tuple[float, float]]:
    """Merged (start, end) intervals of scenario time when the reader is out of range."""
    out: list[tuple[float, float]] = [(a, a + d) for a, d in sched.absences_s]
    if sched.night_absent_h is not None:
        leave_h, back_h = sched.night_absent_h
        night_h = (back_h - leave_h) % 24
        day0 = -start_hour * 3600.0
        for k in range(-1, int(end_s // 86400) + 2):
            a = day0 + k * 86400.0 + leave_h * 3600.0
            out.append((a, a + night_h * 3600.0))
    return merge_intervals(out, 0.0, end_s)


class Link:
    def __init__(
        self, env: simpy.Environment, cfg: LinkConfig, energy: EnergyStore, rng: np.random.Generator
    ):
        self.env, self.cfg, self.energy, self.rng = env, cfg, energy, rng
        self.in_range = False
        self.connected = False
        self.anchor_s = 0.0
        self.last_sync_s = 0.0
        self.range_changed = env.event()
        self.on_connect = env.event()
        self.transmitting = False
        self.bad = False
        self._switch_s = rng.exponential(cfg.good_mean_s)
        self.bad_s = 0.0  # time spent in the bad state (for the report)
        self.connected_intervals: list[list[float]] = []

    # --- Gilbert–Elliott channel ---------------------------------------------------------------
    def frame_lost(self) -> bool:
        now = self.env.now
        while self._switch_s <= now:
            self.bad = not self.bad
            mean = self.cfg.bad_mean_s if self.bad else self.cfg.good_mean_s
            self._switch_s += self.rng.exponential(mean)
        p = self.cfg.bad_loss if self.bad else self.cfg.good_loss
        return bool(self.rng.random() < p)

    def next_anchor(self) -> float:
        ci = self.cfg.connection_interval_s
        k = math.ceil((self.env.now - self.anchor_s) / ci - 1e-9)
        return self.anchor_s + max(k, 0) * ci

    # --- radio current -------------------------------------------------------------------------
    def radio_load(self, idle_ua: float, tx_ua: float) -> None:
        self.energy.set_load(
            "radio", (idle_ua if self.connected else 0.0) + (tx_ua if self.transmitting else 0.0)
        )

    def set_range(self, in_range: bool) -> None:
        self.in_range = in_range
        self.energy.set_in_range(in_range)
        ev, self.range_changed = self.range_changed, self.env.event()
        ev.succeed()


def presence(env: simpy.Environment, link: Link, away: list[tuple[float, float]]):
    """The reader comes and goes: in range except during ``away``."""
    t = 0.0
    for a, b in away:
        if a > t:
            yield env.timeout(t - env.now)
            link.set_range(True)
            yield env.timeout(a - env.now)
            link.set_range(False)
        t = b
    yield env.timeout(max(0.0, t - env.now))
    link.set_range(True)  # stays after the last absence (and after the scenario: buffers drain)


def connection(env: simpy.Environment, link: Link, idle_ua: float, tx_ua: float):
    """Advertise while powered and in range; connected until the reader leaves or power fails."""
    energy = link.energy
    while True:
        if not (link.in_range and energy.powered):
            yield env.any_of([link.range_changed, energy.power_back])
            continue
        yield env.timeout(link.rng.uniform(0, link.cfg.advertising_interval_s))
        if not (link.in_range and energy.powered):
            continue
        link.connected = True
        link.anchor_s = link.last_sync_s = env.now  # the phone reads the chip's sample index
        link.connected_intervals.append([env.now, float("inf")])
        link.radio_load(idle_ua, tx_ua)
        ev, link.on_connect = link.on_connect, env.event()
        ev.succeed()
        while link.in_range and energy.powered:
            yield env.any_of([link.range_changed, energy.power_lost])
        link.connected = False
        link.connected_intervals[-1][1] = env.now
        link.radio_load(idle_ua, tx_ua)
