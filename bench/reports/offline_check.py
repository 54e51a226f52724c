"""Open an HTML file in headless Chromium and list every request it makes outside itself.

The authoritative check that a report is self-contained: Debian's Chromium (``chromium``
package, installed by ``tools/chromium-install.sh``) loads the file with the network cut off
(``--host-resolver-rules="MAP * ~NOTFOUND"`` and a proxy on a closed loopback port, so nothing
leaves the machine even for IP literals), and every request that the page, its frames and its
workers *try* to send is recorded through the Chrome DevTools Protocol — a blocked request is
still seen. The protocol runs over ``--remote-debugging-pipe`` (NUL-separated JSON on file
descriptors 3 and 4): no port, no websocket, no dependency outside the standard library.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import select
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.errors import BenchError
from bench.reports import chromium

#: the offline flags of every Chromium the bench starts, and the DevTools pipe
_EXTRA_FLAGS = ("--remote-debugging-pipe", "--window-size=1280,900")
_INTERNAL_SCHEMES = ("data:", "blob:", "about:")


class OfflineCheckError(BenchError):
    """The browser check could not be run to the end (one line: what failed)."""


class BrowserMissingError(OfflineCheckError, chromium.BrowserMissingError):
    """No Chromium binary on this machine."""


@dataclass
class PageVisit:
    """What one headless visit of an HTML file saw."""

    url: str
    """The ``file://`` URL that was opened."""
    requests: list[str] = field(default_factory=list)
    """Every request the page, its frames and workers sent or tried to send, in order, once each."""
    outside: list[str] = field(default_factory=list)
    """The requests that leave the file: all but ``data:``, ``blob:``, ``about:`` and the file."""
    text: str = ""
    """``document.body.innerText`` at the end, to check that the page actually rendered."""
    console_errors: list[str] = field(default_factory=list)
    """Uncaught exceptions and console errors of the page."""
    probe: Any = None
    """The value of the ``probe`` expression, evaluated in the page at the end."""


def chromium_executable() -> str:
    """Path of a Chromium binary (``bench.reports.chromium``); raises
    :class:`BrowserMissingError`."""
    try:
        return chromium.executable()
    except chromium.BrowserMissingError as exc:
        raise BrowserMissingError(str(exc)) from None


def requests_outside(html_path: str | os.PathLike[str], timeout_s: float = 60) -> list[str]:
    """URLs that the page at ``html_path`` tries to load from outside its own file.

    Opens the file in headless Chromium, waits for its load event and then until no request
    came for a moment, and returns every request URL (the page's, its frames' and its workers')
    that is not ``data:``, ``blob:``, ``about:`` or the file itself — a ``file:`` URL of another
    file counts as outside. Each URL once, in order. Raises :class:`OfflineCheckError` when the
    browser is missing or the page does not finish loading within ``timeout_s`` without having
    asked for anything outside.
    """
    return visit(html_path, timeout_s=timeout_s).outside


