"""Single-file Allure 2 HTML report, and a static check that it loads nothing from outside.

A report that goes into the regulatory file must be one self-contained file: opened years later,
offline, it must show the same thing and fetch nothing. :func:`generate_allure_html` runs the
pinned Allure 2 command line (``tools/allure``, installed by ``tools/allure-install.sh``) with
``generate --single-file`` and with its analytics switched off, then checks the result with
:func:`external_references`. That check is static and cheap; the authoritative one opens the file
in a real browser (:func:`bench.reports.offline_check.requests_outside`).
"""

from __future__ import annotations

import base64
import binascii
import html
import os
import re
import shutil
import subprocess
import urllib.parse
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from bench.errors import BenchError

REPO_ROOT = Path(__file__).resolve().parents[2]
ALLURE_BIN = REPO_ROOT / "tools" / "allure" / "node_modules" / ".bin" / "allure"
"""The pinned command line; ``SMILE_BENCH_ALLURE`` (a path) overrides it."""

# Allure 2 (2.46.1 checked) puts a Google Tag Manager script into index.html and, while
# generating, POSTs to Google Analytics unless this variable is set. The page template reads it
# with Boolean.parseBoolean, so it must be the word "true" ("1" only stops the POST). The Jira and
# Xray plugins of the default profile would upload results when enabled from the environment.
_CHILD_ENV = {
    "ALLURE_NO_ANALYTICS": "true",
    "ALLURE_JIRA_ENABLED": "false",
    "ALLURE_XRAY_ENABLED": "false",
}


class AllureReportError(BenchError):
    """The Allure HTML report could not be made (one line: what failed and what to do)."""


class AllureToolMissingError(AllureReportError):
    """The Allure command line or the Java it runs on is not installed."""


class ReportNotSelfContainedError(AllureReportError):
    """The generated report references something outside its own file."""


def allure_executable() -> Path:
    """Path of the pinned ``allure`` command; raises :class:`AllureToolMissingError`."""
    override = os.environ.get("SMILE_BENCH_ALLURE")
    exe = Path(override) if override else ALLURE_BIN
    if not (exe.is_file() and os.access(exe, os.X_OK)):
        raise AllureToolMissingError(
            f"Allure command line not found at {exe} (run tools/allure-install.sh)"
        )
    java_home = os.environ.get("JAVA_HOME")
    if not ((java_home and Path(java_home, "bin", "java").exists()) or shutil.which("java")):
        raise AllureToolMissingError(
            "java not found: Allure 2 needs Java 17 (apt-get install openjdk-17-jre-headless)"
        )
    return exe


def generate_allure_html(
    results_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    report_name: str | None = None,
    require_self_contained: bool = True,
    timeout_s: float = 600.0,
) -> Path:
    """Render the Allure results in ``results_dir`` as one self-contained ``out_dir/index.html``.

    ``out_dir`` is emptied first (``--clean``), so it must not be or contain ``results_dir``.
    Attachments are embedded (base64) in the file. With ``require_self_contained`` (the default)
    a report in which :func:`external_references` finds anything raises
    :class:`ReportNotSelfContainedError` instead of being returned. Returns the path of
    ``index.html``.
    """
    results = Path(results_dir).resolve()
    out = Path(out_dir).resolve()
    if not results.is_dir():
        raise AllureReportError(f"Allure results directory {results} does not exist")
    if not any(results.glob("*-result.json")) and not any(results.glob("*-container.json")):
        raise AllureReportError(f"no Allure results (*-result.json) in {results}")
    if out == results or out in results.parents:
        raise AllureReportError(
            f"report directory {out} would be cleaned and contains the results {results}"
        )
    exe = allure_executable()
    cmd = [str(exe), "generate", "--single-file", "--clean", "-o", str(out)]
    if report_name:
        cmd += ["--report-name", report_name]
    cmd.append(str(results))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALLURE_JIRA", "ALLURE_XRAY"))}
    env.update(_CHILD_ENV)
    try:
        proc = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        raise AllureReportError(f"allure generate took longer than {timeout_s:g} s") from None
    except OSError as exc:
        raise AllureToolMissingError(f"cannot run {exe}: {exc}") from None
    index = out / "index.html"
    if proc.returncode != 0 or not index.is_file():
        raise AllureReportError(
            f"allure generate failed (exit {proc.returncode}): "
            f"{_last_line(proc.stderr) or _last_line(proc.stdout) or 'no output'}"
        )
    if require_self_contained:
        refs = external_references(index)
        if refs:
            shown = ", ".join(refs[:5]) + (f" and {len(refs) - 5} more" if len(refs) > 5 else "")
            raise ReportNotSelfContainedError(f"{index} references outside itself: {shown}")
    return index


def _last_line(text: str | None) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1] if lines else ""


# --------------------------------------------------------------------------------------------
# Static scan
# --------------------------------------------------------------------------------------------

