"""Capture files: the HDF5 layout of ICD section 4 (documented in docs/capture-format.md).

Files are written to a temporary name in the target folder and renamed when complete, so a failed
or interrupted write never leaves a half-written capture under the requested name.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from scenarios.digest import Digest
from scenarios.errors import CaptureError
from scenarios.generator import Rendering
from scenarios.provenance import software_version

FORMAT = "smile-capture"
VERSION = "1.0"
SIGNALS = {  # dataset → (Rendering attribute, unit)
    "acc_mps2": ("acc_mps2", "m/s^2"),
    "gyr_dps": ("gyr_dps", "deg/s"),
    "strain_ue": ("strain_ue", "microstrain"),
    "load_n": ("load_n", "N"),
    "temp_c": ("temp_c", "degC"),
}
_STR = h5py.string_dtype("utf-8")
EVENTS_H5 = np.dtype([("t_s", "f8"), ("kind", _STR), ("value", "f8")])
SEGMENTS_H5 = np.dtype([("t_start_s", "f8"), ("t_end_s", "f8"), ("activity", _STR)])


def atomic_h5(path: str | Path, fill: Callable[[h5py.File], None]) -> Path:
    """Create ``path`` by filling a temporary HDF5 file beside it, then renaming it into place."""
    path = Path(path)
    if path.is_dir():
        raise CaptureError(f"{path}: is a folder; expected a capture file name (e.g. run.h5)")
    if not path.parent.exists():
        raise CaptureError(f"{path}: folder {path.parent} does not exist")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with h5py.File(tmp, "w") as f:
            fill(f)
        os.replace(tmp, path)
    except OSError as exc:
        raise CaptureError(f"{path}: cannot write: {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _root_attrs(f: h5py.File, scenario, seed: int, rate_hz: float, extra: dict[str, Any]) -> None:
    p = scenario.patient
    f.attrs.update(
        {
            "format": FORMAT,
            "version": VERSION,
            "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "scenario": scenario.name,
            "seed": int(seed),
            "scenario_sha256": scenario.sha256,
            "scenario_source": str(scenario.source),
            "software_version": software_version(),
            "body_mass_kg": float(p.body_mass_kg),
            "height_m": float(p.height_m),
            "implant_site": p.implant_site,
            "instrumented_side": p.instrumented_side,
            "weeks_post_op": float(p.weeks_post_op),
            "truth_rate_hz": float(rate_hz),
        }
    )
    f.attrs.update(extra)


def _signals(f: h5py.File, parts: list[Rendering], rate_hz: float) -> None:
    g = f.create_group("signals")
    for name, (attr, unit) in SIGNALS.items():
        data = np.concatenate([getattr(r, attr) for r in parts]).astype(np.float64)
        ds = g.create_dataset(name, data=data, compression="gzip", compression_opts=1, shuffle=True)
        ds.attrs["rate_hz"] = float(rate_hz)
        ds.attrs["unit"] = unit


def _truth(f: h5py.File, events: np.ndarray, segments: np.ndarray, limit_n: float | None) -> None:
    g = f.require_group("truth")
    ev = np.empty(len(events), dtype=EVENTS_H5)
    for k in ("t_s", "value"):
        ev[k] = events[k]
    ev["kind"] = events["kind"].astype(object)
    g.create_dataset("events", data=ev)
    seg = np.empty(len(segments), dtype=SEGMENTS_H5)
    for k in ("t_start_s", "t_end_s"):
        seg[k] = segments[k]
    seg["activity"] = segments["activity"].astype(object)
    g.create_dataset("segments", data=seg)
    g.attrs["overload_limit_n"] = np.nan if limit_n is None else float(limit_n)
    g.attrs["heel_strike_value"] = "1 = right leg, 0 = left leg"


def write_capture(
    path: str | Path,
    r: Rendering,
    *,
    extra_attrs: dict[str, Any] | None = None,
    more: Callable[[h5py.File], None] | None = None,
) -> Path:
    """Write a full-detail rendering as a capture file; ``more`` adds groups of its own (the
    bench's /dut) inside the same atomic write."""

    def fill(f: h5py.File) -> None:
        _root_attrs(f, r.scenario, r.seed, r.rate_hz, {"mode": "full", **(extra_attrs or {})})
        _signals(f, [r], r.rate_hz)
        _truth(f, r.events, r.segments, r.overload_limit_n)
        for name in ("knee_flex_deg", "shank_pitch_deg"):
            angle = getattr(r, name)
            if angle is not None:
                ds = f["truth"].create_dataset(
                    name, data=angle.astype(np.float64), compression="gzip", compression_opts=1
                )
                ds.attrs.update({"rate_hz": float(r.rate_hz), "unit": "deg"})
        if more is not None:
            more(f)

    return atomic_h5(path, fill)


def write_digest_capture(
    path: str | Path, d: Digest, *, extra_attrs: dict[str, Any] | None = None
) -> Path:
    """Write a weeks-long course: /digest tables, and the sampled raw windows concatenated in
    /signals (where each starts is in /digest/windows)."""

    def fill(f: h5py.File) -> None:
        _root_attrs(
            f,
            d.scenario,
            d.seed,
            d.rate_hz,
            {"mode": "digest", "days": d.days, **(extra_attrs or {})},
        )
        parts = [r for _, r in d.windows]
        _signals(f, parts, d.rate_hz)
        events, segments, table = [d.events], [], []
        first = 0
        for t0, r in d.windows:
            shifted = r.events.copy()
            shifted["t_s"] += t0
            events.append(shifted)
            seg = r.segments.copy()
            seg["t_start_s"] += t0
            seg["t_end_s"] += t0
            segments.append(seg)
            table.append((t0, first, r.n, r.scenario.patient.weeks_post_op))
            first += r.n
        all_events = np.concatenate(events)
        _truth(
            f,
            all_events[np.argsort(all_events["t_s"], kind="stable")],
            np.concatenate(segments),
            None,
        )
        g = f.create_group("digest")
        g.create_dataset("daily", data=_h5_table(d.daily))
        g.create_dataset(
            "loading_events", data=d.loading_events, compression="gzip", compression_opts=1
        )
        g.create_dataset(
            "windows",
            data=np.array(
                table,
                dtype=[
                    ("t_start_s", "f8"),
                    ("first_sample", "i8"),
                    ("n_samples", "i8"),
                    ("weeks_post_op", "f8"),
                ],
            ),
        )
        temp = g.create_group("temperature")
        temp.create_dataset("t_s", data=d.temp_t_s)
        temp.create_dataset("temp_c", data=d.temp_c)

    return atomic_h5(path, fill)


def _h5_table(arr: np.ndarray) -> np.ndarray:
    """Fixed-width unicode fields become HDF5 UTF-8 strings (h5py cannot store numpy 'U')."""
    dt = [(n, _STR if arr.dtype[n].kind == "U" else arr.dtype[n]) for n in arr.dtype.names]
    out = np.empty(len(arr), dtype=dt)
    for n in arr.dtype.names:
        out[n] = arr[n].astype(object) if arr.dtype[n].kind == "U" else arr[n]
    return out


@dataclass
class Capture:
    """A capture read back: attributes, signals (with rate), truth tables, any digest tables."""

    attrs: dict[str, Any]
    signals: dict[str, np.ndarray]
    rate_hz: dict[str, float]
    events: np.ndarray
    segments: np.ndarray
    groups: dict[str, Any] = field(default_factory=dict)

    def events_of(self, kind: str) -> np.ndarray:
        return self.events[self.events["kind"] == kind]


#: what h5py raises on a damaged or foreign file (fuzzed: tests/fuzz)
_H5_ERRORS = (OSError, KeyError, ValueError, TypeError, IndexError, AttributeError, RuntimeError)


def read_capture(path: str | Path) -> Capture:
    path = Path(path)
    try:
        f = h5py.File(path, "r")
    except _H5_ERRORS as exc:
        detail = " ".join(str(exc).split())
        raise CaptureError(f"{path}: not a readable HDF5 file ({detail})") from None
    with f:
        try:
            return _read_open(path, f)
        except CaptureError:
            raise
        except _H5_ERRORS as exc:
            # a damaged chunk, a missing group, an attribute of the wrong kind: the file is not
            # a capture this bench can read, whatever h5py found first
            detail = " ".join(str(exc).split()) or type(exc).__name__
            raise CaptureError(f"{path}: not a readable smile-capture file ({detail})") from None


def _read_open(path: Path, f: h5py.File) -> Capture:
    if f.attrs.get("format") != FORMAT:
        raise CaptureError(
            f"{path}: attribute format is {f.attrs.get('format')!r}; expected {FORMAT!r}"
        )
    signals = {k: f["signals"][k][()] for k in f["signals"]}
    rates = {k: float(f["signals"][k].attrs["rate_hz"]) for k in f["signals"]}
    events = f["truth/events"][()]
    segments = f["truth/segments"][()]
    ev = np.empty(len(events), dtype=[("t_s", "f8"), ("kind", "U24"), ("value", "f8")])
    ev["t_s"], ev["value"] = events["t_s"], events["value"]
    ev["kind"] = [k.decode() if isinstance(k, bytes) else k for k in events["kind"]]
    seg = np.empty(
        len(segments), dtype=[("t_start_s", "f8"), ("t_end_s", "f8"), ("activity", "U24")]
    )
    seg["t_start_s"], seg["t_end_s"] = segments["t_start_s"], segments["t_end_s"]
    seg["activity"] = [a.decode() if isinstance(a, bytes) else a for a in segments["activity"]]
    groups: dict[str, Any] = {}
    if "digest" in f:
        for k in ("daily", "loading_events", "windows"):
            groups[k] = f["digest"][k][()]
        groups["temperature"] = {k: f["digest/temperature"][k][()] for k in ("t_s", "temp_c")}
    return Capture(dict(f.attrs), signals, rates, ev, seg, groups)
