"""Gate count of the step detector and the whole core (yosys generic synthesis), and what the
angular-rate steps (STEP_MODE 1, issue 13) added, against the step detector before them.

    .venv/bin/python benchmarks/bench_gates.py

Prints yosys's cell count per module, the cells the angular-rate path added, and an
order-of-magnitude dynamic power for them. The power is an estimate, not a measurement: no cell
library is synthesised against here. Assumptions (written once): a generic 180 nm CMOS cell of
about 5 fF switched capacitance at 1.8 V (E = C·V² ≈ 16 fJ per toggle), 10 % of cells toggling per
clock, the core clock of hdl_models/core_sim.py (921.6 kHz), no clock gating.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RTL = ROOT / "hdl_models" / "rtl"
#: The last commit before the angular-rate step detector (issue 13).
BASELINE_COMMIT = "91228ed"
CAP_F = 5e-15
VDD_V = 1.8
ACTIVITY = 0.10
sys.path.insert(0, str(ROOT))
from hdl_models.core_sim import CLOCK_HZ  # noqa: E402


def cells(files: list[Path], top: str) -> int:
    """Cells of ``top`` with its submodules (the last total of yosys's hierarchical stat)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stat.txt"
        script = "".join(f"read_verilog -sv {f}; " for f in files)
        script += f"synth -top {top}; tee -q -o {out} stat"
        subprocess.run(["yosys", "-q", "-p", script], capture_output=True, text=True, check=True)
        text = out.read_text()
    found = re.findall(r"Number of cells:\s+(\d+)", text)
    if not found:  # newer yosys prints "<n> cells"
        found = re.findall(r"^\s*(\d+)\s+cells\s*$", text, flags=re.M)
    return int(found[-1])


def baseline_step_detector(tmp: Path) -> Path | None:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{BASELINE_COMMIT}:hdl_models/rtl/step_detector.v"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    path = tmp / "step_detector_baseline.v"
    path.write_text(done.stdout)
    return path


def main() -> int:
    if shutil.which("yosys") is None:
        print("yosys is not installed (tools/bootstrap.sh installs Debian's): no gate count")
        return 0
    step = cells([RTL / "isqrt32.v", RTL / "step_detector.v"], "step_detector")
    core = cells(sorted(RTL.glob("*.v")), "smile_core")
    print(f"step_detector (with isqrt32): {step} cells; smile_core: {core} cells (yosys synth)")
    with tempfile.TemporaryDirectory() as tmp:
        base_file = baseline_step_detector(Path(tmp))
        if base_file is None:
            print(f"baseline {BASELINE_COMMIT} not in this checkout's history: no difference")
            return 0
        base = cells([RTL / "isqrt32.v", base_file], "step_detector")
    added = step - base
    power_w = added * ACTIVITY * CAP_F * VDD_V**2 * CLOCK_HZ
    print(
        f"step_detector at {BASELINE_COMMIT} (acceleration only): {base} cells; the angular-rate "
        f"and trunk step modes (1, 2) added {added} cells "
        f"(+{added / base:.0%}, {added / core:.1%} of the core)"
    )
    print(
        f"added dynamic power, estimated: {power_w * 1e9:.0f} nW at {CLOCK_HZ / 1e3:.1f} kHz "
        f"({ACTIVITY:.0%} activity, {CAP_F * 1e15:.0f} fF, {VDD_V} V; see the docstring)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
