"""Hash-chained run records: the append-only test record of one run, and its check.

A run directory holds ``records.jsonl``, one JSON object per line, appended as tests finish::

    {"hash": "…", "kind": "test", "payload": {…}, "prev": "…", "seq": 3, "utc": "2025-…+00:00"}

``seq`` counts 0, 1, 2, … within the run; ``kind`` is ``run_start`` (seq 0 only), ``test`` or
``run_end`` (last); ``utc`` is ISO 8601 with offset; ``payload`` is the caller's JSON object;
``prev`` is the ``hash`` of the record before (64 zeros for seq 0); ``hash`` is the SHA-256 of the
canonical JSON (sorted keys, no whitespace, UTF-8) of the record without ``hash``. Editing,
removing, inserting or reordering a record breaks the chain, and :func:`verify` names where.

Several processes (pytest-xdist workers) may append to one run: every append holds an exclusive
``flock`` on ``records.lock``, reads the last record for seq/prev, writes one line and fsyncs it.

Evidence files live in the run directory too; :func:`write_manifest` lists them with their SHA-256
in ``manifest.json``, and :meth:`RunRecorder.finish` seals that manifest's own hash into the
``run_end`` record, so that neither an evidence file nor the manifest can change unnoticed.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
import platform
import socket
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.errors import BenchError
from bench.records.signing import SIGNATURE, sign_run, station_key, verify_run_signature
from scenarios.provenance import git_commit, software_version

RECORDS = "records.jsonl"
MANIFEST = "manifest.json"
LOCK = "records.lock"
RECORDS_FORMAT = "smile-bench-records/1"
KINDS = ("run_start", "test", "run_end")
ZERO_HASH = "0" * 64
FIELDS = ("seq", "kind", "utc", "payload", "prev", "hash")
_TAIL_CHUNK = 64 * 1024


class RecordsError(BenchError):
    """A run directory or its records cannot be used (names the path and what was expected)."""


@dataclass(frozen=True)
class Record:
    """One line of ``records.jsonl``."""

    seq: int
    kind: str
    utc: str
    payload: dict[str, Any]
    prev: str
    hash: str

    def line(self) -> bytes:
        """The record as written: canonical JSON and a newline."""
        return canonical_json(asdict(self)) + b"\n"


def canonical_json(obj: Any) -> bytes:
    """Sorted keys, no whitespace, non-ASCII kept, UTF-8; NaN and infinity refused."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def record_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of a record without its ``hash`` field."""
    return hashlib.sha256(
        canonical_json({k: v for k, v in fields.items() if k != "hash"})
    ).hexdigest()


