"""The one place a DUT is named and opened.

A DUT is named by a *kind* — in a station file's ``[dut] kind``, on ``--dut`` of the CLI and the
pytest plugin — and opened here as a session (``bench.duts.protocol.Dut``), whoever asks: the
verification suite (through ``bench.run.play``), ``smile-bench run --scenario``, the station runs,
the conformance suite and the hardware tests.

Kinds: ``golden``; ``rtl``, ``rtl:icarus``, ``rtl:verilator`` (default Verilator);
``serial:URL`` with URL ``/dev/tty…``, ``socket://HOST:PORT`` or ``rfc2217://HOST:PORT``;
``mutant:NAME`` (the bench's self-validation: the golden model with one defect,
``bench.duts.mutant``). Anything else is refused with this list.
"""

from __future__ import annotations

from bench.duts.protocol import Dut
from bench.errors import BenchError

RTL_SIMULATORS = ("icarus", "verilator")
DEFAULT_RTL_SIMULATOR = "verilator"
SERIAL_SCHEMES = ("socket://", "rfc2217://", "/dev/")
KNOWN = "golden, rtl, rtl:icarus, rtl:verilator, serial:URL or mutant:NAME"


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
) -> Dut:
    """A session with the DUT ``kind`` names. ``speed``: a serial board's sample clock against
    real time (emulated boards run faster); ``real_time`` / ``batch_writes``: the RTL's pacing
    and how it takes register writes (``bench.duts.rtl.RtlSession``)."""
    kind = parse_dut(kind, where)
    if kind == "golden":
        from bench.duts.golden import GoldenSession

        return GoldenSession()
    if kind.startswith("rtl"):
        from bench.duts.rtl import RtlSession

        return RtlSession(rtl_simulator(kind), real_time=real_time, batch_writes=batch_writes)
    if kind.startswith("serial:"):
        from bench.duts.serial_board import SerialDut

        return SerialDut(kind.partition(":")[2], name=kind, speed=speed)
    from bench.duts.golden import GoldenSession
    from bench.duts.mutant import MutantSession

    return MutantSession(GoldenSession(), kind.partition(":")[2])
