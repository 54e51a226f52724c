"""The requirements file (bench/verification/requirements.yaml): loaded, validated, and judged.

A requirement without an acceptance limit, a hazard that is not declared, or a duplicate ID is an
error naming the requirement and what was expected — a report must never claim more than the file
supports.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from bench.errors import BenchError

REQUIREMENTS_PATH = Path(__file__).resolve().parent / "requirements.yaml"  # package data
OPS = (">=", "<=", "==")


class RequirementsError(BenchError):
    """The requirements file, or a reference to it, is wrong."""


@dataclass(frozen=True)
class Acceptance:
    metric: str
    op: str
    limit: float
    unit: str
    statistical: bool

    def judge(
        self, value: float, *, lower: float | None = None, upper: float | None = None
    ) -> bool:
        """Statistical limits are judged on the confidence bound on the safe side."""
        if self.statistical and self.op == ">=" and lower is not None:
            value = lower
        elif self.statistical and self.op == "<=" and upper is not None:
            value = upper
        if self.op == ">=":
            return value >= self.limit
        if self.op == "<=":
            return value <= self.limit
        return value == self.limit

    @property
    def text(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        bound = " (95 % bound)" if self.statistical else ""
        return f"{self.op} {self.limit:g}{unit}{bound}"


@dataclass(frozen=True)
class Hazard:
    id: str
    name: str
    harm: str


@dataclass(frozen=True)
class Requirement:
    id: str
    text: str
    rationale: str
    acceptance: Acceptance
    hazards: tuple[str, ...]


#: an open anomaly turns its requirements' failing tests into expected failures (the verdict
#: stays "fail"); a closed one is history
ANOMALY_STATUSES = ("open", "closed")


@dataclass(frozen=True)
class KnownAnomaly:
    """A defect or coverage gap known when the suite runs (IEC 62304 §5.8: known residual
    anomalies): which requirements it touches, what is known, and where its plan is."""

    id: str
    title: str
    requirements: tuple[str, ...]
    description: str
    status: str
    plan: str
    #: the requirements this open anomaly makes fail today (a subset of ``requirements``): only
    #: their failing tests become expected failures, so a regression elsewhere still fails
    expected_failures: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequirementSet:
    document: dict
    hazards: dict[str, Hazard]
    requirements: dict[str, Requirement]
    known_anomalies: tuple[KnownAnomaly, ...] = ()

    def get(self, rid: str) -> Requirement:
        if rid not in self.requirements:
            raise RequirementsError(
                f"unknown requirement {rid!r}; expected one of "
                f"{', '.join(self.requirements)} (bench/verification/requirements.yaml)"
            )
        return self.requirements[rid]


def load_requirements(path: Path = REQUIREMENTS_PATH) -> RequirementSet:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RequirementsError(f"{path}: cannot read requirements: {exc}") from None
    hazards = {}
    for h in data.get("hazards") or []:
        hazards[h["id"]] = Hazard(h["id"], h["name"], h.get("harm", ""))
    reqs: dict[str, Requirement] = {}
    for r in data.get("requirements") or []:
        rid = r.get("id", "?")
        where = f"{path}: requirement {rid}"
        if rid in reqs:
            raise RequirementsError(f"{where}: duplicate ID")
        acc = r.get("acceptance")
        if not isinstance(acc, dict) or acc.get("limit") is None:
            raise RequirementsError(
                f"{where}: has no acceptance limit; expected acceptance: "
                "{metric, op, limit, unit, statistical}"
            )
        if acc.get("op") not in OPS:
            raise RequirementsError(
                f"{where}: op {acc.get('op')!r}; expected one of {', '.join(OPS)}"
            )
        for key in ("metric", "statistical"):
            if key not in acc:
                raise RequirementsError(f"{where}: acceptance has no {key}")
        unknown = [h for h in r.get("hazards") or [] if h not in hazards]
        if unknown or not r.get("hazards"):
            raise RequirementsError(
                f"{where}: hazards {unknown or '(none)'}; expected IDs declared under hazards"
            )
        for key in ("text", "rationale"):
            if not r.get(key):
                raise RequirementsError(f"{where}: missing {key}")
        reqs[rid] = Requirement(
            rid,
            r["text"],
            r["rationale"],
            Acceptance(
                acc["metric"],
                acc["op"],
                float(acc["limit"]),
                str(acc.get("unit", "")),
                bool(acc["statistical"]),
            ),
            tuple(r["hazards"]),
        )
    anomalies = []
    for a in data.get("known_anomalies") or []:
        where = f"{path}: known anomaly {a.get('id', '?')}"
        missing = [
            k
            for k in ("id", "title", "requirements", "description", "status", "plan")
            if not a.get(k)
        ]
        if missing:
            raise RequirementsError(f"{where}: missing {', '.join(missing)}")
        unknown = [r for r in a["requirements"] if r not in reqs]
        if unknown:
            raise RequirementsError(f"{where}: requirements {unknown}; expected IDs declared above")
        if a["status"] not in ANOMALY_STATUSES:
            raise RequirementsError(
                f"{where}: status {a['status']!r}; expected one of {', '.join(ANOMALY_STATUSES)}"
            )
        expected = tuple(a.get("expected_failures") or ())
        stray = [r for r in expected if r not in a["requirements"]]
        if stray:
            raise RequirementsError(
                f"{where}: expected_failures {stray}; expected IDs listed in its requirements"
            )
        if expected and a["status"] != "open":
            raise RequirementsError(
                f"{where}: expected_failures on a {a['status']} anomaly; expected none once closed"
            )
        anomalies.append(
            KnownAnomaly(
                a["id"],
                a["title"],
                tuple(a["requirements"]),
                " ".join(str(a["description"]).split()),
                a["status"],
                a["plan"],
                expected,
            )
        )
    return RequirementSet(data.get("document") or {}, hazards, reqs, tuple(anomalies))


@cache
def requirements() -> RequirementSet:
    return load_requirements(REQUIREMENTS_PATH)


def open_anomalies(reqs: RequirementSet | None = None) -> dict[str, str]:
    """Requirement ID -> the open known anomalies expecting it to fail ("KA-002", or
    "KA-002, KA-004"); requirements an anomaly only touches are not in it."""
    out: dict[str, list[str]] = {}
    for a in (reqs or requirements()).known_anomalies:
        if a.status == "open":
            for rid in a.expected_failures:
                out.setdefault(rid, []).append(a.id)
    return {rid: ", ".join(ids) for rid, ids in out.items()}
