"""Replay a recording of real sensor data through the ideal front end and the digital core.

A recording is a smile-capture file (``.h5``/``.hdf5``, ICD section 4: ``/signals`` at their
``rate_hz``) or a CSV with a header row (line 1), a time column in seconds and one column per
channel. Loading checks everything and refuses bad input with a :class:`ReplayError` naming the
file, line, column and value; nothing is guessed silently.

Pipeline (:func:`replay`)::

    load_recording (physical units: m/s², °/s, µε, °C; NaN = no data)
      → to_chip_frame (the recording axis that points up becomes chip z, right-handed)
      → uniform grid at q × the chip rate (linear interpolation; a capture already at a
        multiple of the chip rate is used as is)
      → FrontEndConfig.ideal(): anti-alias filter and decimation by q, scaling, rounding
      → Chip(preset + register overrides) → events

Choices written down here once:

- CSV units: acceleration m/s² (``acc_unit="mps2"``) or g (``"g"``, × 9.80665); angular rate
  °/s (``"dps"``) or rad/s (``"rads"``); strain µε; temperature °C.
- CSV columns: ``t_s`` and ``acc_x,acc_y,acc_z`` by default (required); gyro ``gyr_x,gyr_y,gyr_z``,
  ``strain_ue`` and ``temp_c`` are used when present under those default names. A column named
  explicitly must exist. Comma, semicolon or tab separated (sniffed from the header).
- A channel the recording lacks reads as no data (−32768); its CHANNEL_ENABLE bit is cleared so
  the core does not report dropout faults on it — unless the register overrides set
  CHANNEL_ENABLE themselves, which then stands as given. SAMPLE_RATE_HZ is set to the chip rate.
- Time: strictly increasing (a repeated or earlier time is refused); a step longer than 1.5 × the
  median step is a gap — refused, or with ``gaps="no-data"`` every grid point strictly inside it
  reads as no data on every channel.
- Resampling: the CSV's rate is 1 / median step; the grid runs from the first time at
  q × rate_hz, q the smallest whole number with q × rate_hz ≥ the CSV rate (2 % tolerance), so
  the front end's anti-alias filter does any rate reduction; a grid point takes the linear
  interpolation of its two neighbouring samples and is no data if one it takes weight from has
  none.
- An empty, ``nan`` or ``NaN`` cell is refused, or read as no data with ``nan="no-data"``; ``inf``
  or text is always refused. In a capture, NaN is the format's own "no data" and passes through.
- Vertical axis: ``"auto"`` takes the axis whose mean acceleration has the largest magnitude,
  the sign of that mean, and refuses when that mean is not 0.5–1.5 g (wrong unit, or no gravity).
  The default is ``"auto"`` for a CSV and ``"z"`` for a capture (its signals are in the chip's
  sensor frame by construction).
- Event times (``t_s`` in the events CSV) count from the recording's first sample.
- Detector windows are register values in samples at the chip rate; the presets are tuned at
  100 Hz.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from chip_sim.afe import GROUPS, NO_DATA, Codes, FrontEnd, FrontEndConfig
from chip_sim.afe.channels import MAX_RATE_HZ, MIN_RATE_HZ
from chip_sim.core import Chip, CoreOutput
from chip_sim.errors import ChipError, RegisterError
from chip_sim.presets import PLACEMENT_OF_SITE, preset, presets
from chip_sim.registers import RegisterFile
from scenarios.errors import CaptureError
from scenarios.physiology import G_MPS2
from scenarios.yaml_lines import YamlSyntaxError, load_located

ACC_UNITS = {"mps2": 1.0, "g": G_MPS2}
GYR_UNITS = {"dps": 1.0, "rads": 180.0 / math.pi}
AXES = ("x", "y", "z", "-x", "-y", "-z")
VERTICAL_CHOICES = ("auto", *AXES)
GAP_FACTOR = 1.5
POLICIES = ("refuse", "no-data")
DEFAULT_PRESET = "tibia"
#: CSV rows converted to numbers at a time (bounds the memory of Python strings).
CHUNK_ROWS = 1 << 16
#: Tolerance on "the CSV rate is a whole multiple of the chip rate".
RATE_TOLERANCE = 0.02
#: Mean |acceleration| along the vertical that ``auto`` accepts as gravity, m/s².
GRAVITY_RANGE_MPS2 = (0.5 * G_MPS2, 1.5 * G_MPS2)


class ReplayError(ChipError):
    """A recording or a replay option is unusable; the message names file, line, column, value
    and what was expected."""


@dataclass(frozen=True)
class CsvColumns:
    """Which CSV columns hold what, and their units. ``None`` for an optional channel means
    "use the default name if the file has it"; a name given must exist."""

    time_col: str = "t_s"
    acc_cols: tuple[str, str, str] = ("acc_x", "acc_y", "acc_z")
    acc_unit: str = "mps2"
    gyr_cols: tuple[str, str, str] | None = None
    gyr_unit: str = "dps"
    strain_col: str | None = None
    temp_col: str | None = None

    def __post_init__(self) -> None:
        for name, cols in (("acc_cols", self.acc_cols), ("gyr_cols", self.gyr_cols)):
            if cols is not None and (len(cols) != 3 or not all(cols)):
                raise ReplayError(f"{name} {','.join(cols)!r}: expected three names X,Y,Z")
        if self.acc_unit not in ACC_UNITS:
            raise ReplayError(f"acc unit {self.acc_unit!r}; expected one of {', '.join(ACC_UNITS)}")
        if self.gyr_unit not in GYR_UNITS:
            raise ReplayError(f"gyr unit {self.gyr_unit!r}; expected one of {', '.join(GYR_UNITS)}")

    def resolve(self, header: list[str]) -> dict[str, tuple[tuple[str, ...], str]]:
        """Channel group ("time", "acc", "gyr", "strain", "temp") → (its column names, the
        option that names them) for the groups to read from a file with ``header``: time and
        acc always, an optional group as given, or under its default names if all present."""
        out = {"time": ((self.time_col,), "--time-col"), "acc": (self.acc_cols, "--acc-cols")}
        strain = None if self.strain_col is None else (self.strain_col,)
        temp = None if self.temp_col is None else (self.temp_col,)
        for group, given, default, option in (
            ("gyr", self.gyr_cols, ("gyr_x", "gyr_y", "gyr_z"), "--gyr-cols"),
            ("strain", strain, ("strain_ue",), "--strain-col"),
            ("temp", temp, ("temp_c",), "--temp-col"),
        ):
            if given is not None:
                out[group] = (tuple(given), option)
            elif all(c in header for c in default):
                out[group] = (default, option)
        seen: dict[str, str] = {}
        for cols, option in out.values():
            for c in cols:
                if c in seen:
                    raise ReplayError(
                        f"column {c!r} is named twice ({seen[c]} and {option}); expected "
                        "one column per signal"
                    )
                seen[c] = option
        return out


@dataclass(frozen=True, eq=False)
class Recording:
    """Samples in physical units (m/s², °/s, µε, °C), NaN where there is no data; ``t_s`` counts
    from the first sample. ``present`` names the channel groups the recording has."""

    source: Path
    kind: str  # "csv" or "capture"
    t_s: np.ndarray
    acc_mps2: np.ndarray
    gyr_dps: np.ndarray
    strain_ue: np.ndarray
    temp_c: np.ndarray
    present: tuple[str, ...]
    rate_hz: float  # the capture's rate, or 1 / median step of a CSV
    uniform: bool  # samples exactly at t_s = k / rate_hz (a capture)
    gaps: tuple[tuple[float, float], ...] = ()
    implant_site: str | None = None
    start_s: float = 0.0  # the recording's own time of its first sample

    @property
    def n(self) -> int:
        return len(self.t_s)


@dataclass(frozen=True, eq=False)
class Replay:
    """The result of :func:`replay`: what went in, the codes, and the core's output."""

    recording: Recording
    rate_hz: int
    decimation: int  # the grid ran at decimation × rate_hz
    resampled: bool  # the grid came from linear interpolation (always for a CSV)
    vertical_axis: str
    vertical_how: str  # "found from gravity", "given" or "the capture's frame"
    preset: str
    registers: RegisterFile
    codes: Codes
    output: CoreOutput = field(repr=False)

    @property
    def events(self) -> np.ndarray:
        return self.output.events

    def no_data_samples(self) -> int:
        """Chip samples with no data on at least one of the recording's channels."""
        chans = [c for g in self.recording.present for c in GROUPS[g]]
        return int(np.any(self.codes.codes[:, chans] == NO_DATA, axis=1).sum())


