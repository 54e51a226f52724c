"""``smile-bench replay`` and :mod:`chip_sim.replay` on recordings built from library scenarios,
so the truth is known: the scenario's signals are written as a CSV in another frame, with other
column names and units (or as a capture), replayed, and the events compared with the truth.

The CLI cases run as real subprocesses, several at a time, in one module fixture; the rest call
:mod:`chip_sim.replay` directly.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from bench.cli.replay_cmd import rate_hz
from chip_sim.accuracy import match_times
from chip_sim.afe import NO_DATA, FrontEnd, FrontEndConfig
from chip_sim.errors import RegisterError
from chip_sim.icd import EventCode
from chip_sim.replay import (
    CsvColumns,
    ReplayError,
    axis_map,
    load_capture,
    load_csv,
    load_registers_file,
    replay,
)
from scenarios import library
from scenarios.capture import write_capture
from scenarios.generator import render
from scenarios.physiology import G_MPS2

#: One worker runs the module: its module fixtures run the CLI many times, once.
pytestmark = pytest.mark.xdist_group("replay_cli")

CLI = [sys.executable, "-m", "bench.cli.main", "replay"]
START_S = 5.0  # the CSV clock starts here; event t_s count from the first sample

# Recording frames written out by hand: CSV axis -> (rendering axis, sign). The rendering's z
# points up; in frame "x" the CSV's ax does, in frame "-y" the CSV's ay points down.
FRAMES = {
    "x": {"x": (2, 1), "y": (0, 1), "z": (1, 1)},
    "-y": {"x": (1, -1), "y": (2, -1), "z": (0, 1)},
}
HEADER = ("gz", "ay", "time", "ax", "gx", "az", "gy")
COLUMNS = CsvColumns(
    time_col="time", acc_cols=("ax", "ay", "az"), acc_unit="g", gyr_cols=("gx", "gy", "gz")
)
CSV_ARGS = ["--time-col", "time", "--acc-cols", "ax,ay,az", "--gyr-cols", "gx,gy,gz"]
G_ARGS = [*CSV_ARGS, "--acc-unit", "g"]


def in_frame(v: np.ndarray, frame: str) -> np.ndarray:
    """Rendering-frame vectors (N, 3) as the recording's axes x, y, z."""
    return np.column_stack([s * v[:, k] for k, s in (FRAMES[frame][a] for a in "xyz")])


def write_csv(
    path: Path,
    r,
    *,
    frame: str = "x",
    unit: str = "g",
    every: int = 1,
    rows: int | None = None,
    gyro: bool = True,
) -> Path:
    """The rendering as a CSV (full float precision): columns in HEADER order, acceleration in
    ``unit`` ("g" or "mps2"), every ``every``-th sample, the first ``rows`` rows."""
    acc_g = in_frame(r.acc_mps2.astype(np.float64), frame)[::every][:rows] / G_MPS2
    acc = acc_g if unit == "g" else acc_g * G_MPS2  # the same numbers the replay computes
    gyr = in_frame(r.gyr_dps.astype(np.float64), frame)[::every][:rows]
    t = START_S + r.t_s[::every][:rows]
    cols = {"time": t, "ax": acc[:, 0], "ay": acc[:, 1], "az": acc[:, 2]}
    cols.update({"gx": gyr[:, 0], "gy": gyr[:, 1], "gz": gyr[:, 2]})
    header = [h for h in HEADER if gyro or not h.startswith("g")]
    lines = [",".join(header)]
    lines += [",".join(repr(float(cols[h][i])) for h in header) for i in range(len(t))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def edit(text: str, line: int, column: str, value: str) -> str:
    """``text`` with the field ``column`` of CSV line ``line`` (header = 1) set to ``value``."""
    lines = text.split("\n")
    j = lines[0].split(",").index(column)
    fields = lines[line - 1].split(",")
    fields[j] = value
    lines[line - 1] = ",".join(fields)
    return "\n".join(lines)


def cell(text: str, line: int, column: str) -> str:
    lines = text.split("\n")
    return lines[line - 1].split(",")[lines[0].split(",").index(column)]


def step_times(events: np.ndarray, rate_hz: float = 100) -> np.ndarray:
    return events["stream_index"][events["code"] == int(EventCode.STEP)] / rate_hz


# --- recordings ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def walk():
    return render(library.load("walk_level_1p3"), 1, rate_hz=200)


@pytest.fixture(scope="module")
def fall():
    return render(library.load("fall_forward"), 1, rate_hz=100)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, walk) -> Path:
    d = tmp_path_factory.mktemp("inputs")
    write_csv(d / "walk200.csv", walk)
    small = write_csv(d / "small.csv", walk, every=2, rows=1000).read_text()
    bad = {
        "back.csv": edit(small, 40, "time", cell(small, 38, "time")),
        "repeat.csv": edit(small, 41, "time", cell(small, 40, "time")),
        "nan.csv": edit(small, 57, "ay", "NaN"),
        "empty.csv": edit(small, 58, "gx", ""),
        "text.csv": edit(small, 61, "az", "1.0g"),
    }
    lines = small.split("\n")
    bad["gap.csv"] = "\n".join(lines[:99] + lines[129:])  # lines 100..129 missing: 0.3 s
    for name, text in bad.items():
        (d / name).write_text(text, encoding="utf-8")
    (d / "unknown.yaml").write_text("STEP_SHARP_MIN_MG: 50\nSTEP_THRESHOLD: 3\n")
    (d / "range.json").write_text(json.dumps({"STEP_SHARP_MIN_MG": 5000}))
    ff = render(library.load("fall_forward"), 1, rate_hz=1000)
    write_capture(d / "fall.h5", ff)
    return d


