"""A recording fake pyvisa resource for protocol tests that need no device.

``FakeResource(answers={"*IDN?": "Keysight,...", "SYST:ERR?": ['-113,"Undefined header"',
'+0,"No error"']})`` answers queries from a script (a text; a list consumed in order, whose last
entry then repeats; or a callable of the query) and logs every write and query, in order, in
:attr:`log`. An unscripted query raises a pyvisa timeout, like an instrument that does not answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pyvisa.constants
import pyvisa.errors

Answer = str | list[str] | Callable[[str], str]


class FakeResource:
    """Stands in for a ``pyvisa`` message-based resource (``write``, ``query``, ``close``)."""

    resource_name = "FAKE::INSTR"

    def __init__(self, answers: Mapping[str, Answer] | None = None) -> None:
        self.answers: dict[str, Any] = {"SYST:ERR?": '+0,"No error"'}
        self.answers.update(
            {key: list(v) if isinstance(v, list) else v for key, v in (answers or {}).items()}
        )
        self.log: list[tuple[str, str]] = []
        self.timeout = 2000.0
        self.closed = False

    @property
    def writes(self) -> list[str]:
        """Commands written (queries excluded), in order."""
        return [text for kind, text in self.log if kind == "write"]

    @property
    def queries(self) -> list[str]:
        return [text for kind, text in self.log if kind == "query"]

    @property
    def sent(self) -> list[str]:
        """Everything sent, writes and queries, in order."""
        return [text for _kind, text in self.log]

    def write(self, command: str) -> int:
        self.log.append(("write", command))
        return len(command)

    def query(self, command: str) -> str:
        self.log.append(("query", command))
        answer = self.answers.get(command)
        if answer is None:
            raise pyvisa.errors.VisaIOError(pyvisa.constants.StatusCode.error_timeout)
        if callable(answer):
            return answer(command)
        if isinstance(answer, list):
            if not answer:
                raise pyvisa.errors.VisaIOError(pyvisa.constants.StatusCode.error_timeout)
            return answer.pop(0) if len(answer) > 1 else answer[0]
        return answer

    def close(self) -> None:
        self.closed = True
