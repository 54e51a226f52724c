"""Phone app, cloud ingest and notifications.

The phone app receives each acknowledged record, timestamps it from the chip's sample index
against the last link sync (clock drift between implant and phone shows here), gives the patient
OVERLOAD feedback locally, and uploads everything to the cloud while it is online (a backlog goes
in one batch). The cloud alerts the carer on FALL and sends the clinician the day's healing trend
on each DAILY summary. Delays are lognormal (medians and spreads in ``config``: assumptions)."""

from __future__ import annotations

import numpy as np
import simpy

from chip_sim.system import config
from chip_sim.system.ledger import Ledger

LOCAL = {"OVERLOAD_START": "patient"}
VIA_CLOUD = {"FALL": "carer", "DAILY": "clinician"}


def _lognormal(rng: np.random.Generator, median_s: float, sigma: float) -> float:
    return float(median_s * np.exp(sigma * rng.standard_normal()))


def offline_windows(
    rng: np.random.Generator, *, per_day: float, mean_s: float, end_s: float, fixed
) -> list[tuple[float, float]]:
    out = [(a, a + d) for a, d in fixed]
    if per_day > 0:
        t = rng.exponential(86400.0 / per_day)
        while t < end_s:
            d = rng.exponential(mean_s)
            out.append((t, t + d))
            t += d + rng.exponential(86400.0 / per_day)
    return sorted(out)


class Backend:
    def __init__(
        self,
        env: simpy.Environment,
        ledger: Ledger,
        rng: np.random.Generator,
        *,
        drift_ppm: float,
        trend: np.ndarray | None,
    ):
        self.env, self.ledger, self.rng = env, ledger, rng
        self.drift = drift_ppm * 1e-6  # implant minus phone
        self.trend = trend
        self.inbox = simpy.Store(env)
        self.uploads = simpy.Store(env)
        self.cloud = simpy.Store(env)
        self.notify = simpy.Store(env)
        self.online = True
        self.back_online = env.event()
        self.clinician_days: list[tuple[int, float, float]] = []  # (day, trend, time)

    def offline(self, env: simpy.Environment, windows: list[tuple[float, float]]):
        for a, b in windows:
            yield env.timeout(max(0.0, a - env.now))
            self.online = False
            yield env.timeout(max(0.0, b - env.now))
            self.online = True
            ev, self.back_online = self.back_online, env.event()
            ev.succeed()

    def app(self, env: simpy.Environment):
        led = self.ledger
        while True:
            i = yield self.inbox.get()
            yield env.timeout(_lognormal(self.rng, config.APP_MEDIAN_S, config.APP_SIGMA))
            led.t_phone[i] = env.now
            # The phone dates the record from the sample index counted since the last sync.
            led.ts_error_s[i] = (led.t_decided[i] - led.sync_s[i]) * self.drift
            kind = str(led.records["kind"][i])
            if kind in LOCAL:
                led.recipient[i] = LOCAL[kind]
                self.notify.put((i, _lognormal(self.rng, config.UI_MEDIAN_S, config.UI_SIGMA)))
            elif kind in VIA_CLOUD:
                led.recipient[i] = VIA_CLOUD[kind]
            self.uploads.put(i)

    def uploader(self, env: simpy.Environment):
        while True:
            first = yield self.uploads.get()
            while not self.online:
                yield self.back_online
            batch = [first, *self.uploads.items]
            self.uploads.items.clear()
            yield env.timeout(_lognormal(self.rng, config.UPLOAD_MEDIAN_S, config.UPLOAD_SIGMA))
            for i in batch:
                self.cloud.put(i)

    def ingest(self, env: simpy.Environment):
        led = self.ledger
        while True:
            i = yield self.cloud.get()
            led.t_cloud[i] = env.now
            kind = str(led.records["kind"][i])
            if kind in VIA_CLOUD:
                self.notify.put((i, _lognormal(self.rng, config.PUSH_MEDIAN_S, config.PUSH_SIGMA)))

    def notifier(self, env: simpy.Environment):
        while True:
            i, delay_s = yield self.notify.get()
            env.process(self._deliver(env, i, delay_s))

    def _deliver(self, env: simpy.Environment, i: int, delay_s: float):
        yield env.timeout(delay_s)
        led = self.ledger
        led.t_notify[i] = env.now
        if led.recipient[i] == "clinician" and self.trend is not None:
            day = round(float(led.records["chip_s"][i]) / 86400.0) - 1
            self.clinician_days.append((day, float(self.trend[day]), env.now))
