"""The scenario file format: every field, its type, range, unit and default — and its validation.

Validation collects every problem in a file (``smile-bench scenarios check`` reports them all) and
names file, line, field and the expected value. Nothing is clipped or guessed.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenarios.errors import Problem, ScenarioValidationError
from scenarios.falls import (
    DIRECTIONS,
    END_POSTURES,
    FALL_BEFORE_LIE_S,
    FALL_TYPES,
    STARTS,
    TOPPLE_BEFORE_LIE_S,
)
from scenarios.model import (
    ACTIVITY_TRENDS,
    HEALING_COURSES,
    IMPAIRMENTS,
    IMPLANT_SITES,
    RECOVERY_COURSES,
    FallType,
    Fault,
    Healing,
    Infection,
    Patient,
    Recovery,
    Scenario,
    Segment,
    TemperatureCourse,
)
from scenarios.yaml_lines import LocatedDocument, YamlSyntaxError, load_located

_REQUIRED = object()


@dataclass(frozen=True)
class Num:
    lo: float
    hi: float
    unit: str = ""
    default: Any = _REQUIRED
    integer: bool = False

    def expected(self) -> str:
        kind = "an integer" if self.integer else "a number"
        unit = f" {self.unit}" if self.unit else ""
        return f"{kind} in {self.lo:g}..{self.hi:g}{unit}"

    def check(self, value: Any) -> tuple[Any, str | None]:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, f"{value!r} is not a number; expected {self.expected()}"
        if self.integer and not float(value).is_integer():
            return None, f"{value!r} is not an integer; expected {self.expected()}"
        if not math.isfinite(value) or not self.lo <= value <= self.hi:
            return None, f"{value!r} is out of range; expected {self.expected()}"
        return (int(value) if self.integer else float(value)), None


@dataclass(frozen=True)
class Choice:
    options: tuple[str, ...]
    default: Any = _REQUIRED

    def expected(self) -> str:
        return "one of " + ", ".join(self.options)

    def check(self, value: Any) -> tuple[Any, str | None]:
        if value not in self.options:
            return None, f"{value!r} is not allowed; expected {self.expected()}"
        return value, None


@dataclass(frozen=True)
class Text:
    default: Any = _REQUIRED

    def expected(self) -> str:
        return "a text"

    def check(self, value: Any) -> tuple[Any, str | None]:
        if not isinstance(value, str) or not value.strip():
            return None, f"{value!r} is not a non-empty text"
        return value.strip(), None


@dataclass(frozen=True)
class Flag:
    default: Any = False

    def expected(self) -> str:
        return "true or false"

    def check(self, value: Any) -> tuple[Any, str | None]:
        if not isinstance(value, bool):
            return None, f"{value!r} is not true or false"
        return value, None


@dataclass(frozen=True)
class Vec3:
    lo: float
    hi: float
    unit: str
    default: Any = _REQUIRED

    def expected(self) -> str:
        return f"a list of 3 numbers in {self.lo:g}..{self.hi:g} {self.unit}"

    def check(self, value: Any) -> tuple[Any, str | None]:
        return _numbers(value, 3, Num(self.lo, self.hi, self.unit), self.expected())


def _numbers(value: Any, count: int, item: Num, expected: str) -> tuple[Any, str | None]:
    """A list of exactly ``count`` numbers, each checked by ``item``."""
    if not isinstance(value, list) or len(value) != count:
        return None, f"{value!r} is not {expected}"
    out = []
    for v in value:
        got, err = item.check(v)
        if err:
            return None, f"{value!r}: {err}"
        out.append(got)
    return tuple(out), None


@dataclass(frozen=True)
class Range:
    """Two numbers [low, high] within lo..hi."""

    lo: float
    hi: float
    unit: str
    default: Any = _REQUIRED

    def expected(self) -> str:
        return f"a list [low, high] of numbers in {self.lo:g}..{self.hi:g} {self.unit}"

    def check(self, value: Any) -> tuple[Any, str | None]:
        got, err = _numbers(value, 2, Num(self.lo, self.hi, self.unit), self.expected())
        if err:
            return None, err
        if got[0] > got[1]:
            return None, f"{value!r} has low above high; expected {self.expected()}"
        return got, None


@dataclass(frozen=True)
class ChoiceList:
    options: tuple[str, ...]
    default: Any = _REQUIRED

    def expected(self) -> str:
        return "a non-empty list of " + ", ".join(self.options)

    def check(self, value: Any) -> tuple[Any, str | None]:
        if not isinstance(value, list) or not value or any(v not in self.options for v in value):
            return None, f"{value!r} is not {self.expected()}"
        return tuple(value), None


@dataclass(frozen=True)
class TextList:
    default: Any = ()

    def expected(self) -> str:
        return "a list of texts"

    def check(self, value: Any) -> tuple[Any, str | None]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, f"{value!r} is not {self.expected()}"
        return tuple(value), None


# --- sections --------------------------------------------------------------------------------

PATIENT = {
    "body_mass_kg": Num(30, 250, "kg"),
    "height_m": Num(1.2, 2.2, "m"),
    "implant_site": Choice(IMPLANT_SITES),
    "instrumented_side": Choice(("left", "right"), "right"),
    "sensor_orientation_deg": Vec3(-180, 180, "deg", (0.0, 0.0, 0.0)),
    "weeks_post_op": Num(0, 104, "weeks", 12.0),
    "impairment": Choice(IMPAIRMENTS, "none"),
    "weight_bearing_limit_kg": Num(0, 250, "kg", None),
    "age_years": Num(18, 110, "years", 65.0),
}

HEALING = {
    "course": Choice(HEALING_COURSES),
    "weeks": Num(1, 52, "weeks", 16.0),
    "activity_trend": Choice(ACTIVITY_TRENDS, "steady"),
    "steps_per_day": Num(200, 20000, "steps/day", 4000.0),
}

RECOVERY = {
    "course": Choice(RECOVERY_COURSES),
    "weeks": Num(1, 52, "weeks", 12.0),
    "steps_per_day": Num(200, 20000, "steps/day", 6000.0),
}
#: The recovery courses are published for knee arthroplasty (DOMAIN: Ebert 2014 flexion milestones,
#: symmetry back to baseline by week 11).
RECOVERY_SITES = ("knee_tibial_tray",)

INFECTION = {
    "onset_day": Num(0, 365, "days"),
    "rise_c": Num(0.5, 5, "°C"),
    "ramp_days": Num(0.1, 14, "days", 2.0),
}

TEMPERATURE = {
    "baseline_c": Num(30, 40, "°C", 36.6),
    "post_op_decay": Flag(True),
    "circadian_amplitude_c": Num(0, 1.5, "°C", 0.3),
    "weeks": Num(1, 52, "weeks", None),
}

FAULT_KINDS = ("dropout", "stuck", "saturation", "bias_drift", "brownout", "link_gap")
SIGNAL_CHANNELS = ("acc", "gyr", "strain", "temp")
FAULT = {
    "kind": Choice(FAULT_KINDS),
    "t_start_s": Num(0, 1e7, "s"),
    "duration_s": Num(0.001, 1e6, "s"),
    "channel": Choice(SIGNAL_CHANNELS, None),
    "magnitude": Num(-1e4, 1e4, "", None),
}
CHANNEL_FAULTS = ("dropout", "stuck", "saturation", "bias_drift")
#: Healing is seen through the load share of a plate (Ernst 2021); joint implants carry all of it.
PLATE_SITES = ("tibial_plate", "femoral_plate")

_CHAIR = Num(0.3, 0.8, "m", 0.45)
_WB = Num(5, 100, "% of full weight bearing", 100.0)
_POSTURE = Choice(("supine", "prone", "left", "right"), "supine")
#: Seated knee flexion of the instrumented leg (optional): the foot drawn back under the seat, or
#: pushed forward by a stiff knee. Unset, the chair height alone sets the pose (≈94° at 0.45 m).
_KNEE_FLEX = Num(40, 150, "deg", None)

#: Per activity: its parameters, and how its duration is given. ``duration`` is one of
#: "required", "steps" (exactly one of duration_s / steps), or a default in seconds.
ACTIVITIES: dict[str, tuple[dict[str, Any], Any]] = {
    "stand": ({}, "required"),
    "sit": ({"chair_height_m": _CHAIR, "knee_flex_deg": _KNEE_FLEX}, "required"),
    "lie": ({"posture": _POSTURE}, "required"),
    "weight_shift": ({"foot_load_pct_bw": Num(0, 100, "% body weight", 60.0)}, "required"),
    "walk": (
        {
            "speed_mps": Num(0.1, 2.5, "m/s"),
            "symmetry_index_pct": Num(-40, 40, "%", 0.0),
            "weight_bearing_pct": _WB,
            "crutches": Flag(False),
            # the bout turns by this much a third of the way and back at two thirds
            "turn_deg": Num(0, 180, "deg", 0.0),
        },
        "steps",
    ),
    "stairs_up": ({"step_height_m": Num(0.1, 0.25, "m", 0.17), "weight_bearing_pct": _WB}, "steps"),
    "stairs_down": (
        {"step_height_m": Num(0.1, 0.25, "m", 0.17), "weight_bearing_pct": _WB},
        "steps",
    ),
    "jog": ({"speed_mps": Num(1.8, 5.0, "m/s")}, "steps"),
    "sit_to_stand": ({"chair_height_m": _CHAIR, "knee_flex_deg": _KNEE_FLEX}, 2.5),
    "stand_to_sit": ({"chair_height_m": _CHAIR, "knee_flex_deg": _KNEE_FLEX}, 2.5),
    "stumble": ({"speed_mps": Num(0.5, 2.0, "m/s", 1.2)}, 5.0),
    "fall": (
        {
            # a library type, or the scenario's own (its ``fall`` block); or, as before, a
            # topple from standing in a direction
            "type": Text(None),
            "direction": Choice(("forward", "backward", "sideways"), None),
            "lie_s": Num(5, 7200, "s", 60.0),
            # fix what the type otherwise draws by seed
            "end_posture": Choice(END_POSTURES, None),
            "impact_g": Num(1.5, 16, "g", None),
        },
        "fall",
    ),
    "get_up": ({}, 6.0),
    # fall look-alikes (scenarios.lookalikes)
    "collapse_into_chair": ({}, 6.0),
    "sit_to_lie_fast": ({}, 12.0),
    "roll_over": ({}, 12.0),
    "squat": ({}, 7.0),
    "bend_over": ({}, 6.0),
    "kneel_down": ({}, 10.0),
    "sit_on_floor": ({}, 10.0),
    "hard_sit": ({"chair_height_m": _CHAIR}, 4.0),
    "lie_down_fast": ({"posture": _POSTURE}, 5.0),
    "jump": ({"height_m": Num(0.05, 0.6, "m", 0.25)}, 4.0),
    "near_fall": ({"speed_mps": Num(0.5, 2.0, "m/s", 1.0)}, 5.0),
    "daily_living": ({"steps_per_day": Num(500, 20000, "steps/day", 6000.0)}, "required"),
}
COMPOSITE = ("repeat",)
MAX_DURATION_S = 7 * 86400.0  # full-detail scenarios; longer courses use the digest


class _Validator:
    def __init__(self, doc: LocatedDocument, file: str):
        self.doc = doc
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, path: tuple, message: str) -> None:
        self.problems.append(Problem(self.file, self.doc.line_of(path), _dotted(path), message))

    def section(self, data: Any, path: tuple, spec: Mapping[str, Any], *, extra: set | None = None):
        """Validate a mapping against ``spec``; return the clean values (defaults filled)."""
        if not isinstance(data, dict):
            self.problem(path, f"expected a mapping with keys {', '.join(spec)}, got {data!r}")
            return None
        allowed = set(spec) | (extra or set())
        for key in data:
            if key not in allowed:
                self.problem(
                    (*path, key), f"unknown field; expected one of {', '.join(sorted(allowed))}"
                )
        out: dict[str, Any] = {}
        ok = True
        for key, rule in spec.items():
            if key not in data or data[key] is None:
                if rule.default is _REQUIRED:
                    self.problem((*path, key), f"missing; expected {rule.expected()}")
                    ok = False
                else:
                    out[key] = rule.default
                continue
            value, err = rule.check(data[key])
            if err:
                self.problem((*path, key), err)
                ok = False
            else:
                out[key] = value
        return out if ok else None


def _dotted(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


TOP = {
    "name": Text(),
    "description": Text(),
    "exercises": TextList(()),
    "start_time_of_day_h": Num(0, 24, "h", 9.0),
}
TOP_SECTIONS = {"patient", "timeline", "healing", "recovery", "temperature", "faults", "fall"}


#: A scenario's own fall type: a lab describes the falls it stages. ``like`` names the library
#: type whose values the unnamed fields take; without it every field but the optional ones is
#: required.
FALL = {
    "type": Text(),
    "like": Choice(tuple(FALL_TYPES), None),
    "description": Text(None),
    "start": Choice(STARTS, None),
    "direction": Choice(DIRECTIONS, None),
    "end_postures": ChoiceList(END_POSTURES, None),
    "impact_g": Range(1.5, 16, "g", None),
    "descent_s": Range(0.3, 3.0, "s", None),
    "speed_mps": Num(0, 5, "m/s", None),
    "hands": Flag(None),
}
_FALL_REQUIRED = ("start", "direction", "end_postures", "impact_g", "descent_s")


def _fall_block(v: _Validator, raw: Any) -> FallType | None:
    f = v.section(raw, ("fall",), FALL)
    if f is None:
        return None
    base = FALL_TYPES.get(f["like"] or f["type"])
    values = {}
    for key in ("description", *_FALL_REQUIRED, "speed_mps", "hands"):
        if f[key] is not None:
            values[key] = f[key]
        elif base is not None:
            values[key] = getattr(base, key)
        elif key in _FALL_REQUIRED:
            v.problem(
                ("fall", key),
                f"missing; expected {FALL[key].expected()} (or 'like' naming a library type: "
                + ", ".join(FALL_TYPES)
                + ")",
            )
            return None
    if f["type"] in FALL_TYPES and f["like"] not in (None, f["type"]):
        v.problem(("fall", "type"), f"{f['type']!r} is a library type; give the lab's own name")
        return None
    code = base.code if base is not None and f["like"] is None else ""
    values.setdefault("description", f["type"])
    values.setdefault("speed_mps", 0.0)
    values.setdefault("hands", False)
    return FallType(name=f["type"], code=code, **values)


def _fall_types(
    v: _Validator, timeline: list[Segment], own: FallType | None, *, block: bool
) -> list[Segment]:
    """Each fall segment's type resolved: a library type, the scenario's own, or a topple.
    ``block``: the file has a ``fall`` block (whose problems, if any, are already reported)."""
    out = []
    for i, seg in enumerate(timeline):
        if seg.activity != "fall":
            out.append(seg)
            continue
        name, direction = seg.params.get("type"), seg.params.get("direction")
        p = ("timeline", i)
        if name is not None and direction is not None:
            v.problem(p, "give type or direction, not both")
            continue
        if direction is not None:
            out.append(
                Segment(seg.activity, seg.duration_s, {**seg.params, "fall_type": None}, seg.line)
            )
            continue
        if name is None:
            if own is None and block:
                continue
            if own is None:
                v.problem(
                    (*p, "type"),
                    "missing; expected a fall type (" + ", ".join(FALL_TYPES) + "), or a "
                    "top-level 'fall' block describing the scenario's own",
                )
                continue
            name = own.name
        if own is None and block and name not in FALL_TYPES:
            continue
        if own is not None and name == own.name:
            ft = own
        elif name in FALL_TYPES:
            ft = FALL_TYPES[name]
        else:
            v.problem(
                (*p, "type"),
                f"{name!r} is not a fall type; expected one of "
                + ", ".join(FALL_TYPES)
                + (f" or {own.name}" if own else ""),
            )
            continue
        out.append(Segment(seg.activity, seg.duration_s, {**seg.params, "fall_type": ft}, seg.line))
    return out


def parse_scenario(text: str, file: str = "<memory>", *, sha256: str | None = None) -> Scenario:
    """Parse and validate scenario YAML.

    Raises :class:`ScenarioValidationError` listing every problem found."""
    try:
        doc = load_located(text)
    except YamlSyntaxError as exc:
        raise ScenarioValidationError([Problem(file, exc.line, "", str(exc))]) from None
    v = _Validator(doc, file)
    top = v.section(doc.data, (), TOP, extra=TOP_SECTIONS)
    if top is None and not isinstance(doc.data, dict):
        raise ScenarioValidationError(v.problems)
    data = doc.data
    patient = v.section(data.get("patient"), ("patient",), PATIENT) if "patient" in data else None
    if "patient" not in data:
        v.problem(("patient",), "missing; expected a mapping with " + ", ".join(PATIENT))

    healing = None
    if data.get("healing") is not None:
        h = v.section(data["healing"], ("healing",), HEALING)
        healing = Healing(**h) if h else None

    recovery = None
    if data.get("recovery") is not None:
        r = v.section(data["recovery"], ("recovery",), RECOVERY)
        recovery = Recovery(**r) if r else None

    temperature = TemperatureCourse()
    if data.get("temperature") is not None:
        t = v.section(data["temperature"], ("temperature",), TEMPERATURE, extra={"infection"})
        infection = None
        raw = data["temperature"]
        if isinstance(raw, dict) and raw.get("infection") is not None:
            i = v.section(raw["infection"], ("temperature", "infection"), INFECTION)
            infection = Infection(**i) if i else None
        if t:
            temperature = TemperatureCourse(infection=infection, **t)

    timeline: list[Segment] = []
    if "timeline" in data:
        timeline = _timeline(v, data["timeline"], ("timeline",))
        if not timeline and isinstance(data["timeline"], list) and not data["timeline"]:
            v.problem(("timeline",), "is empty; expected at least one activity")
    elif healing is None and "recovery" not in data and temperature.weeks is None:
        v.problem(
            ("timeline",),
            "missing; expected a list of activities (or a healing/recovery/temperature course)",
        )

    own_fall = _fall_block(v, data["fall"]) if data.get("fall") is not None else None
    timeline = _fall_types(v, timeline, own_fall, block=data.get("fall") is not None)

    faults: list[Fault] = []
    raw_faults = data.get("faults") or []
    if not isinstance(raw_faults, list):
        v.problem(("faults",), f"expected a list of faults, got {raw_faults!r}")
        raw_faults = []
    for i, raw in enumerate(raw_faults):
        f = v.section(raw, ("faults", i), FAULT)
        if not f:
            continue
        if f["kind"] in CHANNEL_FAULTS and f["channel"] is None:
            v.problem(
                ("faults", i, "channel"),
                f"missing for a {f['kind']} fault; expected " + Choice(SIGNAL_CHANNELS).expected(),
            )
            continue
        faults.append(Fault(**f))

    total_s = sum(s.duration_s for s in timeline)
    if total_s > MAX_DURATION_S:
        v.problem(
            ("timeline",),
            f"lasts {total_s:g} s; expected at most {MAX_DURATION_S:g} s "
            "(use a healing, recovery or temperature course for weeks)",
        )
    for i, f in enumerate(faults):
        if timeline and f.t_start_s + f.duration_s > total_s:
            v.problem(
                ("faults", i, "t_start_s"),
                f"fault ends at {f.t_start_s + f.duration_s:g} s, "
                f"after the timeline's end at {total_s:g} s",
            )
    if (
        patient
        and patient.get("weight_bearing_limit_kg") is not None
        and patient["weight_bearing_limit_kg"] > patient["body_mass_kg"]
    ):
        v.problem(
            ("patient", "weight_bearing_limit_kg"),
            f"{patient['weight_bearing_limit_kg']:g} kg exceeds body_mass_kg; expected at most "
            f"{patient['body_mass_kg']:g} kg",
        )

    if healing and patient and patient["implant_site"] not in PLATE_SITES:
        v.problem(
            ("patient", "implant_site"),
            f"{patient['implant_site']!r} has no healing course; "
            f"a healing course needs one of {', '.join(PLATE_SITES)}",
        )

    if "recovery" in data and data.get("recovery") is None:
        v.problem(("recovery",), "is empty; expected a mapping with keys " + ", ".join(RECOVERY))
    if recovery and patient and patient["implant_site"] not in RECOVERY_SITES:
        v.problem(
            ("patient", "implant_site"),
            f"{patient['implant_site']!r} has no recovery course; "
            f"a recovery course needs one of {', '.join(RECOVERY_SITES)}",
        )

    if v.problems:
        raise ScenarioValidationError(v.problems)
    assert top is not None and patient is not None
    return Scenario(
        name=top["name"],
        description=top["description"],
        exercises=top["exercises"],
        start_time_of_day_h=top["start_time_of_day_h"],
        patient=Patient(**patient),
        timeline=tuple(timeline),
        healing=healing,
        recovery=recovery,
        temperature=temperature,
        faults=tuple(faults),
        fall=own_fall,
        source=file,
        sha256=sha256 or hashlib.sha256(text.encode()).hexdigest(),
    )


def _timeline(v: _Validator, items: Any, path: tuple) -> list[Segment]:
    if not isinstance(items, list):
        v.problem(path, f"expected a list of activities, got {items!r}")
        return []
    out: list[Segment] = []
    for i, raw in enumerate(items):
        p = (*path, i)
        if not isinstance(raw, dict) or "activity" not in raw:
            v.problem(
                p,
                "expected a mapping with an 'activity' field; activities: "
                + ", ".join([*ACTIVITIES, *COMPOSITE]),
            )
            continue
        name = raw["activity"]
        if name == "repeat":
            times = v.section(
                {k: raw[k] for k in raw if k == "times"},
                p,
                {"times": Num(1, 10000, "", integer=True)},
            )
            unknown = set(raw) - {"activity", "times", "timeline"}
            for key in sorted(unknown):
                v.problem((*p, key), "unknown field; expected one of activity, times, timeline")
            body = _timeline(v, raw.get("timeline"), (*p, "timeline"))
            if raw.get("timeline") == []:
                v.problem((*p, "timeline"), "is empty; expected at least one activity to repeat")
            if times and body:
                out.extend(body * times["times"])
            continue
        if name not in ACTIVITIES:
            v.problem(
                (*p, "activity"),
                f"{name!r} is not an activity; expected one of "
                + ", ".join([*ACTIVITIES, *COMPOSITE]),
            )
            continue
        spec, duration_rule = ACTIVITIES[name]
        rest = {k: val for k, val in raw.items() if k not in ("activity", "duration_s", "steps")}
        params = v.section(rest, p, spec, extra=set())
        duration = _duration(v, raw, p, name, duration_rule, params)
        if params is None or duration is None:
            continue
        out.append(Segment(name, duration, params, v.doc.line_of(p)))
    return out


_DURATION = Num(0.5, MAX_DURATION_S, "s")
_STEPS = Num(1, 100000, "steps", integer=True)


def _duration(v: _Validator, raw: dict, p: tuple, name: str, rule: Any, params: dict | None):
    has_d, has_n = raw.get("duration_s") is not None, raw.get("steps") is not None
    if rule == "steps":
        if has_d == has_n:
            v.problem(
                p,
                f"{name}: give exactly one of duration_s ({_DURATION.expected()}) "
                f"or steps ({_STEPS.expected()})",
            )
            return None
        if has_n:
            steps, err = _STEPS.check(raw["steps"])
            if err:
                v.problem((*p, "steps"), err)
                return None
            if params is None:
                return None
            from scenarios.physiology import steps_duration_s

            params["steps"] = steps
            return steps_duration_s(name, params, steps)
    elif has_n:
        v.problem((*p, "steps"), f"not a field of {name}; expected duration_s")
        return None
    if rule == "fall":
        if has_d:
            v.problem(
                (*p, "duration_s"),
                f"not a field of fall; the fall lasts {FALL_BEFORE_LIE_S:g} s "
                f"({TOPPLE_BEFORE_LIE_S:g} s with direction) plus lie_s",
            )
            return None
        if params is None:
            return None
        before = TOPPLE_BEFORE_LIE_S if params.get("direction") else FALL_BEFORE_LIE_S
        return before + params["lie_s"]
    if not has_d:
        if rule == "required":
            v.problem((*p, "duration_s"), f"missing; expected {_DURATION.expected()}")
            return None
        return float(rule)
    d, err = _DURATION.check(raw["duration_s"])
    if err:
        v.problem((*p, "duration_s"), err)
        return None
    return d


def load_scenario_file(path: str | Path) -> Scenario:
    """Read and validate one scenario file; errors name the file and line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ScenarioValidationError([Problem(str(path), None, "", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioValidationError(
            [Problem(str(path), None, "", f"cannot read: {exc}")]
        ) from None
    # The hash is of the file's bytes, so it matches `sha256sum` whatever the line endings.
    return parse_scenario(text, str(path), sha256=hashlib.sha256(raw).hexdigest())
