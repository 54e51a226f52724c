"""The bench's self-validation: run the verification suite against every mutant DUT and tabulate
which requirements' tests caught it (the kill table of the verification report)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.verification.mutants import MUTATIONS

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "tests" / "verification"


def run_mutant(mutation: str, *, stop_at_first: bool = True, seeds: tuple[int, ...] = (1,)) -> dict:
    """Run the suite against one mutant; killed = at least one verification test failed."""
    with tempfile.TemporaryDirectory(prefix=f"mutant-{mutation}-") as tmp:
        args = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(SUITE),
            f"--dut=mutant:{mutation}",
            f"--results-dir={tmp}",
            "--ignore",
            str(SUITE / "test_mutants.py"),
            "--ignore",
            str(SUITE / "test_traceability.py"),
        ]
        args += [f"--seed={s}" for s in seeds]
        if stop_at_first:
            args.append("-x")
        p = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=1800)
        results_path = Path(tmp) / "tests.json"
        results = json.loads(results_path.read_text()) if results_path.exists() else {}
    failed = {nid: r for nid, r in results.items() if r.get("outcome") == "failed"}
    return {
        "mutant": mutation,
        "killed": p.returncode == 1 and bool(failed),
        "exit_code": p.returncode,
        "killing_tests": sorted(failed),
        "killing_requirements": sorted({rid for r in failed.values() for rid in r["requirements"]}),
    }


def kill_table(*, stop_at_first: bool = True, seeds: tuple[int, ...] = (1,)) -> list[dict]:
    return [run_mutant(m, stop_at_first=stop_at_first, seeds=seeds) for m in MUTATIONS]
