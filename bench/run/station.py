"""One scenario on a station: power the board, play the stimulus, run the DUT, measure.

``run_station_scenario`` opens the station's instruments (calibration dates checked, setpoints
bounded by the station's limits), switches the supply on inside ``outputs_off_on_exit`` (off again
at the end, on error, Ctrl-C and SIGTERM), uploads the scenario to the waveform generator (the
board's analog stimulus; a simulated DUT takes the codes directly), programs the scenario's
registers, runs the DUT and aligns its sample clock with the host clock. It returns the latency
and accuracy figures and writes a capture: the scenario's signals and truth plus ``/dut`` (raw
bytes, decoded events with host times, STATUS, link statistics, the alignment, the instruments'
readings and the calibration notes). A DUT that disappears ends the run "aborted: <reason>" with
everything received so far saved.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from bench.duts.factory import open_dut as open_kind
from bench.duts.protocol import Dut, Reception
from bench.run.play import output_from_frames, program
from bench.station import SUPPLY_DRIVER, Station
from bench.timeline import AlignmentError, event_latencies, fit_alignment, latency_rows
from chip_sim.accuracy import ScenarioAccuracy, evaluate
from chip_sim.icd import EventPayload, FrameType, StatusPayload
from chip_sim.pipeline import PipelineRun, run_scenario
from scenarios import library
from scenarios.capture import write_capture

RATE_HZ = 100.0
#: emulated board current (the supply twin's load): BMI270 full / suspend (DOMAIN "Sensors and
#: front end": 685 µA, 3.5 µA) plus this project's assumption for front end and core
#: (200 µA sampling, 10 µA idle)
BOARD_CURRENT_A = {"sampling": 685e-6 + 200e-6, "idle": 3.5e-6 + 10e-6}


@dataclass
class HilResult:
    dut: str
    reception: Reception
    accuracy: ScenarioAccuracy | None
    latency: list[dict]
    alignment: object | None
    readings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    capture: Path | None = None


def open_dut(station: Station) -> Dut:
    """A session with the station's ``[dut]`` (``bench.duts.factory``), at its speed."""
    return open_kind(station.dut, where=f"station {station.name}", speed=station.dut_speed)


@contextlib.contextmanager
def instruments(station: Station, *, allow_expired_calibration: bool = False) -> Iterator[dict]:
    """The station's instruments, opened; twins (resource "twin") are started on loopback."""
    from bench.instruments import (
        Keysight33500B,
        Keysight34465A,
        Keysight53230A,
        KeysightE36312A,
    )
    from bench.instruments.sim import AwgTwin, CounterTwin, DmmTwin, SupplyTwin

    classes = {
        "keysight_e36312a": (KeysightE36312A, SupplyTwin),
        "keysight_34465a": (Keysight34465A, DmmTwin),
        "keysight_33500b": (Keysight33500B, AwgTwin),
        "keysight_53230a": (Keysight53230A, CounterTwin),
    }
    limits = station.safety_limits()
    with contextlib.ExitStack() as stack:
        opened, twins = {}, {}
        for spec in station.instruments.values():
            driver, twin_class = classes[spec.driver]
            resource = spec.resource
            if resource == "twin":
                twin = twin_class()
                stack.enter_context(twin)
                twins[spec.name] = twin
                resource = twin.resource
            inst = driver(
                resource,
                name=spec.name,
                backend=spec.backend,
                limits=limits,
                calibration_due=spec.calibration_due,
                allow_expired_calibration=allow_expired_calibration,
            )
            stack.callback(inst.close)
            opened[spec.name] = inst
        yield {"instruments": opened, "twins": twins}


def _of(station: Station, opened: dict, driver: str):
    """The opened instrument the station file names with ``driver`` (first such), or None."""
    spec = station.instrument(driver)
    return opened[spec.name] if spec is not None else None


