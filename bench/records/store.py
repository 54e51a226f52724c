"""Results store: one SQLite file indexing runs, their tests and their figures across runs.

The run directories (:mod:`bench.records.chain`) are the record; the store is an index built from
them for history and regression queries, and can be rebuilt from them at any time. One file, WAL
mode, short ``BEGIN IMMEDIATE`` transactions and a 30 s busy timeout, so several processes (xdist
workers, a CI job indexing while another runs) can write to it at once.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.records.chain import Record, RecordsError, read_records, verify
from bench.records.signing import SIGNATURE

SCHEMA_VERSION = 2  # 2: runs.key_fingerprint, runs.signature
TIMEOUT_S = 30.0
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS runs (
        run_id TEXT PRIMARY KEY, started_utc TEXT NOT NULL, finished_utc TEXT,
        git_commit TEXT, software_version TEXT, dut TEXT, station_sha256 TEXT,
        seeds TEXT, run_dir TEXT, verdict TEXT, head_hash TEXT, key_fingerprint TEXT,
        signature TEXT)""",
    """CREATE TABLE IF NOT EXISTS figures (
        run_id TEXT NOT NULL REFERENCES runs(run_id), figure TEXT NOT NULL, requirement TEXT,
        value REAL NOT NULL, lower REAL NULL, upper REAL NULL, unit TEXT NOT NULL DEFAULT '',
        limit_text TEXT NOT NULL DEFAULT '', passed INTEGER NULL,
        PRIMARY KEY (run_id, figure))""",
    """CREATE TABLE IF NOT EXISTS tests (
        run_id TEXT NOT NULL REFERENCES runs(run_id), test_id TEXT NOT NULL,
        requirement TEXT NOT NULL DEFAULT '', scenario TEXT, dut TEXT, seed INTEGER,
        verdict TEXT, duration_s REAL, PRIMARY KEY (run_id, test_id, requirement))""",
)
_RUN_COLS = (
    "run_id, started_utc, finished_utc, git_commit, software_version, dut, station_sha256, "
    "seeds, run_dir, verdict, head_hash, key_fingerprint, signature"
)
#: columns added since schema 1, added to an older store on open
_ADDED_RUN_COLS = ("key_fingerprint", "signature")


@dataclass(frozen=True)
class RunRow:
    run_id: str
    started_utc: str
    finished_utc: str | None
    git_commit: str | None
    software_version: str | None
    dut: str | None
    station_sha256: str | None
    seeds: tuple[Any, ...]
    run_dir: str | None
    verdict: str | None
    head_hash: str | None  # hash of the last indexed record: anchors the run's chain
    key_fingerprint: str | None = None  # the station key that signed the run_end
    signature: str | None = None  # its Ed25519 signature (hex), as in signature.json


@dataclass(frozen=True)
class FigureRow:
    run_id: str
    figure: str
    requirement: str | None
    value: float
    lower: float | None
    upper: float | None
    unit: str
    limit_text: str
    passed: bool | None  # None: reported, not judged


@dataclass(frozen=True)
class TestRow:
    """One (test, requirement) pair of a run; requirement "" when the test traces to none."""

    __test__ = False  # not a pytest test class

    run_id: str
    test_id: str
    requirement: str
    scenario: str | None
    dut: str | None
    seed: int | None
    verdict: str | None
    duration_s: float | None


