"""Exceptions of the scenario layer.

Every problem names where it is (file, line, field) and what was expected, so a user editing a
scenario file can fix it without reading code.
"""

from __future__ import annotations

from dataclasses import dataclass


class ScenarioError(Exception):
    """Base class for every error raised by :mod:`scenarios`."""


@dataclass(frozen=True)
class Problem:
    """One validation finding: where it is and what is wrong."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ScenarioValidationError(ScenarioError):
    """A scenario file broke one or more rules; ``problems`` lists every one found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid scenario"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more)


class UnknownScenarioError(ScenarioError):
    """A name is neither a library scenario nor an existing file."""


class CaptureError(ScenarioError):
    """A capture file cannot be written or read as the ICD section 4 layout."""
