"""The parity report: one verification suite, run on several DUTs, compared requirement by
requirement.

Each run directory (``smile-bench run --out DIR``) holds the run's records (``records.jsonl``:
the ``run_start`` names the DUT, the station and the seeds) and its traceability matrix
(``traceability.json``: every requirement's verdict and figures). Parity holds when every
requirement has the same verdict on every DUT; the report also says whether the figures
themselves are equal (they are bit-identical where the DUTs gave the same events — golden model,
RTL and emulated board on the same codes — and any difference is listed). Runs on different
seeds or different requirement sets are not comparable and are refused.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from bench.errors import BenchError
from bench.verification.verdict import Verdict


class ParityError(BenchError):
    """A run directory cannot be compared; the message names the file and what is wrong."""


@dataclass(frozen=True)
class RunSummary:
    path: Path
    run_id: str
    dut: str
    station: str
    seeds: tuple[int, ...]
    verdicts: dict[str, Verdict]
    figures: dict[str, tuple[tuple[str, float | None], ...]]


@dataclass(frozen=True)
class ParityRow:
    requirement: str
    verdicts: tuple[Verdict, ...]
    figures_equal: bool
    differences: tuple[str, ...]

    @property
    def same_verdict(self) -> bool:
        return len(set(self.verdicts)) == 1


@dataclass(frozen=True)
class Parity:
    runs: tuple[RunSummary, ...]
    rows: tuple[ParityRow, ...]

    @property
    def holds(self) -> bool:
        return all(r.same_verdict for r in self.rows)

    def to_dict(self) -> dict:
        return {
            "holds": self.holds,
            "seeds": list(self.runs[0].seeds),
            "runs": [
                {"dut": r.dut, "station": r.station, "run_id": r.run_id, "path": str(r.path)}
                for r in self.runs
            ],
            "requirements": [
                {
                    "requirement": row.requirement,
                    "verdicts": [v.value for v in row.verdicts],
                    "same_verdict": row.same_verdict,
                    "figures_equal": row.figures_equal,
                    "differences": list(row.differences),
                }
                for row in self.rows
            ],
        }


def _read_json(path: Path, what: str):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParityError(f"{path}: no such file; expected the {what} of a run") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParityError(f"{path}: not readable as JSON ({exc})") from None


def load_run(path: str | Path) -> RunSummary:
    """The DUT, seeds and requirement verdicts of the run in directory ``path``."""
    path = Path(path)
    if not path.is_dir():
        raise ParityError(f"{path}: not a run directory (smile-bench run --out DIR)")
    records = path / "records.jsonl"
    try:
        first = records.read_text(encoding="utf-8").splitlines()[:1]
    except FileNotFoundError:
        raise ParityError(f"{records}: no such file; expected the records of a run") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParityError(f"{records}: not readable ({exc})") from None
    try:
        start = json.loads(first[0]) if first else {}
    except json.JSONDecodeError as exc:
        raise ParityError(f"{records}: line 1 is not JSON ({exc})") from None
    payload = start.get("payload") if start.get("kind") == "run_start" else None
    if not isinstance(payload, dict) or "dut" not in payload or "seeds" not in payload:
        raise ParityError(f"{records}: line 1 is not a run_start record with dut and seeds")
    rows = _read_json(path / "traceability.json", "traceability matrix")
    verdicts, figures = {}, {}
    for k, row in enumerate(rows if isinstance(rows, list) else [None]):
        if not isinstance(row, dict) or "requirement" not in row or "verdict" not in row:
            raise ParityError(
                f"{path / 'traceability.json'}: entry {k} has no requirement and verdict"
            )
        try:
            verdicts[row["requirement"]] = Verdict(row["verdict"])
        except ValueError:
            raise ParityError(
                f"{path / 'traceability.json'}: {row['requirement']}: verdict "
                f"{row['verdict']!r}; expected one of {', '.join(v.value for v in Verdict)}"
            ) from None
        figures[row["requirement"]] = tuple(
            (str(f.get("figure")), f.get("value")) for f in row.get("figures") or ()
        )
    return RunSummary(
        path,
        str(payload.get("run_id", "")),
        str(payload["dut"]),
        str(payload.get("station", "")),
        tuple(int(s) for s in payload["seeds"]),
        verdicts,
        figures,
    )


def _equal(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b or (math.isnan(a) and math.isnan(b))


def compare(runs: list[RunSummary]) -> Parity:
    """Requirement-by-requirement comparison; ParityError when the runs are not comparable."""
    if len(runs) < 2:
        raise ParityError("parity needs at least two run directories")
    base = runs[0]
    for run in runs[1:]:
        if run.seeds != base.seeds:
            raise ParityError(
                f"{run.path}: seeds {list(run.seeds)}, but {base.path} ran seeds "
                f"{list(base.seeds)}; parity compares runs on the same seeds"
            )
        if run.verdicts.keys() != base.verdicts.keys():
            only = sorted(run.verdicts.keys() ^ base.verdicts.keys())
            raise ParityError(
                f"{run.path}: its requirements differ from {base.path}'s ({', '.join(only)})"
            )
    rows = []
    for req in base.verdicts:
        differences = []
        for run in runs[1:]:
            mine, theirs = dict(base.figures[req]), dict(run.figures[req])
            for name in sorted(mine.keys() | theirs.keys()):
                a, b = mine.get(name), theirs.get(name)
                if not _equal(a, b):
                    differences.append(f"{name}: {base.dut} {a}, {run.dut} {b}")
        rows.append(
            ParityRow(
                req,
                tuple(run.verdicts[req] for run in runs),
                not differences,
                tuple(differences),
            )
        )
    return Parity(tuple(runs), tuple(rows))


def markdown(parity: Parity) -> str:
    """The parity report as Markdown (one row per requirement)."""
    duts = [r.dut for r in parity.runs]
    lines = [
        "# Parity report",
        "",
        f"Seeds {', '.join(map(str, parity.runs[0].seeds))}. Runs:",
        "",
        *[f"- `{r.dut}` (station {r.station}): run {r.run_id}, `{r.path}`" for r in parity.runs],
        "",
        f"**Parity {'holds' if parity.holds else 'FAILS'}**: "
        f"{sum(r.same_verdict for r in parity.rows)} of {len(parity.rows)} requirements have the "
        f"same verdict on every DUT; figures equal on {sum(r.figures_equal for r in parity.rows)}.",
        "",
        "| requirement | " + " | ".join(duts) + " | same verdict | figures equal |",
        "|---|" + "---|" * len(duts) + "---|---|",
    ]
    for row in parity.rows:
        lines.append(
            f"| {row.requirement} | "
            + " | ".join(v.value.upper() for v in row.verdicts)
            + f" | {'yes' if row.same_verdict else '**NO**'} | "
            + ("yes" if row.figures_equal else "no")
            + " |"
        )
    diffs = [(row.requirement, d) for row in parity.rows for d in row.differences]
    if diffs:
        lines += ["", "## Figures that differ", ""]
        lines += [f"- {req}: {d}" for req, d in diffs]
    return "\n".join(lines) + "\n"


def write(parity: Parity, out: Path) -> tuple[Path, Path]:
    """``parity.md`` and ``parity.json`` in ``out`` (each written whole, then renamed)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (
        ("parity.md", markdown(parity)),
        ("parity.json", json.dumps(parity.to_dict(), indent=2) + "\n"),
    ):
        target = out / name
        tmp = target.with_name(f".{name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
        written.append(target)
    return written[0], written[1]