def records_path(run_dir: str | Path) -> Path:
    """``run_dir/records.jsonl``; :class:`RecordsError` when ``run_dir`` is not a run directory."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RecordsError(f"{run_dir}: not a folder; expected a run directory holding {RECORDS}")
    path = run_dir / RECORDS
    if not path.is_file():
        raise RecordsError(
            f"{run_dir}: no {RECORDS}; expected a run directory started by the bench"
        )
    return path


class RunRecorder:
    """Appends hash-chained records to ``run_dir/records.jsonl``.

    Holds only the path, so it can be pickled to worker processes; every call takes the run's lock.
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)

    @property
    def records_path(self) -> Path:
        return self.run_dir / RECORDS

    def start(self, payload: Mapping[str, Any]) -> Record:
        """Create the run directory if needed and write the ``run_start`` record (seq 0).

        Provenance keys the caller did not give are filled in: ``run_id`` (a new UUID),
        ``git_commit``, ``software_version``, ``python``, ``platform``, ``hostname``, ``user`` and
        ``records_format``.
        """
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RecordsError(f"{self.run_dir}: cannot create run directory ({exc})") from None
        full = {**_provenance(), **dict(payload)}
        with self._locked():
            return self._append_locked("run_start", full)

    def append(self, kind: str, payload: Mapping[str, Any]) -> Record:
        """Append one record; ``kind`` is one of :data:`KINDS` (usually ``"test"``)."""
        if kind not in KINDS:
            raise ValueError(f"record kind {kind!r}: expected one of {', '.join(KINDS)}")
        records_path(self.run_dir)
        with self._locked():
            return self._append_locked(kind, payload)

    def finish(self, payload: Mapping[str, Any], *, sign: bool = True) -> Record:
        """Write ``manifest.json``, append ``run_end`` with ``manifest_sha256`` (and, signed,
        the station key's identity, ``signing_key``) added to payload, and sign it into
        ``signature.json`` (``bench.records.signing``).

        All under one lock, so no record or manifest can slip in between.
        """
        for key in ("manifest_sha256", "signing_key"):
            if key in payload:
                raise ValueError(f"run_end payload: {key!r} is set by finish(); leave it out")
        path = records_path(self.run_dir)
        key = station_key() if sign else None  # before the lock: creating it may take a moment
        with self._locked():
            first = read_records(self.run_dir)[0]
            digest = _write_manifest_locked(self.run_dir)
            extra: dict[str, Any] = {"manifest_sha256": digest}
            if key is not None:
                extra["signing_key"] = key.identity()
            record = self._append_locked("run_end", {**dict(payload), **extra})
            if key is not None:
                run_id = str(first.payload.get("run_id", ""))
                sign_run(self.run_dir, run_id, record.hash, digest, key)
                _fsync_dir(path.parent)
            return record

    def add_evidence(self, rel_path: str | Path) -> str:
        """Check that an evidence file exists inside the run directory; return its relative POSIX
        path, to be listed in a record's payload (``"evidence": [...]``).

        Nothing is stored: :func:`write_manifest` hashes every file of the run directory.
        """
        return evidence_path(self.run_dir, rel_path)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self.run_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock

    def _append_locked(self, kind: str, payload: Mapping[str, Any]) -> Record:
        if not isinstance(payload, Mapping):
            raise RecordsError(f"{kind} payload: {type(payload).__name__}; expected a JSON object")
        path = self.records_path
        last = _last_record(path)
        if last is None and kind != "run_start":
            raise RecordsError(f"{path}: no run_start record; call start() before {kind!r}")
        if last is not None and kind == "run_start":
            raise RecordsError(f"{path}: run already started (seq {last.seq} exists)")
        if last is not None and last.kind == "run_end":
            raise RecordsError(f"{path}: run finished at seq {last.seq}; no {kind!r} after run_end")
        try:  # the payload as it will read back: tuples become lists, keys strings
            stored = json.loads(canonical_json(dict(payload)))
        except (TypeError, ValueError) as exc:
            raise RecordsError(f"{kind} payload: not storable as JSON ({exc})") from None
        fields: dict[str, Any] = {
            "seq": 0 if last is None else last.seq + 1,
            "kind": kind,
            "utc": datetime.now(UTC).isoformat(timespec="microseconds"),
            "payload": stored,
            "prev": ZERO_HASH if last is None else last.hash,
        }
        fields["hash"] = record_hash(fields)
        record = Record(**fields)
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            data = record.line()
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            _fsync_dir(self.run_dir)
        return record


def evidence_path(run_dir: str | Path, rel_path: str | Path) -> str:
    """The relative POSIX path of an existing evidence file inside ``run_dir``."""
    root = Path(run_dir).resolve()
    path = Path(rel_path)
    full = (path if path.is_absolute() else root / path).resolve()
    if not full.is_relative_to(root):
        raise RecordsError(f"evidence {rel_path}: outside the run directory {root}")
    rel = full.relative_to(root).as_posix()
    if not full.is_file():
        raise RecordsError(f"evidence {rel_path}: no such file in {root}")
    if not _is_evidence(rel):
        raise RecordsError(f"evidence {rel_path}: a bookkeeping file of the run, not evidence")
    return rel


