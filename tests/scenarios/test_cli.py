"""``smile-bench scenarios list|render|check``, run as real subprocesses of the console script.

Each process pays ~1 s of imports, so the independent runs of this module are started together
(two module-scoped batches, as many at once as there are cores) and the tests then inspect the
results: exit codes, stdout/stderr and the files left behind.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import h5py
import numpy as np
import pytest

from scenarios import library

#: One worker runs the module: its module fixtures run the CLI many times, once.
pytestmark = pytest.mark.xdist_group("scenarios_cli")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ORIGINAL = b"original capture bytes, must survive a failed render\n"

_SCRIPT = Path(sys.executable).with_name("smile-bench")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "bench.cli.main"]


def _env(mpl_config: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(COLUMNS="200", LINES="50", MPLBACKEND="Agg", MPLCONFIGDIR=str(mpl_config))
    env.pop("PYTHONWARNINGS", None)
    return env


# Valid user scenario: 2 s stand, 8 steps, 2 s stand (≈ 9.5 s).
USER_SCENARIO = """\
name: my_short_walk
description: A user's own short walk, written for the CLI tests.
patient:
  body_mass_kg: 64
  height_m: 1.66
  implant_site: hip_stem
timeline:
  - activity: stand
    duration_s: 2
  - activity: walk
    speed_mps: 1.1
    steps: 8
  - activity: stand
    duration_s: 2
"""
# Line 6 has a bracket that is closed by the wrong kind.
MALFORMED = USER_SCENARIO.replace("implant_site: hip_stem", "implant_site: [hip_stem}")
# Line 11: speed 5 m/s is outside 0.1..2.5 for a walk.
OUT_OF_RANGE = USER_SCENARIO.replace("speed_mps: 1.1", "speed_mps: 5")
# Three independent mistakes, on lines 4, 6 and 9.
THREE_MISTAKES = (
    USER_SCENARIO.replace("body_mass_kg: 64", "body_mass_kg: 500")
    .replace("implant_site: hip_stem", "implant_site: elbow")
    .replace("duration_s: 2\n  - activity: walk", "duration_s: -1\n  - activity: walk")
)


def line_of(text: str, needle: str) -> int:
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) == 1, hits
    return hits[0]


@dataclass
class Job:
    args: list[str]
    files: Mapping[str, str | bytes | None] = ()  # name -> text, bytes, or None for a folder

    def __post_init__(self):
        self.files = dict(self.files)


@dataclass
class Done:
    args: list[str]
    cwd: Path
    returncode: int
    stdout: str
    stderr: str
    before: dict[str, bytes | None]

    def __str__(self) -> str:
        return (
            f"smile-bench {' '.join(self.args)} -> exit {self.returncode}\n"
            f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}"
        )


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder below ``folder`` (hidden ones too): path -> bytes (None: folder)."""
    out: dict[str, bytes | None] = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        out[rel] = None if p.is_dir() else p.read_bytes()
    return out


