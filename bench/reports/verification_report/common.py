"""Names, limits and errors shared by the verification report's modules."""

from __future__ import annotations

from bench.errors import BenchError

DEFAULT_DOCUMENT_ID = "SMILE-VER-RPT"


DEFAULT_REVISION = "A"


TITLE = "SmILE sensor chip — bench verification report"


PACKAGES = ("numpy", "scipy", "h5py", "pytest", "allure-pytest", "cocotb", "pyvisa")


TESTS_JSON = "tests.json"


TRACE_JSON = "traceability.json"


RECORDS = "records.jsonl"


MANIFEST = "manifest.json"


RUN_FILES = (TESTS_JSON, TRACE_JSON, RECORDS)


OPEN_RATIONALE = "open — to be assessed"


RECORDS_ABSENT = "records: absent — not verifiable"


EXIT_MEANING = {
    0: "all tests passed",
    1: "tests failed",
    2: "interrupted or usage error",
    3: "internal error",
    4: "pytest usage error",
    5: "no tests collected",
}


_OUTCOME = {"pass": "passed", "fail": "failed", "skip": "skipped", "errored": "error"}


class VerificationReportError(BenchError):
    """The verification report cannot be built or written (one line: path and what is wrong)."""


class NotARunDirectoryError(VerificationReportError):
    """The folder given is missing, empty, or not a run directory of the bench."""


class ChromiumMissingError(VerificationReportError):
    """No Chromium binary to print the PDF with."""


class PdfError(VerificationReportError):
    """Chromium ran but produced no usable PDF."""


#: the evidence the real-data tier attaches (bench/verification/suite/test_real_data.py)
REAL_TABLE_EVIDENCE = "real recordings.txt"
