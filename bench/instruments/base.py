"""Instrument base class over a pyvisa resource, with declarative settings and readings.

An instrument class declares its settings as :class:`control` and its readings as
:class:`measurement` class attributes (the pymeasure idea); actions are methods. Every setpoint
is validated against the instrument's range (``ValueError``) and the station's
:class:`~bench.instruments.safety.SafetyLimits` (:class:`SafetyLimitError`) *before* anything is
written. The same class talks to hardware, to a pyvisa-sim device file or to a loopback SCPI twin;
only the resource string and the backend differ (``"@py"``, ``"file.yaml@sim"``).

Command strings are ``str.format`` templates: ``{value}`` is the setpoint, further fields come from
the owner's :meth:`Instrument.format_fields` (e.g. ``{ch}`` for a supply channel).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyvisa
import pyvisa.constants
import pyvisa.errors

from bench.instruments.errors import (
    CalibrationExpiredError,
    InstrumentError,
    InstrumentTimeoutError,
    SafetyLimitError,
)
from bench.instruments.safety import SafetyLimits

NO_ERROR_CODE = 0
MAX_ERROR_READS = 50  # a SCPI error queue holds at most ~20 entries; more means a broken answer
_ERROR_RE = re.compile(r'^\s*([+-]?\d+)\s*,\s*"?(.*?)"?\s*$')


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _show(value: Any) -> str:
    """A number as ``1.5``/``1e+09`` (not ``np.float64(1.5)``), anything else as its repr."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}"
    return repr(value)


# --- validators: (value, values) -> value, or ValueError naming the value and the range ---


def in_range(value: float, values: Sequence[float]) -> float:
    """Accept ``values[0] <= value <= values[1]``; never clip."""
    low, high = values
    if not low <= value <= high:
        raise ValueError(
            f"{_show(value)} is out of range; expected {_show(low)} ≤ value ≤ {_show(high)}"
        )
    return value


def in_set(value: Any, values: Iterable[Any]) -> Any:
    """Accept a value that is one of ``values``."""
    allowed = tuple(values)
    if value not in allowed:
        raise ValueError(f"{_show(value)} is not allowed; expected one of {allowed}")
    return value


def to_bool(answer: str) -> bool:
    """Parse a SCPI boolean answer (``0``/``1``/``OFF``/``ON``)."""
    text = answer.strip().upper()
    if text in ("1", "ON"):
        return True
    if text in ("0", "OFF"):
        return False
    raise ValueError(f"{answer!r} is not a SCPI boolean; expected 0, 1, OFF or ON")


def to_floats(answer: str) -> list[float]:
    """Parse a comma-separated list of numbers (an empty answer is an empty list)."""
    text = answer.strip()
    return [float(part) for part in text.split(",")] if text else []


# --- descriptors ---


class measurement:  # noqa: N801 - lower case like ``property``, which it is
    """A read-only reading: ``get_cmd`` is queried and the answer parsed by ``get_process``."""

    def __init__(
        self, get_cmd: str, doc: str, *, get_process: Callable[[str], Any] = float
    ) -> None:
        self.get_cmd = get_cmd
        self.get_process = get_process
        self.__doc__ = doc
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        answer = obj.ask(obj.format_command(self.get_cmd))
        try:
            return self.get_process(answer)
        except ValueError as exc:
            raise InstrumentError(
                f"{obj.name}: answer {answer!r} to {self.get_cmd!r} is not a valid "
                f"{self.name} ({exc})"
            ) from None

    def __set__(self, obj: Any, value: Any) -> None:
        raise AttributeError(f"{self.name} is a measurement and cannot be set")


class control(measurement):  # noqa: N801
    """A setting: read with ``get_cmd``, written with ``set_cmd`` after validation.

    ``validator(value, values)`` checks the instrument's own range (``ValueError``; ``values``
    may be a callable of the owner, for ranges that differ per channel);
    ``limit`` names a :class:`SafetyLimits` field the absolute setpoint must not exceed
    (:class:`SafetyLimitError`). Both checks happen before anything is written.
    """

    def __init__(
        self,
        get_cmd: str,
        set_cmd: str,
        doc: str,
        *,
        validator: Callable[[Any, Any], Any] | None = None,
        values: Any = None,
        get_process: Callable[[str], Any] = float,
        limit: str | None = None,
    ) -> None:
        super().__init__(get_cmd, doc, get_process=get_process)
        self.set_cmd = set_cmd
        self.validator = validator
        self.values = values
        self.limit = limit

    def __set__(self, obj: Any, value: Any) -> None:
        if self.validator is not None:
            try:
                values = self.values(obj) if callable(self.values) else self.values
                value = self.validator(value, values)
            except ValueError as exc:
                raise ValueError(f"{obj.name}: {self.name} {exc}") from None
        if self.limit is not None:
            obj.check_limit(self.name, value, self.limit)
        obj.write(obj.format_command(self.set_cmd, value=value))


# --- the instrument ---


