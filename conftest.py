"""Project-wide pytest configuration.

The smile-bench plugin (options --station, --dut, --scenario, --seed, --results-dir; fixtures;
the requirement marker) is registered through the package's ``pytest11`` entry point, so this
suite uses exactly what a lab's own test repository gets from ``pip install smile-bench``. A
checkout that is not installed loads it from here instead.
"""

from importlib.metadata import entry_points

if not any(ep.name == "smile_bench" for ep in entry_points(group="pytest11")):
    pytest_plugins = ["bench.pytest_plugin"]
