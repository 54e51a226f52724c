"""The RTL units (hdl_models/rtl) on both simulators, and Verilator's lint of every RTL file.

Each simulator builds the ``tb_units`` harness once per parameter set, into pytest's cache
(``.pytest_cache/d/hdl_build``), so an unchanged Verilator rebuild takes < 0.1 s; all cocotb
tests of ``hdl_models/harness/test_crc_uart.py`` run in one simulation per pytest test. A
simulator that is not installed skips its tests with the reason; one that is installed but
fails, fails.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hdl_models import sim
from tests.hdl.conftest import require

HDL = Path(sim.__file__).resolve().parent
RTL = HDL / "rtl"
RTL_FILES = sorted(RTL.glob("*.v"))
UNIT_SOURCES = [RTL / f for f in ("crc16.v", "uart_tx.v", "uart_rx.v", "frame_tx.v")]
TB_SOURCES = [*UNIT_SOURCES, HDL / "harness" / "tb_units.v"]


def _run(simulator: str, build_root: Path, parameters: dict[str, int] | None = None) -> Path:
    require(simulator)
    return sim.build_and_test(
        simulator,
        sources=TB_SOURCES,
        toplevel="tb_units",
        test_module="test_crc_uart",
        test_dir=HDL / "harness",
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


def yosys_latches(files: list[Path], top: str) -> subprocess.CompletedProcess:
    """Elaborate ``files`` with Yosys and fail if any process became a latch."""
    script = (
        f"read_verilog -defer {' '.join(map(str, files))}; hierarchy -top {top}; proc; "
        "select -assert-none t:$dlatch t:$adlatch t:$dlatchsr"
    )
    return subprocess.run(
        ["yosys", "-q", "-p", script], capture_output=True, text=True, check=False
    )


def test_no_inferred_latches(tmp_path: Path) -> None:
    """Yosys elaborates the whole core (every RTL file under smile_core) and finds no latch; the
    same check rejects a deliberately incomplete combinational block."""
    if shutil.which("yosys") is None:
        pytest.skip("yosys is not installed (tools/bootstrap.sh installs Debian's)")
    done = yosys_latches(RTL_FILES, "smile_core")
    assert done.returncode == 0, f"latch inferred in the RTL:\n{done.stdout}{done.stderr}"
    bad = tmp_path / "latchy.v"
    bad.write_text(
        "module latchy(input wire en, input wire d, output reg q);\n"
        "    always @(*) if (en) q = d;\n"
        "endmodule\n"
    )
    assert yosys_latches([bad], "latchy").returncode != 0


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