# --- loading -----------------------------------------------------------------------------------


def load_recording(
    path: str | Path,
    *,
    columns: CsvColumns | None = None,
    gaps: str = "refuse",
    nan: str = "refuse",
) -> Recording:
    """A capture (``.h5``/``.hdf5``) or a CSV (``.csv``); ``columns``, ``gaps`` and ``nan``
    apply to CSV files only."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".h5", ".hdf5"):
        if columns is not None or gaps != "refuse" or nan != "refuse":
            raise ReplayError(
                f"{path}: column, unit, gap and NaN options apply to CSV files only; "
                "a capture's NaN already means no data"
            )
        return load_capture(path)
    if suffix == ".csv":
        return load_csv(path, columns=columns or CsvColumns(), gaps=gaps, nan=nan)
    raise ReplayError(f"{path}: unknown file type {suffix!r}; expected .csv, .h5 or .hdf5")


def load_capture(path: str | Path) -> Recording:
    """The ``/signals`` of a full-detail smile-capture file; acceleration is required."""
    from scenarios.capture import read_capture

    path = _existing(path)
    try:
        cap = read_capture(path)
    except CaptureError as exc:
        raise ReplayError(str(exc)) from None
    except KeyError as exc:
        raise ReplayError(f"{path}: no {exc.args[0]}; expected a smile-capture file") from None
    if cap.attrs.get("mode") == "digest":
        raise ReplayError(
            f"{path}: a digest capture holds sampled windows, not one recording; "
            "expected a full-detail capture"
        )
    if "acc_mps2" not in cap.signals:
        raise ReplayError(f"{path}: no /signals/acc_mps2; expected acceleration (N×3, m/s²)")
    used = [k for k in ("acc_mps2", "gyr_dps", "strain_ue", "temp_c") if k in cap.rate_hz]
    rates = sorted({cap.rate_hz[k] for k in used})
    if len(rates) != 1 or not (math.isfinite(rates[0]) and rates[0] > 0):
        raise ReplayError(f"{path}: /signals rate_hz {rates}; expected one rate > 0 Hz")
    r = rates[0]
    n = len(cap.signals["acc_mps2"])
    shapes = {"acc_mps2": (n, 3), "gyr_dps": (n, 3), "strain_ue": (n,), "temp_c": (n,)}
    arrays, present = {}, []
    for (name, shape), group in zip(shapes.items(), GROUPS, strict=True):
        if name not in cap.signals:
            arrays[name] = np.full(shape, np.nan)
            continue
        x = np.asarray(cap.signals[name], dtype=np.float64)
        if x.shape != shape:
            raise ReplayError(f"{path}: /signals/{name} has shape {x.shape}; expected {shape}")
        arrays[name] = x
        present.append(group)
    if n < 2:
        raise ReplayError(f"{path}: {n} sample(s) in /signals; expected at least 2")
    site = cap.attrs.get("implant_site")
    return Recording(
        source=path,
        kind="capture",
        t_s=np.arange(n) / r,
        present=tuple(present),
        rate_hz=r,
        uniform=True,
        implant_site=str(site) if site is not None else None,
        **arrays,
    )


def load_csv(
    path: str | Path,
    *,
    columns: CsvColumns = CsvColumns(),
    gaps: str = "refuse",
    nan: str = "refuse",
) -> Recording:
    """A CSV recording; see the module docstring for columns, units, gaps and NaN."""
    path = _existing(path)
    for name, value in (("gaps", gaps), ("nan", nan)):
        if value not in POLICIES:
            raise ReplayError(f"{name} {value!r}; expected one of {', '.join(POLICIES)}")
    groups, lines, values, first_nan = _read_table(path, columns)
    time_col = columns.time_col
    if time_col in first_nan:
        i, text = first_nan.pop(time_col)
        raise ReplayError(
            f"{path} line {lines[i]} column {time_col!r}: {_what(text)}; expected a time in seconds"
        )
    t = values[time_col]
    back = np.flatnonzero(np.diff(t) <= 0)
    if len(back):
        i = int(back[0]) + 1
        word = "repeats" if t[i] == t[i - 1] else "goes back from"
        raise ReplayError(
            f"{path} line {lines[i]}: time {t[i]:g} s in column {time_col!r} {word} "
            f"{t[i - 1]:g} s on line {lines[i - 1]}; expected strictly increasing time"
        )
    if first_nan and nan == "refuse":
        col, (i, text) = min(first_nan.items(), key=lambda item: item[1][0])
        raise ReplayError(
            f"{path} line {lines[i]} column {col!r}: {_what(text)}; expected a number "
            "(or --nan no-data to read it as no data)"
        )
    steps = np.diff(t)
    median = float(np.median(steps))
    gap_at = np.flatnonzero(steps > GAP_FACTOR * median)
    if len(gap_at) and gaps == "refuse":
        i = int(gap_at[0])
        raise ReplayError(
            f"{path} line {lines[i + 1]}: time jumps from {t[i]:g} s (line {lines[i]}) to "
            f"{t[i + 1]:g} s, a gap of {steps[i]:g} s > {GAP_FACTOR:g} × the median step "
            f"{median:g} s; expected evenly spaced samples (or --gaps no-data to fill it "
            "with no data)"
        )
    n = len(t)
    scale = {"acc": ACC_UNITS[columns.acc_unit], "gyr": GYR_UNITS[columns.gyr_unit]}
    signals = {}
    for group, chans in GROUPS.items():
        if group in groups:
            cols = groups[group][0]
            signals[group] = np.column_stack([values[c] for c in cols]) * scale.get(group, 1.0)
        else:
            signals[group] = np.full((n, len(chans)), np.nan)
    return Recording(
        source=path,
        kind="csv",
        t_s=t - t[0],
        acc_mps2=signals["acc"],
        gyr_dps=signals["gyr"],
        strain_ue=signals["strain"][:, 0],
        temp_c=signals["temp"][:, 0],
        present=tuple(g for g in GROUPS if g in groups),
        rate_hz=1.0 / median,
        uniform=False,
        gaps=tuple((float(t[i] - t[0]), float(t[i + 1] - t[0])) for i in gap_at),
        start_s=float(t[0]),
    )


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise ReplayError(f"{path}: no such file")
    if not path.is_file():
        raise ReplayError(f"{path}: is not a file; expected a recording (.csv, .h5)")
    return path


def _read_table(path: Path, columns: CsvColumns):
    """Which columns hold each channel group, the line number of each data row, each wanted
    column as float64 (NaN where empty), and the first NaN of each column."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            first = f.readline()
            try:
                delimiter = csv.Sniffer().sniff(first, delimiters=",;\t").delimiter
            except csv.Error:
                delimiter = ","
            f.seek(0)
            reader = csv.reader(f, delimiter=delimiter)
            header = [h.strip() for h in next(reader, [])]
            if not any(header):
                raise ReplayError(f"{path} line 1: empty; expected a header row of column names")
            groups = columns.resolve(header)
            wanted = {c: option for cols, option in groups.values() for c in cols}
            index = {}
            for col, option in wanted.items():
                hits = [j for j, h in enumerate(header) if h == col]
                if not hits:
                    raise ReplayError(
                        f"{path}: no column {col!r} ({option}); columns present: "
                        + ", ".join(repr(h) for h in header)
                    )
                if len(hits) > 1:
                    raise ReplayError(f"{path} line 1: column {col!r} appears {len(hits)} times")
                index[col] = hits[0]
            table = _Columns(path, list(index))
            for row in reader:
                if not row or not any(c.strip() for c in row):
                    continue  # blank line
                if len(row) != len(header):
                    raise ReplayError(
                        f"{path} line {reader.line_num}: {len(row)} fields; expected "
                        f"{len(header)} as in the header (line 1)"
                    )
                table.add(reader.line_num, [row[j] for j in index.values()])
            table.flush()
    except UnicodeDecodeError as exc:
        raise ReplayError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise ReplayError(f"{path}: not a readable CSV ({exc})") from None
    lines = np.concatenate(table.lines) if table.lines else np.zeros(0, dtype=np.int64)
    if len(lines) < 2:
        raise ReplayError(f"{path}: {len(lines)} data line(s); expected at least 2")
    values = {col: np.concatenate(parts) for col, parts in table.parts.items()}
    return groups, lines, values, table.first_nan


