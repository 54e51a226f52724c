"""Run records that hold against forgery (issue 15): each run's end signed with the station's
Ed25519 key, the chain head in the results store too, and ``report --verify`` checking both.
Forging is done as an attacker would: edit a record, then recompute every hash after it."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest

from bench.cli.main import main
from bench.records import ResultsStore, RunRecorder, signing, verify
from bench.records.chain import record_hash


@pytest.fixture(autouse=True)
def key_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "keys"
    monkeypatch.setenv(signing.KEY_ENV, str(folder))
    return folder


def finished_run(folder: Path) -> Path:
    rec = RunRecorder(folder)
    rec.start({"dut": "golden", "seeds": [1]})
    for i in range(3):
        rec.append(
            "test",
            {"test_id": f"t{i}", "verdict": "passed", "figures": [{"figure": f"f{i}", "value": i}]},
        )
    rec.finish({"verdict": "pass"})
    return folder


def lines(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "records.jsonl").read_text().splitlines()]


def rewrite(run: Path, records: list[dict]) -> None:
    """Write ``records`` back with a consistent chain: every hash and prev recomputed."""
    prev = "0" * 64
    out = []
    for r in records:
        r = {**r, "prev": prev}
        r.pop("hash")
        r["hash"] = record_hash(r)
        prev = r["hash"]
        out.append(json.dumps(r, sort_keys=True, separators=(",", ":")))
    (run / "records.jsonl").write_text("\n".join(out) + "\n")


def forge_figure(run: Path) -> list[dict]:
    records = lines(run)
    records[2]["payload"]["figures"][0]["value"] = 99  # a test record's figure, changed
    rewrite(run, records)
    return records


def test_a_finished_run_is_signed_with_a_key_made_on_first_use(tmp_path, key_dir):
    run = finished_run(tmp_path / "run")
    key_file = key_dir / signing.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    public = (key_dir / signing.PUBLIC_FILE).read_text().strip()
    end = lines(run)[-1]
    assert end["payload"]["signing_key"] == {
        "algorithm": "Ed25519",
        "public_key": public,
        "fingerprint": signing.fingerprint(public),
    }
    doc = json.loads((run / signing.SIGNATURE).read_text())
    assert doc["chain_head"] == end["hash"] and doc["public_key"] == public
    assert verify(run, trusted=signing.trusted_fingerprints()) == []
    # the same key signs the next run
    other = finished_run(tmp_path / "run2")
    assert lines(other)[-1]["payload"]["signing_key"]["public_key"] == public


def test_a_forged_chain_is_caught_by_the_signature(tmp_path):
    run = finished_run(tmp_path / "run")
    assert verify(run) == []
    forge_figure(run)
    problems = verify(run)
    # the chain itself is consistent again; only the signature tells
    assert problems and all(p.startswith("signature.json:") for p in problems), problems
    assert any("signature does not verify" in p for p in problems)


def test_a_swapped_key_is_caught_by_trust_and_by_the_store(tmp_path, key_dir, monkeypatch):
    run = finished_run(tmp_path / "run")
    store_path = tmp_path / "results.sqlite"
    with ResultsStore(store_path) as store:
        run_id = store.index_run_dir(run)
        row = store.run(run_id)
    assert row.key_fingerprint == signing.station_key().fingerprint
    assert row.head_hash == lines(run)[-1]["hash"] and row.signature
    trusted = signing.trusted_fingerprints()
    # the attacker forges a figure, then signs the run_end again with a key of their own
    records = forge_figure(run)
    monkeypatch.setenv(signing.KEY_ENV, str(tmp_path / "attacker"))
    theirs = signing.station_key()
    records[-1]["payload"]["signing_key"] = theirs.identity()
    rewrite(run, records)
    end = lines(run)[-1]
    signing.sign_run(run, run_id, end["hash"], end["payload"]["manifest_sha256"], theirs)
    assert verify(run) == []  # self-consistent: only trust and the store can tell
    problems = verify(run, trusted=trusted, store_row=row.__dict__)
    text = "\n".join(problems)
    assert "is not trusted here" in text
    assert "results store: chain head" in text and "results store: signed by" in text


def test_report_verify_checks_the_store_and_the_trusted_keys(tmp_path, capsys, key_dir):
    run = finished_run(tmp_path / "run")
    store_path = tmp_path / "results.sqlite"
    with ResultsStore(store_path) as store:
        store.index_run_dir(run)
    assert main(["report", "--verify", str(run), "--store", str(store_path)]) == 0
    assert "signed by trusted key SHA256:" in capsys.readouterr().out
    # on another machine: this station's key is trusted only when given
    public = (key_dir / signing.PUBLIC_FILE).read_text().strip()
    (key_dir / signing.KEY_FILE).rename(tmp_path / "away.pem")
    assert main(["report", "--verify", str(run)]) == 1
    assert "is not trusted here" in capsys.readouterr().out
    pub_file = tmp_path / "station.pub"
    pub_file.write_text(public + "\n")
    assert main(["report", "--verify", str(run), "--trusted-key", str(pub_file)]) == 0
    assert main(["report", "--verify", str(run), "--trusted-key", public]) == 0
    capsys.readouterr()
    assert main(["report", "--verify", str(run), "--trusted-key", "zz"]) == 2
    assert "--trusted-key zz: expected an Ed25519 public key" in capsys.readouterr().err


def test_a_store_that_disagrees_with_the_records_is_caught(tmp_path, capsys):
    run = finished_run(tmp_path / "run")
    store_path = tmp_path / "results.sqlite"
    with ResultsStore(store_path) as store:
        store.index_run_dir(run)
    other = finished_run(tmp_path / "other")
    with ResultsStore(store_path) as store:  # the row of `run` now names another chain head
        store.add_run(
            lines(run)[0]["payload"]["run_id"],
            started_utc="x",
            head_hash=lines(other)[-1]["hash"],
        )
    assert main(["report", "--verify", str(run), "--store", str(store_path)]) == 1
    assert "results store: chain head" in capsys.readouterr().out
    empty = tmp_path / "empty.sqlite"
    ResultsStore(empty).close()
    assert main(["report", "--verify", str(run), "--store", str(empty)]) == 1
    assert "run not in the store" in capsys.readouterr().out


def test_a_missing_or_unsigned_signature_is_a_problem(tmp_path):
    run = finished_run(tmp_path / "run")
    (run / signing.SIGNATURE).unlink()
    assert any("signature.json: missing" in p for p in verify(run))
    unsigned = RunRecorder(tmp_path / "unsigned")
    unsigned.start({"dut": "golden", "seeds": [1]})
    unsigned.finish({"verdict": "pass"}, sign=False)
    assert verify(tmp_path / "unsigned") == ["run_end names no signing key: the run was not signed"]


def test_processes_creating_the_key_at_once_end_with_one_key(key_dir):
    keys: list[str] = []
    threads = [
        threading.Thread(target=lambda: keys.append(signing.station_key().public_hex))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and len(keys) == 8
    assert [p.name for p in key_dir.iterdir() if p.name.startswith(".")] == []