def write_manifest(run_dir: str | Path) -> str:
    """Write ``manifest.json`` = {relative path: sha256} of every evidence file (every file except
    records.jsonl, manifest.json and lock files), atomically; return the manifest's own SHA-256."""
    recorder = RunRecorder(run_dir)
    records_path(recorder.run_dir)
    with recorder._locked():
        return _write_manifest_locked(recorder.run_dir)


def evidence_files(run_dir: str | Path) -> dict[str, str]:
    """{relative POSIX path: sha256} of the evidence files now in ``run_dir``."""
    root = Path(run_dir)
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            full = Path(folder) / name
            rel = full.relative_to(root).as_posix()
            if _is_evidence(rel):
                found[rel] = file_sha256(full)
    return found


def file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def read_records(run_dir: str | Path) -> list[Record]:
    """Every record of a run, in file order; :class:`RecordsError` on the first unusable line.

    Parses only: use :func:`bench.records.verify` to check the chain.
    """
    path = records_path(run_dir)
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        raise RecordsError(f"{path}: last line is incomplete (no newline); expected whole records")
    out = []
    for n, raw in enumerate(data.split(b"\n")[:-1], start=1):
        fields, problem = parse_line(raw)
        if fields is None:
            raise RecordsError(f"{path} line {n}: {problem}")
        out.append(Record(**{k: fields[k] for k in FIELDS}))
    return out