def run_station_scenario(
    station: Station,
    scenario_name: str,
    seed: int,
    *,
    capture: Path | None = None,
    allow_expired_calibration: bool = False,
    timeout_s: float | None = None,
) -> HilResult:
    from bench.instruments import outputs_off_on_exit

    run = run_scenario(library.load(scenario_name), seed)
    dut = open_dut(station)
    result = HilResult(dut.name, Reception(), None, [], None)
    try:
        with instruments(station, allow_expired_calibration=allow_expired_calibration) as kit:
            opened, twins = kit["instruments"], kit["twins"]
            result.notes += [i.calibration_note for i in opened.values() if i.calibration_note]
            supply = _of(station, opened, SUPPLY_DRIVER)
            # the station loader filled in the board's channel, voltage and limit (SUPPLY_DEFAULTS)
            board = station.instrument(SUPPLY_DRIVER).supply if supply else {}
            channel = int(board["channel"]) if supply else None
            sampling = {"on": False}
            for twin in twins.values():
                if hasattr(twin, "load_current_a"):
                    twin.load_current_a = lambda ch, s=sampling: BOARD_CURRENT_A[
                        "sampling" if s["on"] else "idle"
                    ]
            with outputs_off_on_exit(*([supply] if supply else [])):
                if supply:
                    supply.set_voltage(channel, board["voltage_v"])
                    supply.set_current_limit(channel, board["current_limit_a"])
                    supply.output(channel, True)
                    result.readings["supply_idle_current_a"] = supply.measure_current(channel)
                awg = _of(station, opened, "keysight_33500b")
                if awg:
                    _play(awg, run)
                program(dut, run)
                dut.load_stimulus(run.codes.codes, tuple(run.codes.brownouts))
                sampling["on"] = True
                result.reception = dut.run(timeout_s=timeout_s)
                if supply:
                    result.readings["supply_sampling_current_a"] = supply.measure_current(channel)
                sampling["on"] = False
    finally:
        dut.close()
    _evaluate(result, run)
    if capture is not None:
        result.capture = write_run_capture(capture, run, result, station, seed)
    return result


def _play(awg, run: PipelineRun) -> None:
    """The scenario's vertical acceleration as the board's analog stimulus (one AWG channel)."""
    acc = run.rendering.acc_mps2[:, 2].astype(float)
    span = float(np.max(np.abs(acc))) or 1.0
    samples = acc / span
    step = max(1, int(np.ceil(len(samples) / 65536)))  # the 33500B's arbitrary memory
    awg.upload_arb("SCENARIO", samples[::step], run.rendering.rate_hz / step, amplitude_vpp=1.0)
    awg.output(True)


def _evaluate(result: HilResult, run: PipelineRun) -> None:
    frames = result.reception.frames
    out = output_from_frames(
        [(rf.frame.frame_type, rf.frame.payload) for rf in frames], run.codes.brownouts
    )
    regs = run.registers
    result.accuracy = evaluate(
        run.scenario.name,
        run.rendering.events,
        run.rendering.segments,
        out.events,
        RATE_HZ,
        run.codes.n / RATE_HZ,
        overload_min_s=regs["OVERLOAD_MIN_SAMPLES"] / RATE_HZ,
        walk_start_steps=regs["WALK_START_STEPS"],
    )
    try:
        result.alignment = fit_alignment(frames, RATE_HZ)
    except AlignmentError as exc:
        result.notes.append(f"no latency: {exc}")
        return
    result.latency = latency_rows(
        event_latencies(frames, run.rendering.events, RATE_HZ, result.alignment)
    )


def write_run_capture(
    path: Path, run: PipelineRun, result: HilResult, station: Station, seed: int
) -> Path:
    rec = result.reception

    def dut_group(f: h5py.File) -> None:
        g = f.create_group("dut")
        g.attrs.update(
            {
                "dut": result.dut,
                "station": station.name,
                "station_sha256": station.sha256,
                "aborted": rec.aborted or "",
                "notes": json.dumps(result.notes),
                "readings": json.dumps(result.readings),
                "latency": json.dumps(result.latency),
            }
        )
        if result.alignment is not None:
            a = result.alignment
            g.attrs.update(
                alignment_offset_s=a.offset_s,
                alignment_drift=a.drift,
                alignment_residual_s=a.residual_s,
            )
        g.create_dataset("raw_bytes", data=np.frombuffer(rec.raw, dtype=np.uint8))
        ev, st = [], []
        for rf in rec.frames:
            if rf.frame.frame_type == FrameType.EVENT:
                e = EventPayload.decode(rf.frame.payload)
                ev.append((e.sample_index, rf.t_host_s, e.code, e.value))
            elif rf.frame.frame_type == FrameType.STATUS:
                s = StatusPayload.decode(rf.frame.payload)
                st.append((s.sample_index, rf.t_host_s, s.step_count, s.fault_flags))
        g.create_dataset(
            "events",
            data=np.array(
                ev,
                dtype=[("sample_index", "u4"), ("t_host_s", "f8"), ("code", "u1"), ("value", "i4")],
            ),
        )
        g.create_dataset(
            "status",
            data=np.array(
                st,
                dtype=[
                    ("sample_index", "u4"),
                    ("t_host_s", "f8"),
                    ("step_count", "u4"),
                    ("fault_flags", "u2"),
                ],
            ),
        )
        link = g.create_group("link")
        for k, v in vars(rec.stats).items():
            link.attrs[k] = v

    return write_capture(path, run.rendering, extra_attrs={"dut": result.dut}, more=dut_group)
