"""``run_system_hil``: the system model paced in real time against a chip on a serial link.

The chip is real — a board, or the :class:`~bench.duts.emulator.BoardEmulator` behind a socket
or pty — and phone, cloud and notifications are simulated (issue 7, "HIL pacing"). The DUT is
programmed and given the scenario's stimulus as :mod:`bench.run.station` does, then its blocking
``run()`` plays in a background thread while a :class:`simpy.rt.RealtimeEnvironment`
(``factor = 1 / speed``, not strict) runs in the calling thread:

- env time is system time in seconds (the chip's sample clock runs ``speed`` times faster than
  real time on an emulator, so one env second is one chip second); env time 0 is the moment the
  real-time run began, on ``time.monotonic()`` (the clock of ``ReceivedFrame.t_host_s``):
  ``env = (t_host − t0) · speed``;
- a *radio* process polls the DUT's live frames every ``POLL_S`` of wall time, turns each new
  EVENT frame into a record with the system's rule
  (:func:`chip_sim.system.workload.record_of`) and hands it to the phone (the existing
  :class:`~chip_sim.system.backend.Backend`: app, uploader, ingest, notifier, offline windows);
  on each poll it samples the pacing error ``|env.now − (wall − t0) · speed|``;
- after the stimulus the phone and cloud run on until every record reached its last hop (at most
  ``drain_s`` of system time).

Records are built as they arrive: the :class:`~chip_sim.system.ledger.Ledger` starts with room
for ``INITIAL_RECORDS`` and is grown in place (``Ledger.resize``, so the Backend's processes keep
their reference), then trimmed to what arrived.

After the run each record's decision time comes from the chip's sample index through the clock
alignment of its epoch (:func:`bench.timeline.fit_alignment` on the STATUS frames, sample rate ×
``speed``) → host time → env time, so chip→phone is *measured* (the real serial link: UART,
host read latency, queueing) and every later hop simulated. ``t_phone`` is the record's receipt
on the host; the phone app's simulated handling delay is therefore counted in phone→cloud and
phone→patient. The RESET that opened the epoch arrived before the sample clock ran (its sample
index 0 has no host time on the STATUS line): it is dated at its receipt minus its time on the
wire, and it may lie before env time 0. Objects alive before the run are frozen out of the
garbage collector's scans while it lasts (``gc.freeze``): a full collection stalls the env's
thread for tens of milliseconds, ``speed`` times that in env time. A board that dies mid-run
ends the run with ``aborted`` set and every record that arrived kept.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import simpy.rt

from bench.duts.protocol import Dut, DutError, LinkStats, ReceivedFrame, Reception
from bench.duts.serial_board import is_reset_event
from bench.errors import BenchError
from bench.run.play import program as program_registers
from bench.timeline import Alignment, AlignmentError, fit_alignment, wire_time_s
from chip_sim.icd import EventCode, EventPayload, FrameType
from chip_sim.pipeline import run_scenario
from chip_sim.system.backend import Backend, offline_windows
from chip_sim.system.config import SystemConfig
from chip_sim.system.ledger import DELIVERED, Ledger
from chip_sim.system.model import hop_latencies_s, latency_rows
from chip_sim.system.workload import FILTERED, RECORD_DTYPE, record_of
from scenarios import library

POLL_S = 0.010  # wall time between two polls of the DUT's frames
INITIAL_RECORDS = 64
DRAIN_S = 120.0  # system time the phone and cloud may run on after the stimulus


class SystemHilError(BenchError):
    """The system model cannot be paced against this DUT (the message names it)."""


@dataclass
class _Arrivals:
    """What the radio saw, per record: receipt (env s), sample index, epoch, frame bytes."""

    t_rx: list[float] = field(default_factory=list)
    sample: list[int] = field(default_factory=list)
    epoch: list[int] = field(default_factory=list)
    before_run: list[bool] = field(default_factory=list)
    payload_bytes: list[int] = field(default_factory=list)
    frames: list[ReceivedFrame] = field(default_factory=list)  # every frame of the run
    filtered: Counter[str] = field(default_factory=Counter)
    pacing: list[tuple[float, float]] = field(default_factory=list)  # (env.now, error)


class _Radio:
    """The phone's receiver: the DUT's new EVENT frames → records → the Backend's inbox."""

    def __init__(
        self,
        dut,
        backend: Backend,
        ledger: Ledger,
        *,
        t0: float,
        speed: float,
        rate_hz: float,
        min_steps: int,
        cursor: int,
        thread: threading.Thread,
        drain_s: float,
    ) -> None:
        self.dut, self.backend, self.ledger = dut, backend, ledger
        self.t0, self.speed, self.rate_hz, self.min_steps = t0, speed, rate_hz, min_steps
        self.cursor, self.thread, self.drain_s = cursor, thread, drain_s
        self.seen = _Arrivals()
        self.n = 0
        self._epoch = 0

    def env_time(self, t_host_s: float) -> float:
        return (t_host_s - self.t0) * self.speed

    def receive(self, rf: ReceivedFrame, *, before_run: bool = False) -> None:
        if not before_run:
            self.seen.frames.append(rf)
        if rf.frame.frame_type != FrameType.EVENT:
            return
        e = EventPayload.decode(rf.frame.payload)
        if e.code == EventCode.RESET and not before_run:
            self._epoch += 1  # the sample index restarts
        kind, why = record_of(e.code, e.value, min_steps=self.min_steps)
        if kind is None:
            self.seen.filtered[why] += 1
            return
        i, led = self.n, self.ledger
        if i >= len(led.records):
            led.resize(2 * len(led.records))
        led.records[i] = (
            np.nan,
            kind,
            float(e.value),
            e.sample_index / self.rate_hz,
            kind == "RESET",
        )
        led.decided[i] = True
        led.fate[i] = DELIVERED  # acknowledged by the phone: the serial link has no retries
        s = self.seen
        s.t_rx.append(self.env_time(rf.t_host_s))
        s.sample.append(e.sample_index)
        s.epoch.append(self._epoch)
        s.before_run.append(before_run)
        s.payload_bytes.append(len(rf.frame.payload))
        self.n += 1
        self.backend.inbox.put(i)

    def run(self, env: simpy.rt.RealtimeEnvironment):
        tick = POLL_S * self.speed
        limit = None
        while True:
            lag = abs(env.now - (time.monotonic() - self.t0) * self.speed)
            self.seen.pacing.append((env.now, lag))
            finished = not self.thread.is_alive()  # before reading: then nothing comes later
            frames = self.dut.received
            for rf in frames[self.cursor :]:
                self.receive(rf)
            self.cursor = len(frames)
            if finished:
                limit = env.now + self.drain_s if limit is None else limit
                if not self.ledger.unresolved() or env.now >= limit:
                    return
            yield env.timeout(tick)