# Schemes that never leave the file. Everything else found in a loading position counts:
# http(s)/ws(s)/ftp, protocol-relative //host, file:, and relative paths (another file).
_INTERNAL_SCHEMES = frozenset({"data", "blob", "about", "javascript", "mailto", "tel"})
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_MAX_DEPTH = 4

# Attributes whose URL the browser loads by itself (navigations on click, <a href>, are not loads).
_LOAD_ATTRS = frozenset({"src", "poster", "background", "manifest", "lowsrc", "dynsrc", "ping"})
_SRCSET_ATTRS = frozenset({"srcset", "imagesrcset"})
_HREF_LOAD_TAGS = frozenset({"link", "base", "image", "use", "feimage", "script", "tref"})

_Q = r"""(["'`])"""  # an opening quote, matched again by the backreference after the value
_CSS_PATTERNS = (
    re.compile(r"""url\(\s*(["'])(.*?)\1\s*\)""", re.S),
    re.compile(r"""url\(\s*([^"'\s)][^)\s]*)\s*\)"""),
    re.compile(r"""@import\s+(["'])(.*?)\1"""),
)
_JS_PATTERNS = tuple(
    re.compile(p, re.S)
    for p in (
        r"\bfetch\(\s*" + _Q + r"(.*?)\1",
        r"\.open\(\s*([\"'`])[A-Za-z]+\1\s*,\s*([\"'`])(.*?)\2",  # XMLHttpRequest.open(m, url)
        r"\bimport\(\s*" + _Q + r"(.*?)\1",
        r"\bimport\s[^;'\"`]*?\bfrom\s*" + _Q + r"(.*?)\1",
        r"\bimportScripts\(\s*" + _Q + r"(.*?)\1",
        r"\bnew\s+(?:Shared)?Worker\(\s*" + _Q + r"(.*?)\1",
        r"\bnew\s+(?:EventSource|WebSocket|Image|Audio)\(\s*" + _Q + r"(.*?)\1",
        r"\bsendBeacon\(\s*" + _Q + r"(.*?)\1",
        r"\.(?:src|href|srcset|poster|data)\s*=\s*" + _Q + r"(.*?)\1",
        r"\b(?:src|srcset|poster)\s*:\s*" + _Q + r"(.*?)\1",
        r"setAttribute\(\s*([\"'])(?:src|href|srcset|poster|data)\1\s*,\s*([\"'`])(.*?)\2",
    )
)
# Allure's single-file data store: d('data/attachments/x.html','<base64>').
_ALLURE_DATA = re.compile(r"""\bd\(\s*'([^']+)'\s*,\s*'([A-Za-z0-9+/=]*)'\s*\)""")
_DATA_URL = re.compile(r"^data:([^,]*?),(.*)$", re.S)


def external_references(html_path: str | os.PathLike[str]) -> list[str]:
    """URLs in the HTML file that a browser would load from outside the file itself.

    A static, cheap first check (:func:`bench.reports.offline_check.requests_outside` is the
    authoritative one). Looks at what loads without a click: ``src``/``srcset``/``poster``/...
    attributes, ``href`` of ``<link>``/``<base>``/SVG ``<image>``/``<use>``, ``<meta refresh>``,
    CSS ``url()`` and ``@import`` (in ``<style>``, ``style=`` and CSS strings inside scripts), and
    string literals passed to ``fetch``, ``XMLHttpRequest.open``, ``import()``, ``new Worker``,
    ``WebSocket``, ``EventSource``, ``sendBeacon`` or assigned to ``src``/``href``. ``data:``
    documents (scripts, styles, SVG, HTML) and HTML/SVG/CSS/JS attachments in Allure's embedded
    data are decoded and scanned the same way. Outside means anything but ``data:``, ``blob:``,
    ``about:``, ``javascript:`` and in-page ``#fragments``: ``http(s):``, ``//host``, ``file:``
    and relative paths (another file) all count. Returns each URL once, in document order.
    """
    text = Path(html_path).read_text(encoding="utf-8", errors="replace")
    found: dict[str, None] = {}
    for ref in _scan_html(text, 0):
        found.setdefault(ref, None)
    return list(found)


def _is_outside(ref: str) -> bool:
    ref = ref.strip()
    if not ref or ref.startswith(("#", "%23")):
        return False
    m = _SCHEME.match(ref)
    return not (m and m.group(1).lower() in _INTERNAL_SCHEMES)


def _check(ref: str, depth: int) -> Iterator[str]:
    """Yield ``ref`` if it leaves the file; descend into ``data:`` documents."""
    ref = ref.strip()
    if "${" in ref:  # a template literal: only its static prefix is known
        ref = ref.split("${", 1)[0]
        if not (_SCHEME.match(ref) or ref.startswith("//")):
            return
    if ref.lower().startswith("data:"):
        yield from _scan_data_url(ref, depth)
    elif _is_outside(ref):
        yield ref