class Instrument:
    """One SCPI instrument on a pyvisa resource.

    ``resource`` is a VISA resource string opened with ``pyvisa.ResourceManager(backend)``, or an
    already-open resource (anything with ``write``, ``query`` and ``close``, e.g.
    :class:`~bench.instruments.fake.FakeResource`). ``name`` is the instrument's name in the
    station file and appears in every error message. The calibration is checked before the
    resource is opened.
    """

    #: default station name of this kind of instrument
    kind = "instrument"

    idn_text = measurement("*IDN?", "Identification string (*IDN?).", get_process=str.strip)

    def __init__(
        self,
        resource: str | Any,
        *,
        name: str | None = None,
        backend: str = "@py",
        limits: SafetyLimits | None = None,
        calibration_due: datetime.date | None = None,
        allow_expired_calibration: bool = False,
        today: datetime.date | None = None,
        timeout_s: float = 2.0,
    ) -> None:
        self.name = name or self.kind
        self.limits = limits if limits is not None else SafetyLimits()
        self.calibration_due = calibration_due
        self.calibration_note = self._check_calibration(
            calibration_due, allow_expired_calibration, today or datetime.date.today()
        )
        self._manager: pyvisa.ResourceManager | None = None
        if isinstance(resource, str):
            self.resource_name = resource
            self._resource = self._open(resource, backend, timeout_s)
        else:
            self.resource_name = str(getattr(resource, "resource_name", type(resource).__name__))
            self._resource = resource
            resource.timeout = timeout_s * 1000.0

    def _check_calibration(
        self, due: datetime.date | None, allowed: bool, today: datetime.date
    ) -> str | None:
        if due is None or due >= today:
            return None
        if not allowed:
            raise CalibrationExpiredError(
                f"{self.name}: calibration expired {due.isoformat()} (today {today.isoformat()}); "
                "recalibrate or run with --allow-expired-calibration"
            )
        return (
            f"{self.name}: calibration expired {due.isoformat()}, "
            "used with --allow-expired-calibration"
        )

    def _open(self, resource: str, backend: str, timeout_s: float) -> Any:
        try:
            self._manager = pyvisa.ResourceManager(backend)
            return self._manager.open_resource(
                resource,
                read_termination="\n",
                write_termination="\n",
                timeout=timeout_s * 1000.0,
            )
        except (pyvisa.errors.Error, OSError, ValueError) as exc:
            if self._manager is not None:
                self._manager.close()
            raise InstrumentError(
                f"{self.name}: cannot open {resource!r} with backend {backend!r} ({exc})"
            ) from None

    # --- lifecycle ---

    def close(self) -> None:
        """Close the resource (and the resource manager this instrument opened)."""
        try:
            self._resource.close()
        finally:
            if self._manager is not None:
                self._manager.close()
                self._manager = None

    def __enter__(self) -> Instrument:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, resource={self.resource_name!r})"

    # --- communication ---

    def format_fields(self) -> dict[str, Any]:
        """Fields besides ``value`` available to command templates (none here)."""
        return {}

    def format_command(self, template: str, **fields: Any) -> str:
        return template.format(**self.format_fields(), **fields)

    def _visa_error(self, exc: pyvisa.errors.VisaIOError, command: str) -> InstrumentError:
        shown = _shorten(command)
        if exc.error_code == pyvisa.constants.StatusCode.error_timeout:
            return InstrumentTimeoutError(
                f"{self.name}: no answer to {shown!r} within "
                f"{self._resource.timeout / 1000.0:g} s ({self.resource_name})"
            )
        return InstrumentError(f"{self.name}: I/O error on {shown!r} ({exc.description})")

    def _os_error(self, exc: OSError, command: str) -> InstrumentError:
        return InstrumentError(
            f"{self.name}: I/O error on {_shorten(command)!r} ({self.resource_name}: {exc})"
        )

    def write(self, command: str) -> None:
        """Send one command."""
        try:
            self._resource.write(command)
        except pyvisa.errors.VisaIOError as exc:
            raise self._visa_error(exc, command) from None
        except OSError as exc:  # pyvisa-py sockets connect lazily and pass socket errors on
            raise self._os_error(exc, command) from None

    def ask(self, command: str) -> str:
        """Send a query and return the answer without its termination."""
        try:
            return str(self._resource.query(command)).strip()
        except pyvisa.errors.VisaIOError as exc:
            raise self._visa_error(exc, command) from None
        except OSError as exc:
            raise self._os_error(exc, command) from None

    def idn(self) -> str:
        """The identification string (``*IDN?``)."""
        return self.idn_text

    def check_errors(self) -> None:
        """Read ``SYST:ERR?`` until ``+0,"No error"``; raise if the queue held any error."""
        errors: list[str] = []
        for _ in range(MAX_ERROR_READS):
            answer = self.ask("SYST:ERR?")
            match = _ERROR_RE.match(answer)
            if match is None:
                raise InstrumentError(
                    f"{self.name}: answer {answer!r} to 'SYST:ERR?' is not a SCPI error entry"
                )
            if int(match.group(1)) == NO_ERROR_CODE:
                break
            errors.append(f'{int(match.group(1)):+d},"{match.group(2)}"')
        else:
            errors.append(f"(error queue not empty after {MAX_ERROR_READS} reads)")
        if errors:
            raise InstrumentError(f"{self.name}: instrument reported {'; '.join(errors)}")

    # --- safety ---

    def check_limit(self, setting: str, value: float, limit: str) -> None:
        """Raise :class:`SafetyLimitError` if ``|value|`` exceeds ``limits.<limit>``."""
        maximum = getattr(self.limits, limit)
        if maximum is not None and abs(value) > maximum:
            raise SafetyLimitError(
                f"{self.name}: {setting} {_show(value)} exceeds the safety limit "
                f"{limit} = {maximum:g}; nothing was sent"
            )
