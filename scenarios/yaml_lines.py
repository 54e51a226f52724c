"""YAML loading that remembers the line of every value, for error messages that point at it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]

#: A document may expand to at most this many values (aliases counted each time they are used:
#: nested aliases — "billion laughs" — expand exponentially from a few hundred bytes) ...
MAX_VALUES = 100_000
#: ... nested at most this deep. The library's scenarios hold < 3 000 values, 6 levels deep.
MAX_DEPTH = 32


@dataclass
class LocatedDocument:
    """Plain Python data plus the 1-based source line of each path, e.g.
    ``("timeline", 2, "speed_mps")``."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """Line of ``path`` or of its nearest ancestor present in the file."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


class YamlSyntaxError(ValueError):
    def __init__(self, line: int | None, message: str):
        self.line = line
        super().__init__(message)


def load_located(text: str) -> LocatedDocument:
    """Parse one YAML document; raise :class:`YamlSyntaxError` with the line on malformed input."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise YamlSyntaxError(
            None, f"YAML nested deeper than {MAX_DEPTH} levels; refused"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # An unclosed bracket is noticed at the end of the stream; the opening is more useful.
        if (
            exc.context_mark is not None
            and mark is not None
            and mark.line >= len(text.splitlines())
        ):
            mark = exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlSyntaxError(line, f"malformed YAML: {_one_line(exc.problem or exc)}") from None
    except yaml.YAMLError as exc:  # e.g. more than one document, a control character
        raise YamlSyntaxError(None, f"malformed YAML: {_one_line(exc)}") from None
    doc = LocatedDocument(data=None)
    if node is None:
        return doc
    _check_expansion(node)
    constructor = yaml.SafeLoader("")
    try:
        doc.data = _convert(node, (), doc.lines, constructor)
    except yaml.MarkedYAMLError as exc:  # e.g. a tag no safe constructor knows
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlSyntaxError(line, f"malformed YAML: {_one_line(exc.problem or exc)}") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(None, f"malformed YAML: {_one_line(exc)}") from None
    return doc


def _one_line(what: object) -> str:
    """PyYAML's messages span lines (the position on its own); errors here are one line."""
    return " ".join(str(what).split())


def _check_expansion(node: yaml.Node) -> None:
    """Refuse a document whose values, aliases expanded, exceed MAX_VALUES or MAX_DEPTH —
    measured on the node graph (each node once), so the check itself stays linear."""
    memo: dict[int, tuple[int, int]] = {}  # node → (values, height), aliases share nodes

    def measure(n: yaml.Node, depth: int) -> tuple[int, int]:
        known = memo.get(id(n))
        if depth + (known[1] if known else 0) > MAX_DEPTH:
            raise YamlSyntaxError(
                n.start_mark.line + 1,
                f"YAML nested deeper than {MAX_DEPTH} levels (or an alias refers to itself); "
                "refused",
            )
        if known:
            return known
        children: list[yaml.Node] = []
        if isinstance(n, yaml.MappingNode):
            children = [c for pair in n.value for c in pair]
        elif isinstance(n, yaml.SequenceNode):
            children = list(n.value)
        values, height = 1, 0
        for child in children:
            v, h = measure(child, depth + 1)
            values, height = values + v, max(height, h + 1)
            if values > MAX_VALUES:
                raise YamlSyntaxError(
                    n.start_mark.line + 1,
                    f"YAML expands to more than {MAX_VALUES} values (nested aliases?); refused",
                )
        memo[id(n)] = (values, height)
        return values, height

    measure(node, 0)


def _construct(node: yaml.Node, ctor: yaml.SafeLoader) -> Any:
    """A scalar (or a key) as the safe loader builds it; a tag it cannot build (a timestamp
    that is none, bad base64) is malformed YAML at that line."""
    try:
        return ctor.construct_object(node, deep=True)
    except (
        yaml.YAMLError,
        ValueError,
        TypeError,
        AttributeError,
        LookupError,
        OverflowError,
    ) as exc:
        problem = getattr(exc, "problem", None) or exc
        raise YamlSyntaxError(
            node.start_mark.line + 1, f"malformed YAML: {node.tag} value: {_one_line(problem)}"
        ) from None


def _convert(node: yaml.Node, path: Path_, lines: dict[Path_, int], ctor: yaml.SafeLoader) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlSyntaxError(
                    key_node.start_mark.line + 1,
                    "malformed YAML: a key must be a plain value, not a list or mapping",
                )
            key = _construct(key_node, ctor)
            if key in out:
                raise YamlSyntaxError(key_node.start_mark.line + 1, f"duplicate key {key!r}")
            out[key] = _convert(value_node, (*path, key), lines, ctor)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), lines, ctor) for i, item in enumerate(node.value)]
    return _construct(node, ctor)