def _scan_data_url(url: str, depth: int) -> Iterator[str]:
    if depth >= _MAX_DEPTH:
        return
    m = _DATA_URL.match(url)
    if not m:
        return
    meta, payload = m.group(1).lower(), m.group(2)
    mime = meta.split(";", 1)[0].strip()
    kind = _kind_of(mime)
    if kind is None:
        return
    if ";base64" in meta.replace(" ", ""):
        try:
            body = base64.b64decode(payload, validate=False).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            return
    else:
        body = urllib.parse.unquote(payload)
    yield from _scan_kind(kind, body, depth + 1)


def _kind_of(mime_or_name: str) -> str | None:
    s = mime_or_name.lower()
    if "html" in s or "svg" in s or s.endswith(".htm") or "xml" in s:
        return "html"
    if "css" in s:
        return "css"
    if "javascript" in s or "ecmascript" in s or s.endswith((".js", ".mjs")):
        return "js"
    return None


def _scan_kind(kind: str, body: str, depth: int) -> Iterator[str]:
    if kind == "html":
        yield from _scan_html(body, depth)
    elif kind == "css":
        yield from _scan_css(body, depth)
    else:
        yield from _scan_js(body, depth)


def _scan_css(text: str, depth: int) -> Iterator[str]:
    for pattern in _CSS_PATTERNS:
        for m in pattern.finditer(text):
            yield from _check(html.unescape(m.group(m.lastindex or 0)), depth)


def _scan_js(text: str, depth: int) -> Iterator[str]:
    for pattern in _JS_PATTERNS:
        for m in pattern.finditer(text):
            yield from _check(m.group(m.lastindex or 0), depth)
    yield from _scan_css(text, depth)  # CSS injected by scripts (bundlers put it in strings)
    if depth < _MAX_DEPTH:
        for m in _ALLURE_DATA.finditer(text):
            kind = _kind_of(m.group(1))
            if kind is not None:
                try:
                    body = base64.b64decode(m.group(2)).decode("utf-8", errors="replace")
                except (binascii.Error, ValueError):
                    continue
                yield from _scan_kind(kind, body, depth + 1)


class _HTMLScanner(HTMLParser):
    def __init__(self, depth: int) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = depth
        self.refs: list[str] = []
        self._raw: str | None = None  # "script" or "style" while inside one
        self._raw_kind: str | None = None
        self._buf: list[str] = []

    def _add(self, it: Iterator[str]) -> None:
        self.refs.extend(it)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attrs(tag, attrs)
        if tag in ("script", "style"):
            typ = (dict(attrs).get("type") or "").lower()
            if tag == "style":
                kind: str | None = "css"
            elif typ == "importmap":
                kind = "importmap"
            elif not typ or "javascript" in typ or typ == "module":
                kind = "js"
            else:
                kind = None  # JSON, templates, ...
            self._raw, self._raw_kind, self._buf = tag, kind, []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attrs(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._raw == tag:
            body = "".join(self._buf)
            if self._raw_kind == "importmap":
                self._add(_check(u, self.depth) for u in re.findall(r'"([^"]*)"', body))
            elif self._raw_kind is not None:
                self._add(_scan_kind(self._raw_kind, body, self.depth))
            self._raw, self._raw_kind, self._buf = None, None, []

    def handle_data(self, data: str) -> None:
        if self._raw is not None:
            self._buf.append(data)

    def _attrs(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        amap = {k.lower(): (v or "") for k, v in attrs}
        for name, value in amap.items():
            local = name.rsplit(":", 1)[-1]  # xlink:href
            if local in _LOAD_ATTRS or (name == "data" and tag == "object"):
                self._add(_check(value, self.depth))
            elif local in _SRCSET_ATTRS:
                for part in value.split(","):
                    if part.strip():
                        self._add(_check(part.split()[0], self.depth))
            elif local == "href" and tag in _HREF_LOAD_TAGS:
                self._add(_check(value, self.depth))
            elif name == "style":
                self._add(_scan_css(value, self.depth))
            elif name == "srcdoc" and self.depth < _MAX_DEPTH:
                self._add(_scan_html(value, self.depth + 1))
        if tag == "meta" and amap.get("http-equiv", "").lower() == "refresh":
            m = re.search(r"url\s*=\s*['\"]?([^'\";]+)", amap.get("content", ""), re.I)
            if m:
                self._add(_check(m.group(1), self.depth))


def _scan_html(text: str, depth: int) -> Iterator[str]:
    scanner = _HTMLScanner(depth)
    scanner.feed(text)
    scanner.close()
    if scanner._raw is not None and scanner._raw_kind is not None:  # unterminated <script>
        scanner.refs.extend(_scan_kind(scanner._raw_kind, "".join(scanner._buf), depth))
    yield from scanner.refs