class ResultsStore:
    """The SQLite results store at ``path`` (created with its tables when missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise RecordsError(f"results store {self.path}: folder {self.path.parent} missing")
        try:
            self._conn = sqlite3.connect(self.path, timeout=TIMEOUT_S, isolation_level=None)
            self._conn.execute(f"PRAGMA busy_timeout = {int(TIMEOUT_S * 1000)}")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._create()
        except sqlite3.DatabaseError as exc:
            raise RecordsError(f"results store {self.path}: unusable ({exc})") from None

    def _create(self) -> None:
        """WAL mode and the tables. SQLite does not wait for the lock that switches a new file to
        WAL, so when several processes create the store at once, the losers retry (it is
        idempotent) until :data:`TIMEOUT_S`."""
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            try:
                if self._conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self._conn.execute("PRAGMA journal_mode = WAL")
                with self._transaction() as db:
                    version = db.execute("PRAGMA user_version").fetchone()[0]
                    if version > SCHEMA_VERSION:
                        raise RecordsError(
                            f"results store {self.path}: schema {version}; this bench reads "
                            f"≤ {SCHEMA_VERSION}"
                        )
                    for statement in _SCHEMA:
                        db.execute(statement)
                    have = {r[1] for r in db.execute("PRAGMA table_info(runs)")}
                    for col in _ADDED_RUN_COLS:
                        if col not in have:  # a schema-1 store: its runs stay unsigned rows
                            db.execute(f"ALTER TABLE runs ADD COLUMN {col} TEXT")
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    # -- writing ------------------------------------------------------------------------------

    def add_run(
        self,
        run_id: str,
        *,
        started_utc: str,
        git_commit: str | None = None,
        software_version: str | None = None,
        dut: str | None = None,
        station_sha256: str | None = None,
        seeds: Sequence[Any] | None = None,
        run_dir: str | Path | None = None,
        finished_utc: str | None = None,
        verdict: str | None = None,
        head_hash: str | None = None,
        key_fingerprint: str | None = None,
        signature: str | None = None,
    ) -> None:
        """Add a run, or update it (a value given as None keeps the stored one)."""
        row = (
            run_id,
            started_utc,
            finished_utc,
            git_commit,
            software_version,
            dut,
            station_sha256,
            None if seeds is None else json.dumps(list(seeds)),
            None if run_dir is None else str(run_dir),
            verdict,
            head_hash,
            key_fingerprint,
            signature,
        )
        with self._transaction() as db:
            _upsert_run(db, row)

    def finish_run(self, run_id: str, verdict: str, *, finished_utc: str | None = None) -> None:
        utc = finished_utc or datetime.now(UTC).isoformat(timespec="microseconds")
        with self._transaction() as db:
            cur = db.execute(
                "UPDATE runs SET verdict = ?, finished_utc = ? WHERE run_id = ?",
                (verdict, utc, run_id),
            )
            if cur.rowcount == 0:
                raise RecordsError(f"run {run_id!r}: not in results store {self.path}")

    def add_figure(
        self,
        run_id: str,
        figure: str,
        *,
        value: float,
        requirement: str | None = None,
        lower: float | None = None,
        upper: float | None = None,
        unit: str = "",
        limit_text: str = "",
        passed: bool | None = None,
    ) -> None:
        """Add (or replace) one figure of a run; ``value`` must be a finite number."""
        row = _figure_row(
            run_id, figure, value, requirement, lower, upper, unit, limit_text, passed
        )
        with self._transaction() as db:
            self._insert(db, "figures", row)

    def add_test(
        self,
        run_id: str,
        test_id: str,
        *,
        verdict: str,
        requirements: Sequence[str] = (),
        scenario: str | None = None,
        dut: str | None = None,
        seed: int | None = None,
        duration_s: float | None = None,
    ) -> None:
        """Add (or replace) one test of a run: one row per requirement it verifies."""
        rows = [
            (run_id, test_id, req, scenario, dut, seed, verdict, duration_s)
            for req in (list(requirements) or [""])
        ]
        with self._transaction() as db:
            for row in rows:
                self._insert(db, "tests", row)

    def index_run_dir(self, run_dir: str | Path) -> str:
        """Fill the store from a run directory's records; returns the run id.

        The run must verify (an unfinished run is accepted). Idempotent: indexing the same run
        again, or a run that has grown since, only brings its rows up to date.
        """
        run_dir = Path(run_dir)
        problems = verify(run_dir, require_end=False)
        if problems:
            raise RecordsError(
                f"{run_dir}: records fail verification, not indexed ({len(problems)} problems; "
                f"first: {problems[0]})"
            )
        records = read_records(run_dir)
        start = records[0].payload
        run_id = start.get("run_id")
        if not isinstance(run_id, str) or not run_id:
            raise RecordsError(f"{run_dir}: run_start payload has no run_id; expected a string")
        end = next((r for r in records if r.kind == "run_end"), None)
        seeds = start.get("seeds", [])
        run = (
            run_id,
            records[0].utc,
            None if end is None else end.utc,
            start.get("git_commit"),
            start.get("software_version"),
            start.get("dut"),
            start.get("station_sha256"),
            json.dumps(seeds if isinstance(seeds, list) else [seeds]),
            str(run_dir.resolve()),
            None if end is None else end.payload.get("verdict"),
            records[-1].hash,
            *_signature_of(run_dir, end),
        )
        with self._transaction() as db:
            _upsert_run(db, run)
            for record in records:
                for table, row in _rows_of(run_dir, run_id, record):
                    self._insert(db, table, row)
        return run_id

    def _insert(self, db: sqlite3.Connection, table: str, row: tuple[Any, ...]) -> None:
        marks = ", ".join("?" * len(row))
        try:
            db.execute(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", row)
        except sqlite3.IntegrityError as exc:
            raise RecordsError(
                f"{table} row for run {row[0]!r}: {exc}; add the run before its rows "
                f"(results store {self.path})"
            ) from None

    # -- reading ------------------------------------------------------------------------------

    def runs(self) -> list[RunRow]:
        """Every run, in start order."""
        rows = self._conn.execute(f"SELECT {_RUN_COLS} FROM runs ORDER BY started_utc, run_id")
        return [RunRow(*r[:7], tuple(json.loads(r[7] or "[]")), *r[8:]) for r in rows]

    def run(self, run_id: str) -> RunRow | None:
        """One run's row, or None when the store does not hold it."""
        return next((r for r in self.runs() if r.run_id == run_id), None)

    def figures(self, figure: str | None = None) -> list[FigureRow]:
        """Every figure (or one figure) of every run, in run start order."""
        sql = (
            "SELECT f.run_id, figure, requirement, value, lower, upper, unit, limit_text, passed "
            "FROM figures f JOIN runs r USING (run_id) "
            + ("WHERE figure = ? " if figure is not None else "")
            + "ORDER BY r.started_utc, r.run_id, figure"
        )
        rows = self._conn.execute(sql, () if figure is None else (figure,))
        return [FigureRow(*r[:8], None if r[8] is None else bool(r[8])) for r in rows]

    def tests(self, run_id: str | None = None) -> list[TestRow]:
        """Every test row (or those of one run), in run start order."""
        sql = (
            "SELECT t.* FROM tests t JOIN runs r USING (run_id) "
            + ("WHERE t.run_id = ? " if run_id is not None else "")
            + "ORDER BY r.started_utc, t.run_id, t.test_id, t.requirement"
        )
        return [TestRow(*r) for r in self._conn.execute(sql, () if run_id is None else (run_id,))]