# --- the CLI as a user runs it ---------------------------------------------------------------


@dataclass
class Done:
    args: list[str]
    cwd: Path
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"replay {' '.join(self.args)} -> {self.returncode}\n{self.stdout}{self.stderr}"

    def events(self) -> list[dict[str, str]]:
        with (self.cwd / "ev.csv").open(newline="") as f:
            return list(csv.DictReader(f))


def cli_jobs(d: Path) -> dict[str, list[str]]:
    small = [str(d / "small.csv"), *G_ARGS]
    return {
        "csv_x": [str(d / "walk200.csv"), *G_ARGS, "--vertical-axis", "x"],
        "csv_auto": [str(d / "walk200.csv"), *G_ARGS],
        "capture": [str(d / "fall.h5")],
        "gap_no_data": [str(d / "gap.csv"), *G_ARGS, "--gaps", "no-data"],
        "nan_no_data": [str(d / "nan.csv"), *G_ARGS, "--nan", "no-data"],
        # refusals
        "back": [str(d / "back.csv"), *G_ARGS],
        "gap": [str(d / "gap.csv"), *G_ARGS],
        "nan": [str(d / "nan.csv"), *G_ARGS],
        "text": [str(d / "text.csv"), *G_ARGS],
        "missing": [str(d / "small.csv"), "--time-col", "time", "--acc-cols", "ax,ay,accz"],
        "preset": [*small, "--preset", "knee"],
        "reg_unknown": [*small, "--registers", str(d / "unknown.yaml")],
        "reg_range": [*small, "--registers", str(d / "range.json")],
        "axis": [*small, "--vertical-axis", "up"],
        "out_folder": [*small, "--out", "nofolder/ev.csv"],
        "capture_csv_option": [str(d / "fall.h5"), "--acc-unit", "g"],
    }


