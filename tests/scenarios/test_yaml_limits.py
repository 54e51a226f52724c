"""Hostile YAML (issue 15): a scenario or register file of a few hundred bytes whose nested
aliases expand to billions of values ("billion laughs"), or nesting that never ends, is refused
at once — one line naming the file and the limit, exit 2, nothing written."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from chip_sim.errors import RegisterError
from chip_sim.replay import load_registers_file
from scenarios import library
from scenarios.yaml_lines import MAX_DEPTH, MAX_VALUES, YamlSyntaxError, load_located

_SCRIPT = Path(sys.executable).with_name("smile-bench")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "bench.cli.main"]


def laughs(levels: int = 9) -> str:
    """Each level is ten aliases of the one before: 10**levels values from ~1 KB."""
    lines = ['a0: &a0 ["lol"]']
    for k in range(1, levels + 1):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]")
    return "name: bomb\ndescription: x\n" + "\n".join(lines) + "\n"


def test_nested_aliases_are_refused_in_linear_time():
    text = laughs()
    assert len(text) < 1100
    t0 = time.perf_counter()
    with pytest.raises(YamlSyntaxError, match=f"more than {MAX_VALUES} values"):
        load_located(text)
    assert time.perf_counter() - t0 < 1.0  # generous: the check is linear in the file


def test_deep_nesting_and_self_reference_are_refused():
    with pytest.raises(YamlSyntaxError, match=f"deeper than {MAX_DEPTH} levels"):
        load_located("x: " + "[" * 40 + "]" * 40 + "\n")
    with pytest.raises(YamlSyntaxError, match=f"deeper than {MAX_DEPTH} levels"):
        load_located("x: " + "[" * 5000 + "]" * 5000 + "\n")  # the parser's own recursion
    with pytest.raises(YamlSyntaxError, match="refers to itself"):
        load_located("x: &a [1, *a]\n")


def test_aliases_within_the_limits_still_load_and_every_library_file_is_far_inside():
    doc = load_located("base: &b {speed_mps: 1.3}\nsteps: [*b, *b, *b]\n")
    assert doc.data["steps"] == [{"speed_mps": 1.3}] * 3
    for name in library.library_names():
        text = (library.LIBRARY_DIR / f"{name}.yaml").read_text(encoding="utf-8")
        load_located(text)  # within MAX_VALUES and MAX_DEPTH


def test_a_register_file_bomb_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "registers.yaml"
    path.write_text(laughs())
    with pytest.raises(RegisterError, match=rf"{path.name} line \d+: YAML expands to more than"):
        load_registers_file(path)


def test_scenarios_render_refuses_the_bomb_at_once(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(laughs())
    out = tmp_path / "out.h5"
    t0 = time.perf_counter()
    p = subprocess.run(
        [*COMMAND, "scenarios", "render", str(bomb), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    elapsed = time.perf_counter() - t0
    assert p.returncode == 2, p.stderr
    err = p.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "bomb.yaml" in err and f"more than {MAX_VALUES} values" in err
    assert not out.exists() and not list(tmp_path.glob("out.h5*"))
    assert elapsed < 30  # process start and imports; the refusal itself is milliseconds
