"""The single-file Allure report: attachments inside, nothing loaded from outside its own file.

A real pytest run (in a subprocess, on a 3-test sample with epic/feature/story labels, a link, a
step, a PNG and a CSV attachment and one failure) writes Allure results; the pinned Allure 2
command line renders them as one HTML file; the static scan and real headless Chromium (network
cut off) must both find nothing that the page loads from outside. A hand-written page with an
outside image and script is the negative control: both checks must see it. The tests install the
pinned tools if they are missing (tools/allure-install.sh, tools/chromium-install.sh) and skip
only when that install is impossible on this machine.
"""

from __future__ import annotations

import base64
import json
import os
import re
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest

from bench.reports import allure_html, offline_check
from bench.reports.allure_html import (
    AllureReportError,
    AllureToolMissingError,
    external_references,
    generate_allure_html,
)
from bench.reports.offline_check import BrowserMissingError, requests_outside, visit

REPO = Path(__file__).resolve().parents[2]

# The sample runs on its own: no cache dir, not the project's plugin or addopts (pytest.ini below).
PYTEST_ISOLATED = ("-q", "-p", "no:cacheprovider", "-p", "no:smile_bench")
CSV_TEXT = "t_s,event,leg\n0.512,heel_strike,left\n1.047,heel_strike,right\n"


def _install(script: str) -> None:
    proc = subprocess.run(
        ["bash", str(REPO / "tools" / script)], capture_output=True, text=True, timeout=1200
    )
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        pytest.skip(f"tools/{script} cannot install it here: {lines[-1] if lines else 'failed'}")


@pytest.fixture(scope="module")
def allure_cli() -> Path:
    try:
        return allure_html.allure_executable()
    except AllureToolMissingError:
        _install("allure-install.sh")
    try:
        return allure_html.allure_executable()
    except AllureToolMissingError as exc:
        pytest.skip(f"installed, yet still missing: {exc}")


@pytest.fixture(scope="module")
def chromium() -> str:
    try:
        return offline_check.chromium_executable()
    except BrowserMissingError:
        _install("chromium-install.sh")
    try:
        return offline_check.chromium_executable()
    except BrowserMissingError as exc:
        pytest.skip(f"installed, yet still missing: {exc}")


def _png(width: int = 8, height: int = 6) -> bytes:
    """A small valid RGB PNG (a colour gradient), made without any imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(
        b"\0" + b"".join(bytes((x * 30 % 256, y * 40 % 256, 160)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


SAMPLE = """
import pathlib

import allure

HERE = pathlib.Path(__file__).parent


@allure.epic("SmILE chip")
@allure.feature("Step detection")
@allure.story("Heel strikes on level walking")
@allure.link("https://req.invalid/REQ-STEP-001", name="REQ-STEP-001")
def test_step_detection():
    with allure.step("Replay the level-walking capture through the chip"):
        allure.attach((HERE / "steps.png").read_bytes(), name="steps plot",
                      attachment_type=allure.attachment_type.PNG)
        allure.attach((HERE / "steps.csv").read_text(), name="detections",
                      attachment_type=allure.attachment_type.CSV)


@allure.epic("SmILE chip")
@allure.feature("Fall detection")
@allure.story("Latency below 2 s")
def test_fall_latency():
    with allure.step("Compare the fall flag with the impact time"):
        assert 0.8 < 2.0


@allure.epic("SmILE chip")
@allure.feature("Overload")
@allure.story("Weight-bearing limit")
def test_overload_flag():
    assert 1.2 < 1.0, "overload not flagged"
"""


@pytest.fixture(scope="module")
def allure_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """Allure results of a real pytest run on the 3-test sample (2 passed, 1 failed)."""
    work = tmp_path_factory.mktemp("allure-sample")
    png = _png()
    (work / "steps.png").write_bytes(png)
    (work / "steps.csv").write_text(CSV_TEXT)
    (work / "test_sample.py").write_text(textwrap.dedent(SAMPLE))
    (work / "pytest.ini").write_text("[pytest]\n")  # keep the project's addopts out
    results = work / "allure-results"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *PYTEST_ISOLATED,
            f"--alluredir={results}",
            "test_sample.py",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "1 failed, 2 passed" in proc.stdout, proc.stdout + proc.stderr
    return results, png


@pytest.fixture(scope="module")
def report(allure_cli: Path, allure_results: tuple[Path, bytes], tmp_path_factory) -> Path:
    results, _ = allure_results
    return generate_allure_html(results, tmp_path_factory.mktemp("allure-report") / "html")


def _embedded(html: str) -> dict[str, bytes]:
    """Allure's single-file data store: name -> decoded bytes."""
    return {
        name: base64.b64decode(data)
        for name, data in re.findall(r"\bd\('([^']+)','([A-Za-z0-9+/=]*)'\)", html)
    }


def test_single_file_report_embeds_everything(report: Path, allure_results) -> None:
    _, png = allure_results
    assert report.name == "index.html" and report.is_file()
    assert [p.name for p in report.parent.iterdir()] == ["index.html"]
    html = report.read_text(encoding="utf-8")
    assert base64.b64encode(png).decode() in html  # the PNG bytes, base64, inside the file
    data = _embedded(html)
    attachments = {n: b for n, b in data.items() if n.startswith("data/attachments/")}
    assert png in attachments.values()
    assert CSV_TEXT.encode() in attachments.values()
    cases = [json.loads(b) for n, b in data.items() if n.startswith("data/test-cases/")]
    assert sorted(c["name"] for c in cases) == [
        "test_fall_latency",
        "test_overload_flag",
        "test_step_detection",
    ]
    step_case = next(c for c in cases if c["name"] == "test_step_detection")
    labels = {(lb["name"], lb["value"]) for lb in step_case["labels"]}
    assert {("epic", "SmILE chip"), ("feature", "Step detection")} <= labels
    assert ("story", "Heel strikes on level walking") in labels
    assert step_case["links"][0]["url"] == "https://req.invalid/REQ-STEP-001"
    assert "googletagmanager" not in html and "gtag(" not in html


