"""Functional coverage of the RTL core: which behaviours the simulations actually exercised.

Bins (from the single sources: ``chip_sim/spec/icd.yaml`` and ``chip_sim/spec/registers.yaml``):

- ``event:<NAME>``     the RTL sent an EVENT frame with that code;
- ``write:<REGISTER>`` a REG_WRITE to that writable register was acknowledged;
- ``nack:<REASON>``    the RTL answered a host frame with NACK of that reason;
- ``command:<NAME>``   a COMMAND was acknowledged;
- ``fifo:full``        the event FIFO was full at least once (events dropped and counted).

:func:`hits` reads them off one run's frames; :func:`table` prints hit counts, unhit bins marked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from chip_sim.icd import Command, EventCode, FrameDecoder, FrameType, NackReason
from chip_sim.registers import register_map

#: environment variable naming the session's coverage folder (set by the root conftest.py)
COVERAGE_ENV = "SMILE_RTL_COVERAGE_DIR"


def bins() -> list[str]:
    out = [f"event:{c.name}" for c in EventCode]
    out += [f"write:{r.name}" for r in register_map() if r.writable]
    out += [f"nack:{r.name}" for r in NackReason]
    out += [f"command:{c.name}" for c in Command]
    out.append("fifo:full")
    return out


def hits(result) -> Counter:
    """Bins hit by one :class:`hdl_models.core_sim.CoreResult`."""
    rmap = register_map()
    found: Counter = Counter()
    acked: set[tuple[int, int]] = set()  # (echoed type, echoed seq) of ACKs
    for f in result.frames:
        p = bytes.fromhex(f["payload"])
        if f["type"] == FrameType.EVENT and p[0] in EventCode._value2member_map_:
            found[f"event:{EventCode(p[0]).name}"] += 1
        elif f["type"] == FrameType.NACK and p[2] in NackReason._value2member_map_:
            found[f"nack:{NackReason(p[2]).name}"] += 1
        elif f["type"] == FrameType.ACK:
            acked.add((p[0], p[1]))
    sent = [bytes.fromhex(step["sent"]) for step in result.host_log]
    for addr, _value, ftype, _payload in result.writes:
        if ftype == FrameType.ACK:
            found[f"write:{rmap.by_addr(addr).name}"] += 1
    decoder = FrameDecoder()
    for raw in sent:
        for frame in decoder.feed(raw):
            if (frame.frame_type, frame.seq) not in acked:
                continue
            if frame.frame_type == FrameType.REG_WRITE and len(frame.payload) == 5:
                reg = rmap.by_addr(frame.payload[0])
                if reg is not None:
                    found[f"write:{reg.name}"] += 1
            is_command = frame.frame_type == FrameType.COMMAND and len(frame.payload) == 1
            if is_command and frame.payload[0] in Command._value2member_map_:
                found[f"command:{Command(frame.payload[0]).name}"] += 1
    if result.counters.get("fifo_was_full"):
        found["fifo:full"] += 1
    return found


def unhit(total: Counter) -> list[str]:
    return [b for b in bins() if not total.get(b)]


def table(total: Counter) -> str:
    rows = [f"{'bin':36s} {'hits':>8s}"]
    for b in bins():
        n = total.get(b, 0)
        rows.append(f"{b:36s} {n:8d}" + ("   <-- UNHIT" if n == 0 else ""))
    missing = unhit(total)
    rows.append(f"{len(bins()) - len(missing)} of {len(bins())} bins hit")
    return "\n".join(rows)


def merge(counters: Iterable[Counter]) -> Counter:
    total: Counter = Counter()
    for c in counters:
        total.update(c)
    return total
