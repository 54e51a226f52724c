"""One build per harness for all test workers: the build directory is shared under a lock
(hdl_models.sim.build_and_test), so the lock must exclude, must die with its holder, and two
processes building and running the same harness at once must both get their own, whole results.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from hdl_models import sim
from tests.hdl.conftest import require

ROOT = Path(__file__).resolve().parents[2]


def _holder(build_dir: Path) -> subprocess.Popen:
    """A process that takes the build lock, says so, and waits to be killed."""
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from hdl_models import sim
        with sim._build_lock(Path({str(build_dir)!r})):
            print("held", flush=True)
            time.sleep(600)
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def _try_lock(build_dir: Path) -> bool:
    with open(build_dir.parent / f"{build_dir.name}.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def test_build_lock_excludes_and_dies_with_its_holder(tmp_path: Path) -> None:
    build_dir = tmp_path / "icarus" / "tb_units" / "default"
    proc = _holder(build_dir)
    try:
        assert not _try_lock(build_dir), "a second process took the lock while it was held"
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # a worker killed in the middle of a build
        proc.wait()
    assert _try_lock(build_dir), "the lock outlived the process that held it"


def test_two_processes_share_one_build(tmp_path: Path) -> None:
    """Two workers start the same harness at once in one cold build directory: both pass, each
    with its own results file, and the design was compiled once (counted by an ``iverilog`` in
    front of the real one on PATH, slow enough that the two overlap)."""
    require("icarus")
    count = tmp_path / "compiles"
    wrapper = tmp_path / "bin" / "iverilog"
    wrapper.parent.mkdir()
    real = sim.executable("icarus")
    wrapper.write_text(f'#!/bin/sh\necho x >> "{count}"\nsleep 2\nexec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    env = {**os.environ, "PATH": f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}"}
    build_dir = sim.build_dir_for(tmp_path, "icarus", "tb_units")
    code = textwrap.dedent(f"""
        import os, sys
        from pathlib import Path
        from hdl_models import sim
        from tests.hdl.test_rtl_units import HDL, TB_SOURCES
        xml = sim.build_and_test("icarus", sources=TB_SOURCES, toplevel="tb_units",
                                 test_module="test_crc_uart", test_dir=HDL / "harness",
                                 build_dir=Path({str(build_dir)!r}), seed=1)
        print(xml, len(sim.failures(xml)))
    """)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=280) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err[-2000:]
    rows = [out.split()[-2:] for out, _ in outs]
    assert rows[0][0] != rows[1][0], "both processes wrote the same results file"
    assert all(Path(xml).is_file() and failed == "0" for xml, failed in rows)
    assert count.read_text().count("x") == 1, "the design was compiled more than once"
