"""The one way the bench starts Chromium: found once, started headless with the network cut off,
stopped with all its helpers. Used to print the verification report to PDF
(``bench.reports.verification_report.pdf``) and to check a page is self-contained
(``bench.reports.offline_check``).

Nothing leaves the machine: no host name resolves (``--host-resolver-rules``), and whatever needs
no name (IP literals) goes to a proxy on a closed loopback port; background networking, component
updates, sync, pings and breakpad are off, and each start gets a fresh, empty profile.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

from bench.errors import BenchError

CANDIDATES = ("/usr/lib/chromium/chromium", "chromium", "chromium-browser")
"""Debian's real binary first: /usr/bin/chromium is a wrapper that sources /etc/chromium.d and
adds --enable-remote-extensions. ``SMILE_BENCH_CHROMIUM`` (a path) overrides the search."""

OFFLINE_FLAGS = (
    "--headless",
    "--disable-gpu",
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
    "--mute-audio",
    "--hide-scrollbars",
    "--metrics-recording-only",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
)


class BrowserMissingError(BenchError):
    """No Chromium binary on this machine, or it cannot be started."""


def executable() -> str:
    """Path of a Chromium binary; raises :class:`BrowserMissingError`."""
    override = os.environ.get("SMILE_BENCH_CHROMIUM")
    if override:
        if os.access(override, os.X_OK):
            return override
        raise BrowserMissingError(f"SMILE_BENCH_CHROMIUM={override} is not an executable")
    for name in CANDIDATES:
        path = name if os.path.isabs(name) else shutil.which(name)
        if path and os.access(path, os.X_OK):
            return path
    raise BrowserMissingError("chromium not found (run tools/chromium-install.sh)")


def launch(
    exe: str, profile: str | os.PathLike[str], extra: Sequence[str], **popen
) -> subprocess.Popen:
    """Start ``exe`` headless and offline with the empty profile folder ``profile`` and the
    further arguments ``extra`` (e.g. ``--print-to-pdf=…`` and a URL). It runs in a session of
    its own so that :func:`stop` ends its helpers too."""
    args = [exe, *OFFLINE_FLAGS, f"--user-data-dir={Path(profile)}", *extra]
    popen.setdefault("stdin", subprocess.DEVNULL)
    try:
        return subprocess.Popen(args, start_new_session=True, **popen)
    except OSError as exc:
        raise BrowserMissingError(f"cannot start {exe}: {exc}") from None


def stop(proc: subprocess.Popen, timeout_s: float = 5) -> None:
    """Kill the browser and every helper of its session; reap it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout_s)