def run_jobs(root: Path, jobs: Mapping[str, Job]) -> dict[str, Done]:
    """Run every job in its own fresh folder under ``root``, several at a time."""
    mpl_config = root / ".matplotlib"  # beside the job folders, not in them
    mpl_config.mkdir()

    def one(item: tuple[str, Job]) -> tuple[str, Done]:
        name, job = item
        cwd = root / name
        cwd.mkdir()
        for rel, content in job.files.items():
            target = cwd / rel
            if content is None:
                target.mkdir(parents=True)
            elif isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        before = snapshot(cwd)
        proc = subprocess.run(
            [*COMMAND, *job.args],
            cwd=cwd,
            env=_env(mpl_config),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return name, Done(job.args, cwd, proc.returncode, proc.stdout, proc.stderr, before)

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(pool.map(one, jobs.items()))


def render(*args: str) -> list[str]:
    return ["scenarios", "render", *args]


# --- runs that must succeed ------------------------------------------------------------------

SHORT = ["--duration-s", "12", "--rate-hz", "100"]

GOOD_JOBS = {
    "list": Job(["scenarios", "list"]),
    "walk": Job(
        render(
            "walk_level_1p3",
            *("--seed", "3", "--duration-s", "20", "--out", "walk.h5", "--plot", "walk.png"),
        )
    ),
    "user_file": Job(
        render("mine.yaml", "--seed", "1", "--rate-hz", "100", "--out", "mine.h5"),
        {"mine.yaml": USER_SCENARIO},
    ),
    "digest": Job(render("healing_normal", "--rate-hz", "100", "--out", "digest.h5")),
    "seed5_a": Job(render("walk_level_1p3", "--seed", "5", *SHORT, "--out", "r.h5")),
    "seed5_b": Job(render("walk_level_1p3", "--seed", "5", *SHORT, "--out", "r.h5")),
    "seed6": Job(render("walk_level_1p3", "--seed", "6", *SHORT, "--out", "r.h5")),
    "replace": Job(
        render("walk_level_1p3", *SHORT, "--out", "out.h5"),
        {"out.h5": ORIGINAL},
    ),
    "check_mixed": Job(
        ["scenarios", "check", "good1.yaml", "bad.yaml", "good2.yaml"],
        {
            "good1.yaml": USER_SCENARIO,
            "bad.yaml": THREE_MISTAKES,
            "good2.yaml": USER_SCENARIO.replace("my_short_walk", "my_other_walk"),
        },
    ),
    "check_ok": Job(
        ["scenarios", "check", "good1.yaml", "good2.yaml"],
        {
            "good1.yaml": USER_SCENARIO,
            "good2.yaml": USER_SCENARIO.replace("my_short_walk", "my_other_walk"),
        },
    ),
}


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict[str, Done]:
    return run_jobs(tmp_path_factory.mktemp("good"), GOOD_JOBS)


def succeeded(done: Done) -> Done:
    assert done.returncode == 0, str(done)
    assert "Traceback" not in done.stderr, str(done)
    return done


def new_files(done: Done) -> set[str]:
    return set(snapshot(done.cwd)) - set(done.before)


def signals(path: Path) -> dict[str, np.ndarray]:
    with h5py.File(path, "r") as f:
        return {name: f["signals"][name][()] for name in f["signals"]}


def test_list_prints_every_library_name(good):
    done = succeeded(good["list"])
    for name in library.library_names():
        assert name in done.stdout, f"{name} missing from `scenarios list`"


def test_render_writes_capture_and_plot(good):
    done = succeeded(good["walk"])
    assert new_files(done) == {"walk.h5", "walk.png"}  # and no temporary file left behind
    assert "walk.h5" in done.stdout
    assert "walk.png" in done.stdout
    source = library.LIBRARY_DIR / "walk_level_1p3.yaml"
    with h5py.File(done.cwd / "walk.h5", "r") as f:
        attrs = dict(f.attrs)
        assert attrs["format"] == "smile-capture"
        assert attrs["seed"] == 3
        assert attrs["scenario"] == "walk_level_1p3"
        assert attrs["scenario_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
        assert attrs["software_version"].startswith(metadata.version("smile-bench"))
        assert attrs["body_mass_kg"] == 78.0
        assert attrs["implant_site"] == "knee_tibial_tray"
        acc = f["signals/acc_mps2"]
        assert acc.shape == (20000, 3)
        assert acc.attrs["rate_hz"] == 1000
        assert np.all(np.isfinite(acc[()]))
        events = f["truth/events"][()]
    kinds = [k.decode() if isinstance(k, bytes) else k for k in events["kind"]]
    heel = events["t_s"][np.array(kinds) == "heel_strike"]
    assert len(heel) >= 10  # the 12-step bout starts at 5 s
    assert np.all((heel >= 5.0) & (heel <= 20.0))
    assert (done.cwd / "walk.png").read_bytes()[:8] == PNG_MAGIC


def test_render_of_a_user_scenario_file(good):
    done = succeeded(good["user_file"])
    assert new_files(done) == {"mine.h5"}
    with h5py.File(done.cwd / "mine.h5", "r") as f:
        assert f.attrs["scenario"] == "my_short_walk"
        assert f.attrs["scenario_sha256"] == hashlib.sha256(USER_SCENARIO.encode()).hexdigest()
        assert f.attrs["body_mass_kg"] == 64.0
        assert f.attrs["implant_site"] == "hip_stem"
        acc = f["signals/acc_mps2"]
        assert acc.attrs["rate_hz"] == 100
        assert 900 <= acc.shape[0] <= 1100  # ≈ 9.5 s at 100 Hz
        assert acc.shape[1] == 3


def test_render_of_a_digest_scenario(good):
    done = succeeded(good["digest"])
    assert new_files(done) == {"digest.h5"}
    with h5py.File(done.cwd / "digest.h5", "r") as f:
        assert f.attrs["scenario"] == "healing_normal"
        assert f.attrs["mode"] == "digest"
        assert f["digest/daily"].shape == (112,)  # 16 weeks
        assert f["signals/acc_mps2"].attrs["rate_hz"] == 100


def test_same_seed_same_signals_other_seed_other_signals(good):
    a, b, c = (succeeded(good[k]) for k in ("seed5_a", "seed5_b", "seed6"))
    sa, sb, sc = (signals(d.cwd / "r.h5") for d in (a, b, c))
    assert sa.keys() == sb.keys() == sc.keys()
    assert "acc_mps2" in sa
    for name in sa:
        np.testing.assert_array_equal(sa[name], sb[name], err_msg=name)
    assert sa["acc_mps2"].shape == sc["acc_mps2"].shape
    assert not np.array_equal(sa["acc_mps2"], sc["acc_mps2"])


def test_existing_output_is_replaced_on_success(good):
    done = succeeded(good["replace"])
    assert set(snapshot(done.cwd)) == {"out.h5"}
    assert (done.cwd / "out.h5").read_bytes() != ORIGINAL
    with h5py.File(done.cwd / "out.h5", "r") as f:
        assert f.attrs["format"] == "smile-capture"


def test_check_reports_every_problem_of_the_invalid_file(good):
    done = good["check_mixed"]
    assert done.returncode == 2, str(done)
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert any(ln.startswith("good1.yaml: ok") for ln in lines), str(done)
    assert any(ln.startswith("good2.yaml: ok") for ln in lines), str(done)
    bad = [ln for ln in lines if ln.startswith("bad.yaml")]
    expected = {
        f"bad.yaml:{line_of(THREE_MISTAKES, 'body_mass_kg: 500')}: patient.body_mass_kg: ",
        f"bad.yaml:{line_of(THREE_MISTAKES, 'implant_site: elbow')}: patient.implant_site: ",
        f"bad.yaml:{line_of(THREE_MISTAKES, 'duration_s: -1')}: timeline[0].duration_s: ",
    }
    assert len(bad) == 3, str(done)
    assert {ln[: ln.index(": ", ln.index(": ") + 2) + 2] for ln in bad} == expected
    assert any("500" in ln and "30..250" in ln for ln in bad)
    assert any("'elbow'" in ln and "knee_tibial_tray" in ln for ln in bad)
    assert any("-1" in ln and "0.5.." in ln for ln in bad)
    assert not any(ln.startswith("bad.yaml: ok") for ln in lines)


def test_check_with_only_valid_files_exits_0(good):
    done = succeeded(good["check_ok"])
    lines = done.stdout.splitlines()
    assert len(lines) == 2, str(done)
    assert lines[0].startswith("good1.yaml: ok")
    assert lines[1].startswith("good2.yaml: ok")


# --- runs that must fail cleanly -------------------------------------------------------------

WALK = ("walk_level_1p3", "--duration-s", "2", "--rate-hz", "100")

# id -> (job, words the one stderr line must contain)
BAD = {
    "unknown scenario name": (
        Job(render("no_such_scenario", "--out", "out.h5")),
        ["no_such_scenario"],
    ),
    "malformed yaml": (
        Job(render("broken.yaml", "--out", "out.h5"), {"broken.yaml": MALFORMED}),
        [f"broken.yaml:{line_of(MALFORMED, '[hip_stem}')}:", "malformed YAML"],
    ),
    "out of range field": (
        Job(render("fast.yaml", "--out", "out.h5"), {"fast.yaml": OUT_OF_RANGE}),
        [
            f"fast.yaml:{line_of(OUT_OF_RANGE, 'speed_mps: 5')}:",
            "timeline[1].speed_mps",
            "5",
            "0.1..2.5",
        ],
    ),
    "missing scenario file": (
        Job(render("gone.yaml", "--out", "out.h5")),
        ["gone.yaml", "no such file"],
    ),
    "output folder does not exist": (Job(render(*WALK, "--out", "nowhere/out.h5")), ["nowhere"]),
    "output path is a folder": (
        Job(render(*WALK, "--out", "taken.h5"), {"taken.h5": None}),
        ["taken.h5", "folder"],
    ),
    "out suffix": (Job(render(*WALK, "--out", "out.txt")), ["--out", "out.txt", ".h5"]),
    "plot suffix": (
        Job(render(*WALK, "--out", "out.h5", "--plot", "plot.jpg")),
        ["--plot", "plot.jpg", ".png"],
    ),
    "negative duration": (
        Job(render("walk_level_1p3", "--duration-s", "-5", "--out", "out.h5")),
        ["--duration-s", "-5"],
    ),
    "nan duration": (
        Job(render("walk_level_1p3", "--duration-s", "nan", "--rate-hz", "100", "--out", "out.h5")),
        ["--duration-s", "nan"],
    ),
    "duration on a digest": (
        Job(render("healing_normal", "--duration-s", "5", "--rate-hz", "100", "--out", "out.h5")),
        ["--duration-s", "healing_normal"],
    ),
    "rate below minimum": (
        Job(render("walk_level_1p3", "--rate-hz", "10", "--out", "out.h5")),
        ["rate", "10", "50"],
    ),
    "rate below minimum, digest": (
        Job(render("healing_normal", "--rate-hz", "10", "--out", "out.h5")),
        ["rate", "10", "50"],
    ),
    "failed render keeps existing output": (
        Job(render("walk_level_1p3", "--rate-hz", "10", "--out", "out.h5"), {"out.h5": ORIGINAL}),
        ["rate", "10"],
    ),
    "negative seed": (Job(render(*WALK, "--seed", "-1", "--out", "out.h5")), ["-1"]),
    "seed too large for the capture": (
        Job(render(*WALK, "--seed", str(2**70), "--out", "out.h5")),
        [str(2**70)],
    ),
    "seed not an integer": (
        Job(render(*WALK, "--seed", "abc", "--out", "out.h5")),
        ["--seed", "abc"],
    ),
    "unknown subcommand": (Job(["scenarios", "bogus"]), ["bogus"]),
    "unknown command": (Job(["bogus"]), ["bogus"]),
    "missing --out": (Job(render("walk_level_1p3")), ["--out"]),
    "missing scenario": (Job(render("--out", "out.h5")), ["scenario"]),
    "no command": (Job([]), ["command"]),
}


@pytest.fixture(scope="module")
def bad(tmp_path_factory) -> dict[str, Done]:
    return run_jobs(tmp_path_factory.mktemp("bad"), {k: job for k, (job, _) in BAD.items()})


@pytest.mark.parametrize("case", BAD.keys())
def test_bad_input_exits_2_with_one_line_and_leaves_nothing(bad, case):
    done = bad[case]
    words = BAD[case][1]
    assert done.returncode == 2, str(done)
    assert "Traceback" not in done.stderr, str(done)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, str(done)
    assert lines[0].startswith("smile-bench"), str(done)
    assert "error" in lines[0]
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"
    assert done.stdout == "", str(done)
    # Nothing written, nothing removed or changed, no temporary file left behind.
    assert snapshot(done.cwd) == done.before, str(done)


def test_failed_render_keeps_the_existing_output_byte_for_byte(bad):
    done = bad["failed render keeps existing output"]
    assert done.returncode == 2, str(done)
    assert (done.cwd / "out.h5").read_bytes() == ORIGINAL
    assert sorted(p.name for p in done.cwd.iterdir()) == ["out.h5"]