def parse_line(raw: bytes) -> tuple[dict[str, Any] | None, str]:
    """(record fields, "") for a well-formed line, else (None, what is wrong)."""
    try:
        fields = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"malformed line, not JSON ({exc})"
    if not isinstance(fields, dict):
        return None, f"malformed record: a JSON {type(fields).__name__}, expected an object"
    missing = [k for k in FIELDS if k not in fields]
    if missing:
        return None, f"malformed record: missing {', '.join(missing)}"
    seq = fields["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        return None, f"malformed record: seq {seq!r}, expected an integer ≥ 0"
    if not isinstance(fields["payload"], dict):
        return None, "malformed record: payload is not a JSON object"
    for key in ("kind", "utc"):
        if not isinstance(fields[key], str):
            return None, f"malformed record: {key} {fields[key]!r} is not a string"
    for key in ("prev", "hash"):
        if not _is_hex64(fields[key]):
            return None, f"malformed record: {key} {fields[key]!r} is not a hex SHA-256"
    return fields, ""


def _is_hex64(value: Any) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


#: Products derived from a sealed run after its end (reports rendered from its evidence); they are
#: not evidence, and regenerating them must not look like tampering.
DERIVED = ("report.html", "report.pdf")
DERIVED_DIRS = ("allure-report/",)


def _is_evidence(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    if rel in (RECORDS, MANIFEST, SIGNATURE, *DERIVED) or name.endswith(".lock"):
        return False
    if rel.startswith(DERIVED_DIRS):
        return False
    return not (
        (name.startswith(f".{MANIFEST}.") or name.startswith(f".{SIGNATURE}."))
        and name.endswith(".tmp")
    )


def _write_manifest_locked(run_dir: Path) -> str:
    text = json.dumps(evidence_files(run_dir), indent=2, sort_keys=True, ensure_ascii=False)
    data = (text + "\n").encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=run_dir, prefix=f".{MANIFEST}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o644)  # mkstemp makes 0600; readable like the records
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, run_dir / MANIFEST)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(run_dir)
    return hashlib.sha256(data).hexdigest()


def _last_record(path: Path) -> Record | None:
    """The last record of the file (None when empty or absent), refusing a damaged tail."""
    try:
        f = path.open("rb")
    except FileNotFoundError:
        return None
    with f:
        end = f.seek(0, os.SEEK_END)
        if end == 0:
            return None
        tail = b""
        pos = end
        while True:
            step = min(_TAIL_CHUNK, pos)
            pos -= step
            f.seek(pos)
            tail = f.read(step) + tail
            if tail.count(b"\n") >= 2 or pos == 0:
                break
    if not tail.endswith(b"\n"):
        raise RecordsError(
            f"{path}: last line is incomplete (no newline); run `verify` before appending"
        )
    raw = tail[:-1].rsplit(b"\n", 1)[-1]
    fields, problem = parse_line(raw)
    if fields is None:
        raise RecordsError(f"{path}: last line unusable ({problem}); expected a record")
    if record_hash(fields) != fields["hash"]:
        raise RecordsError(
            f"{path}: last record (seq {fields['seq']}) fails its hash; not appending"
        )
    return Record(**{k: fields[k] for k in FIELDS})


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _provenance() -> dict[str, Any]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return {
        "run_id": uuid.uuid4().hex,
        "git_commit": git_commit(),
        "software_version": software_version(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "user": user,
        "records_format": RECORDS_FORMAT,
    }


def verify(
    run_dir: str | Path,
    *,
    require_end: bool = True,
    trusted: set[str] | None = None,
    store_row: Mapping[str, Any] | None = None,
) -> list[str]:
    """Every problem found in a run's records and evidence; an empty list means intact.

    Checks each line (well-formed, hash matches), the chain (seq 0, 1, 2, … with no gap or repeat,
    in file order; each ``prev`` equals the hash of the record one seq before), the kinds
    (run_start at seq 0, nothing after run_end, run_end present unless ``require_end`` is False —
    for a run still going), and the evidence: files named in records, files against
    ``manifest.json``, and the manifest against the hash sealed in ``run_end``. Each problem names
    the line and seq, or the file.
    """
    data = records_path(run_dir).read_bytes()
    if not data:
        return [f"{RECORDS}: empty; expected a run_start record on line 1"]
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline, else a cut-off last line
    problems: list[str] = []
    good: list[tuple[int, dict[str, Any]]] = []
    for n, raw in enumerate([*lines, tail] if tail else lines, start=1):
        fields, problem = parse_line(raw)
        cut = " — the last line is cut off (no newline): truncated write?" if raw is tail else ""
        if fields is None:
            problems.append(f"line {n}: {problem}{cut}")
            continue
        where = _where(n, fields)
        if cut:
            problems.append(f"{where}: no final newline — file truncated?")
        if record_hash(fields) != fields["hash"]:
            problems.append(f"{where}: hash mismatch — the record was changed after it was written")
        if fields["kind"] not in KINDS:
            problems.append(
                f"{where}: unknown kind {fields['kind']!r}; expected {', '.join(KINDS)}"
            )
        try:
            datetime.fromisoformat(fields["utc"])
        except ValueError:
            problems.append(f"{where}: utc {fields['utc']!r} is not an ISO 8601 time")
        good.append((n, fields))
    problems += _check_chain(good)
    problems += _check_run(good, require_end=require_end)
    problems += _check_evidence(Path(run_dir), good)
    ends = [f for _, f in good if f["kind"] == "run_end"]
    starts = [f for _, f in good if f["kind"] == "run_start"]
    run_id = str(starts[0]["payload"].get("run_id", "")) if starts else ""
    problems += verify_run_signature(
        Path(run_dir), run_id, ends[-1] if ends else None, trusted=trusted, store_row=store_row
    )
    return problems


def _where(n: int, fields: Mapping[str, Any]) -> str:
    return f"line {n} (seq {fields['seq']}, {fields['kind']})"


def _check_chain(good: list[tuple[int, dict[str, Any]]]) -> list[str]:
    """Order in the file, links by seq, and gaps."""
    out = []
    by_seq: dict[int, tuple[int, dict[str, Any]]] = {}
    top = -1
    for n, f in good:
        if f["seq"] in by_seq:
            out.append(f"{_where(n, f)}: duplicate seq — line {by_seq[f['seq']][0]} has it already")
        elif f["seq"] < top:
            out.append(f"{_where(n, f)}: out of order, after seq {top} — records reordered")
        by_seq.setdefault(f["seq"], (n, f))
        top = max(top, f["seq"])
    for n, f in good:
        if f["seq"] == 0 and f["prev"] != ZERO_HASH:
            out.append(f"{_where(n, f)}: prev is not 64 zeros, as seq 0 needs")
        before = by_seq.get(f["seq"] - 1)
        if before is not None and f["prev"] != before[1]["hash"]:
            out.append(
                f"{_where(n, f)}: prev does not match the hash of {_where(*before)} — a record "
                "between them is missing, or one of them was replaced"
            )
    missing = sorted(set(range(top + 1)) - by_seq.keys())
    out += [f"seq {s}: missing — no readable line carries it" for s in missing[:20]]
    if len(missing) > 20:
        out.append(f"… and {len(missing) - 20} more missing seqs")
    return out


def _check_run(good: list[tuple[int, dict[str, Any]]], *, require_end: bool) -> list[str]:
    """run_start at seq 0 and only there; nothing after the run_end; run_end if required."""
    out = []
    starts = [(n, f) for n, f in good if f["kind"] == "run_start"]
    ends = [(n, f) for n, f in good if f["kind"] == "run_end"]
    if not starts:
        out.append("run has no run_start record")
    out += [
        f"{_where(n, f)}: seq 0 must be the run_start"
        for n, f in good
        if f["seq"] == 0 and f["kind"] != "run_start"
    ]
    out += [f"{_where(n, f)}: a run_start after seq 0" for n, f in starts if f["seq"] != 0]
    if ends:
        end = min(f["seq"] for _, f in ends)
        out += [
            f"{_where(n, f)}: record after run_end (seq {end})" for n, f in good if f["seq"] > end
        ]
    elif require_end:
        out.append("run has no run_end record: unfinished, or its last records were removed")
    return out


def _check_evidence(run_dir: Path, good: list[tuple[int, dict[str, Any]]]) -> list[str]:
    out = []
    for n, fields in good:
        listed = fields["payload"].get("evidence", [])
        for rel in listed if isinstance(listed, list) else [listed]:
            if not isinstance(rel, str) or not _is_evidence(rel):
                out.append(f"{_where(n, fields)}: evidence entry {rel!r} is not a file path")
            elif not (run_dir / rel).is_file():
                out.append(f"{_where(n, fields)}: evidence file {rel} is missing")
    manifest_path = run_dir / MANIFEST
    sealed = [
        (n, f) for n, f in good if f["kind"] == "run_end" and "manifest_sha256" in f["payload"]
    ]
    if not manifest_path.is_file():
        if sealed:
            out.append(f"{MANIFEST}: missing, but {_where(*sealed[-1])} sealed it")
        return out
    raw = manifest_path.read_bytes()
    if sealed and hashlib.sha256(raw).hexdigest() != sealed[-1][1]["payload"]["manifest_sha256"]:
        out.append(f"{MANIFEST}: changed after {_where(*sealed[-1])} sealed it")
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [*out, f"{MANIFEST}: malformed, not JSON ({exc})"]
    if not isinstance(manifest, dict) or not all(_is_hex64(v) for v in manifest.values()):
        return [*out, f"{MANIFEST}: malformed; expected {{relative path: sha256}}"]
    now = evidence_files(run_dir)
    for rel in sorted(manifest.keys() - now.keys()):
        out.append(f"evidence file {rel}: missing (listed in {MANIFEST})")
    for rel in sorted(manifest.keys() & now.keys()):
        if manifest[rel] != now[rel]:
            out.append(
                f"evidence file {rel}: changed since {MANIFEST} was written "
                f"(sha256 {now[rel][:12]}…, expected {manifest[rel][:12]}…)"
            )
    for rel in sorted(now.keys() - manifest.keys()):
        out.append(f"evidence file {rel}: added after {MANIFEST} was written (not listed)")
    return out