def _what(text: str) -> str:
    return f"value {text.strip()!r}" if text.strip() else "empty value"


class _Columns:
    """Cell texts gathered row by row and turned into float64 every :data:`CHUNK_ROWS` rows, so a
    long file never holds more than a chunk of Python strings. Text and infinite values are
    refused at once; the first NaN or empty cell of each column is remembered (index, text)."""

    def __init__(self, path: Path, names: list[str]):
        self.path, self.names = path, names
        self.texts: list[list[str]] = [[] for _ in names]
        self.row_lines: list[int] = []
        self.lines: list[np.ndarray] = []
        self.parts: dict[str, list[np.ndarray]] = {c: [] for c in names}
        self.first_nan: dict[str, tuple[int, str]] = {}
        self.done = 0  # rows converted so far

    def add(self, line: int, cells: list[str]) -> None:
        self.row_lines.append(line)
        for texts, cell in zip(self.texts, cells, strict=True):
            texts.append(cell)
        if len(self.row_lines) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.row_lines:
            return
        for col, texts in zip(self.names, self.texts, strict=True):
            x = _floats(self.path, self.row_lines, col, texts)
            nan = np.flatnonzero(np.isnan(x))
            if len(nan) and col not in self.first_nan:
                self.first_nan[col] = (self.done + int(nan[0]), texts[int(nan[0])])
            self.parts[col].append(x)
            texts.clear()
        self.lines.append(np.array(self.row_lines, dtype=np.int64))
        self.done += len(self.row_lines)
        self.row_lines = []


