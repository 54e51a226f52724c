"""Project-wide pytest configuration.

The smile-bench plugin (options --station, --dut, --scenario, --seed, --results-dir; fixtures;
the requirement marker) is registered through the package's ``pytest11`` entry point, so this
suite uses exactly what a lab's own test repository gets from ``pip install smile-bench``. A
checkout that is not installed loads it from here instead.
"""

import json
import os
import shutil
import tempfile
from collections import Counter
from importlib.metadata import entry_points
from pathlib import Path

#: folder where every RTL simulation of the session drops its functional-coverage hits
#: (tests/hdl/conftest.py record_coverage); the controller prints the table at the end.
#: The same name as hdl_models.coverage.COVERAGE_ENV (checked by tests/hdl/test_core_units.py),
#: written out here so that a run without RTL tests imports nothing of hdl_models.
COVERAGE_ENV = "SMILE_RTL_COVERAGE_DIR"

if not any(ep.name == "smile_bench" for ep in entry_points(group="pytest11")):
    pytest_plugins = ["bench.pytest_plugin"]


def pytest_addoption(parser) -> None:
    parser.getgroup("smile-bench HDL").addoption(
        "--hdl-sim",
        choices=("both", "icarus", "verilator"),
        default=None,
        help="HDL simulator(s) of the RTL tests (default: both)",
    )


def pytest_configure(config) -> None:
    """The controller (or a plain run) makes the session's coverage folder and passes the
    --hdl-sim choice on; xdist workers inherit both through the environment."""
    if config.getoption("--hdl-sim"):
        os.environ["SMILE_HDL_SIM"] = config.getoption("--hdl-sim")  # tests/hdl/conftest.py
    if not hasattr(config, "workerinput") and COVERAGE_ENV not in os.environ:
        os.environ[COVERAGE_ENV] = tempfile.mkdtemp(prefix="smile-rtl-coverage-")
        config._smile_coverage_dir = os.environ[COVERAGE_ENV]


def pytest_unconfigure(config) -> None:
    folder = getattr(config, "_smile_coverage_dir", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop(COVERAGE_ENV, None)


def session_coverage() -> Counter:
    folder = os.environ.get(COVERAGE_ENV)
    total: Counter = Counter()
    if folder and Path(folder).is_dir():
        for f in sorted(Path(folder).glob("*.json")):
            total.update(json.loads(f.read_text()))
    return total


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print the RTL functional-coverage table of the session when any RTL run recorded hits."""
    if hasattr(config, "workerinput"):
        return
    total = session_coverage()
    if not total:
        return
    from hdl_models import coverage

    terminalreporter.section("RTL functional coverage (all simulations of this session)")
    terminalreporter.write_line(coverage.table(total))
