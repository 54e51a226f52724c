"""A small threaded SCPI server on loopback, the base of the instrument twins.

The server listens on ``127.0.0.1`` only (port 0 picks a free port); :attr:`ScpiServer.resource`
is the pyvisa-py resource string ``TCPIP0::127.0.0.1::<port>::SOCKET``. Commands are
newline-terminated (several per line separated by ``;``); a query's answer is one line.
Every command received is recorded in :attr:`ScpiServer.commands`. An unknown command queues
``-113,"Undefined header"`` behind ``SYST:ERR?``. Subclasses add commands with :meth:`route`.

    with SupplyTwin(load_current_a=chip.current_a) as twin:
        supply = KeysightE36312A(twin.resource, backend="@py")
"""

from __future__ import annotations

import contextlib
import re
import socket
import socketserver
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

NO_ERROR = '+0,"No error"'
UNDEFINED_HEADER = '-113,"Undefined header"'
DATA_OUT_OF_RANGE = '-222,"Data out of range"'
ERROR_QUEUE_SIZE = 20
QUEUE_OVERFLOW = '-350,"Queue overflow"'

Handler = Callable[[re.Match[str]], "str | None"]


class ScpiCommandError(Exception):
    """Raised by a route to queue a SCPI error (its text, e.g. ``-222,"Data out of range"``)."""


class _Connection(socketserver.StreamRequestHandler):
    server: _TcpServer

    def handle(self) -> None:
        twin = self.server.twin
        twin._register(self.connection)
        try:
            for raw in self.rfile:
                line = raw.decode("ascii", errors="replace").strip()
                for command in filter(None, (part.strip() for part in line.split(";"))):
                    answer = twin.handle(command)
                    if answer is not None and not twin.mute:
                        self.wfile.write(answer.encode("ascii") + b"\n")
                        self.wfile.flush()
        except OSError:
            pass  # the client went away or the server is stopping: nothing to answer
        finally:
            twin._unregister(self.connection)


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], twin: ScpiServer) -> None:
        self.twin = twin
        super().__init__(address, _Connection)


class ScpiServer:
    """Threaded SCPI server; ``start``/``stop`` or use as a context manager.

    ``mute=True`` records commands but never answers (an instrument that hangs).
    """

    idn = "smile-bench,SCPI twin,0,0.1"

    def __init__(self, *, port: int = 0, mute: bool = False) -> None:
        self.mute = mute
        self.commands: list[str] = []
        self.errors: deque[str] = deque()
        self._lock = threading.RLock()
        self._routes: list[tuple[re.Pattern[str], Handler]] = []
        self._clients: set[socket.socket] = set()
        self._port = port
        self._server: _TcpServer | None = None
        self._thread: threading.Thread | None = None
        self.route(r"\*IDN\?", lambda m: self.idn)
        self.route(r"SYST(?:EM)?:ERR(?:OR)?(?::NEXT)?\?", lambda m: self._next_error())
        self.route(r"\*CLS", lambda m: self.errors.clear())
        self.route(r"\*RST", lambda m: self.reset())
        self.route(r"\*OPC\?", lambda m: "1")

    # --- routing ---

    def route(self, pattern: str, handler: Handler) -> None:
        """Answer commands that fully match ``pattern`` (case-insensitive) with ``handler``;
        a handler returns the answer of a query or ``None`` for a command."""
        self._routes.append((re.compile(pattern, re.IGNORECASE), handler))

    def handle(self, command: str) -> str | None:
        """Record and execute one command; the answer of a query, else ``None``."""
        with self._lock:
            self.commands.append(command)
            for pattern, handler in self._routes:
                match = pattern.fullmatch(command)
                if match is not None:
                    try:
                        return handler(match)
                    except (ScpiCommandError, ValueError) as exc:
                        text = str(exc) if isinstance(exc, ScpiCommandError) else DATA_OUT_OF_RANGE
                        self.push_error(text)
                        return None
            self.push_error(UNDEFINED_HEADER)
            return None

    def push_error(self, text: str) -> None:
        with self._lock:
            if len(self.errors) >= ERROR_QUEUE_SIZE:
                self.errors[-1] = QUEUE_OVERFLOW
            else:
                self.errors.append(text)

    def _next_error(self) -> str:
        return self.errors.popleft() if self.errors else NO_ERROR

    def reset(self) -> None:
        """``*RST``: subclasses restore their power-on state."""

    def received(self, command: str) -> bool:
        """True if ``command`` arrived (exact text, case-insensitive)."""
        with self._lock:
            return any(c.upper() == command.upper() for c in self.commands)

    def wait_for(self, command: str, timeout_s: float = 5.0) -> bool:
        """Wait until ``command`` has arrived (writes are not acknowledged, so a test that checks
        a write waits for it); True if it did within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while not self.received(command):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    # --- lifecycle ---

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the SCPI server is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def resource(self) -> str:
        """pyvisa-py resource string of this server."""
        return f"TCPIP0::127.0.0.1::{self.port}::SOCKET"

    def start(self) -> ScpiServer:
        if self._server is None:
            self._server = _TcpServer(("127.0.0.1", self._port), self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"{type(self).__name__}:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            with contextlib.suppress(OSError):  # already closed by the client
                client.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self._server = None
        self._thread = None

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _register(self, client: socket.socket) -> None:
        with self._lock:
            self._clients.add(client)

    def _unregister(self, client: socket.socket) -> None:
        with self._lock:
            self._clients.discard(client)
