"""host_rx (hdl_models/rtl/host_rx.v) against chip_sim.icd.FrameDecoder on both simulators.

The cocotb tests are in ``hdl_models/harness/test_host_rx.py`` (harness ``tb_host_rx.v``); all of
them run in one simulation per simulator. Verilator's lint of host_rx.v is in test_rtl_units.py
(it lints every file of hdl_models/rtl).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hdl_models import sim
from tests.hdl.conftest import require

HDL = Path(sim.__file__).resolve().parent
RTL = HDL / "rtl"
SOURCES = [RTL / "uart_rx.v", RTL / "host_rx.v", HDL / "harness" / "tb_host_rx.v"]


@pytest.mark.parametrize(
    "simulator",
    # Icarus takes about three times Verilator's time here: it runs nightly (marker slow)
    [pytest.param(s, marks=pytest.mark.slow) if s == "icarus" else s for s in sim.SIMULATORS],
)
def test_host_rx_matches_frame_decoder(simulator: str, build_root: Path) -> None:
    """Valid, corrupted, bad-LEN, garbage-surrounded and hidden frames, a bad stop bit."""
    require(simulator)
    results = sim.build_and_test(
        simulator,
        sources=SOURCES,
        toplevel="tb_host_rx",
        test_module="test_host_rx",
        test_dir=HDL / "harness",
        build_dir=sim.build_dir_for(build_root, simulator, "tb_host_rx"),
        seed=1,
    )
    assert sim.failures(results) == []