def visit(
    html_path: str | os.PathLike[str],
    *,
    timeout_s: float = 60,
    settle_s: float = 2.0,
    fragments: Sequence[str] = (),
    screenshot: str | os.PathLike[str] | None = None,
    probe: str | None = None,
) -> PageVisit:
    """Open ``html_path`` headless and record what it requests (see :func:`requests_outside`).

    After the load event the page is watched until ``settle_s`` pass without a new request.
    Then each of ``fragments`` (e.g. ``"#behaviors"``) is set as ``location.hash`` in turn and
    watched the same way, so views of a single-page app that render only on navigation are
    exercised too. ``screenshot`` saves a PNG of the final view; ``probe`` is a JavaScript
    expression evaluated in the final view, its JSON value returned as :attr:`PageVisit.probe`.
    """
    path = Path(html_path).resolve()
    if not path.is_file():
        raise OfflineCheckError(f"{path} does not exist")
    url = path.as_uri()
    exe = chromium_executable()
    deadline = time.monotonic() + timeout_s
    result = PageVisit(url=url)
    with (
        tempfile.TemporaryDirectory(prefix="smile-offline-") as profile,
        _Browser(exe, profile) as cdp,
    ):
        page = _Page(cdp, result)
        page.open("about:blank", deadline)
        page.navigate(url, deadline)
        loaded = page.wait_load(deadline)
        if loaded:
            page.settle(settle_s, deadline)
            for frag in fragments:
                page.evaluate(f"location.hash = {json.dumps(frag.lstrip('#'))}", deadline)
                page.settle(settle_s, deadline)
        result.outside = [u for u in result.requests if _is_outside(u, url)]
        if not loaded:
            if result.outside:
                return result  # the verdict is already known: it asks for things outside
            raise OfflineCheckError(
                f"{path.name} did not finish loading in headless Chromium within {timeout_s:g} s"
            )
        text = page.evaluate("document.body ? document.body.innerText : ''", deadline)
        result.text = str(text or "")
        if probe is not None:
            result.probe = page.evaluate(probe, deadline)
        if screenshot is not None:
            png = page.call("Page.captureScreenshot", {"format": "png"}, deadline)
            Path(screenshot).write_bytes(base64.b64decode(png["data"]))
    return result


def _is_outside(request_url: str, page_url: str) -> bool:
    if request_url.startswith(_INTERNAL_SCHEMES):
        return False
    base = request_url.split("#", 1)[0]
    return base != page_url


class _Browser:
    """A Chromium process and its DevTools pipe (requests on fd 3, replies on fd 4)."""

    def __init__(self, exe: str, profile: str) -> None:
        self.exe, self.profile = exe, profile
        self.proc: subprocess.Popen[bytes] | None = None
        self._next_id = 0
        self._buf = b""
        self._log = Path(profile, "chromium-stderr.log")

    def __enter__(self) -> _Browser:
        to_child_r, self._to_child_w = _pipe_above(10)
        self._from_child_r, from_child_w = _pipe_above(10)

        def wire_fds() -> None:  # in the child, before exec: the pipe must be fds 3 and 4
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        with open(self._log, "wb") as log:
            try:
                self.proc = chromium.launch(
                    self.exe,
                    self.profile,
                    [*_EXTRA_FLAGS, "about:blank"],
                    stdout=log,
                    stderr=log,
                    pass_fds=(3, 4),  # kept open after wire_fds put the pipe there
                    preexec_fn=wire_fds,  # only dup2 before exec
                )
            except chromium.BrowserMissingError as exc:
                os.close(self._to_child_w)
                os.close(self._from_child_r)
                raise BrowserMissingError(str(exc)) from None
            finally:
                os.close(to_child_r)
                os.close(from_child_w)
        return self

    def __exit__(self, *exc: object) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                self.send("Browser.close")
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                chromium.stop(proc)
        for fd in (self._to_child_w, self._from_child_r):
            with contextlib.suppress(OSError):
                os.close(fd)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None):
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self._to_child_w, data)
            data = data[n:]
        return self._next_id

    def recv(self, deadline: float) -> dict[str, Any] | None:
        """Next message (reply or event) or None when ``deadline`` passes."""
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._from_child_r], [], [], min(left, 0.5))
            if not ready:
                if self.proc is not None and self.proc.poll() is not None:
                    raise OfflineCheckError(f"chromium exited early: {self.stderr_tail()}")
                continue
            chunk = os.read(self._from_child_r, 1 << 16)
            if not chunk:
                raise OfflineCheckError(f"chromium closed the DevTools pipe: {self.stderr_tail()}")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(
        self,
        method: str,
        params: dict[str, Any] | None,
        session: str | None,
        deadline: float,
        on_event: Any = None,
    ) -> dict[str, Any]:
        """Send a command and wait for its reply; events meanwhile go to ``on_event``."""
        want = self.send(method, params, session)
        while True:
            msg = self.recv(deadline)
            if msg is None:
                raise OfflineCheckError(f"chromium did not answer {method} in time")
            if msg.get("id") == want:
                if "error" in msg:
                    raise OfflineCheckError(f"{method} failed: {msg['error'].get('message')}")
                return msg.get("result", {})
            if on_event is not None and "method" in msg:
                on_event(msg)

    def stderr_tail(self) -> str:
        try:
            lines = self._log.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no output"
        return lines[-1] if lines else "no output"


