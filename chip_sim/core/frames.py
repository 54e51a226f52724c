"""The core's output as the chip sends it: EVENT and STATUS frames of ICD section 2, in the order
of the sample clock (within one sample, events before the STATUS that closes it), one SEQ counter
per direction that wraps at 255 and restarts at 0 after every reset."""

from __future__ import annotations

from chip_sim.core.chip import CoreOutput
from chip_sim.icd import EventCode, EventPayload, Frame, StatusPayload


def output_frames(out: CoreOutput) -> list[Frame]:
    return [frame for _, frame in indexed_frames(out)]


def indexed_frames(out: CoreOutput) -> list[tuple[int, Frame]]:
    """(stream index of the sample that decided it, frame), in sending order."""
    items: list[tuple[int, int, object]] = []
    for e in out.events:
        payload = EventPayload(int(e["code"]), 0, int(e["sample_index"]), int(e["value"]))
        items.append((int(e["stream_index"]), 0, payload))
    for s in out.status:
        # events_dropped is a u16 on the wire that wraps (ICD); the golden core drops none.
        payload = StatusPayload(
            int(s["sample_index"]),
            int(s["step_count"]),
            int(s["fault_flags"]),
            int(s["events_dropped"]) & 0xFFFF,
        )
        items.append((int(s["stream_index"]), 1, payload))
    items.sort(key=lambda it: (it[0], it[1]))
    frames, seq = [], 0
    for index, _, payload in items:
        if isinstance(payload, EventPayload) and payload.code == EventCode.RESET:
            seq = 0
        frames.append((index, Frame.from_payload(payload, seq)))
        seq = (seq + 1) & 0xFF
    return frames


def output_bytes(out: CoreOutput) -> bytes:
    return b"".join(f.encode() for f in output_frames(out))
