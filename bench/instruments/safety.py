"""Safety limits of a station and the guard that switches supplies off whatever happens.

:class:`SafetyLimits` are checked by the drivers before any setpoint is sent.
:class:`outputs_off_on_exit` switches every supply output off on normal exit, on an exception,
on Ctrl-C (``KeyboardInterrupt``) and on SIGTERM (turned into ``SystemExit(143)`` while the guard
is active), and never hides the exception that ended the block.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any, Protocol

from bench.instruments.errors import SafeShutdownError

SIGTERM_EXIT_CODE = 128 + signal.SIGTERM


@dataclass(frozen=True)
class SafetyLimits:
    """Largest setpoints a station allows (absolute values); ``None`` means no station limit.

    The defaults suit the implant sensor chip on its evaluation board (3.3 V logic, mA supply
    currents, mV-range front-end stimuli).
    """

    max_voltage_v: float | None = 3.6
    max_current_a: float | None = 0.1
    max_awg_amplitude_vpp: float | None = 2.0
    max_awg_offset_v: float | None = 1.0


class SwitchableSupply(Protocol):
    """What the guard needs of a supply."""

    name: str

    def all_outputs_off(self) -> None: ...


class outputs_off_on_exit:  # noqa: N801 - used like a function: ``with outputs_off_on_exit(...)``
    """Context manager: every supply's outputs are off when the block is left, however it is left.

    SIGTERM raises ``SystemExit(143)`` inside the block (only when entered from the main thread;
    the previous handler is restored on exit). While the outputs are being switched off, SIGINT
    and SIGTERM are deferred so that a second Ctrl-C cannot interrupt the shutdown.
    If switching off fails, the failure is attached as a note to the exception that ended the block,
    or raised as :class:`SafeShutdownError` after a normal exit.
    """

    def __init__(self, *supplies: SwitchableSupply) -> None:
        self.supplies = supplies
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> outputs_off_on_exit:
        if threading.current_thread() is threading.main_thread():
            self._previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, _raise_system_exit)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        deferred: list[int] = []
        in_main = threading.current_thread() is threading.main_thread()
        held: dict[int, Any] = {}
        if in_main:
            for signum in (signal.SIGINT, signal.SIGTERM):
                held[signum] = signal.signal(signum, lambda s, _f: deferred.append(s))
        try:
            failures = self._switch_off()
        finally:
            if in_main:
                for signum, handler in held.items():
                    signal.signal(signum, handler)
                for signum, handler in self._previous.items():
                    signal.signal(signum, handler)
                self._previous.clear()
        if failures:
            message = "outputs may still be on: " + "; ".join(failures)
            if exc is not None:
                exc.add_note(message)
            else:
                raise SafeShutdownError(message)
        if exc is None and deferred:
            # a signal arrived during the shutdown of a block that ended normally: honour it now
            if signal.SIGTERM in deferred:
                raise SystemExit(SIGTERM_EXIT_CODE)
            raise KeyboardInterrupt
        return False

    def _switch_off(self) -> list[str]:
        failures = []
        for supply in self.supplies:
            try:
                supply.all_outputs_off()
            except Exception as error:  # every supply gets its chance; all failures are reported
                failures.append(f"{getattr(supply, 'name', supply)}: {error}")
        return failures


def _raise_system_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(SIGTERM_EXIT_CODE)
