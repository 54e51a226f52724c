"""Capture files (ICD section 4): layout, round trip, and never half-written."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from scenarios import library
from scenarios.capture import atomic_h5, read_capture, write_capture, write_digest_capture
from scenarios.digest import render_digest
from scenarios.errors import CaptureError
from scenarios.generator import render


@pytest.fixture(scope="module")
def fall():
    return render(library.load("fall_sideways"), 11, rate_hz=500, duration_s=30)


def test_layout_has_the_icd_minimum(tmp_path, fall):
    path = write_capture(tmp_path / "c.h5", fall)
    with h5py.File(path) as f:
        for key in (
            "format",
            "version",
            "created_utc",
            "scenario",
            "seed",
            "scenario_sha256",
            "software_version",
            "body_mass_kg",
            "implant_site",
        ):
            assert key in f.attrs, key
        assert f.attrs["format"] == "smile-capture"
        assert f.attrs["seed"] == 11
        assert f.attrs["body_mass_kg"] == 68.0 and f.attrs["implant_site"] == "hip_stem"
        assert f.attrs["scenario_sha256"] == library.load("fall_sideways").sha256
        shapes = {
            "acc_mps2": (15000, 3),
            "gyr_dps": (15000, 3),
            "strain_ue": (15000,),
            "load_n": (15000,),
            "temp_c": (15000,),
        }
        for name, shape in shapes.items():
            ds = f["signals"][name]
            assert ds.shape == shape and ds.dtype == np.float64
            assert ds.attrs["rate_hz"] == 500.0 and ds.attrs["unit"]
        assert set(f["truth/events"].dtype.names) == {"t_s", "kind", "value"}
        assert set(f["truth/segments"].dtype.names) == {"t_start_s", "t_end_s", "activity"}


def test_round_trip_preserves_signals_and_truth(tmp_path, fall):
    cap = read_capture(write_capture(tmp_path / "c.h5", fall))
    assert np.array_equal(cap.signals["acc_mps2"], fall.acc_mps2.astype(np.float64))
    assert np.array_equal(cap.signals["load_n"], fall.load_n.astype(np.float64))
    assert cap.rate_hz["gyr_dps"] == 500.0
    assert np.array_equal(cap.events["kind"], fall.events["kind"])
    assert np.array_equal(cap.events["t_s"], fall.events["t_s"])
    assert list(cap.segments["activity"]) == list(fall.segments["activity"])
    assert len(cap.events_of("fall_impact")) == 1


def test_digest_capture_holds_tables_and_windows(tmp_path):
    d = render_digest(library.load("healing_non_union"), 2, rate_hz=100)
    cap = read_capture(write_digest_capture(tmp_path / "d.h5", d))
    assert cap.attrs["mode"] == "digest" and cap.attrs["days"] == 112
    daily = cap.groups["daily"]
    assert len(daily) == 112
    assert np.allclose(daily["relative_load"], d.daily["relative_load"])
    windows = cap.groups["windows"]
    assert len(windows) == len(d.windows)
    assert windows["first_sample"][-1] + windows["n_samples"][-1] == len(cap.signals["load_n"])
    # Window truth is in course time: heel strikes of the last window lie in its day.
    last = windows[-1]
    hs = cap.events_of("heel_strike")["t_s"]
    assert np.any((hs > last["t_start_s"]) & (hs < last["t_start_s"] + 60))


def test_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "keep.h5"
    target.write_bytes(b"previous capture")

    def broken(f):
        f.attrs["format"] = "smile-capture"
        raise OSError(28, "No space left on device")

    with pytest.raises(CaptureError, match=r"keep\.h5: cannot write: No space left"):
        atomic_h5(target, broken)
    assert target.read_bytes() == b"previous capture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.h5"]


def test_missing_folder_and_folder_as_file_are_refused(tmp_path, fall):
    with pytest.raises(CaptureError, match="does not exist"):
        write_capture(tmp_path / "nope" / "c.h5", fall)
    with pytest.raises(CaptureError, match="is a folder"):
        write_capture(tmp_path, fall)


def test_reading_something_else_is_a_clear_error(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.attrs["format"] = "something"
    with pytest.raises(CaptureError, match="expected 'smile-capture'"):
        read_capture(other)
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(CaptureError, match="not a readable HDF5 file"):
        read_capture(tmp_path / "text.h5")
