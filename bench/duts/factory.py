"""The one place a DUT is named and opened.

A DUT is named by a *kind* — in a station file's ``[dut] kind``, on ``--dut`` of the CLI and the
pytest plugin — and opened here as a session (``bench.duts.protocol.Dut``), whoever asks: the
verification suite (through ``bench.run.play``), ``smile-bench run --scenario``, the station runs,
the conformance suite and the hardware tests.

Kinds: ``golden``; ``rtl``, ``rtl:icarus``, ``rtl:verilator`` (default Verilator);
``serial:URL`` with URL ``/dev/tty…``, ``socket://HOST:PORT`` or ``rfc2217://HOST:PORT``;
``emulated`` / ``emulated:pty`` (the board emulator, ``bench.duts.emulator``, started on a
loopback TCP port or a pty and reached through ``SerialDut`` over it, as a board is; the
scenario's stimulus goes in by host-port replay and its brown-outs by the emulator's supply);
``mutant:NAME`` (the bench's self-validation: the golden model with one defect,
``bench.duts.mutant``). Anything else is refused with this list.
"""

from __future__ import annotations

from bench.duts.protocol import Dut
from bench.errors import BenchError

RTL_SIMULATORS = ("icarus", "verilator")
DEFAULT_RTL_SIMULATOR = "verilator"
SERIAL_SCHEMES = ("socket://", "rfc2217://", "/dev/")
KNOWN = "golden, rtl, rtl:icarus, rtl:verilator, serial:URL, emulated, emulated:pty or mutant:NAME"
#: the emulated board's UART (bits per second): 8 × 115 200, a rate USB-serial bridges reach, so
#: that the suite's hours of replayed samples take minutes; a real board's link is what it is
EMULATED_BAUD = 921_600


class DutKindError(BenchError):
    """A DUT kind that names no DUT; the message names where it came from and what is known."""


def parse_dut(value: str, where: str) -> str:
    """``value`` if it names a DUT; otherwise DutKindError naming ``where`` and the known kinds."""
    kind, _, rest = value.partition(":")
    if kind == "mutant":
        from bench.duts.mutant import MUTATIONS

        if rest in MUTATIONS:
            return value
        raise DutKindError(
            f"{where}: mutant {value!r}; expected mutant:NAME with NAME one of "
            f"{', '.join(MUTATIONS)}"
        )
    if kind == "golden" and not rest:
        return value
    if kind == "emulated" and rest in ("", "pty"):
        return value
    if kind == "rtl":
        if rest and rest not in RTL_SIMULATORS:
            raise DutKindError(f"{where}: DUT {value!r}; expected rtl, rtl:icarus or rtl:verilator")
        return value
    if kind == "serial":
        if not rest.startswith(SERIAL_SCHEMES):
            raise DutKindError(
                f"{where}: DUT {value!r}; expected serial:URL with URL /dev/tty..., "
                "socket://HOST:PORT or rfc2217://HOST:PORT"
            )
        return value
    raise DutKindError(f"{where}: DUT {value!r}; expected {KNOWN}")


def rtl_simulator(kind: str) -> str:
    return kind.partition(":")[2] or DEFAULT_RTL_SIMULATOR


def open_dut(
    kind: str,
    *,
    where: str = "DUT",
    speed: float = 1.0,
    real_time: bool = True,
    batch_writes: bool = False,
    stimulus: str = "front_end",
) -> Dut:
    """A session with the DUT ``kind`` names. ``speed``: a serial board's sample clock against
    real time (emulated boards run faster); ``real_time`` / ``batch_writes``: the RTL's pacing
    and how it takes register writes (``bench.duts.rtl.RtlSession``); ``stimulus``: how a serial
    board takes it, ``front_end`` (the waveform generator) or ``host`` (host-port replay; an
    emulated board always takes it so)."""
    kind = parse_dut(kind, where)
    if kind == "golden":
        from bench.duts.golden import GoldenSession

        return GoldenSession()
    if kind.startswith("rtl"):
        from bench.duts.rtl import RtlSession

        return RtlSession(rtl_simulator(kind), real_time=real_time, batch_writes=batch_writes)
    if kind.startswith("serial:"):
        from bench.duts.serial_board import SerialDut

        return SerialDut(kind.partition(":")[2], name=kind, speed=speed, stimulus=stimulus)
    if kind.startswith("emulated"):
        return open_emulated(listen="pty" if kind == "emulated:pty" else "socket://127.0.0.1:0")
    from bench.duts.golden import GoldenSession
    from bench.duts.mutant import MutantSession

    return MutantSession(GoldenSession(), kind.partition(":")[2])


def open_emulated(*, listen: str = "socket://127.0.0.1:0", baudrate: int = EMULATED_BAUD) -> Dut:
    """A board emulator on ``listen`` and a host-replay ``SerialDut`` on it; closing the session
    closes both. Returns once the board has powered on (its RESET reason 0 has arrived)."""
    from bench.duts.emulator import BoardEmulator
    from bench.duts.protocol import DutGoneError
    from bench.duts.serial_board import SerialDut, is_reset_event

    class EmulatedBoard(SerialDut):
        def close(self) -> None:
            try:
                super().close()
            finally:
                emulator.close()

    emulator = BoardEmulator(listen, baudrate=baudrate).start()
    try:
        board = EmulatedBoard(
            emulator.url, name="emulated", stimulus="host", power=emulator.set_power
        )
    except BaseException:
        emulator.close()
        raise
    if board.wait_for(is_reset_event(0), timeout_s=board.timeout_s) is None:
        board.close()
        raise DutGoneError(f"emulated board on {emulator.url}: no power-on RESET")
    return board
