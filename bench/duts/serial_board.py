"""``SerialDut``: a chip on a board (or the :class:`~bench.duts.emulator.BoardEmulator`) behind a
serial link, as a :class:`bench.duts.protocol.Dut`.

The link is any URL pyserial's ``serial_for_url`` opens: a device (``/dev/ttyUSB0``), a pty slave
(``/dev/pts/5``), ``socket://host:port``, ``rfc2217://host:port``; 115200 baud 8N1 where the
device has a baud rate. A reader thread reads whatever arrived, timestamps each read with
``time.monotonic()`` right after it returned, feeds one :class:`chip_sim.icd.FrameDecoder` and
keeps every frame as a :class:`~bench.duts.protocol.ReceivedFrame` (``t_host_s`` = the time of
the read that completed the frame).

Requests (REG_WRITE, REG_READ, COMMAND) carry their own SEQ counter; the answer is the ACK/NACK
that echoes TYPE and SEQ (or, for REG_READ, a REG_VALUE of that address). NACK → NackError; no
answer within ``timeout_s`` → the request is sent again (``retries`` times), then
:class:`~bench.duts.protocol.DutGoneError` naming the DUT.

Two ways the stimulus reaches the chip (``stimulus=``):

- ``"front_end"`` (default): ``load_stimulus`` sends nothing — the board's analog stimulus comes
  from the waveform generator — so the codes only tell :meth:`SerialDut.run` how long the
  stimulus lasts (N samples at ``rate_hz`` / ``speed``). ``speed`` is the time compression of an
  emulated board (1.0 for a real one); it scales the expected stimulus duration and the STATUS
  period.
- ``"host"``: host-port sample replay (docs/host-replay.md). :meth:`SerialDut.run` writes
  STIM_SOURCE = 1, STARTs and streams the codes in STIMULUS frames of 15 samples, up to
  ``window_frames`` unacknowledged (go-back-N: a NACK 6 "buffer full" sends that frame again; a
  missing ACK, or a NACK 5 "not the next sample" behind a frame the line lost, sends again from
  the first frame not acknowledged; the chip acknowledges rows it took already without taking
  them twice). A brown-out of the stimulus is the station's supply (``power(False)``, then
  ``power(True)`` and the chip's RESET reason 1); the rows of the next epoch start at sample 0.
  Before a brown-out and at the end the host waits until the chip's SAMPLE_INDEX says it took
  every row and the line has been quiet for ``drain_s``.

:meth:`SerialDut.run` never loses what arrived: a link that ends (EOF, serial exception) or falls
silent — for 3 STATUS periods, at least 0.2 s and 25 register round trips as measured at the
run's start, watched by a reader that kept running (a stalled host restarts the watch) — ends
the run with ``Reception.aborted = "aborted: <reason>"`` and
every frame and byte received so far. ``socket://`` links are reopened after a disconnect (within
``reconnect_s``), counted in ``LinkStats.reconnects``; frames lost meanwhile show as SEQ gaps.
"""

from __future__ import annotations

import contextlib
import select
import threading
import time
from collections.abc import Callable
from dataclasses import fields

import numpy as np
import serial

from bench.duts.protocol import (
    DutError,
    DutGoneError,
    LinkStats,
    NackError,
    ReceivedFrame,
    Reception,
)
from chip_sim.icd import (
    STIMULUS_MAX_ROWS,
    Ack,
    Command,
    CommandPayload,
    EventCode,
    EventPayload,
    Frame,
    FrameDecoder,
    FrameType,
    Nack,
    NackReason,
    RegRead,
    RegValue,
    RegWrite,
    StimulusPayload,
    encode_frame,
)
from chip_sim.registers import register_map

BAUDRATE = 115200
DEFAULT_RATE_HZ = 100
DEFAULT_STATUS_PERIOD_SAMPLES = 100
#: a run ends when no byte arrived for this many STATUS periods (while the link is up) ...
SILENT_STATUS_PERIODS = 3
#: ... but never sooner than this: host scheduling jitter at an emulator's high ``speed`` ...
MIN_SILENCE_S = 0.2
#: ... nor than this many register round trips as measured at the run's start (a loaded host
#: answers, and schedules the reader, more slowly: the bound follows the measured pace)
SILENCE_ROUND_TRIPS = 25
_ANSWER_TYPES = {int(FrameType.ACK), int(FrameType.NACK), int(FrameType.REG_VALUE)}
_POLL_S = 0.02
#: a reader that looks again only after this many poll intervals was not running meanwhile
STALL_POLLS = 5


