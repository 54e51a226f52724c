"""YAML loading that remembers the line of every value, for error messages that point at it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


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
        raise YamlSyntaxError(line, f"malformed YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:  # e.g. more than one document
        raise YamlSyntaxError(None, f"malformed YAML: {exc}") from None
    doc = LocatedDocument(data=None)
    if node is None:
        return doc
    constructor = yaml.SafeLoader("")
    doc.data = _convert(node, (), doc.lines, constructor)
    return doc


def _convert(node: yaml.Node, path: Path_, lines: dict[Path_, int], ctor: yaml.SafeLoader) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = ctor.construct_object(key_node, deep=True)
            if key in out:
                raise YamlSyntaxError(key_node.start_mark.line + 1, f"duplicate key {key!r}")
            out[key] = _convert(value_node, (*path, key), lines, ctor)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), lines, ctor) for i, item in enumerate(node.value)]
    return ctor.construct_object(node, deep=True)
