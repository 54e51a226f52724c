"""``LinkProxy``: a fault-injecting TCP proxy between a host (a ``SerialDut`` on
``socket://127.0.0.1:<proxy port>``) and a board (the ``BoardEmulator``'s TCP port).

It listens on 127.0.0.1 (a free port) and, for each client connection, opens one to the target
and forwards both ways, injecting faults into the faulted direction(s) (``direction="both"`` or
``"chip_to_host"`` only):

- ``ber``: each bit is flipped with this probability;
- ``drop_rate``: each byte is dropped with this probability;
- ``burst_rate``: before each byte, with this probability, a burst of random garbage of
  ``burst_bytes = (min, max)`` bytes is inserted.

All randomness comes from the one ``numpy.random.Generator`` given (seeded by the caller): it
seeds one generator per connection and direction, whose faults are drawn byte by byte, so a
run's faults depend on the seed and the byte offsets only, not on the sockets' chunking.
:meth:`LinkProxy.disconnect` closes both sides of the current connection; the client's next
connection opens a new one to the target.

What it did is counted (``bits_flipped``, ``bytes_dropped``, ``bursts``, ``burst_bytes_inserted``,
``bytes_in``) and every touched byte is logged in ``touched`` as (connection number, direction,
offset of the byte in that connection's original stream) so that tests can tell which frames the
proxy corrupted.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field

import numpy as np

DIRECTIONS = ("both", "chip_to_host")
C2H, H2C = "chip_to_host", "host_to_chip"


@dataclass
class ProxyCounts:
    bytes_in: dict[str, int] = field(default_factory=lambda: {C2H: 0, H2C: 0})
    bits_flipped: int = 0
    bytes_dropped: int = 0
    bursts: int = 0
    burst_bytes_inserted: int = 0
    connections: int = 0
    disconnects: int = 0


class LinkProxy:
    """A TCP proxy on 127.0.0.1 to ``target_host:target_port`` that damages the bytes."""

    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        rng: np.random.Generator,
        ber: float = 0.0,
        drop_rate: float = 0.0,
        burst_rate: float = 0.0,
        burst_bytes: tuple[int, int] = (1, 16),
        direction: str = "both",
    ) -> None:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction {direction!r}; expected one of {', '.join(DIRECTIONS)}")
        for what, p in (("ber", ber), ("drop_rate", drop_rate), ("burst_rate", burst_rate)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{what} = {p!r}; expected a probability 0..1")
        if not 1 <= burst_bytes[0] <= burst_bytes[1]:
            raise ValueError(f"burst_bytes = {burst_bytes!r}; expected (min, max), 1 <= min <= max")
        self.target = (target_host, target_port)
        self.rng = rng
        self.ber, self.drop_rate, self.burst_rate = ber, drop_rate, burst_rate
        self.burst_bytes = burst_bytes
        self.direction = direction
        self.counts = ProxyCounts()
        self.touched: list[tuple[int, str, int]] = []
        self._lock = threading.Lock()
        self._pair: tuple[socket.socket, socket.socket] | None = None
        self._closing = False
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(4)
        self.port: int = self._server.getsockname()[1]
        self.url = f"socket://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._accept_loop, name="link-proxy", daemon=True)
        self._thread.start()

    # --- public ---------------------------------------------------------------------------------

    @property
    def bits_flipped(self) -> int:
        return self.counts.bits_flipped

    @property
    def bytes_dropped(self) -> int:
        return self.counts.bytes_dropped

    @property
    def bursts(self) -> int:
        return self.counts.bursts

    def disconnect(self) -> None:
        """Close both sides of the current connection (the client may connect again)."""
        with self._lock:
            pair, self._pair = self._pair, None
            if pair is not None:
                self.counts.disconnects += 1
        if pair is not None:
            for s in pair:
                _close(s)

    def close(self) -> None:
        self._closing = True
        self.disconnect()
        _close(self._server)
        self._thread.join(timeout=2)

    def __enter__(self) -> LinkProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- forwarding -----------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        while not self._closing:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                target = socket.create_connection(self.target, timeout=2)
                target.settimeout(None)
            except OSError:
                _close(client)
                continue
            for s in (client, target):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.disconnect()  # one connection at a time, as on a serial line
            with self._lock:
                self._pair = (client, target)
                self.counts.connections += 1
                number = self.counts.connections
                seeds = [int(x) for x in self.rng.integers(0, 2**63, 2)]
            faulted_h2c = self.direction == "both"
            for src, dst, direction, seed, faulted in (
                (target, client, C2H, seeds[0], True),
                (client, target, H2C, seeds[1], faulted_h2c),
            ):
                faults = _Faults(self, seed, direction) if faulted else None
                threading.Thread(
                    target=self._pump,
                    args=(src, dst, direction, faults, number),
                    name=f"link-proxy-{direction}",
                    daemon=True,
                ).start()

    def _pump(
        self,
        src: socket.socket,
        dst: socket.socket,
        direction: str,
        faults: _Faults | None,
        number: int,
    ) -> None:
        offset = 0
        while True:
            try:
                data = src.recv(4096)
            except OSError:
                data = b""
            if not data:
                break
            out = self._damage(data, faults, number, offset) if faults is not None else data
            with self._lock:
                self.counts.bytes_in[direction] += len(data)
            offset += len(data)
            try:
                if out:
                    dst.sendall(out)
            except OSError:
                break
        with self._lock:  # one side ended: end the connection (unless a new one replaced it)
            if self._pair is not None and src in self._pair:
                self._pair = None
            else:
                src = dst = None  # type: ignore[assignment]
        if src is not None:
            _close(src)
            _close(dst)

    def _damage(self, data: bytes, faults: _Faults, number: int, offset: int) -> bytes:
        n = len(data)
        flips, drops, bursts = faults.take(n)
        buf = np.frombuffer(data, dtype=np.uint8) ^ flips
        keep = ~drops
        touched = np.flatnonzero((flips != 0) | drops | np.array([b is not None for b in bursts]))
        with self._lock:
            self.counts.bits_flipped += int(np.unpackbits(flips).sum())
            self.counts.bytes_dropped += int(drops.sum())
            inserted = [b for b in bursts if b is not None]
            self.counts.bursts += len(inserted)
            self.counts.burst_bytes_inserted += sum(len(b) for b in inserted)
            self.touched += [(number, faults.direction, offset + int(i)) for i in touched]
        if not inserted:
            return buf[keep].tobytes()
        out = bytearray()
        for i in range(n):
            if bursts[i] is not None:
                out += bursts[i]
            if keep[i]:
                out.append(int(buf[i]))
        return bytes(out)


class _Faults:
    """The faults of one direction of one connection, byte by byte: drawn in fixed blocks from a
    generator of its own, so they depend on the seed and the byte offset only — not on how the
    bytes happened to be chunked by the sockets."""

    BLOCK = 4096

    def __init__(self, proxy: LinkProxy, seed: int, direction: str) -> None:
        self.rng = np.random.default_rng(seed)
        self.direction = direction
        self.ber, self.drop_rate, self.burst_rate = proxy.ber, proxy.drop_rate, proxy.burst_rate
        self.lo, self.hi = proxy.burst_bytes
        self._flips = np.zeros(0, dtype=np.uint8)
        self._drops = np.zeros(0, dtype=bool)
        self._bursts: list[bytes | None] = []

    def _refill(self) -> None:
        b, rng = self.BLOCK, self.rng
        flips = np.packbits(rng.random((b, 8)) < self.ber, axis=1)[:, 0]
        drops = rng.random(b) < self.drop_rate
        at = rng.random(b) < self.burst_rate
        lengths = rng.integers(self.lo, self.hi + 1, b)
        content = rng.integers(0, 256, (b, self.hi), dtype=np.uint8)
        bursts = [content[i, : lengths[i]].tobytes() if at[i] else None for i in range(b)]
        self._flips = np.concatenate([self._flips, flips])
        self._drops = np.concatenate([self._drops, drops])
        self._bursts += bursts

    def take(self, n: int) -> tuple[np.ndarray, np.ndarray, list[bytes | None]]:
        while len(self._drops) < n:
            self._refill()
        out = (self._flips[:n], self._drops[:n], self._bursts[:n])
        self._flips, self._drops, self._bursts = (
            self._flips[n:],
            self._drops[n:],
            self._bursts[n:],
        )
        return out


def _close(s: socket.socket | None) -> None:
    if s is None:
        return
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    s.close()
