"""``BoardEmulator``: the golden model behind a real byte stream, speaking ICD v1 like the chip.

The emulator stands in for a sensor board on the bench's serial link: a TCP server
(``socket://127.0.0.1:PORT``, one client at a time, a new client may connect after a disconnect)
or a pseudo-terminal (``pty``: ``.url`` is the slave path, opened like any tty). It answers host
frames with :class:`chip_sim.core.host.HostPort` and streams the EVENT and STATUS frames that the
golden core (:class:`chip_sim.core.Chip`) decides for the loaded stimulus, at the sample clock and
at the UART's byte time.

Behaviour (the emulator's choices where the ICD and ``HostPort`` leave room, for a board whose
analog stimulus comes from a waveform generator armed by START):

- Power-on: the chip powers on ``power_on_delay_s`` after a host first appears — the first
  client connection of the TCP server, the first open of the pty slave (seen as the master no
  longer reading EIO) — and sends RESET (reason 0, SEQ 0); the delay keeps the RESET clear of
  pyserial's input flush on open. Until then host frames are ignored. A host that comes back
  later does not power the board again.
- Host frames are decoded with :class:`chip_sim.icd.FrameDecoder` (bad CRC: dropped silently)
  and answered in arrival order; answers go out between frames, before pending EVENT/STATUS.
  Live registers (STEP_COUNT, FAULT_FLAGS, EVENTS_DROPPED, SAMPLE_INDEX) come from the state of
  the stream sent so far.
- COMMAND START: the first START after a reset computes ``Chip(registers).run(codes,
  brownouts)`` with the registers as they are then, and the sample clock starts at
  SAMPLE_RATE_HZ × ``speed``; each EVENT/STATUS frame goes out once the clock has passed its
  sample (stream index + 1 samples after START), in ``chip_sim.core.frames.output_frames`` order.
  The stream's own first frame (RESET reason 0 at sample 0) is not sent again: the chip's
  power-on (or command) RESET already announced that epoch. STOP pauses the clock, START resumes
  it. Once the stimulus is played, START does nothing more until a reset re-arms it.
- COMMAND RESET: ACK; once the ACK has left the chip, the stream stops and rewinds, the chip sends
  RESET (reason 2, SEQ 0, sample index 0); registers are kept.
- Brown-outs of the stimulus: no frames and no answers while off, then RESET reason 1 (from the
  golden core).
- Host-port sample replay (STIM_SOURCE = 1; docs/host-replay.md): the core takes the rows of
  accepted STIMULUS frames (:class:`chip_sim.core.host.HostPort` answers them) one by one while
  sampling — after every reset until STOP, again after START, as the chip — as soon as they are
  buffered (no sample clock), with the sample-by-sample
  core (:class:`chip_sim.core.reference.EpochCore`, configured by the registers as they are when
  the epoch's first sample is taken), and each EVENT/STATUS frame goes out once its sample has
  been taken. STOP stops the taking (the buffer fills; then NACK 6); RESET empties the buffer.
- :meth:`BoardEmulator.set_power` is the board's supply: off, the chip hears and sends nothing
  and loses its buffer and the bytes in flight; on again, it powers up ``power_on_delay_s`` later
  with RESET reason 1 (brown-out), registers kept (as the golden core keeps them), sampling on.
- One SEQ counter for everything the chip sends (answers, events, STATUS), from 0 after every
  RESET event, wrapping at 255.
- Bytes leave at the UART byte time (10 bits per byte at ``baudrate``: 86.8 µs at 115200), never
  faster; bytes sent while no TCP client is connected are lost, as on an unconnected UART.

Every frame sent is logged in :attr:`BoardEmulator.sent` (time, frame, whether a host was
connected), for tests that compare what arrived with what left.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
import tty
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np

from bench.errors import UsageError
from chip_sim.core.chip import Chip, CoreOutput, check_codes
from chip_sim.core.config import CoreConfig
from chip_sim.core.events import STATUS_DTYPE, canonical
from chip_sim.core.frames import indexed_frames
from chip_sim.core.host import HostPort
from chip_sim.core.reference import EpochCore
from chip_sim.icd import (
    Command,
    EventCode,
    EventPayload,
    Frame,
    FrameDecoder,
    FrameType,
    StatusPayload,
)
from chip_sim.registers import RegisterFile

DEFAULT_BAUD = 115200
BITS_PER_BYTE = 10  # 8N1: start, 8 data, stop
POWER_ON_DELAY_S = 0.05
_IDLE_POLL_S = 0.005


@dataclass(frozen=True)
class SentFrame:
    """One frame the emulator started to send: ``t_s`` on ``time.monotonic()``'s clock of its
    first byte; ``delivered`` is False when no host was connected (the bytes went nowhere)."""

    t_s: float
    frame: Frame
    delivered: bool


def parse_listen(listen: str) -> tuple[str, int] | None:
    """``socket://HOST:PORT`` → (host, port), ``pty`` → None; :class:`UsageError` otherwise."""
    if listen == "pty":
        return None
    parts = urlsplit(listen)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "socket" or not parts.hostname or port is None or parts.path:
        raise UsageError(
            f"--listen {listen}: expected socket://HOST:PORT (PORT 0 picks a free port)"
        )
    return parts.hostname, port