@pytest.fixture(scope="module")
def cli(tmp_path_factory, inputs) -> dict[str, Done]:
    root = tmp_path_factory.mktemp("cli")
    env = dict(os.environ, COLUMNS="200")
    env.pop("PYTHONWARNINGS", None)

    def one(item):
        name, args = item
        cwd = root / name
        cwd.mkdir()
        if "--out" not in args:
            args = [*args, "--out", "ev.csv"]
        p = subprocess.run(
            [*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
        )
        return name, Done(args, cwd, p.returncode, p.stdout, p.stderr)

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(pool.map(one, cli_jobs(inputs).items()))


def ok(done: Done) -> Done:
    assert done.returncode == 0, str(done)
    assert done.stderr == "", str(done)
    return done


def test_cli_replays_a_200hz_csv_in_another_frame_and_finds_the_steps(cli, walk):
    done = ok(cli["csv_x"])
    rows = done.events()
    assert list(rows[0]) == ["sample_index", "t_s", "event", "value"]
    steps = np.array([float(r["t_s"]) for r in rows if r["event"] == "STEP"])
    m = match_times(walk.events_of("heel_strike")["t_s"], steps, 0.15)
    assert m.sensitivity >= 0.95 and m.ppv >= 0.95, m
    assert not any(r["event"].startswith("FAULT") for r in rows)  # absent channels disabled
    summary = " ".join(done.stdout.split())
    for needle in (
        "30157 samples at 200 Hz",
        "15079 chip samples",
        "150.79 s at 100 Hz",
        "decimated ×2",
        "Vertical axis x (given)",
        "Preset tibia",
        "CHANNEL_ENABLE 0x3F",
        f"{len(steps)} STEP",
    ):
        assert needle in summary, summary


def test_cli_auto_vertical_axis_finds_x_and_gives_the_same_events(cli):
    done = ok(cli["csv_auto"])
    assert "Vertical axis x (found from gravity)" in " ".join(done.stdout.split())
    assert (done.cwd / "ev.csv").read_bytes() == (cli["csv_x"].cwd / "ev.csv").read_bytes()


def test_cli_replays_a_1khz_capture_with_the_preset_of_its_implant_site(cli, fall):
    done = ok(cli["capture"])
    summary = " ".join(done.stdout.split())
    assert "Preset hip" in summary and "decimated ×10" in summary, summary  # hip_stem
    rows = done.events()
    falls = [float(r["t_s"]) for r in rows if r["event"] == "FALL"]
    impact = float(fall.events_of("fall_impact")["t_s"][0])
    assert len(falls) == 1 and impact < falls[0] < impact + 5, (falls, impact)


def test_cli_fills_a_gap_with_no_data_when_asked(cli):
    done = ok(cli["gap_no_data"])
    assert "1 gap(s) filled with no data" in " ".join(done.stdout.split())
    assert done.events()[0]["event"] == "RESET"


def test_cli_reads_nan_as_no_data_when_asked(cli):
    done = ok(cli["nan_no_data"])
    assert "1 with no data" in " ".join(done.stdout.split()), done.stdout


REFUSALS = {
    "back": ("back.csv line 40", "goes back", "strictly increasing"),
    "gap": ("gap.csv line 100", "gap of 0.31 s", "--gaps no-data"),
    "nan": ("nan.csv line 57 column 'ay'", "'NaN'", "--nan no-data"),
    "text": ("text.csv line 61 column 'az'", "'1.0g' is not a number"),
    "missing": (
        "no column 'accz' (--acc-cols)",
        "columns present: 'gz', 'ay', 'time', 'ax', 'gx', 'az', 'gy'",
    ),
    "preset": ("'knee'", "tibia, hip, lower-back"),
    "reg_unknown": ("unknown.yaml", "unknown register 'STEP_THRESHOLD'"),
    "reg_range": ("range.json", "STEP_SHARP_MIN_MG", "5000", "5..4000"),
    "axis": ("--vertical-axis", "'up'", "'-x'"),
    "out_folder": ("--out nofolder/ev.csv", "does not exist"),
    "capture_csv_option": ("--acc-unit", "CSV files only", "fall.h5"),
}


@pytest.mark.parametrize("name", list(REFUSALS))
def test_cli_refuses_bad_input_in_one_line_and_writes_nothing(cli, name):
    done = cli[name]
    assert done.returncode == 2, str(done)
    assert done.stdout == "", str(done)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, str(done)
    for needle in REFUSALS[name]:
        assert needle in lines[0], str(done)
    assert list(done.cwd.iterdir()) == [], str(done)  # no output, no temporary file


# --- chip_sim.replay directly ----------------------------------------------------------------


def test_frames_of_the_tests_are_right_handed_rotations():
    for frame, axes in FRAMES.items():
        m = np.zeros((3, 3))
        for row, a in enumerate("xyz"):
            k, s = axes[a]
            m[row, k] = s
        assert np.linalg.det(m) == pytest.approx(1.0), frame


@pytest.mark.parametrize("frame", list(FRAMES))
@pytest.mark.parametrize("vertical", ["given", "auto"])
def test_replay_turns_the_recording_back_into_the_chip_frame(tmp_path, frame, vertical):
    """The codes equal those of the rendering itself through the ideal front end (±1 code of
    rounding), on every acceleration and gyro axis: the mapping, its sign and the gyro's."""
    r = render(library.load("walk_level_1p3"), 1, rate_hz=100, duration_s=30)
    rec = load_csv(write_csv(tmp_path / "w.csv", r, frame=frame), columns=COLUMNS)
    got = replay(rec, vertical_axis=frame if vertical == "given" else None)
    assert got.vertical_axis == frame and got.decimation == 1
    want = FrontEnd(config=FrontEndConfig.ideal()).digitise(
        r, rng=np.random.default_rng(0), rate_hz=100
    )
    assert got.codes.n == want.n
    diff = np.abs(got.codes.codes[:, :6].astype(int) - want.codes[:, :6])
    assert diff.max() <= 1
    assert np.array_equal(got.events, replay(rec, vertical_axis=frame).events)


def test_axis_map_is_a_cyclic_permutation_with_a_half_turn_for_a_negative_axis():
    assert axis_map("z") == ((0, 1, 2), (1, 1, 1))
    assert axis_map("x") == ((1, 2, 0), (1, 1, 1))
    assert axis_map("-y") == ((2, 0, 1), (1, -1, -1))
    with pytest.raises(ReplayError, match="'up'"):
        axis_map("up")


def test_acc_in_g_and_in_mps2_give_the_same_events(tmp_path, walk):
    g = load_csv(write_csv(tmp_path / "g.csv", walk, every=2), columns=COLUMNS)
    columns = replace(COLUMNS, acc_unit="mps2")
    raw = load_csv(write_csv(tmp_path / "m.csv", walk, every=2, unit="mps2"), columns=columns)
    a, b = replay(g), replay(raw)
    assert np.array_equal(a.codes.codes, b.codes.codes)
    assert np.array_equal(a.events, b.events)
    m = match_times(walk.events_of("heel_strike")["t_s"], step_times(a.events), 0.15)
    assert m.sensitivity >= 0.95 and m.ppv >= 0.95, m


def test_a_200hz_csv_is_resampled_and_decimated_to_the_chip_rate(tmp_path, walk):
    got = replay(load_csv(write_csv(tmp_path / "w.csv", walk), columns=COLUMNS), rate_hz=100)
    assert got.resampled and got.decimation == 2 and got.codes.rate_hz == 100
    m = match_times(walk.events_of("heel_strike")["t_s"], step_times(got.events), 0.15)
    assert m.sensitivity >= 0.95 and m.ppv >= 0.95, m


def test_the_fall_of_fall_forward_is_found_in_a_replayed_csv(tmp_path, fall):
    rec = load_csv(write_csv(tmp_path / "f.csv", fall, frame="-y"), columns=COLUMNS)
    got = replay(rec, vertical_axis="-y", preset_name="hip")
    falls = got.events["stream_index"][got.events["code"] == int(EventCode.FALL)] / 100
    impact = float(fall.events_of("fall_impact")["t_s"][0])
    assert len(falls) == 1 and impact < falls[0] < impact + 5, (falls, impact)


def test_a_capture_gives_its_preset_and_steps(tmp_path):
    r = render(library.load("walk_level_1p3"), 1, rate_hz=1000, duration_s=40)
    rec = load_capture(write_capture(tmp_path / "w.h5", r))
    assert rec.implant_site == "knee_tibial_tray" and rec.present == (
        "acc",
        "gyr",
        "strain",
        "temp",
    )
    got = replay(rec)
    assert got.preset == "tibia" and got.decimation == 10 and not got.resampled
    assert got.registers["CHANNEL_ENABLE"] == 0xFF and got.vertical_axis == "z"
    m = match_times(r.events_of("heel_strike")["t_s"], step_times(got.events), 0.15)
    assert m.sensitivity >= 0.95 and m.ppv >= 0.95, m


def test_gaps_and_nan_read_as_no_data_when_asked(inputs):
    rec = load_csv(inputs / "gap.csv", columns=COLUMNS, gaps="no-data")
    assert len(rec.gaps) == 1
    codes = replay(rec).codes.codes
    assert np.all(codes[98:128, :6] == NO_DATA)  # grid points 0.98 .. 1.27 s lie in the gap
    assert not np.any(codes[:98, :6] == NO_DATA) and not np.any(codes[128:, :6] == NO_DATA)
    codes = replay(load_csv(inputs / "nan.csv", columns=COLUMNS, nan="no-data")).codes.codes
    # line 57 = sample 55; the CSV's ay is chip x in frame "x"
    assert np.array_equal(np.argwhere(codes[:, :6] == NO_DATA), [[55, 0]])


def test_absent_channels_are_disabled_unless_the_registers_set_channel_enable(tmp_path, walk):
    rec = load_csv(
        write_csv(tmp_path / "a.csv", walk, every=2, rows=3000, gyro=False),
        columns=CsvColumns(time_col="time", acc_cols=("ax", "ay", "az"), acc_unit="g"),
    )
    assert rec.present == ("acc",)
    quiet = replay(rec)
    assert quiet.registers["CHANNEL_ENABLE"] == 0x07
    assert not np.isin(quiet.events["code"], [int(EventCode.FAULT_DROPOUT)]).any()
    loud = replay(rec, registers={"CHANNEL_ENABLE": 0xFF})
    dropped = loud.events["value"][loud.events["code"] == int(EventCode.FAULT_DROPOUT)]
    assert sorted(dropped.tolist()) == [3, 4, 5, 6, 7]


def test_registers_file_values_are_checked_and_applied(inputs, tmp_path, walk):
    with pytest.raises(RegisterError, match=r"range\.json: register STEP_SHARP_MIN_MG"):
        load_registers_file(inputs / "range.json")
    path = tmp_path / "r.yaml"
    path.write_text("STEP_REFRACTORY_SAMPLES: 40\n")
    rec = load_csv(inputs / "small.csv", columns=COLUMNS)
    got = replay(rec, registers=load_registers_file(path), preset_name="lower-back")
    assert got.registers["STEP_REFRACTORY_SAMPLES"] == 40 and got.preset == "lower-back"
    with pytest.raises(RegisterError, match="SAMPLE_RATE_HZ"):
        replay(rec, registers={"SAMPLE_RATE_HZ": 200})


def test_auto_refuses_a_recording_without_gravity_on_any_axis(tmp_path, walk):
    path = write_csv(tmp_path / "w.csv", walk, every=2, rows=1000)
    rec = load_csv(path, columns=replace(COLUMNS, acc_unit="mps2"))
    with pytest.raises(ReplayError, match=r"expected gravity.*--acc-unit"):
        replay(rec)  # the file is in g, read as m/s²


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("repeat.csv", ("repeat.csv line 41", "repeats", "strictly increasing")),
        ("empty.csv", ("empty.csv line 58 column 'gx'", "empty value", "--nan no-data")),
        ("text.csv", ("text.csv line 61 column 'az'", "value '1.0g' is not a number")),
        ("gap.csv", ("gap.csv line 100", "from 5.97 s (line 99) to 6.28 s")),
    ],
)
def test_load_csv_names_file_line_column_and_value(inputs, name, needles):
    with pytest.raises(ReplayError) as caught:
        load_csv(inputs / name, columns=COLUMNS)
    for needle in needles:
        assert needle in str(caught.value)


def test_cli_rate_option_is_checked_against_the_icd_range():
    assert rate_hz("1600") == 1600
    for bad in ("49", "2000", "fast"):
        with pytest.raises(argparse.ArgumentTypeError, match=r"50\.\.1600"):
            rate_hz(bad)
