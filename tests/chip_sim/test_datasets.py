"""The real-recording loaders (chip_sim.datasets) on small hand-made source distributions: units,
axes, reference contacts and scored windows; the cache's SHA-256 pinning and its refusals. The real
files themselves are checked in bench/verification/suite/test_real_data.py (network tier)."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from chip_sim import datasets
from chip_sim.datasets import (
    GAITMAP,
    MOBGAP,
    DatasetError,
    DatasetUnavailableError,
    Source,
    fetch,
    gaitmap_recordings,
    mobgap_recordings,
    sha256_of,
)


def sdist(path: Path, source: Source, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"{source.project}-{source.version}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def gaitmap_csv(n: int) -> bytes:
    sensors = ["left_sensor", "right_sensor"] * 6
    axes = [a for a in ("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z") for _ in (0, 1)]
    lines = ["sensor," + ",".join(sensors), "axis," + ",".join(axes)]
    for i in range(n):
        # left: acc (1, 2, 9.8), gyr (10, 20, 30); right: the same negated, plus the sample index
        vals = []
        for a in range(6):
            base = [1.0, 2.0, 9.8, 10.0, 20.0, 30.0][a]
            vals += [base + i * 0.001, -base]
        lines.append(f"{i}," + ",".join(f"{v:.6f}" for v in vals))
    return ("\n".join(lines) + "\n").encode()


EVENTS = b"""s_id,foot,start,end,ic,tc,min_vel,pre_ic
0,left,100.0,300.0,250.0,200.0,100.0,50.0
1,left,300.0,500.0,450.0,400.0,300.0,250.0
2,left,700.0,900.0,850.0,800.0,700.0,650.0
3,right,200.0,400.0,350.0,300.0,200.0,150.0
4,right,400.0,600.0,550.0,500.0,400.0,350.0
"""


def test_gaitmap_loader_keeps_the_foot_frame_and_takes_both_feet_contacts(tmp_path):
    path = sdist(
        tmp_path / GAITMAP.filename,
        GAITMAP,
        {
            "example_data/imu_sample.csv": gaitmap_csv(1000),
            "example_data/stride_events_sample.csv": EVENTS,
        },
    )
    left, right = gaitmap_recordings(path)
    assert left.placement == right.placement == "foot"
    rec = left.recording
    assert rec.rate_hz == 204.8 and rec.present == ("acc", "gyr")
    assert np.allclose(np.diff(rec.t_s), 1 / 204.8) and rec.t_s[0] == 0
    # gaitmap's foot sensor frame is the chip's (x forward, y left, z up): no turn, no scaling
    assert np.allclose(rec.acc_mps2[0], [1.0, 2.0, 9.8]) and np.allclose(
        rec.gyr_dps[0], [10, 20, 30]
    )
    assert np.allclose(right.recording.acc_mps2[0], [-1.0, -2.0, -9.8])
    ics = np.array([50, 150, 250, 350, 450, 550, 650, 850]) / 204.8
    assert np.allclose(left.reference_ic_s, ics) and np.allclose(right.reference_ic_s, ics)
    assert np.allclose(left.ipsilateral_ic_s, np.array([50, 250, 450, 650, 850]) / 204.8)
    # left strides 0-1 are consecutive, stride 2 is not: two runs; the right run overlaps the
    # first and merges with it
    assert np.allclose(np.array(left.windows_s) * 204.8, [[50, 550], [650, 850]])
    assert np.allclose(left.scored_reference(), ics)


def mobgap_mat(acc_g: np.ndarray, gyr: np.ndarray, wbs: list[dict]) -> bytes:
    trial = {
        "SU": {"LowerBack": {"Acc": acc_g, "Gyr": gyr, "Fs": {"Acc": 100, "Gyr": 100}}},
        "Standards": {"INDIP": {"MicroWB": wbs} if wbs else {"MicroWB": np.zeros((0,))}},
    }
    buf = io.BytesIO()
    savemat(buf, {"data": {"TimeMeasure1": {"Test5": {"Trial1": trial}}}})
    return buf.getvalue()


def test_mobgap_loader_turns_the_lower_back_frame_and_scales_g(tmp_path):
    n = 500
    acc = np.tile([1.0, 0.1, 0.2], (n, 1))  # x up (1 g), y right, z anterior
    gyr = np.tile([3.0, 4.0, 5.0], (n, 1))
    wbs = [
        {"Start": 1.0, "End": 2.0, "InitialContact_Event": np.array([1.0, 1.5, 2.0])},
        {"Start": 3.0, "End": 4.0, "InitialContact_Event": np.array([3.2, np.nan, 3.8])},
        # the next bout starts on the previous one's last contact, listed again 10 ms later
        {"Start": 3.8, "End": 4.5, "InitialContact_Event": np.array([3.81, 4.4])},
    ]
    members = {
        f"example_data/data/lab/{who}/data.mat": mobgap_mat(
            acc, gyr, wbs if who != "HA/002" else []
        )
        for who in datasets.MOBGAP_PARTICIPANTS
    }
    members.update(published_members())
    recs = mobgap_recordings(sdist(tmp_path / MOBGAP.filename, MOBGAP, members))
    assert [r.name for r in recs] == [
        "HA/001 Test5 Trial1",
        "MS/001 Test5 Trial1",
    ]  # HA/002: no bout
    rec = recs[0].recording
    # chip (x anterior, y left, z up) = mobgap (z, -y, x); g -> m/s²
    assert np.allclose(rec.acc_mps2[0], np.array([0.2, -0.1, 1.0]) * 9.80665)
    assert np.allclose(rec.gyr_dps[0], [5.0, -4.0, 3.0])
    # a NaN contact dropped, the shared boundary contact kept once
    assert np.allclose(recs[0].reference_ic_s, [1.0, 1.5, 2.0, 3.2, 3.8, 4.4])
    assert recs[0].windows_s == ((1.0, 2.0), (3.0, 4.0), (3.8, 4.5))
    assert recs[0].placement == "lower_back" and rec.rate_hz == 100
    # published pipelines: one gait sequence written as an object, several as a list (sorted,
    # NaN dropped), a trial a pipeline did not process has no contacts
    ha, ms = (r.published_ic_s for r in recs)
    assert np.allclose(ha["icd_ionescu"], [1.1, 1.6])
    assert np.allclose(ha["icd_shin_improved"], [1.2, 3.3, 3.9])
    assert len(ha["icd_hklee_improved"]) == 0 and len(ms["icd_ionescu"]) == 0


def published_members(broken: str | None = None) -> dict[str, bytes]:
    sd = {
        "icd_ionescu": {"Start": 1.0, "End": 2.0, "IC": [1.1, 1.6]},
        "icd_shin_improved": [
            {"Start": 3.0, "End": 4.0, "IC": [3.9, 3.3, float("nan")]},
            {"Start": 1.0, "End": 2.0, "IC": 1.2},
        ],
    }
    out = {}
    for algo in datasets.MOBGAP_PUBLISHED_ICD:
        for who in datasets.MOBGAP_PARTICIPANTS:
            trials = {}
            if algo in sd and who == "HA/001":
                trials = {"Test5": {"Trial1": {"SU": {"LowerBack": {"SD": sd[algo]}}}}}
            doc = {"SD_Output": {"TimeMeasure1": trials}}
            name = f"example_data/original_results/{algo}/lab/{who}/SD_Output.json"
            out[name] = b"{not json" if algo == broken else json.dumps(doc).encode()
    return out


def test_a_published_output_that_is_not_json_is_named(tmp_path):
    members = {
        f"example_data/data/lab/{who}/data.mat": mobgap_mat(np.ones((10, 3)), np.ones((10, 3)), [])
        for who in datasets.MOBGAP_PARTICIPANTS
    }
    members.update(published_members(broken="icd_shin_improved"))
    with pytest.raises(
        DatasetError, match=r"original_results/icd_shin_improved/lab/HA/001/SD_Output\.json"
    ):
        mobgap_recordings(sdist(tmp_path / MOBGAP.filename, MOBGAP, members))


def test_a_missing_member_is_named(tmp_path):
    path = sdist(tmp_path / GAITMAP.filename, GAITMAP, {"example_data/imu_sample.csv": b"x\n"})
    with pytest.raises(DatasetError, match=r"no member gaitmap-2\.6\.0/example_data/stride_events"):
        gaitmap_recordings(path)


def test_fetch_refuses_a_cached_file_with_another_hash(tmp_path):
    folder = tmp_path / "sdists"
    folder.mkdir()
    (folder / MOBGAP.filename).write_bytes(b"not the pinned file")
    with pytest.raises(
        DatasetError, match=rf"SHA-256 .*; expected {MOBGAP.sha256}.*delete the file"
    ):
        fetch(MOBGAP, cache=tmp_path)


def test_fetch_offline_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("SMILE_BENCH_OFFLINE", "1")
    with pytest.raises(
        DatasetUnavailableError, match=r"mobgap==1.2.0 is not in .* SMILE_BENCH_OFFLINE"
    ):
        fetch(MOBGAP, cache=tmp_path)


def fake_pip(payload: bytes, returncode: int = 0, stderr: str = ""):
    def run(cmd, **kwargs):
        assert cmd[1:4] == ["-m", "pip", "download"] and "--no-binary" in cmd and ":all:" in cmd
        if returncode == 0:
            dest = Path(cmd[cmd.index("-d") + 1])
            name = cmd[-1].replace("==", "-") + ".tar.gz"
            (dest / name).write_bytes(payload)
        return subprocess.CompletedProcess(cmd, returncode, "", stderr)

    return run


def test_fetch_caches_only_a_download_with_the_pinned_hash(tmp_path, monkeypatch):
    monkeypatch.delenv("SMILE_BENCH_OFFLINE", raising=False)
    payload = b"pretend sdist"
    monkeypatch.setattr(datasets.subprocess, "run", fake_pip(payload))
    with pytest.raises(DatasetError, match="not cached"):
        fetch(MOBGAP, cache=tmp_path)
    assert [p.name for p in (tmp_path / "sdists").iterdir()] == []  # no file, no leftover folder
    good = replace(MOBGAP, sha256=hashlib.sha256(payload).hexdigest())
    path = fetch(good, cache=tmp_path)
    assert path.read_bytes() == payload and sha256_of(path) == good.sha256
    assert [p.name for p in (tmp_path / "sdists").iterdir()] == [MOBGAP.filename]


def test_fetch_reports_the_pip_failure_in_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("SMILE_BENCH_OFFLINE", raising=False)
    monkeypatch.setattr(
        datasets.subprocess,
        "run",
        fake_pip(b"", 1, "WARNING: retrying\nERROR: No matching distribution\n"),
    )
    with pytest.raises(DatasetUnavailableError, match=r"failed: ERROR: No matching distribution$"):
        fetch(GAITMAP, cache=tmp_path)
