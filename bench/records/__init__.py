"""Run records for the regulatory file: hash-chained per-run records with an evidence manifest
(:mod:`.chain`), a SQLite results store indexing runs (:mod:`.store`), and figure history with
regression flags (:mod:`.history`)."""

from bench.records.chain import (
    KINDS,
    Record,
    RecordsError,
    RunRecorder,
    read_records,
    verify,
    write_manifest,
)
from bench.records.history import Trend, TrendPoint, format_history, history
from bench.records.store import FigureRow, ResultsStore, RunRow, TestRow

__all__ = [
    "KINDS",
    "FigureRow",
    "Record",
    "RecordsError",
    "ResultsStore",
    "RunRecorder",
    "RunRow",
    "TestRow",
    "Trend",
    "TrendPoint",
    "format_history",
    "history",
    "read_records",
    "verify",
    "write_manifest",
]
