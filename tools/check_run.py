"""Check a verification run's folder: every requirement ran, and every one that failed is under
an open known anomaly expecting it to fail (the verdict a healthy build gives today). Prints one
line per problem and exits 1 if there is any. Used by tools/wheel_smoke.sh on a run made by the
installed wheel.

    python tools/check_run.py RUN_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def problems(run_dir: Path) -> list[str]:
    from bench.verification.requirements import open_anomalies

    trace = run_dir / "traceability.json"
    if not trace.is_file():
        return [f"{trace}: missing (the suite did not finish)"]
    rows = json.loads(trace.read_text(encoding="utf-8"))
    known = open_anomalies()
    out = []
    for r in rows:
        rid, verdict = r["requirement"], r["verdict"]
        if verdict == "pass":
            continue
        if verdict == "fail" and rid in known:
            continue
        out.append(f"{rid}: {verdict}" + ("" if verdict != "fail" else " (no open anomaly)"))
    for name in ("report.html", "records.jsonl"):
        if not (run_dir / name).is_file():
            out.append(f"{run_dir / name}: missing")
    if not out:
        passed = sum(r["verdict"] == "pass" for r in rows)
        print(f"check-run: {passed} of {len(rows)} pass, the rest under open known anomalies")
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: check_run.py RUN_DIR", file=sys.stderr)
        return 2
    found = problems(Path(argv[0]))
    for p in found:
        print(f"check-run: {p}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