@dataclass(frozen=True)
class SystemHilResult:
    scenario_name: str
    seed: int
    dut: str
    speed: float
    config: SystemConfig
    ledger: Ledger  # trimmed to the records that arrived; times in env (system) seconds
    filtered: dict[str, int]
    alignments: tuple[Alignment | None, ...]  # per epoch of the chip's sample clock
    stats: LinkStats
    frames: int  # frames received during the real-time run (all types)
    pacing_s: np.ndarray  # (n, 2): env.now, |env.now − (wall − t0) · speed| at each poll
    aborted: str | None
    duration_s: float  # the stimulus, chip seconds
    end_s: float  # env time when the run ended
    reception: Reception
    notes: tuple[str, ...] = ()

    @property
    def records(self) -> np.ndarray:
        return self.ledger.records

    @property
    def pacing_error_s(self) -> float:
        """The largest pacing error (env seconds) seen by the radio's polls."""
        return float(self.pacing_s[:, 1].max()) if len(self.pacing_s) else 0.0

    @property
    def pacing_samples(self) -> int:
        return len(self.pacing_s)

    @property
    def alignment(self) -> Alignment | None:
        """The alignment of the first epoch (the run's sample clock)."""
        return self.alignments[0] if self.alignments else None

    def hop_latencies_s(self, kind: str) -> dict[str, np.ndarray]:
        """Per hop (``chip_sim.system.model.HOPS``), the latencies of ``kind``'s records."""
        return hop_latencies_s(self.ledger, kind)

    def latency_table(self) -> str:
        """The table of :meth:`chip_sim.system.SystemResult.latency_table` for this run."""
        led = self.ledger
        lines = [
            f"Latency per hop (s) — {self.scenario_name}, seed {self.seed}, real time against "
            f"{self.dut} at speed {self.speed:g}, {self.duration_s:.4g} s of stimulus "
            "(chip→phone measured, later hops simulated)",
            *latency_rows(led, led.decided),
        ]
        pending = led.unresolved()
        lines.append(
            f"records received {len(led.records)} (pending at the end {pending}); filtered by "
            "policy: " + ", ".join(f"{k} {v}" for k, v in self.filtered.items())
        )
        s = self.stats
        lines.append(
            f"link: {self.frames} frames, {s.crc_errors} CRC errors, {s.seq_gaps} SEQ gaps, "
            f"{s.reconnects} reconnects; "
            + "; ".join(
                f"epoch {k}: no clock alignment"
                if a is None
                else f"epoch {k}: clock alignment from {a.n_status} STATUS, drift "
                f"{a.drift_ppm:+.1f} ppm, residual {a.residual_s * 1000:.3f} ms"
                for k, a in enumerate(self.alignments)
            )
        )
        lines.append(
            f"pacing: env clock vs wall clock × {self.speed:g}: max error "
            f"{self.pacing_error_s:.3f} s over {self.pacing_samples} polls"
        )
        lines += [f"note: {n}" for n in self.notes]
        if self.aborted:
            lines.append(f"{self.aborted} — the records received so far are kept")
        return "\n".join(lines)


