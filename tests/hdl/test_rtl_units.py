"""The RTL units (hdl_models/rtl) on both simulators, and Verilator's lint of every RTL file.

Each simulator builds the ``tb_units`` harness once per parameter set, into pytest's cache
(``.pytest_cache/d/hdl_build``), so an unchanged Verilator rebuild takes < 0.1 s; all cocotb tests
of ``hdl_models/tests/test_crc_uart.py`` run in one simulation per pytest test. A simulator that is
not installed skips its tests with the reason; one that is installed but fails, fails.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hdl_models import sim
from tests.hdl.conftest import require

HDL = Path(sim.__file__).resolve().parent
RTL = HDL / "rtl"
RTL_FILES = sorted(RTL.glob("*.v"))
UNIT_SOURCES = [RTL / f for f in ("crc16.v", "uart_tx.v", "uart_rx.v", "frame_tx.v")]
TB_SOURCES = [*UNIT_SOURCES, HDL / "tests" / "tb_units.v"]


def _run(simulator: str, build_root: Path, parameters: dict[str, int] | None = None) -> Path:
    require(simulator)
    return sim.build_and_test(
        simulator,
        sources=TB_SOURCES,
        toplevel="tb_units",
        test_module="test_crc_uart",
        test_dir=HDL / "tests",
        build_dir=sim.build_dir_for(build_root, simulator, "tb_units", parameters),
        parameters=parameters,
        seed=1,
    )


@pytest.mark.parametrize("simulator", sim.SIMULATORS)
def test_crc_uart_frame_tx(simulator: str, build_root: Path) -> None:
    """crc16, UART loopback/garbage, frame_tx vs chip_sim.icd at the default 8 clocks per bit."""
    results = _run(simulator, build_root)
    assert sim.failures(results) == []


def test_crc_uart_frame_tx_16_clocks_per_bit(build_root: Path) -> None:
    """The same tests with CLKS_PER_BIT=16 (Icarus only: its build is instant)."""
    _run("icarus", build_root, {"CLKS_PER_BIT": 16})


@pytest.mark.parametrize("rtl_file", RTL_FILES, ids=[f.name for f in RTL_FILES])
def test_verilator_lint_clean(rtl_file: Path) -> None:
    """``verilator --lint-only -Wall`` with the file's module as top; waivers sit in the RTL."""
    require("verilator")
    command = [sim.executable("verilator"), "--lint-only", "-Wall", "--top-module", rtl_file.stem]
    done = subprocess.run(
        [*command, *map(str, RTL_FILES)],
        env=sim.full_env("verilator"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{rtl_file.name} is not lint-clean:\n{done.stderr}"


def test_failing_cocotb_test_is_a_clean_assertion(tmp_path: Path, build_root: Path) -> None:
    """A failing cocotb test becomes an AssertionError naming the test and its message."""
    require("icarus")
    (tmp_path / "failing_module.py").write_text(
        "import cocotb\n\n\n@cocotb.test()\nasync def always_fails(dut):\n"
        "    assert 1 == 2, 'deliberate'\n"
    )
    with pytest.raises(AssertionError, match=r"always_fails.*deliberate"):
        sim.build_and_test(
            "icarus",
            sources=[RTL / "crc16.v"],
            toplevel="crc16",
            test_module="failing_module",
            test_dir=tmp_path,
            build_dir=sim.build_dir_for(build_root, "icarus", "crc16"),
        )
