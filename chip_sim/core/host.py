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
  choice: the command is a value out of the range of known commands);
- STIMULUS (the project's host-port sample replay, docs/host-replay.md) → ACK once its rows are
  in the stimulus buffer; NACK 2 for a payload whose length disagrees with its count (or a count
  outside 1..15), NACK 5 while STIM_SOURCE is 0 or when first_sample_index is not the next sample
  expected, NACK 6 when the buffer has no room for all its rows. Nothing is taken on a NACK. A
  frame whose rows all lie before the next expected sample repeats rows already taken (its ACK
  was lost, the host went back): ACK, nothing taken.

RESET by command takes effect once its ACK has left the chip: the core restarts (RESET event
reason 2, SEQ from 0, sample index 0), registers are kept, sampling runs. Sampling also runs after
power-on and brown-out; STOP makes the core ignore samples until START.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from chip_sim.icd import (
    Ack,
    Command,
    CommandPayload,
    Frame,
    FrameType,
    IcdError,
    Nack,
    NackReason,
    RegRead,
    RegValue,
    RegWrite,
    StimulusPayload,
)
from chip_sim.registers import RegisterFile

#: payload length of each host→chip frame type the chip accepts
HOST_FRAME_BYTES = {
    int(FrameType.REG_WRITE): 5,
    int(FrameType.REG_READ): 1,
    int(FrameType.COMMAND): 1,
}


#: samples the chip's stimulus buffer holds: four full STIMULUS frames (our choice, the RTL's
#: sample FIFO depth): room for one frame while the core takes the previous ones
STIMULUS_BUFFER_SAMPLES = 64


class StimulusBuffer:
    """The rows STIMULUS frames delivered, waiting for the core; ``next_index`` is the sample
    index (since the last reset) the next frame must start at."""

    def __init__(self, capacity: int = STIMULUS_BUFFER_SAMPLES) -> None:
        self.capacity = capacity
        self.rows: deque[tuple[int, ...]] = deque()
        self.next_index = 0

    def clear(self) -> None:
        """A reset: empty, and the next frame starts at sample 0."""
        self.rows.clear()
        self.next_index = 0

    def offer(self, stimulus: StimulusPayload) -> int:
        """Take ``stimulus``'s rows: 0, or the NACK reason (nothing taken)."""
        first, count = stimulus.first_sample_index, stimulus.count
        if first + count <= self.next_index:
            return 0  # rows taken already: a repeat whose ACK was lost
        if first != self.next_index:
            return int(NackReason.VALUE_OUT_OF_RANGE)
        if len(self.rows) + count > self.capacity:
            return int(NackReason.STIMULUS_FULL)
        self.rows.extend(stimulus.samples)
        self.next_index += count
        return 0

    def take(self) -> tuple[int, ...] | None:
        """The oldest row, or None when empty."""
        return self.rows.popleft() if self.rows else None


@dataclass(frozen=True)
class Answer:
    """The chip's reply to one host frame and the command it carries out (or None)."""

    reply: Ack | Nack | RegValue
    action: Command | None = None


class HostPort:
    """Answers host frames against ``registers`` (changed in place by accepted writes)."""

    def __init__(self, registers: RegisterFile | None = None) -> None:
        self.registers = registers if registers is not None else RegisterFile()
        self.stimulus = StimulusBuffer()

    def answer(self, frame: Frame, live: Mapping[str, int] | None = None) -> Answer:
        expected = HOST_FRAME_BYTES.get(frame.frame_type)

        def nack(reason: int) -> Answer:
            return Answer(Nack(frame.frame_type, frame.seq, int(reason)))

        if frame.frame_type == FrameType.STIMULUS:
            try:
                stimulus = StimulusPayload.decode(frame.payload)
            except IcdError:
                return nack(NackReason.BAD_LENGTH)
            if self.registers["STIM_SOURCE"] != 1:
                return nack(NackReason.VALUE_OUT_OF_RANGE)
            reason = self.stimulus.offer(stimulus)
            return nack(reason) if reason else Answer(Ack(frame.frame_type, frame.seq))

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
