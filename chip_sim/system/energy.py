"""The implant's energy source: a storage capacitor charged by the reader's RF field, with
brown-out and restart thresholds, or a primary battery. Loads are named (sleep, sampling,
processing, radio) and set by the implant's processes; the store integrates charge between
changes (currents are piecewise constant) and a monitor process fires the brown-out and restart
events at the exact crossing times."""

from __future__ import annotations

import simpy

from chip_sim.system.config import EnergyConfig

STATES = ("sleep", "sampling", "processing", "radio")
UA = 1e-6


class EnergyStore:
    """Charge ledger and, for "harvest", the capacitor voltage. ``powered`` is False between a
    brown-out and the restart; then the chip draws nothing and decides nothing."""

    def __init__(self, env: simpy.Environment, cfg: EnergyConfig, *, trace: bool = True):
        self.env, self.cfg = env, cfg
        self.harvest = cfg.source == "harvest"
        self.v = cfg.v_max if self.harvest else float("nan")
        self.powered = True
        self.loads_ua = dict.fromkeys(STATES, 0.0)
        self.charge_c = dict.fromkeys(STATES, 0.0)
        self.in_range = False
        self.brownouts = 0
        self.forced = 0  # brown-outs imposed by a fault (scenario or configuration)
        self.held = False  # a forced brown-out keeps the chip off until it ends
        self.off_s = 0.0
        self.off_intervals: list[list[float]] = []
        self._last = 0.0
        self.changed = env.event()
        self.power_lost = env.event()
        self.power_back = env.event()
        self.trace: list[tuple[float, float]] | None = [(0.0, self.v)] if trace else None
        env.process(self._monitor(env))

    # --- loads ---------------------------------------------------------------------------------
    def set_load(self, state: str, ua: float) -> None:
        self._advance()
        self.loads_ua[state] = ua
        self._signal()

    def set_in_range(self, in_range: bool) -> None:
        self._advance()
        self.in_range = in_range
        self._signal()

    def load_ua(self) -> float:
        return sum(self.loads_ua.values()) if self.powered else 0.0

    def _net_ua(self) -> float:
        return (self.cfg.harvest_ua if self.in_range else 0.0) - self.load_ua()

    def _signal(self) -> None:
        ev, self.changed = self.changed, self.env.event()
        ev.succeed()

    def _advance(self) -> None:
        now = self.env.now
        dt = now - self._last
        if dt <= 0:
            return
        if self.powered:
            for s, ua in self.loads_ua.items():
                self.charge_c[s] += ua * UA * dt
        else:
            self.off_s += dt
        if self.harvest:
            self.v = min(self.cfg.v_max, self.v + self._net_ua() * UA * dt / self.cfg.capacitance_f)
            if self.trace is not None:
                self.trace.append((now, self.v))
        self._last = now

    # --- thresholds ----------------------------------------------------------------------------
    def _time_to_crossing(self) -> float | None:
        if self.held:
            return None
        net = self._net_ua() * UA / self.cfg.capacitance_f  # V/s
        if self.powered and net < 0:
            return max(0.0, (self.v - self.cfg.v_brownout) / -net)
        if not self.powered and net > 0:
            return max(0.0, (self.cfg.v_restart - self.v) / net)
        return None

    def _monitor(self, env: simpy.Environment):
        if not self.harvest:
            return
        while True:
            dt = self._time_to_crossing()
            changed = self.changed
            if dt is None:
                yield changed
                continue
            yield env.any_of([env.timeout(dt), changed])
            if changed.triggered:
                continue
            self._advance()
            if self.powered:
                self._go_off()
            else:
                self._go_on()

    def _go_off(self) -> None:
        self.powered = False
        self.brownouts += 1
        self.off_intervals.append([self.env.now, float("inf")])
        ev, self.power_lost = self.power_lost, self.env.event()
        self._signal()
        ev.succeed()

    def _go_on(self) -> None:
        self.powered = True
        self.off_intervals[-1][1] = self.env.now
        ev, self.power_back = self.power_back, self.env.event()
        self._signal()
        ev.succeed()

    def forced_brownouts(self, env: simpy.Environment, windows: list[tuple[float, float]]):
        """Fault injection: the supply fails at each (start, end) whatever the store holds (a
        scenario's brown-out faults, or a test's); afterwards the chip restarts at once if the
        store can carry it (the capacitor above its restart threshold, or the battery)."""
        for a, b in windows:
            yield env.timeout(max(0.0, a - env.now))
            self._advance()
            self.held = True
            if self.powered:
                self.forced += 1
                self._go_off()
            yield env.timeout(max(0.0, b - env.now))
            self._advance()
            self.held = False
            if not self.harvest or self.v >= self.cfg.v_restart:
                self._go_on()
            else:
                self._signal()  # the monitor takes over: restart once charged

    def finish(self) -> None:
        self._advance()

    @property
    def total_charge_c(self) -> float:
        return sum(self.charge_c.values())