class SerialDut:
    """The chip behind a serial URL (see the module documentation)."""

    def __init__(
        self,
        url: str,
        *,
        name: str = "serial",
        timeout_s: float = 1.0,
        retries: int = 2,
        speed: float = 1.0,
        reconnect_s: float | None = None,
        drain_s: float = 0.25,
        stimulus: str = "front_end",
        power: Callable[[bool], None] | None = None,
        window_frames: int = 4,
    ) -> None:
        if stimulus not in ("front_end", "host"):
            raise DutError(f"{name}: stimulus {stimulus!r}; expected front_end or host")
        self.stimulus = stimulus
        self.power = power
        self.window_frames = window_frames
        self._replay: tuple[np.ndarray, tuple[tuple[int, int], ...]] | None = None
        self.name = name
        self.url = url
        self.timeout_s = timeout_s
        self.retries = retries
        self.speed = speed
        self.drain_s = drain_s
        self.reconnect_s = timeout_s if reconnect_s is None else reconnect_s
        self._lock = threading.Condition()
        self._write_lock = threading.Lock()
        self._decoder = FrameDecoder()
        self._frames: list[ReceivedFrame] = []
        self._raw = bytearray()
        self._answers: list[Frame] = []
        self._last_rx = time.monotonic()
        self._last_poll = self._last_rx  # the reader's last look at the link
        self._empty_since: float | None = None  # awake and finding nothing since
        self._reconnects = 0
        self._gone: str | None = None
        self._reconnecting = False
        self._closing = False
        self._seq = 0
        self._stimulus_samples: int | None = None
        self._ser = self._open()
        self._thread = threading.Thread(target=self._reader, name=f"{name}-reader", daemon=True)
        self._thread.start()

    # --- the link -------------------------------------------------------------------------------

    def _open(self) -> serial.SerialBase:
        try:
            return serial.serial_for_url(self.url, baudrate=BAUDRATE, timeout=0)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DutGoneError(f"{self.name}: cannot open {self.url}: {exc}") from None

    def _wait_readable(self, ser: serial.SerialBase) -> None:
        try:
            select.select([ser.fileno()], [], [], _POLL_S)
        except (AttributeError, NotImplementedError, ValueError, OSError, TypeError):
            time.sleep(0.002)  # rfc2217 and others without a file descriptor: poll

    def _reader(self) -> None:
        while not self._closing:
            ser = self._ser
            try:
                self._wait_readable(ser)
                if self._closing:
                    break
                data = ser.read(65536)
                self._looked(bool(data))
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                if self._closing:
                    break
                if not self._reconnect(exc):
                    return
                continue
            if not data:
                continue
            t = time.monotonic()
            with self._lock:
                self._last_rx = t
                self._raw += data
                for frame in self._decoder.feed(data):
                    self._accept(frame, t)
                self._lock.notify_all()

    def _looked(self, got_data: bool) -> None:
        """Silence is what the reader sees while it runs: a look that comes much later than the
        poll interval means the host stalled (a loaded machine), and the watch starts again."""
        now = time.monotonic()
        stalled = now - self._last_poll > STALL_POLLS * _POLL_S
        self._last_poll = now
        if got_data:
            self._empty_since = None
        elif self._empty_since is None or stalled:
            self._empty_since = now

    def _silent_for(self) -> float:
        """How long the reader, awake, has found nothing on the link."""
        since = self._empty_since
        return 0.0 if since is None else self._last_poll - since

    def _accept(self, frame: Frame, t: float) -> None:
        self._frames.append(ReceivedFrame(frame, t))
        if frame.frame_type in _ANSWER_TYPES:
            self._answers.append(frame)

    def _reconnect(self, exc: BaseException) -> bool:
        reason = str(exc) or type(exc).__name__
        socket_url = self.url.startswith("socket://")
        with self._lock:  # frames held back are decided; one cut short is skipped
            self._reconnecting = socket_url
            for frame in self._decoder.flush():
                self._accept(frame, time.monotonic())
        try:
            with contextlib.suppress(Exception):
                self._ser.close()  # pyserial's socket close waits 0.3 s "for the server"
            if not socket_url:
                return self._lost(f"link to {self.url} lost ({reason})")
            return self._reopen(reason)
        finally:
            self._reconnecting = False

    def _reopen(self, reason: str) -> bool:
        deadline = time.monotonic() + self.reconnect_s
        last = reason
        while not self._closing and time.monotonic() < deadline:
            try:
                ser = serial.serial_for_url(self.url, baudrate=BAUDRATE, timeout=0)
            except (serial.SerialException, OSError) as err:
                last = str(err)
                time.sleep(0.05)
                continue
            with self._lock:
                self._ser = ser
                self._reconnects += 1
                self._last_rx = time.monotonic()
                self._lock.notify_all()
            return True
        return self._lost(f"link to {self.url} lost ({reason}); reconnecting failed: {last}")

    def _lost(self, reason: str) -> bool:
        with self._lock:
            self._gone = reason
            self._lock.notify_all()
        return False

    def _send(self, data: bytes) -> None:
        # a failed write: the reader sees the link end; the request is retried or times out
        errors = (serial.SerialException, OSError, TypeError, AttributeError)
        with self._write_lock, contextlib.suppress(*errors):
            self._ser.write(data)

    # --- requests -------------------------------------------------------------------------------

    def _request(self, frame_type: int, payload: bytes, what: str, match: Callable) -> Frame:
        """Send a host frame, return its answer; NackError / DutGoneError as documented."""
        seqs: list[int] = []
        with self._lock:
            self._answers.clear()
        for _attempt in range(self.retries + 1):
            with self._lock:
                if self._gone:
                    raise DutGoneError(f"{self.name}: {what}: {self._gone}")
            seq, self._seq = self._seq, (self._seq + 1) & 0xFF
            seqs.append(seq)
            self._send(encode_frame(frame_type, seq, payload))
            deadline = time.monotonic() + self.timeout_s
            with self._lock:
                while True:
                    for i, answer in enumerate(self._answers):
                        reply = answer.decode_payload()
                        if isinstance(reply, Nack) and (
                            reply.echoed_type == frame_type and reply.echoed_seq in seqs
                        ):
                            del self._answers[i]
                            raise NackError(self.name, what, reply.reason)
                        if match(reply, seqs):
                            del self._answers[i]
                            return answer
                    left = deadline - time.monotonic()
                    if left <= 0 or self._gone:
                        break
                    self._lock.wait(left)
        raise DutGoneError(
            f"{self.name}: {what}: no answer in {len(seqs)} tries of {self.timeout_s:g} s"
            + (f" ({self._gone})" if self._gone else "")
        )

    def _acked(self, frame_type: int) -> Callable:
        def match(reply: object, seqs: list[int]) -> bool:
            return (
                isinstance(reply, Ack)
                and reply.echoed_type == frame_type
                and reply.echoed_seq in seqs
            )

        return match

    def _command(self, cmd: Command) -> None:
        self._request(
            FrameType.COMMAND,
            CommandPayload(int(cmd)).encode(),
            f"COMMAND {cmd.name}",
            self._acked(FrameType.COMMAND),
        )

    def write_register(self, name: str, value: int) -> None:
        """REG_WRITE by register name; NackError when the chip refuses."""
        addr = register_map().by_name(name).addr
        self._request(
            FrameType.REG_WRITE,
            RegWrite(addr, value).encode(),
            f"REG_WRITE {name} = {value}",
            self._acked(FrameType.REG_WRITE),
        )

    def read_register(self, name: str) -> int:
        """REG_READ by register name; NackError when the chip refuses."""
        addr = register_map().by_name(name).addr

        def match(reply: object, seqs: list[int]) -> bool:
            return isinstance(reply, RegValue) and reply.addr == addr

        answer = self._request(
            FrameType.REG_READ, RegRead(addr).encode(), f"REG_READ {name}", match
        )
        return RegValue.decode(answer.payload).value

    def reset(self) -> None:
        """COMMAND RESET; returns once the chip's RESET event (reason 2) has arrived."""
        with self._lock:
            mark = len(self._frames)
        self._command(Command.RESET)
        if self.wait_for(_is_reset(2), timeout_s=self.timeout_s, start=mark) is None:
            raise DutGoneError(
                f"{self.name}: COMMAND RESET acknowledged but no RESET event in "
                f"{self.timeout_s:g} s"
            )

    def load_stimulus(self, codes: np.ndarray, brownouts: tuple[tuple[int, int], ...] = ()) -> None:
        """Front end: nothing goes to the board (its stimulus comes from the waveform
        generator); the number of samples sets the duration :meth:`run` waits for. Host replay:
        the codes :meth:`run` streams, and the brown-outs it asks the supply for."""
        self._stimulus_samples = len(codes)
        if self.stimulus == "host":
            if brownouts and self.power is None:
                raise DutError(
                    f"{self.name}: the stimulus has brown-outs {list(brownouts)} but this board "
                    "has no supply to switch (power=)"
                )
            self._replay = (np.asarray(codes, dtype=np.int16), tuple(sorted(brownouts)))

    def start(self) -> None:
        self._command(Command.START)

    def stop(self) -> None:
        self._command(Command.STOP)

    # --- frames ---------------------------------------------------------------------------------

    @property
    def received(self) -> list[ReceivedFrame]:
        """Every frame received since the link opened, in arrival order."""
        with self._lock:
            return list(self._frames)

    def stats(self) -> LinkStats:
        """The decoder's statistics since the link opened, and the reconnects."""
        with self._lock:
            return self._stats()

    def _stats(self) -> LinkStats:
        d = self._decoder
        return LinkStats(
            d.frames_ok, d.crc_errors, d.bad_length, d.bytes_skipped, d.seq_gaps, self._reconnects
        )

    def wait_for(
        self, predicate: Callable[[Frame], bool], *, timeout_s: float, start: int = 0
    ) -> ReceivedFrame | None:
        """The first frame from index ``start`` on that satisfies ``predicate``, or None."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            i = start
            while True:
                for rf in self._frames[i:]:
                    if predicate(rf.frame):
                        return rf
                i = max(i, len(self._frames))
                left = deadline - time.monotonic()
                if left <= 0 or self._gone:
                    return None
                self._lock.wait(left)

    def _settings(self) -> tuple[float, float, float]:
        """(sample rate Hz, STATUS period s, a register round trip s): the chip as configured,
        from its registers, and as fast as it answers now."""
        t0 = time.monotonic()
        try:
            rate = self.read_register("SAMPLE_RATE_HZ")
            t1 = time.monotonic()
            period = self.read_register("STATUS_PERIOD_SAMPLES")
            # the faster of the two: the first may include a retry (a board still powering up)
            rtt = min(t1 - t0, time.monotonic() - t1)
        except DutError:
            rate, period, rtt = DEFAULT_RATE_HZ, DEFAULT_STATUS_PERIOD_SAMPLES, 0.0
        return float(rate), period / rate / self.speed, rtt

    def run(self, timeout_s: float | None = None, *, duration_s: float | None = None) -> Reception:
        """Front end: START, collect for the stimulus duration (``duration_s``, else the loaded
        stimulus's length) plus ``drain_s``, STOP; everything received meanwhile (all frame
        types, arrival order; the RESET that opened the epoch came before, in :attr:`received`).
        ``timeout_s`` caps the whole run (cutting the stimulus short counts as aborted). A link
        that ends or falls silent ends the run early with ``aborted`` set; nothing received is
        dropped. Host replay: see :meth:`replay`."""
        if self.stimulus == "host":
            return self.replay()
        rate, status_period, rtt = self._settings()
        if duration_s is None and self._stimulus_samples is not None:
            duration_s = self._stimulus_samples / rate / self.speed
        if duration_s is None and timeout_s is None:
            raise DutError(f"{self.name}: run() needs duration_s, a loaded stimulus or timeout_s")
        start = self._mark()
        t0 = time.monotonic()
        end = t0 + duration_s + self.drain_s if duration_s is not None else float("inf")
        if timeout_s is not None:
            end = min(end, t0 + timeout_s)
        silent_s = max(
            SILENT_STATUS_PERIODS * status_period, MIN_SILENCE_S, SILENCE_ROUND_TRIPS * rtt
        )
        aborted = None
        try:
            self.start()
        except DutError as exc:
            aborted = f"aborted: {exc}"
        with self._lock:
            while aborted is None:
                now = time.monotonic()
                if self._gone:
                    aborted = f"aborted: {self._gone}"
                elif now >= end:
                    if duration_s is not None and now < t0 + duration_s:
                        aborted = (
                            f"aborted: timeout after {timeout_s:g} s, before the stimulus's "
                            f"{duration_s:g} s had passed"
                        )
                    break
                elif (
                    duration_s is not None
                    and now < t0 + duration_s
                    and not self._reconnecting
                    and now - self._last_rx > silent_s
                    # watched by a reader that kept running: a stalled host has bytes waiting
                    # in the socket, or an emulator in its own process behind, not a silent board
                    and self._silent_for() > silent_s
                ):
                    aborted = (
                        f"aborted: no bytes for {now - self._last_rx:.2f} s "
                        f"(limit {silent_s:.2f} s: {SILENT_STATUS_PERIODS} STATUS periods, at "
                        f"least {MIN_SILENCE_S:g} s and {SILENCE_ROUND_TRIPS} round trips)"
                    )
                else:
                    self._lock.wait(min(end - now, _POLL_S * 5))
        if aborted is None:
            try:
                self.stop()
            except DutError as exc:
                aborted = f"aborted: {exc}"
        return self._reception_since(start, aborted)

    # --- host-port sample replay ----------------------------------------------------------------

    def replay(self) -> Reception:
        """Stream the loaded codes to the chip through its host port (module documentation);
        everything received meanwhile, headed by the RESET event that opened the epoch,
        ``samples`` = the codes the chip took. A DUT error ends
        the run early with ``aborted`` set and what arrived kept."""
        if self._replay is None:
            raise DutError(f"{self.name}: replay() needs a loaded stimulus")
        codes, brownouts = self._replay
        start = self._mark()
        starts = [0] + [b1 for _, b1 in brownouts]
        ends = [b0 for b0, _ in brownouts] + [len(codes)]
        aborted = None
        try:
            self.write_register("STIM_SOURCE", 1)
            self.start()
            for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
                if k:
                    self._brown_out()
                self._stream(codes[a:b])
                self._drained(b - a)
            self.stop()
        except DutError as exc:
            aborted = f"aborted: {exc}"
        # the RESET that opened this epoch (power-on, command or brown-out) came before the
        # replay; it heads the epoch's frames, as in the core's output
        return self._reception_since(
            start, aborted, with_opening_reset=True, samples=None if aborted else codes
        )

    def _mark(self) -> tuple[int, int, LinkStats]:
        """Where a run starts: frames and bytes received so far, and the link statistics."""
        with self._lock:
            return len(self._frames), len(self._raw), self._stats()

    def _reception_since(
        self,
        start: tuple[int, int, LinkStats],
        aborted: str | None,
        *,
        with_opening_reset: bool = False,
        samples: np.ndarray | None = None,
    ) -> Reception:
        """Everything received since ``start`` (a :meth:`_mark`), the statistics' growth."""
        mark, raw_mark, before = start
        with self._lock:
            after = self._stats()
            stats = LinkStats(
                **{f.name: getattr(after, f.name) - getattr(before, f.name) for f in fields(after)}
            )
            opened = []
            if with_opening_reset:
                opened = [rf for rf in self._frames[:mark] if _is_reset()(rf.frame)][-1:]
            return Reception(
                frames=opened + list(self._frames[mark:]),
                raw=bytes(self._raw[raw_mark:]),
                stats=stats,
                aborted=aborted,
                samples=samples,
            )

    def _brown_out(self) -> None:
        with self._lock:
            mark = len(self._frames)
        self.power(False)  # type: ignore[misc]
        time.sleep(0.02)  # the rail falls
        self.power(True)  # type: ignore[misc]
        if self.wait_for(_is_reset(1), timeout_s=self.timeout_s, start=mark) is None:
            raise DutGoneError(
                f"{self.name}: supply switched off and on but no RESET (brown-out) event in "
                f"{self.timeout_s:g} s"
            )

    def _drained(self, n_samples: int) -> None:
        """Wait until the chip took ``n_samples`` rows since its reset and the line is quiet."""
        deadline = time.monotonic() + self.timeout_s * (self.retries + 1)
        while (taken := self.read_register("SAMPLE_INDEX")) != n_samples:
            if time.monotonic() > deadline:
                raise DutGoneError(
                    f"{self.name}: the chip took {taken} of {n_samples} replayed samples"
                )
            time.sleep(0.005)
        with self._lock:
            while (quiet := time.monotonic() - self._last_rx) < self.drain_s and not self._gone:
                self._lock.wait(self.drain_s - quiet)

    def _stream(self, codes: np.ndarray) -> None:
        """Go-back-N over STIMULUS frames; returns once the chip acknowledged every row."""
        size = STIMULUS_MAX_ROWS
        chunks = -(-len(codes) // size)
        base = nxt = tries = 0
        acked: set[int] = set()
        inflight: dict[int, int] = {}  # SEQ → chunk
        stimulus = int(FrameType.STIMULUS)
        with self._lock:
            self._answers = [a for a in self._answers if not _echoes(a, stimulus)]
        while base < chunks:
            while nxt < chunks and nxt - base < self.window_frames:
                first = nxt * size
                payload = StimulusPayload(first, codes[first : first + size].tolist()).encode()
                seq, self._seq = self._seq, (self._seq + 1) & 0xFF
                inflight[seq] = nxt
                self._send(encode_frame(stimulus, seq, payload))
                nxt += 1
            replies = self._stimulus_replies(stimulus)
            if not replies:
                tries += 1
                if tries > self.retries:
                    raise DutGoneError(
                        f"{self.name}: STIMULUS from sample {base * size}: no answer in "
                        f"{tries} tries of {self.timeout_s:g} s"
                        + (f" ({self._gone})" if self._gone else "")
                    )
                nxt, inflight = base, {}
                continue
            tries, full = 0, False
            for reply in replies:
                chunk = inflight.pop(reply.echoed_seq, None)
                if chunk is None:
                    continue  # an answer to a frame abandoned by a go-back
                if isinstance(reply, Ack):
                    acked.add(chunk)
                elif reply.reason == NackReason.STIMULUS_FULL or (
                    reply.reason == NackReason.VALUE_OUT_OF_RANGE and chunk > base
                ):
                    # full: again once the core has taken rows; a gap: an earlier frame was
                    # lost on the line, so from the first one not acknowledged
                    full = reply.reason == NackReason.STIMULUS_FULL
                    nxt = min(nxt, chunk if full else base)
                    inflight = {s: c for s, c in inflight.items() if c < nxt}
                else:
                    raise NackError(
                        self.name, f"STIMULUS of samples {chunk * size}..", reply.reason
                    )
            while base in acked:
                base += 1
            if full:
                time.sleep(0.002)  # the core is taking the buffered rows

    def _stimulus_replies(self, stimulus: int) -> list:
        deadline = time.monotonic() + self.timeout_s
        with self._lock:
            while True:
                mine = [a for a in self._answers if _echoes(a, stimulus)]
                if mine:
                    self._answers = [a for a in self._answers if not _echoes(a, stimulus)]
                    return [a.decode_payload() for a in mine]
                left = deadline - time.monotonic()
                if left <= 0 or self._gone:
                    return []
                self._lock.wait(left)

    def close(self) -> None:
        """Stop the reader and close the link."""
        self._closing = True
        self._thread.join(timeout=2)
        with contextlib.suppress(Exception):
            self._ser.close()

    def __enter__(self) -> SerialDut:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_reset(reason: int | None = None) -> Callable[[Frame], bool]:
    """A predicate for RESET events (of ``reason``; any reason when None)."""

    def predicate(frame: Frame) -> bool:
        if frame.frame_type != FrameType.EVENT:
            return False
        event = EventPayload.decode(frame.payload)
        return event.code == EventCode.RESET and reason in (None, event.value)

    return predicate


is_reset_event = _is_reset


def _echoes(answer: Frame, frame_type: int) -> bool:
    """An ACK or NACK of a host frame of ``frame_type``."""
    return (
        answer.frame_type in (FrameType.ACK, FrameType.NACK)
        and bool(answer.payload)
        and (answer.payload[0] == frame_type)
    )
