"""``smile-bench biomarkers``: a recovery course's daily, weekly and alert tables and its curves, a
full-detail scenario's bouts, bad input as one line + exit 2; and the figures module."""

from __future__ import annotations

import os

import numpy as np
import pytest

from bench.cli.main import main
from chip_sim.mobility.accuracy import TARGETS, scenario_bouts
from chip_sim.mobility.course import WEEK_DTYPE, Alert
from chip_sim.mobility.figures import bout_scatter, recovery_curve, scatter_bland_altman

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _section(out: str, title: str) -> list[str]:
    """The lines of the table starting with ``title``, up to the next blank line."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def test_recovery_course_prints_its_tables_and_writes_the_curves(tmp_path, capsys):
    png = tmp_path / "curves.png"
    args = ["biomarkers", "--scenario", "tka_stalled_rom", "--seed", "1", "--plot", str(png)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("biomarkers — tka_stalled_rom, seed 1:")
    daily = _section(out, "Daily biomarkers")
    assert "tibia ROM" in daily[1] and "flexion" in daily[1]
    assert len(daily) == 2 + 84  # title, heading, one line per day
    weekly = _section(out, "Weekly")
    assert len(weekly) == 2 + 12
    alerts = _section(out, "Alerts")
    assert len(alerts) == 3  # title, heading, the one alert
    week, reason = alerts[2].split()[:2]
    assert (week, reason) == ("2", "rom_below_milestone")
    assert png.read_bytes()[:8] == PNG_MAGIC
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]  # no temporary left


def test_weeks_keeps_the_first_weeks_of_the_same_course(capsys):
    assert main(["biomarkers", "--scenario", "tka_recovery_normal", "--weeks", "3"]) == 0
    short = capsys.readouterr().out
    assert "seed 1" in short.splitlines()[0] and "3 of 12 weeks" in short.splitlines()[0]
    assert len(_section(short, "Daily biomarkers")) == 2 + 21
    assert len(_section(short, "Weekly")) == 2 + 3
    assert _section(short, "Alerts")[1] == "no alert"
    assert main(["biomarkers", "--scenario", "tka_recovery_normal"]) == 0
    full = capsys.readouterr().out
    # The cut changes nothing in the days kept.
    assert _section(short, "Daily biomarkers")[2:] == _section(full, "Daily biomarkers")[2:23]
    assert _section(short, "Weekly")[2:] == _section(full, "Weekly")[2:5]


def test_full_detail_scenario_prints_its_bouts_and_writes_the_scatter(tmp_path, capsys):
    png = tmp_path / "bouts.png"
    assert main(["biomarkers", "--scenario", "antalgic_limp", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "antalgic_limp, seed 1: full-detail scenario" in out.splitlines()[0]
    bouts = _section(out, "Bouts")
    assert "cadence" in bouts[1] and "SI %" in bouts[1]
    rows = [line for line in bouts[2:] if line.split()[0].isdigit()]
    assert len(rows) == len(scenario_bouts("antalgic_limp", 1).est) >= 1
    assert all("/" in line for line in rows)  # estimated/true
    assert bouts[-1].startswith("MAE, level walking")
    assert png.read_bytes()[:8] == PNG_MAGIC
    assert [p.name for p in tmp_path.iterdir()] == ["bouts.png"]


def test_a_failed_write_leaves_the_old_figure_and_no_temporary(tmp_path, monkeypatch, capsys):
    png = tmp_path / "bouts.png"
    png.write_bytes(b"old figure")

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    assert main(["biomarkers", "--scenario", "antalgic_limp", "--plot", str(png)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{png}: cannot write: No space left on device" in err
    assert png.read_bytes() == b"old figure"
    assert [p.name for p in tmp_path.iterdir()] == ["bouts.png"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--scenario", "no_such_scenario"], "unknown scenario"),
        (["--scenario", "tka_stalled_rom", "--weeks", "0"], "--weeks"),
        (["--scenario", "tka_stalled_rom", "--weeks", "13"], "--weeks 13"),
        (["--scenario", "tka_stalled_rom", "--weeks", "x"], "--weeks"),
        (["--scenario", "antalgic_limp", "--weeks", "2"], "--weeks"),
        (["--scenario", "healing_normal"], "recovery course"),
        (["--scenario", "infection_knee"], "recovery course"),
        (["--scenario", "antalgic_limp", "--seed", "x"], "--seed"),
        (["--scenario", "antalgic_limp", "--plot", "out.jpg"], "--plot"),
        (["--scenario", "tka_stalled_rom", "--plot", "missing/out.png"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        code = main(["biomarkers", *args])
        raise SystemExit(code)
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and message in captured.err
    assert captured.out == ""
    assert list(tmp_path.iterdir()) == []  # nothing written


# --- chip_sim.mobility.figures ---------------------------------------------------------------


def test_scatter_bland_altman_and_bout_scatter_are_pngs():
    pairs = scenario_bouts("walk_level_1p3", 1)
    for key in TARGETS:
        png = scatter_bland_altman(pairs, key)
        assert len(png) > 1000 and png[:8] == PNG_MAGIC
    assert bout_scatter(pairs)[:8] == PNG_MAGIC


def test_recovery_curve_is_a_png():
    weeks = np.zeros(4, dtype=WEEK_DTYPE)
    weeks["week"] = np.arange(4)
    weeks["steps"] = [2000, 3000, 3500, 4000]
    weeks["speed_mps"] = [0.6, 0.7, 0.8, 0.9]
    weeks["symmetry_index_pct"] = [14, 17, 14, 12]
    weeks["knee_flex_max_deg"] = [70, 76, 78, 80]
    truth = np.zeros(
        28,
        dtype=[
            ("weeks_post_op", "f8"),
            ("steps", "i4"),
            ("walk_speed_mps", "f8"),
            ("symmetry_index_pct", "f8"),
            ("knee_flex_max_deg", "f8"),
        ],
    )
    truth["weeks_post_op"] = (np.arange(28) + 0.5) / 7
    truth["steps"] = 3000
    truth["walk_speed_mps"] = 0.75
    truth["symmetry_index_pct"] = -15.0  # left side instrumented: the plot shows the magnitude
    truth["knee_flex_max_deg"] = 77.0
    for found in ([], [Alert(2, "rom_below_milestone", 76.0, "flexion < 80 deg in week 2")]):
        png = recovery_curve(weeks, truth, found)
        assert len(png) > 1000 and png[:8] == PNG_MAGIC