def _floats(path: Path, lines: list[int], col: str, texts: list[str]) -> np.ndarray:
    """The texts as float64, NaN for an empty cell; text or an infinite value is refused."""
    try:
        x = np.array(texts, dtype=np.float64)
    except ValueError:
        x = np.empty(len(texts))
        for i, s in enumerate(texts):
            try:
                x[i] = float(s)
            except ValueError:
                if s.strip():
                    raise ReplayError(
                        f"{path} line {lines[i]} column {col!r}: value {s.strip()!r} is not a "
                        "number; expected a decimal number"
                    ) from None
                x[i] = np.nan
    inf = np.flatnonzero(np.isinf(x))
    if len(inf):
        i = int(inf[0])
        raise ReplayError(
            f"{path} line {lines[i]} column {col!r}: {texts[i].strip()!r} is not a finite number"
        )
    return x


# --- axes --------------------------------------------------------------------------------------


def axis_map(axis: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(source column, sign) of chip x, y, z for the recording axis ``axis`` pointing up.

    A cyclic permutation puts that axis on chip z (x → (y, z, x), y → (z, x, y), z unchanged);
    a negative axis adds a 180° turn about chip x (y → −y, z → −z). Both are proper rotations,
    so the frame stays right-handed and the gyro maps the same way."""
    if axis not in AXES:
        raise ReplayError(f"vertical axis {axis!r}; expected one of {', '.join(VERTICAL_CHOICES)}")
    i = "xyz".index(axis[-1])
    sign = -1 if axis.startswith("-") else 1
    return ((i + 1) % 3, (i + 2) % 3, i), (1, sign, sign)


def find_vertical(recording: Recording) -> tuple[str, float]:
    """The axis (with sign) whose mean acceleration has the largest magnitude, and that mean in
    m/s²; refused when the mean is not gravity-like (0.5–1.5 g)."""
    with np.errstate(invalid="ignore"):
        ok = ~np.isnan(recording.acc_mps2).any(axis=1)
    if not ok.any():
        raise ReplayError(f"{recording.source}: no acceleration data; cannot find the vertical")
    mean = recording.acc_mps2[ok].mean(axis=0)
    k = int(np.argmax(np.abs(mean)))
    axis = ("-" if mean[k] < 0 else "") + "xyz"[k]
    lo, hi = GRAVITY_RANGE_MPS2
    if not lo <= abs(mean[k]) <= hi:
        raise ReplayError(
            f"{recording.source}: the largest mean acceleration is {mean[k]:.3g} m/s² on axis "
            f"{axis}; expected gravity, {lo:.3g}..{hi:.3g} m/s² (check --acc-unit, or give "
            "--vertical-axis)"
        )
    return axis, float(mean[k])


def to_chip_frame(recording: Recording, axis: str) -> Recording:
    """The recording with ``axis`` (e.g. ``"-x"``) turned onto chip z (see :func:`axis_map`)."""
    src, sign = axis_map(axis)

    def turn(v: np.ndarray) -> np.ndarray:
        return np.column_stack([s * v[:, j] for j, s in zip(src, sign, strict=True)])

    return replace(recording, acc_mps2=turn(recording.acc_mps2), gyr_dps=turn(recording.gyr_dps))


# --- resampling and the run --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Grid:
    """Uniform signals the front end digitises (the attributes of a scenario Rendering)."""

    rate_hz: float
    acc_mps2: np.ndarray
    gyr_dps: np.ndarray
    strain_ue: np.ndarray
    temp_c: np.ndarray


def decimation_for(recording: Recording, rate_hz: int) -> int:
    """q: the grid runs at q × rate_hz, the smallest multiple at or above the recording's rate."""
    ratio = recording.rate_hz / rate_hz
    return max(1, math.ceil(ratio - RATE_TOLERANCE))


def needs_interpolation(recording: Recording, grid_rate_hz: float) -> bool:
    """False only for a capture already at the grid rate."""
    return not (recording.uniform and abs(recording.rate_hz - grid_rate_hz) <= 1e-9 * grid_rate_hz)


def to_grid(recording: Recording, rate_hz: int) -> Grid:
    """The recording on a uniform grid at q × ``rate_hz`` (see the module docstring)."""
    q = decimation_for(recording, rate_hz)
    fs = q * rate_hz
    arrays = {
        "acc_mps2": recording.acc_mps2,
        "gyr_dps": recording.gyr_dps,
        "strain_ue": recording.strain_ue,
        "temp_c": recording.temp_c,
    }
    if not needs_interpolation(recording, fs):
        return Grid(float(fs), **arrays)
    t = recording.t_s
    n = math.floor((t[-1] - t[0]) * fs + 1e-6) + 1
    tg = t[0] + np.arange(n) / fs
    out = {name: _interp(tg, t, x) for name, x in arrays.items()}
    for a, b in recording.gaps:  # strictly inside a gap: no data anywhere
        lo, hi = np.searchsorted(tg, [a + 1e-9, b - 1e-9], side="left")
        for x in out.values():
            x[lo:hi] = np.nan
    return Grid(float(fs), **out)


def _interp(tg: np.ndarray, t: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Linear interpolation per column; NaN where a neighbour with a real weight is NaN."""
    flat = x.ndim == 1
    x2 = x[:, None] if flat else x
    out = np.empty((len(tg), x2.shape[1]))
    for k in range(x2.shape[1]):
        col = x2[:, k]
        bad = np.isnan(col)
        if bad.all():
            out[:, k] = np.nan
            continue
        if bad.any():
            good = ~bad
            filled = np.interp(t, t[good], col[good])
            out[:, k] = np.interp(tg, t, filled)
            out[np.interp(tg, t, bad.astype(np.float64)) > 1e-6, k] = np.nan
        else:
            out[:, k] = np.interp(tg, t, col)
    return out[:, 0] if flat else out


def load_registers_file(path: str | Path) -> dict[str, int]:
    """Register overrides from a YAML or JSON mapping of names to values, each checked against
    the register map (a :class:`RegisterError` names the file, the register and its range)."""
    path = _existing(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else load_located(text).data
    except YamlSyntaxError as exc:
        where = f" line {exc.line}" if exc.line else ""
        raise RegisterError(f"{path}{where}: {exc}") from None
    except RecursionError:
        raise RegisterError(f"{path}: JSON nested too deeply; refused") from None
    except UnicodeDecodeError as exc:
        raise RegisterError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise RegisterError(f"{path} line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RegisterError(
            f"{path}: a {type(data).__name__}; expected a mapping of register names to values"
        )
    regs = RegisterFile()
    for name, value in data.items():
        try:
            regs.set(str(name), value)
        except RegisterError as exc:
            raise RegisterError(f"{path}: {exc}") from None
    return {str(k): v for k, v in data.items()}


def replay(
    recording: Recording,
    *,
    rate_hz: int = 100,
    vertical_axis: str | None = None,
    preset_name: str | None = None,
    registers: Mapping[str, int] | None = None,
) -> Replay:
    """Run ``recording`` through the ideal front end and the digital core at ``rate_hz``.

    ``vertical_axis``: one of :data:`VERTICAL_CHOICES`; None = ``"auto"`` for a CSV, ``"z"``
    for a capture. ``preset_name``: None = from the capture's implant site, else ``"tibia"``.
    ``registers`` override the preset (see the module docstring for CHANNEL_ENABLE and
    SAMPLE_RATE_HZ)."""
    if (
        isinstance(rate_hz, bool)
        or not isinstance(rate_hz, int)
        or not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ
    ):
        raise ReplayError(f"rate {rate_hz!r} Hz; expected an integer {MIN_RATE_HZ}..{MAX_RATE_HZ}")
    name = preset_name or default_preset(recording)
    values = preset(name)
    overrides = dict(registers or {})
    if "SAMPLE_RATE_HZ" in overrides and overrides["SAMPLE_RATE_HZ"] != rate_hz:
        raise RegisterError(
            f"register SAMPLE_RATE_HZ {overrides['SAMPLE_RATE_HZ']!r} differs from the replay "
            f"rate {rate_hz} Hz (--rate-hz); expected {rate_hz} or no entry"
        )
    values.update(overrides)
    values["SAMPLE_RATE_HZ"] = rate_hz
    if "CHANNEL_ENABLE" not in overrides:
        enable = values.get("CHANNEL_ENABLE", RegisterFile()["CHANNEL_ENABLE"])
        present = sum(1 << c for g in recording.present for c in GROUPS[g])
        values["CHANNEL_ENABLE"] = enable & present
    regs = RegisterFile(values)

    choice = vertical_axis or ("z" if recording.kind == "capture" else "auto")
    if choice not in VERTICAL_CHOICES:
        raise ReplayError(
            f"vertical axis {choice!r}; expected one of {', '.join(VERTICAL_CHOICES)}"
        )
    if choice == "auto":
        axis, how = find_vertical(recording)[0], "found from gravity"
    else:
        axis, how = choice, "given" if vertical_axis else "the capture's frame"
    grid = to_grid(to_chip_frame(recording, axis), rate_hz)
    codes = FrontEnd(config=FrontEndConfig.ideal()).digitise(
        grid, rng=np.random.default_rng(0), rate_hz=rate_hz
    )
    output = Chip(regs).run(codes.codes, brownouts=codes.brownouts)
    return Replay(
        recording=recording,
        rate_hz=rate_hz,
        decimation=round(grid.rate_hz / rate_hz),
        resampled=needs_interpolation(recording, grid.rate_hz),
        vertical_axis=axis,
        vertical_how=how,
        preset=name,
        registers=regs,
        codes=codes,
        output=output,
    )


def default_preset(recording: Recording) -> str:
    """The preset of the capture's implant site, else :data:`DEFAULT_PRESET`."""
    site = recording.implant_site
    if site is None:
        return DEFAULT_PRESET
    if site not in PLACEMENT_OF_SITE:
        raise ReplayError(
            f"{recording.source}: implant_site {site!r} has no preset; expected one of "
            f"{', '.join(PLACEMENT_OF_SITE)} (or give --preset {'|'.join(presets())})"
        )
    return PLACEMENT_OF_SITE[site]