def _signature_of(run_dir: Path, end: Record | None) -> tuple[str | None, str | None]:
    """(key fingerprint, signature hex) of a finished, signed run; (None, None) otherwise."""
    key = end.payload.get("signing_key") if end is not None else None
    if not isinstance(key, dict):
        return None, None
    try:
        doc = json.loads((run_dir / SIGNATURE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return key.get("fingerprint"), None
    return key.get("fingerprint"), doc.get("signature")


def _upsert_run(db: sqlite3.Connection, row: tuple[Any, ...]) -> None:
    cols = [c.strip() for c in _RUN_COLS.split(",")]
    keep = ", ".join(f"{c} = coalesce(excluded.{c}, {c})" for c in cols[1:])
    db.execute(
        f"INSERT INTO runs ({_RUN_COLS}) VALUES ({', '.join('?' * len(cols))}) "
        f"ON CONFLICT (run_id) DO UPDATE SET {keep}",
        row,
    )


def _figure_row(
    run_id: str,
    figure: str,
    value: Any,
    requirement: Any,
    lower: Any,
    upper: Any,
    unit: Any,
    limit_text: Any,
    passed: Any,
) -> tuple[Any, ...]:
    for name, v, optional in (
        ("value", value, False),
        ("lower", lower, True),
        ("upper", upper, True),
    ):
        if optional and v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ValueError(f"figure {figure!r}: {name} {v!r}; expected a finite number")
    if passed is not None and not isinstance(passed, bool):
        raise ValueError(f"figure {figure!r}: passed {passed!r}; expected true, false or null")
    return (run_id, figure, requirement, value, lower, upper, unit or "", limit_text or "", passed)


def _rows_of(run_dir: Path, run_id: str, record: Record) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """The tests and figures rows a record's payload carries."""
    p = record.payload
    where = f"{run_dir} seq {record.seq}"
    if record.kind == "test":
        test_id = p.get("test_id")
        reqs = p.get("requirements", [])
        if not isinstance(test_id, str) or not test_id:
            raise RecordsError(f"{where}: test payload has no test_id; expected a string")
        if not isinstance(reqs, list) or not all(isinstance(r, str) for r in reqs):
            raise RecordsError(f"{where}: requirements {reqs!r}; expected a list of strings")
        for req in reqs or [""]:
            row = (run_id, test_id, req, p.get("scenario"), p.get("dut"), p.get("seed"))
            yield "tests", (*row, p.get("verdict"), p.get("duration_s"))
    figures = p.get("figures", [])
    if not isinstance(figures, list):
        raise RecordsError(f"{where}: figures {figures!r}; expected a list of objects")
    for f in figures:
        if not isinstance(f, Mapping) or not isinstance(f.get("figure"), str):
            raise RecordsError(f"{where}: figure entry {f!r}; expected an object with 'figure'")
        try:
            yield (
                "figures",
                _figure_row(
                    run_id,
                    f["figure"],
                    f.get("value"),
                    f.get("requirement"),
                    f.get("lower"),
                    f.get("upper"),
                    f.get("unit"),
                    f.get("limit"),
                    f.get("passed"),
                ),
            )
        except ValueError as exc:
            raise RecordsError(f"{where}: {exc}") from None