def _pipe_above(low: int) -> tuple[int, int]:
    """A pipe whose two ends are numbered at or above ``low`` (clear of fds 3 and 4)."""
    ends = []
    for fd in os.pipe():
        ends.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, low))
        os.close(fd)
    return ends[0], ends[1]


class _Page:
    """One tab, with Network recording on it and on every frame/worker target it spawns."""

    def __init__(self, cdp: _Browser, result: PageVisit) -> None:
        self.cdp, self.result = cdp, result
        self.session: str | None = None
        self.loaded = False
        self.last_request = time.monotonic()
        self._seen: set[str] = set()

    def open(self, url: str, deadline: float) -> None:
        target = self.cdp.call("Target.createTarget", {"url": url}, None, deadline, self.on_event)
        attached = self.cdp.call(
            "Target.attachToTarget",
            {"targetId": target["targetId"], "flatten": True},
            None,
            deadline,
            self.on_event,
        )
        self.session = attached["sessionId"]
        for method, params in (
            ("Network.enable", {}),
            ("Page.enable", {}),
            ("Runtime.enable", {}),
            ("Log.enable", {}),
            ("Target.setAutoAttach", _AUTO_ATTACH),
        ):
            self.call(method, params, deadline)

    def call(self, method: str, params: dict[str, Any], deadline: float) -> dict[str, Any]:
        return self.cdp.call(method, params, self.session, deadline, self.on_event)

    def navigate(self, url: str, deadline: float) -> None:
        self.loaded = False
        reply = self.call("Page.navigate", {"url": url}, deadline)
        if reply.get("errorText"):
            raise OfflineCheckError(f"chromium could not open {url}: {reply['errorText']}")

    def evaluate(self, expression: str, deadline: float) -> Any:
        reply = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, deadline
        )
        return reply.get("result", {}).get("value")

    def wait_load(self, deadline: float) -> bool:
        while not self.loaded:
            msg = self.cdp.recv(deadline)
            if msg is None:
                return False
            self.on_event(msg)
        return True

    def settle(self, quiet_s: float, deadline: float) -> None:
        """Process events until no request came for ``quiet_s`` (or ``deadline``)."""
        self.last_request = time.monotonic()
        while True:
            now = time.monotonic()
            until = min(self.last_request + quiet_s, deadline)
            if now >= until:
                return
            msg = self.cdp.recv(until)
            if msg is not None:
                self.on_event(msg)

    def on_event(self, msg: dict[str, Any]) -> None:
        method = msg.get("method")
        params = msg.get("params", {})
        if method == "Network.requestWillBeSent":
            self._record(params.get("request", {}).get("url", ""))
        elif method == "Network.webSocketCreated":
            self._record(params.get("url", ""))
        elif method == "Page.loadEventFired" and msg.get("sessionId") == self.session:
            self.loaded = True
        elif method == "Target.attachedToTarget":
            # An out-of-process frame or a worker: record its requests too, then let it run.
            child = params["sessionId"]
            self.cdp.send("Network.enable", {}, child)
            self.cdp.send("Target.setAutoAttach", _AUTO_ATTACH, child)
            self.cdp.send("Runtime.runIfWaitingForDebugger", {}, child)
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            desc = details.get("exception", {}).get("description") or details.get("text", "")
            self.result.console_errors.append(str(desc).splitlines()[0] if desc else "exception")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.result.console_errors.append(params["entry"].get("text", ""))

    def _record(self, url: str) -> None:
        self.last_request = time.monotonic()
        if url.startswith("data:") and len(url) > 120:  # embedded documents: keep the head only
            url = f"{url[:80]}…({len(url)} chars, sha1 {hashlib.sha1(url.encode()).hexdigest()})"
        if url and url not in self._seen:
            self._seen.add(url)
            self.result.requests.append(url)


_AUTO_ATTACH = {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": True}