def test_single_file_report_references_nothing_outside(report: Path) -> None:
    assert external_references(report) == []


def test_single_file_report_requests_nothing_outside_in_chromium(
    report: Path, chromium: str
) -> None:
    assert requests_outside(report) == []


def test_report_views_and_attachments_request_nothing_outside(report: Path, chromium: str) -> None:
    """Every tab, the test case and both attachment views, rendered for real, stay offline."""
    data = _embedded(report.read_text(encoding="utf-8"))
    case = next(
        json.loads(b)
        for n, b in data.items()
        if n.startswith("data/test-cases/") and json.loads(b)["name"] == "test_step_detection"
    )
    attachments = {
        a["type"]: a["uid"] for s in case["testStage"]["steps"] for a in s["attachments"]
    }
    case_route = f"#testresult/{case['uid']}"
    seen = visit(
        report,
        settle_s=0.75,
        fragments=[
            "#suites",
            "#behaviors",
            "#packages",
            "#categories",
            "#graph",
            "#timeline",
            case_route,
            f"{case_route}?attachment={attachments['text/csv']}",
            f"{case_route}?attachment={attachments['image/png']}",
        ],
        probe="Array.from(document.images).filter(i => i.complete && i.naturalWidth === 8)"
        ".map(i => i.src.slice(0, 22))",
    )
    assert seen.outside == []
    assert "test_step_detection" in seen.text and "REQ-STEP-001" in seen.text
    assert seen.probe, "the PNG attachment was not rendered"  # an 8 px wide image is on screen
    assert all(src.startswith(("data:", "blob:")) for src in seen.probe)


NEGATIVE_CONTROL = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>negative control</title></head>
<body>
<p>This page loads two things from outside.</p>
<img src="https://example.invalid/x.png" alt="">
<script src="//cdn.invalid/x.js"></script>
</body></html>
"""


def test_negative_control_is_seen_by_both_checks(tmp_path: Path, chromium: str) -> None:
    page = tmp_path / "outside.html"
    page.write_text(NEGATIVE_CONTROL)
    assert external_references(page) == ["https://example.invalid/x.png", "//cdn.invalid/x.js"]
    # Blocked (no name resolves, proxy on a closed port), but seen as attempted. From a file://
    # page the protocol-relative //cdn.invalid/x.js resolves to file://cdn.invalid/x.js.
    seen = requests_outside(page)
    assert "https://example.invalid/x.png" in seen
    assert "file://cdn.invalid/x.js" in seen
    assert len(seen) == 2, seen


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ('<link rel="stylesheet" href="https://fonts.invalid/css">', ["https://fonts.invalid/css"]),
        ("<style>@import 'https://css.invalid/a.css';</style>", ["https://css.invalid/a.css"]),
        ('<div style="background: url(//bg.invalid/b.png)"></div>', ["//bg.invalid/b.png"]),
        (
            '<img srcset="a.png 1x, https://i.invalid/b.png 2x">',
            ["a.png", "https://i.invalid/b.png"],
        ),
        ("<script>fetch('https://api.invalid/x')</script>", ["https://api.invalid/x"]),
        ('<script>x.open("GET", "http://api.invalid/y")</script>', ["http://api.invalid/y"]),
        ("<script>img.src = `https://t.invalid/${id}.gif`</script>", ["https://t.invalid/"]),
        (
            '<script src="data:text/javascript;base64,'
            + base64.b64encode(b"fetch('https://in-data.invalid/z')").decode()
            + '"></script>',
            ["https://in-data.invalid/z"],
        ),
        (
            "<img src=\"data:image/svg+xml,%3Csvg%3E%3Cimage href='https://svg.invalid/p.png'/%3E"
            '%3C/svg%3E">',
            ["https://svg.invalid/p.png"],
        ),
        (
            '<meta http-equiv="refresh" content="0; url=https://go.invalid/">',
            ["https://go.invalid/"],
        ),
        (
            '<iframe srcdoc="&lt;img src=&quot;file:///etc/x.png&quot;&gt;"></iframe>',
            ["file:///etc/x.png"],
        ),
        # Not loads: a link someone may click, in-page fragments, data: images.
        ('<a href="https://req.invalid/REQ-1">REQ-1</a><img src="data:image/png;base64,AA==">', []),
        ('<svg><use href="#icon"/></svg><div style="fill:url(#grad)"></div>', []),
    ],
)
def test_static_scan_finds_each_way_of_loading(
    tmp_path: Path, snippet: str, expected: list[str]
) -> None:
    page = tmp_path / "p.html"
    page.write_text(f"<!DOCTYPE html><html><body>{snippet}</body></html>")
    assert external_references(page) == expected


def test_generate_refuses_what_it_cannot_render(tmp_path: Path) -> None:
    with pytest.raises(AllureReportError, match="does not exist"):
        generate_allure_html(tmp_path / "missing", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(AllureReportError, match="no Allure results"):
        generate_allure_html(tmp_path / "empty", tmp_path / "out")
    results = tmp_path / "report" / "results"
    results.mkdir(parents=True)
    (results / "x-result.json").write_text("{}")
    with pytest.raises(AllureReportError, match="would be cleaned"):
        generate_allure_html(results, tmp_path / "report")
