"""The report as PDF (headless Chromium, network cut off) and atomic writes."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench.reports import chromium
from bench.reports.verification_report.common import (
    ChromiumMissingError,
    PdfError,
    VerificationReportError,
)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise VerificationReportError(f"{path}: cannot write ({exc})") from None


def chromium_executable() -> str:
    """Path of a Chromium binary (``bench.reports.chromium``: one search, one override,
    ``SMILE_BENCH_CHROMIUM``)."""
    try:
        return chromium.executable()
    except chromium.BrowserMissingError as exc:
        raise ChromiumMissingError(f"{exc}; the PDF needs it") from None


def html_to_pdf(
    page: str,
    pdf_path: str | os.PathLike[str],
    *,
    executable: str | None = None,
    timeout_s: float = 120,
) -> None:
    """Print an HTML page to ``pdf_path`` (atomically) with headless Chromium, network cut off."""
    exe = executable or chromium_executable()
    target = Path(pdf_path)
    tmp_pdf = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with tempfile.TemporaryDirectory(prefix="smile-report-pdf-") as work:
        src = Path(work) / "report.html"
        src.write_text(page, encoding="utf-8")
        tmp_pdf.unlink(missing_ok=True)
        extra = ["--no-pdf-header-footer", f"--print-to-pdf={tmp_pdf}", src.as_uri()]
        try:
            proc = chromium.launch(
                exe, Path(work) / "profile", extra, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
        except chromium.BrowserMissingError as exc:
            raise ChromiumMissingError(str(exc)) from None
        start = time.monotonic()
        try:
            output, _ = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            chromium.stop(proc)
            proc.communicate()
            tmp_pdf.unlink(missing_ok=True)
            raise PdfError(
                f"{target}: chromium did not finish printing within {timeout_s:g} s"
            ) from None
        elapsed = time.monotonic() - start
    try:
        head = tmp_pdf.read_bytes()[:5] if tmp_pdf.is_file() else b""
        if head != b"%PDF-":
            lines = output.decode(errors="replace").strip().splitlines()
            why = lines[-1] if lines else f"exit code {proc.returncode}"
            raise PdfError(f"{target}: chromium wrote no PDF after {elapsed:.1f} s ({why})")
        with tmp_pdf.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp_pdf, target)
    finally:
        tmp_pdf.unlink(missing_ok=True)
