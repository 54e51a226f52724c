"""The implant: duty-cycled sampling (wake on motion), records into a bounded event buffer, and
the radio that empties it over the link.

Power states add to a floor: *sleep* (wake-on-motion accelerometer, IMU suspended, core asleep)
always; *sampling* while the patient moves; *processing* for a short burst per record decided;
*radio* while connected (empty connection events) and per frame on air.

Buffer: ``buffer_events`` records in FRAM-class memory, retained through brown-outs (this
project's choice). A record is removed only when its frame is acknowledged; a brown-out while a
frame is on air loses that frame, not the record, which is sent again after the restart. A record
that finds the buffer full is dropped and counted by kind (drop-newest, like the RTL's FIFO) —
never silently. Records the chip would decide while browned out are not decided at all (counted
as *unpowered*); a DAILY summary is kept in retention memory and decided at the next power-up.
"""

from __future__ import annotations

import numpy as np
import simpy

from chip_sim.system.config import PowerConfig
from chip_sim.system.energy import EnergyStore
from chip_sim.system.ledger import DELIVERED, LOST, UNPOWERED, Ledger
from chip_sim.system.link import Link


class Implant:
    def __init__(
        self,
        env: simpy.Environment,
        power: PowerConfig,
        energy: EnergyStore,
        link: Link,
        ledger: Ledger,
        *,
        buffer_events: int,
        phone_inbox: simpy.Store,
    ):
        self.env, self.power, self.energy, self.link, self.ledger = env, power, energy, link, ledger
        self.capacity = buffer_events
        self.buffer = simpy.Store(env)
        self.in_flight: int | None = None
        self.phone_inbox = phone_inbox
        self.deferred: list[int] = []
        self.next_record = 0  # records before it have reached their decision time
        energy.set_load("sleep", power.sleep_ua)

    @property
    def settled(self) -> bool:
        """Every record has met its decision time and none waits for a power-up."""
        return self.next_record == len(self.ledger.records) and not self.deferred

    @property
    def occupancy(self) -> int:
        return len(self.buffer.items) + (self.in_flight is not None)

    # --- processes -----------------------------------------------------------------------------
    def motion(self, env: simpy.Environment, motion_s: np.ndarray):
        """Wake on motion: sample while the patient moves, sleep otherwise."""
        for a, b in motion_s:
            yield env.timeout(max(0.0, a - env.now))
            self.energy.set_load("sampling", self.power.sampling_ua)
            yield env.timeout(max(0.0, b - env.now))
            self.energy.set_load("sampling", 0.0)

    def decide(self, env: simpy.Environment):
        """The golden model's records at their decision times."""
        recs = self.ledger.records
        for i in range(len(recs)):
            yield env.timeout(max(0.0, recs["t_s"][i] - env.now))
            self.next_record = i + 1
            if self.energy.powered:
                self._store(i)
            elif recs["deferrable"][i]:
                self.deferred.append(i)
            else:
                self.ledger.fate[i] = UNPOWERED

    def restart(self, env: simpy.Environment):
        """At each power-up, decide what was kept for it."""
        while True:
            yield self.energy.power_back
            pending, self.deferred = self.deferred, []
            for i in pending:
                self._store(i)

    def _store(self, i: int) -> None:
        led = self.ledger
        led.decided[i] = True
        led.t_decided[i] = self.env.now
        self.env.process(self._processing_burst(self.env))
        if self.occupancy >= self.capacity:
            led.fate[i] = LOST
            led.lost_by_kind[str(led.records["kind"][i])] += 1
            return
        self.buffer.put(i)
        led.max_occupancy = max(led.max_occupancy, self.occupancy)

    def _processing_burst(self, env: simpy.Environment):
        self.energy.set_load("processing", self.power.processing_ua)
        yield env.timeout(self.power.processing_s)
        self.energy.set_load("processing", 0.0)

    def radio(self, env: simpy.Environment):
        """Send the oldest record at the next connection event until it is acknowledged."""
        p, link, led = self.power, self.link, self.ledger
        while True:
            i = yield self.buffer.get()
            self.in_flight = i
            while True:
                if not link.connected:
                    yield link.on_connect
                    continue
                yield env.timeout(max(0.0, link.next_anchor() - env.now))
                if not link.connected:
                    continue
                epoch = self.energy.brownouts
                link.transmitting = True
                link.radio_load(p.connected_idle_ua, p.radio_ua)
                yield env.timeout(p.frame_air_s)
                link.transmitting = False
                link.radio_load(p.connected_idle_ua, p.radio_ua)
                if self.energy.brownouts != epoch:
                    led.frames_lost_in_flight += 1
                    continue
                led.tx_attempts += 1
                if link.frame_lost():
                    led.retransmissions += 1
                    continue
                led.fate[i] = DELIVERED
                led.sync_s[i] = link.last_sync_s
                self.phone_inbox.put(i)
                break
            self.in_flight = None