class BoardEmulator:
    """The chip on a board, behind a TCP port or a pty (see the module documentation).

    ``listen``: ``socket://HOST:PORT`` (PORT 0: a free port) or ``pty``; ``registers``: the
    chip's power-on register values (names → values, or a RegisterFile, copied); ``speed``: time
    compression of the sample clock (1.0 = real time); ``baudrate`` sets the byte time only.
    """

    def __init__(
        self,
        listen: str = "socket://127.0.0.1:0",
        *,
        registers: Mapping[str, int] | RegisterFile | None = None,
        speed: float = 1.0,
        baudrate: int = DEFAULT_BAUD,
        power_on_delay_s: float = POWER_ON_DELAY_S,
    ) -> None:
        if not speed > 0:
            raise UsageError(f"speed {speed!r}: expected a number > 0")
        address = parse_listen(listen)
        values = registers.values() if isinstance(registers, RegisterFile) else registers
        rw = {
            r.name
            for r in RegisterFile().map
            if r.writable  # RegisterFile() refuses read-only names
        }
        self.port = HostPort(RegisterFile({k: v for k, v in (values or {}).items() if k in rw}))
        self.speed = float(speed)
        self.byte_time_s = BITS_PER_BYTE / baudrate
        self.power_on_delay_s = power_on_delay_s
        self.sent: list[SentFrame] = []
        self._lock = threading.Lock()
        self._codes = np.zeros((0, 8), dtype=np.int16)
        self._brownouts: tuple[tuple[int, int], ...] = ()
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()
        # transport
        self._server: socket.socket | None = None
        self._client: socket.socket | None = None
        self._master: int | None = None
        self._slave: int | None = None
        if address is None:
            self._master, self._slave = os.openpty()
            tty.setraw(self._slave)
            os.set_blocking(self._master, False)
            self.url = os.ttyname(self._slave)
            os.close(self._slave)  # reading the master gives EIO until a host opens the slave
            self._slave = None
        else:
            self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                self._server.bind(address)
            except OSError as exc:
                self._server.close()
                raise UsageError(f"--listen {listen}: cannot listen there ({exc})") from None
            self._server.listen(4)
            self._server.setblocking(False)
            host, port = self._server.getsockname()[:2]
            self.url = f"socket://{host}:{port}"
        self._decoder = FrameDecoder()
        self._pty_host = False
        self._epoch_reason = 0
        self._reset_state()
        self._powered = False
        self._was_powered = False
        self._power_on_at: float | None = None
        self._answers: deque[tuple[object, Command | None, float]] = deque()
        self._stream_q: deque[tuple[object, float]] = deque()
        self._tx = b""
        self._tx_t0 = 0.0
        self._tx_done = 0
        self._tx_after: Command | None = None
        self._line_free = 0.0
        self._seq = 0

    # --- public API -----------------------------------------------------------------------------

    def load_codes(self, codes: np.ndarray, brownouts: tuple[tuple[int, int], ...] = ()) -> None:
        """The stimulus (ICD codes, shape (N, 8), int16) the next START after a reset plays."""
        codes = check_codes(codes)
        with self._lock:
            self._codes = codes
            self._brownouts = tuple((int(a), int(b)) for a, b in brownouts)
            self._reset_state()

    def set_power(self, on: bool) -> None:
        """The board's supply (see the module documentation): off at once; on, the chip powers
        up ``power_on_delay_s`` later with RESET reason 1."""
        with self._lock:
            if not on:
                self._powered, self._power_on_at = False, None
                self._answers.clear()
                self._stream_q.clear()
                self._tx, self._tx_after = b"", None
                self.port.stimulus.clear()
                self._reset_state()
            elif not self._powered and self._power_on_at is None:
                self._power_on_at = time.monotonic() + self.power_on_delay_s

    def start(self) -> BoardEmulator:
        """Run the emulator in a background thread; the board powers on when a host appears."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="board-emulator", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop the thread and close the port (a connected host sees the link end)."""
        self._closing.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for sock in (self._client, self._server):
            if sock is not None:
                sock.close()
        self._client = self._server = None
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None

    def __enter__(self) -> BoardEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        return self._client is not None or self._pty_host

    def sent_frames(self, *types: int) -> list[Frame]:
        """Frames sent so far (optionally of the given TYPEs), in order."""
        with self._lock:
            return [s.frame for s in self.sent if not types or s.frame.frame_type in types]

    # --- chip state -----------------------------------------------------------------------------

    def _reset_state(self) -> None:
        """Stream stopped and rewound (power-on, command reset, new stimulus)."""
        self._items: list[tuple[int, object]] | None = None
        self._next = 0
        self._running = False
        self._pos = 0.0  # samples of the stimulus played
        self._clock_t0 = 0.0
        self._clock_p0 = 0.0
        self._rate = 100.0
        self._epoch = 0
        self._live = {"STEP_COUNT": 0, "FAULT_FLAGS": 0, "EVENTS_DROPPED": 0}
        self._sampling = True  # as the chip after every reset; STOP / START (host-port replay)
        self._core: EpochCore | None = None
        self._core_sent = (1, 0)  # (events, STATUS) of the core already queued; RESET announced

    def _prepare(self) -> None:
        out = Chip(self.port.registers).run(self._codes, brownouts=self._brownouts)
        # the frames in the chip's sending order; SEQ is the emulator's own (answers interleave)
        items = [(i, 0, f.decode_payload()) for i, f in indexed_frames(out)]
        first = items[0][2] if items else None
        if isinstance(first, EventPayload) and first.code == EventCode.RESET and items[0][0] == 0:
            items = items[1:]  # announced by the chip's own reset already
        self._items = [(i, p) for i, _, p in items]
        self._next = 0

    def _position(self, now: float) -> float:
        if not self._running:
            return self._pos
        return self._clock_p0 + (now - self._clock_t0) * self._rate * self.speed

    def _off(self, now: float) -> bool:
        if not self._powered:
            return True
        p = self._position(now)
        return any(a <= p < b for a, b in self._brownouts) and self._items is not None

    def _live_values(self, now: float) -> dict[str, int]:
        if self._core is not None:
            return {**self._live, "SAMPLE_INDEX": self._core.samples}
        p = min(int(self._position(now)), len(self._codes))
        return {**self._live, "SAMPLE_INDEX": max(0, p - self._epoch)}

    def _advance(self, now: float) -> None:
        if not self._running or self._items is None:
            return
        p = self._position(now)
        while self._next < len(self._items) and self._items[self._next][0] + 1 <= p:
            index, payload = self._items[self._next]
            self._next += 1
            if isinstance(payload, EventPayload) and payload.code == EventCode.RESET:
                self._epoch = index
            self._note(payload)
            due = self._clock_t0 + (index + 1 - self._clock_p0) / (self._rate * self.speed)
            self._stream_q.append((payload, due))
        if p >= len(self._codes) and self._next >= len(self._items):
            self._pos = float(len(self._codes))
            self._running = False

    def _host_frame(self, frame: Frame, now: float) -> None:
        if self._off(now):
            return  # an unpowered chip hears nothing
        answer = self.port.answer(frame, self._live_values(now))
        self._answers.append((answer.reply, answer.action, now))
        if frame.frame_type == FrameType.STIMULUS:
            self._take(now)

    def _take(self, now: float) -> None:
        """Host-port replay: the core takes every buffered row; its new frames are queued."""
        if not self._sampling or self.port.registers["STIM_SOURCE"] != 1:
            return
        stimulus = self.port.stimulus
        while (row := stimulus.take()) is not None:
            if self._core is None:
                cfg = CoreConfig.from_registers(self.port.registers)
                self._core = EpochCore(cfg, offset=0, reset_reason=self._epoch_reason)
            self._core.step(row)
        if self._core is None:
            return
        events, status = self._core.events, self._core.status
        n_ev, n_st = self._core_sent
        self._core_sent = (len(events), len(status))
        # only samples taken now decided these: their order on their own is the whole stream's
        new = CoreOutput(canonical(events[n_ev:]), np.array(status[n_st:], dtype=STATUS_DTYPE))
        for _index, frame in indexed_frames(new):
            payload = frame.decode_payload()
            self._note(payload)
            self._stream_q.append((payload, now))

    def _note(self, payload: object) -> None:
        """The live registers as the frame the chip is about to send leaves them."""
        if isinstance(payload, EventPayload):
            if payload.code == EventCode.RESET:
                self._live = {"STEP_COUNT": 0, "FAULT_FLAGS": 0, "EVENTS_DROPPED": 0}
            elif payload.code == EventCode.STEP:
                self._live["STEP_COUNT"] = payload.value
        elif isinstance(payload, StatusPayload):
            self._live = {
                "STEP_COUNT": payload.step_count,
                "FAULT_FLAGS": payload.fault_flags,
                "EVENTS_DROPPED": payload.events_dropped,
            }

    def _act(self, action: Command | None, now: float) -> None:
        if action in (Command.START, Command.STOP):
            self._sampling = action == Command.START
        if action == Command.START and self.port.registers["STIM_SOURCE"] == 1:
            self._take(now)
        elif action == Command.START and not self._running:
            if self._items is None:
                self._prepare()
                self._rate = float(self.port.registers["SAMPLE_RATE_HZ"])
            if self._pos < len(self._codes):
                self._running, self._clock_t0, self._clock_p0 = True, now, self._pos
        elif action == Command.STOP and self._running:
            self._advance(now)
            self._pos = self._position(now)
            self._running = False
        elif action == Command.RESET:
            self._reset_state()
            self._epoch_reason = 2
            self.port.stimulus.clear()
            self._stream_q.clear()
            self._answers.append((EventPayload(int(EventCode.RESET), 0, 0, 2), None, now))

    # --- the loop -------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._closing.is_set():
            now = time.monotonic()
            timeout = _IDLE_POLL_S
            if self._tx:  # next byte, in steps of at least half a millisecond
                due = self._tx_t0 + (self._tx_done + 1) * self.byte_time_s
                timeout = min(timeout, max(due - now, 0.0005))
            elif self._running and self._items is not None and self._next < len(self._items):
                wait = (self._items[self._next][0] + 1 - self._position(now)) / (
                    self._rate * self.speed
                )
                timeout = min(timeout, max(wait, 0.0))
            elif self._power_on_at is not None:
                timeout = min(timeout, max(self._power_on_at - now, 0.0))
            readers: list[object] = []
            if self._client is not None:  # a leaving client before a new one
                readers.append(self._client)
            if self._server is not None:
                readers.append(self._server)
            if self._master is not None:
                if self._pty_host:
                    readers.append(self._master)
                else:
                    self._probe_pty()
            try:
                ready, _, _ = select.select(readers, [], [], timeout)
            except (OSError, ValueError):
                break
            for r in ready:
                if r is self._server:
                    self._accept()
                else:
                    self._receive()
            now = time.monotonic()
            with self._lock:
                if self._power_on_at is not None and now >= self._power_on_at:
                    self._power_on_at = None
                    self._powered = True
                    reason = 1 if self._was_powered else 0  # a brown-out, after the first
                    self._was_powered = True
                    self._reset_state()
                    # a brown-out keeps the registers and sampling runs on (as the golden core)
                    self._epoch_reason = reason
                    self._answers.append(
                        (EventPayload(int(EventCode.RESET), 0, 0, reason), None, now)
                    )
                self._advance(now)
                self._pump(now)

    def _accept(self) -> None:
        try:
            conn, _ = self._server.accept()  # type: ignore[union-attr]
        except OSError:
            return
        if self._client is not None and self._client_alive():  # one client at a time
            conn.close()
            return
        self._drop_client()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.setblocking(False)
        self._client = conn
        self._decoder = FrameDecoder()
        if not self._powered and self._power_on_at is None:
            self._power_on_at = time.monotonic() + self.power_on_delay_s

    def _probe_pty(self) -> None:
        """Is a host holding the pty slave open? EIO on the master says no."""
        try:
            data = os.read(self._master, 4096)  # type: ignore[arg-type]
        except BlockingIOError:
            data = b""
        except OSError:
            return
        self._pty_host = True
        self._decoder = FrameDecoder()
        if not self._powered and self._power_on_at is None:
            self._power_on_at = time.monotonic() + self.power_on_delay_s
        if data:
            with self._lock:
                for frame in self._decoder.feed(data):
                    self._host_frame(frame, time.monotonic())

    def _client_alive(self) -> bool:
        try:
            return self._client.recv(1, socket.MSG_PEEK) != b""  # type: ignore[union-attr]
        except BlockingIOError:
            return True
        except OSError:
            return False

    def _drop_client(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _receive(self) -> None:
        try:
            if self._client is not None:
                data = self._client.recv(4096)
                if not data:
                    self._drop_client()
                    return
            elif self._master is not None:
                data = os.read(self._master, 4096)
            else:
                return
        except BlockingIOError:
            return
        except OSError:
            if self._client is not None:
                self._drop_client()
            else:
                self._pty_host = False  # the host closed the slave
            return
        now = time.monotonic()
        with self._lock:
            for frame in self._decoder.feed(data):
                self._host_frame(frame, now)

    def _write(self, data: bytes) -> None:
        try:
            if self._client is not None:
                self._client.sendall(data)
            elif self._master is not None and self._pty_host:
                os.write(self._master, data)
        except BlockingIOError:
            pass  # nobody reads the pty: the bytes are lost, as on a UART
        except OSError:
            self._drop_client()

    def _pump(self, now: float) -> None:
        """Send the bytes of the current frame that the line has had time for; start the next."""
        while True:
            if self._tx:
                due = min(len(self._tx), int((now - self._tx_t0) / self.byte_time_s))
                if due > self._tx_done:
                    self._write(self._tx[self._tx_done : due])
                    self._tx_done = due
                if self._tx_done < len(self._tx):
                    return
                self._line_free = self._tx_t0 + len(self._tx) * self.byte_time_s
                self._tx, after = b"", self._tx_after
                self._tx_after = None
                if after is not None:
                    self._act(after, now)
                    self._advance(now)
            payload: object
            if self._answers:
                payload, action, ready = self._answers.popleft()
            elif self._stream_q:
                (payload, ready), action = self._stream_q.popleft(), None
            else:
                return
            if isinstance(payload, EventPayload) and payload.code == EventCode.RESET:
                self._seq = 0
            frame = Frame.from_payload(payload, self._seq)  # type: ignore[arg-type]
            self._seq = (self._seq + 1) & 0xFF
            # back to back when it was ready while the line was busy: the line's time, not the
            # loop's wake-up latency, sets the pace
            self._tx_t0 = max(min(ready, now), self._line_free)
            self._tx, self._tx_done, self._tx_after = frame.encode(), 0, action
            self.sent.append(SentFrame(self._tx_t0, frame, self.connected))
