"""Every file the packages read at run time is in the wheel: each tracked non-Python file under a
package matches a ``[tool.setuptools.package-data]`` pattern (a calibration table missing from
the wheel broke the installed verification suite once). The wheel itself is built and run by
``tools/wheel_smoke.sh`` in CI; this check is the fast one."""

from __future__ import annotations

import fnmatch
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bench", "chip_sim", "scenarios", "hdl_models")
#: read by people, not by the code
NOT_RUNTIME = {"hdl_models/rtl/README.md"}


def tracked_data_files() -> list[str]:
    try:
        out = subprocess.run(
            ["git", "ls-files", *PACKAGES], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"not a git checkout: {exc}")
    return [p for p in out.splitlines() if not p.endswith(".py") and p not in NOT_RUNTIME]


def covered(path: str, package_data: dict[str, list[str]]) -> bool:
    for package, patterns in package_data.items():
        prefix = package.replace(".", "/") + "/"
        if path.startswith(prefix):
            rel = path[len(prefix) :]
            if any(
                fnmatch.fnmatchcase(rel, p) and rel.count("/") == p.count("/") for p in patterns
            ):
                return True
    return False


def test_every_runtime_data_file_is_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data = config["tool"]["setuptools"]["package-data"]
    files = tracked_data_files()
    assert "chip_sim/mobility/calibration.yaml" in files  # the check sees the files it guards
    missing = [p for p in files if not covered(p, package_data)]
    assert not missing, f"not in the wheel (add to package-data): {missing}"


def test_the_check_sees_a_file_no_pattern_covers():
    assert not covered("chip_sim/mobility/new_table.yaml", {"chip_sim": ["spec/*.yaml"]})
    assert covered("chip_sim/spec/icd.yaml", {"chip_sim": ["spec/*.yaml"]})
    assert not covered("chip_sim/spec/deep/x.yaml", {"chip_sim": ["spec/*.yaml"]})
