"""The verification report of one run: a single self-contained HTML page (and its PDF).

It goes into the regulatory file: IEC 62304 test records (pass/fail, anomalies, what is needed to
repeat the run, who ran it), ISO 14971 risk-control verification (hazard → requirement → test →
result) and ISO 13485 §7.5.6 tool validation (the mutant kill table). The page carries its CSS
inline and references nothing outside itself (a Content-Security-Policy forbids it too); evidence
files are named by relative links and by their SHA-256.

Sources, in order of precedence: the hash-chained records (``records.jsonl``: run_start payload for
scope and environment, test payloads for messages), ``tests.json`` (per-test results),
``traceability.json`` (cross-checked against the verdicts recomputed from the tests),
``manifest.json`` (evidence hashes sealed at run end). What the run did not record is said to be
missing, and values taken at report time are labelled as such: the report never claims more than
was run. A requirement without a test in the run is "not run", which makes the verdict INCOMPLETE.

:func:`build_report` returns the HTML; :func:`write_report` writes it (and the PDF, printed by
headless Chromium with the network cut off) atomically.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.reports.verification_report.common import (
    DEFAULT_DOCUMENT_ID,
    DEFAULT_REVISION,
    OPEN_RATIONALE,
    REAL_TABLE_EVIDENCE,
    RECORDS_ABSENT,
    ChromiumMissingError,
    NotARunDirectoryError,
    PdfError,
    VerificationReportError,
)
from bench.reports.verification_report.html import _render
from bench.reports.verification_report.load import _check_run_dir, _collect
from bench.reports.verification_report.pdf import _atomic_write, chromium_executable, html_to_pdf

__all__ = [
    "DEFAULT_DOCUMENT_ID",
    "DEFAULT_REVISION",
    "OPEN_RATIONALE",
    "REAL_TABLE_EVIDENCE",
    "RECORDS_ABSENT",
    "ChromiumMissingError",
    "NotARunDirectoryError",
    "PdfError",
    "VerificationReportError",
    "build_report",
    "chromium_executable",
    "html_to_pdf",
    "write_report",
]


def build_report(
    run_dir: str | os.PathLike[str],
    *,
    document_id: str = DEFAULT_DOCUMENT_ID,
    revision: str = DEFAULT_REVISION,
    kill_table: Sequence[Mapping[str, Any]] | str | os.PathLike[str] | None = None,
    who: str | None = None,
    deviations: Sequence[Any] | None = None,
    link_base: str | None = "",
    own_files: Iterable[str] = (),
) -> str:
    """The verification report of the run in ``run_dir``, as one self-contained HTML page.

    ``kill_table``: rows of :func:`bench.verification.kill_table.kill_table` (or the path of a
    JSON file holding them); without it, the kill.json evidence of mutant tests in the run is
    used when present. ``who`` ran the tests (default: the run record's user, else the current
    login, labelled as such). ``deviations``: strings or mappings (e.g. id, description,
    justification, approved_by), listed as given. ``link_base``: prefix of the relative links to
    evidence files ("" when the HTML lives in ``run_dir``; None for plain names, no links).
    ``own_files``: paths, relative to ``run_dir``, of this report's own output files, which are
    not evidence. Raises :class:`NotARunDirectoryError` (naming the path) when ``run_dir`` is
    missing, empty or not a run directory.
    """
    run = _collect(run_dir, own_files)
    return _render(
        run,
        document_id=document_id,
        revision=revision,
        kill_table=kill_table,
        who=who,
        deviations=deviations,
        link_base=link_base,
        generated=datetime.now(UTC),
    )


def write_report(
    run_dir: str | os.PathLike[str],
    out_html: str | os.PathLike[str],
    *,
    pdf: str | os.PathLike[str] | None = None,
    document_id: str = DEFAULT_DOCUMENT_ID,
    revision: str = DEFAULT_REVISION,
    kill_table: Sequence[Mapping[str, Any]] | str | os.PathLike[str] | None = None,
    who: str | None = None,
    deviations: Sequence[Any] | None = None,
    timeout_s: float = 120,
) -> tuple[Path, Path | None]:
    """Write the report as HTML (evidence linked relative to ``out_html``) and, with ``pdf``, as
    PDF (evidence named, not linked) printed by headless Chromium. Both writes are atomic.

    Raises :class:`ChromiumMissingError` before writing anything when a PDF is asked for and no
    Chromium is installed; :class:`PdfError` when Chromium fails.
    """
    run_path = _check_run_dir(run_dir)
    out = Path(out_html)
    pdf_path = Path(pdf) if pdf is not None else None
    exe = chromium_executable() if pdf_path is not None else None
    own = _own_files(run_path, [p for p in (out, pdf_path) if p is not None])
    try:
        link_base = os.path.relpath(run_path.resolve(), out.parent.resolve()).replace(os.sep, "/")
        link_base = "" if link_base == "." else link_base.rstrip("/") + "/"
    except ValueError:  # another drive: no relative link possible
        link_base = None
    run = _collect(run_path, own)
    kwargs = {
        "document_id": document_id,
        "revision": revision,
        "kill_table": kill_table,
        "who": who,
        "deviations": deviations,
        "generated": datetime.now(UTC),
    }
    page = _render(run, link_base=link_base, **kwargs)
    out.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(out, page.encode("utf-8"))
    if pdf_path is None:
        return out, None
    assert exe is not None
    printable = _render(run, link_base=None, **kwargs)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    html_to_pdf(printable, pdf_path, executable=exe, timeout_s=timeout_s)
    return out, pdf_path


def _own_files(run_path: Path, paths: list[Path]) -> list[str]:
    root = run_path.resolve()
    own = []
    for p in paths:
        full = p.resolve()
        if full.is_relative_to(root):
            own.append(full.relative_to(root).as_posix())
    return own
