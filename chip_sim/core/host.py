"""The chip's host port: how it answers host frames (ICD section 2), as the RTL does it.

Host frames reach the chip over the UART. The chip's receiver is ``chip_sim.icd.FrameDecoder``'s
rule (a frame with a bad CRC or LEN > 250 is dropped silently, the hunt resumes at the byte after
its SYNC0). Every frame that passes is answered, in arrival order:

- TYPE REG_WRITE / REG_READ / COMMAND with another payload length than the ICD's → NACK 2;
- any other TYPE (also the chip's own output types) → NACK 1;
- REG_WRITE → ACK, or NACK 3 unknown register / 4 read-only / 5 out of range (nothing changes);
- REG_READ → REG_VALUE, or NACK 3; read-only state (STEP_COUNT, FAULT_FLAGS, EVENTS_DROPPED,
  SAMPLE_INDEX) comes from the running core;
- COMMAND RESET / START / STOP → ACK, then the action; any other command code → NACK 5 (our
  choice: the command is a value out of the range of known commands).

RESET by command takes effect once its ACK has left the chip: the core restarts (RESET event
reason 2, SEQ from 0, sample index 0), registers are kept, sampling runs. Sampling also runs after
power-on and brown-out; STOP makes the core ignore samples until START.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chip_sim.icd import (
    Ack,
    Command,
    CommandPayload,
    Frame,
    FrameType,
    Nack,
    NackReason,
    RegRead,
    RegValue,
    RegWrite,
)
from chip_sim.registers import RegisterFile

#: payload length of each host→chip frame type the chip accepts
HOST_FRAME_BYTES = {
    int(FrameType.REG_WRITE): 5,
    int(FrameType.REG_READ): 1,
    int(FrameType.COMMAND): 1,
}


@dataclass(frozen=True)
class Answer:
    """The chip's reply to one host frame and the command it carries out (or None)."""

    reply: Ack | Nack | RegValue
    action: Command | None = None


class HostPort:
    """Answers host frames against ``registers`` (changed in place by accepted writes)."""

    def __init__(self, registers: RegisterFile | None = None) -> None:
        self.registers = registers if registers is not None else RegisterFile()

    def answer(self, frame: Frame, live: Mapping[str, int] | None = None) -> Answer:
        expected = HOST_FRAME_BYTES.get(frame.frame_type)

        def nack(reason: int) -> Answer:
            return Answer(Nack(frame.frame_type, frame.seq, int(reason)))

        if expected is None:
            return nack(NackReason.UNKNOWN_TYPE)
        if len(frame.payload) != expected:
            return nack(NackReason.BAD_LENGTH)
        if frame.frame_type == FrameType.REG_WRITE:
            req = RegWrite.decode(frame.payload)
            reason = self.registers.write(req.addr, req.value)
            return nack(reason) if reason else Answer(Ack(frame.frame_type, frame.seq))
        if frame.frame_type == FrameType.REG_READ:
            req = RegRead.decode(frame.payload)
            value, reason = self.registers.read(req.addr, live)
            return nack(reason) if reason else Answer(RegValue(req.addr, value))
        cmd = CommandPayload.decode(frame.payload).cmd
        if cmd not in {int(c) for c in Command}:
            return nack(NackReason.VALUE_OUT_OF_RANGE)
        return Answer(Ack(frame.frame_type, frame.seq), Command(cmd))