def run_system_hil(
    dut: Dut,
    scenario_name: str,
    seed: int,
    *,
    config: SystemConfig | None = None,
    speed: float = 1.0,
    timeout_s: float | None = None,
    duration_s: float | None = None,
    drain_s: float = DRAIN_S,
) -> SystemHilResult:
    """Play ``scenario_name`` (its first ``duration_s`` seconds, default all) on ``dut`` — a DUT
    with live frames (``SerialDut``: a board or the board emulator) whose sample clock runs
    ``speed`` times real time — with phone, cloud and notifications simulated in real time (see
    the module documentation). ``timeout_s`` caps the DUT's run (wall seconds)."""
    cfg = config or SystemConfig()
    if not 0 < speed <= 1000:
        raise SystemHilError(f"speed {speed!r}: expected a number in (0, 1000]")
    if not hasattr(dut, "received"):
        raise SystemHilError(
            f"{dut.name}: real-time pacing needs a DUT with live frames (a serial board or the "
            "board emulator)"
        )
    dut_speed = getattr(dut, "speed", speed)
    if dut_speed != speed:
        raise SystemHilError(
            f"{dut.name}: its sample clock runs at speed {dut_speed:g}, the system model was "
            f"asked for speed {speed:g}; expected the same"
        )
    scenario = library.load(scenario_name)
    if scenario.is_digest:
        raise SystemHilError(
            f"{scenario.name}: a digest course (days of daily summaries) has no stimulus to play "
            "on a board; expected a scenario with signals"
        )
    if duration_s is not None and not 0 < duration_s <= scenario.duration_s:
        raise SystemHilError(
            f"duration_s {duration_s!r}: expected more than 0 up to the scenario's "
            f"{scenario.duration_s:g} s"
        )
    run = run_scenario(scenario, seed, duration_s=duration_s)
    stimulus_s = len(run.codes.codes) / run.rate_hz
    program_registers(dut, run)
    dut.load_stimulus(run.codes.codes, tuple(run.codes.brownouts))

    rng_phone, rng_offline = np.random.default_rng(np.random.SeedSequence([seed, 7])).spawn(3)[1:]
    ledger = Ledger(np.zeros(INITIAL_RECORDS, dtype=RECORD_DTYPE))
    before = dut.received
    is_reset = is_reset_event()
    opening = next((rf for rf in reversed(before) if is_reset(rf.frame)), None)
    box: dict[str, object] = {}

    def play() -> None:
        try:
            box["reception"] = dut.run(timeout_s=timeout_s)
        except DutError as exc:
            box["reception"] = Reception(aborted=f"aborted: {exc}")
        except BaseException as exc:  # a bug: raised again in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=play, name=f"{dut.name}-run", daemon=True)
    env = simpy.rt.RealtimeEnvironment(factor=1.0 / speed, strict=False)
    backend = Backend(env, ledger, rng_phone, drift_ppm=0.0, trend=None)
    radio = _Radio(
        dut,
        backend,
        ledger,
        t0=env.real_start,
        speed=speed,
        rate_hz=run.rate_hz,
        min_steps=cfg.walk_bout_min_steps,
        cursor=len(before),
        thread=thread,
        drain_s=drain_s,
    )
    if opening is not None:
        radio.receive(opening, before_run=True)
    for proc in (backend.app, backend.uploader, backend.ingest, backend.notifier):
        env.process(proc(env))
    offline = offline_windows(
        rng_offline,
        per_day=cfg.schedule.offline_per_day,
        mean_s=cfg.schedule.offline_mean_s,
        end_s=stimulus_s,
        fixed=cfg.schedule.offline_s,
    )
    env.process(backend.offline(env, offline))
    # A full collection over everything already alive (scenario, renders, modules) stalled the
    # env's thread for ~30 ms (0.24 s of env time at speed 8): freeze it out of the collector's
    # scans for the real-time part.
    gc.freeze()
    thread.start()
    try:
        env.run(until=env.process(radio.run(env)))
    finally:
        gc.unfreeze()
        thread.join(timeout=None if "error" in box or not thread.is_alive() else 5.0)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    reception = box.get("reception")
    if not isinstance(reception, Reception):
        reception = Reception(aborted="aborted: the DUT's run did not end")
    n = radio.n
    ledger.resize(n)
    seen = radio.seen
    alignments, notes = _alignments(seen.frames, run.rate_hz * speed)
    for i in range(n):
        if seen.before_run[i]:
            decided = seen.t_rx[i] - wire_time_s(seen.payload_bytes[i]) * speed
        else:
            a = alignments[seen.epoch[i]] if seen.epoch[i] < len(alignments) else None
            if a is None:
                decided = np.nan
            else:
                host = float(a.host_time(seen.sample[i] / (run.rate_hz * speed)))
                decided = radio.env_time(host)
        ledger.t_decided[i] = decided
    ledger.records["t_s"] = ledger.t_decided
    ledger.t_phone[:] = seen.t_rx  # receipt on the host (the app's delay stays in later hops)
    filtered = {k: seen.filtered.get(k, 0) for k in FILTERED}
    filtered.update({k: v for k, v in seen.filtered.items() if k not in filtered})
    return SystemHilResult(
        run.scenario.name,
        seed,
        dut.name,
        float(speed),
        cfg,
        ledger,
        filtered,
        alignments,
        reception.stats,
        len(seen.frames),
        np.array(seen.pacing, dtype=float).reshape(-1, 2),
        reception.aborted,
        stimulus_s,
        float(env.now),
        reception,
        tuple(notes),
    )


def _alignments(
    frames: list[ReceivedFrame], rate_hz: float
) -> tuple[tuple[Alignment | None, ...], list[str]]:
    """One clock alignment per epoch (a RESET event restarts the sample index)."""
    is_reset = is_reset_event()
    starts = [0] + [k for k, rf in enumerate(frames) if is_reset(rf.frame)]
    out: list[Alignment | None] = []
    notes = []
    for k, (a, b) in enumerate(zip(starts, [*starts[1:], len(frames)], strict=True)):
        try:
            out.append(fit_alignment(frames[a:b], rate_hz))
        except AlignmentError as exc:
            out.append(None)
            if b > a:
                notes.append(f"epoch {k}: no chip→phone time for its records ({exc})")
    return tuple(out), notes
