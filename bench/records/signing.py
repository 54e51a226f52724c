"""Station keys and run signatures: the run records made evident against forgery, not only
against accidental edits.

The hash chain (``bench.records.chain``) shows any edit that was not followed by recomputing the
hashes; anyone can recompute them. So every run's end is signed with the station's Ed25519 key:

- The key is created on first use outside the repository, in ``$SMILE_BENCH_KEY_DIR`` or else
  ``$XDG_CONFIG_HOME/smile-bench/keys`` (``~/.config/...``): ``station-ed25519.pem`` (PKCS #8,
  mode 0600, written to a temporary file and linked into place, so two processes creating it at
  once end with one key) and ``station-ed25519.pub`` (the raw public key, hex).
- ``run_end``'s payload names the key (``signing_key``: algorithm, public key hex, fingerprint);
  its record hash — the chain head, which covers every record before it and the manifest's
  SHA-256 sealed in it — is what is signed, with the run ID, in ``signature.json`` beside the
  records (written whole, then renamed).
- The results store keeps each run's chain head, key fingerprint and signature too
  (``bench.records.store``), so a run directory whose chain was rebuilt and re-signed with
  another key disagrees with the store.

:func:`verify_run_signature` checks the signature against the key named in the record, the key
against the keys trusted here (this station's, and any given), and the record against the store.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bench.errors import BenchError

KEY_ENV = "SMILE_BENCH_KEY_DIR"
KEY_FILE = "station-ed25519.pem"
PUBLIC_FILE = "station-ed25519.pub"
SIGNATURE = "signature.json"
SIGNATURE_FORMAT = "smile-bench-run-signature/1"
ALGORITHM = "Ed25519"


class SigningError(BenchError):
    """The station key cannot be read or created; the message names the file."""


@dataclass(frozen=True)
class StationKey:
    private: Ed25519PrivateKey
    public_hex: str
    path: Path

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_hex)

    def identity(self) -> dict[str, str]:
        """What a record says about the key that signs it."""
        return {
            "algorithm": ALGORITHM,
            "public_key": self.public_hex,
            "fingerprint": self.fingerprint,
        }


def fingerprint(public_hex: str) -> str:
    """``SHA256:`` and the first 128 bits of the public key's SHA-256, in groups of four."""
    digest = hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:32]
    return "SHA256:" + ":".join(digest[i : i + 4] for i in range(0, 32, 4))


def key_dir() -> Path:
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV])
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "smile-bench" / "keys"


def _public_hex(private: Ed25519PrivateKey) -> str:
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return raw.hex()


def station_key(directory: Path | None = None) -> StationKey:
    """This station's key, created on first use (module documentation)."""
    folder = directory or key_dir()
    path = folder / KEY_FILE
    if not path.exists():
        _create(folder, path)
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningError(f"{path}: not a readable Ed25519 station key ({exc})") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise SigningError(f"{path}: a {type(private).__name__}; expected an Ed25519 key")
    return StationKey(private, _public_hex(private), path)


def _create(folder: Path, path: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".station-key.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:  # mkstemp: mode 0600
                f.write(pem)
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(tmp, path)  # fails if another process made the key meanwhile: keep that
            except FileExistsError:
                return
        finally:
            Path(tmp).unlink(missing_ok=True)
        _atomic_write(folder / PUBLIC_FILE, _public_hex(private) + "\n")
    except OSError as exc:
        raise SigningError(f"{path}: cannot create the station key ({exc})") from None


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), 0o644)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def signed_message(run_id: str, chain_head: str, manifest_sha256: str) -> bytes:
    """The bytes signed for a run: canonical JSON, so a verifier rebuilds them exactly."""
    body = {
        "format": SIGNATURE_FORMAT,
        "run_id": run_id,
        "chain_head": chain_head,
        "manifest_sha256": manifest_sha256,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign_run(run_dir: Path, run_id: str, run_end_hash: str, manifest_sha256: str, key) -> dict:
    """Sign a finished run and write ``signature.json``; returns what was written."""
    signature = key.private.sign(signed_message(run_id, run_end_hash, manifest_sha256))
    doc = {
        "format": SIGNATURE_FORMAT,
        "run_id": run_id,
        "chain_head": run_end_hash,
        "manifest_sha256": manifest_sha256,
        **key.identity(),
        "signature": signature.hex(),
    }
    _atomic_write(Path(run_dir) / SIGNATURE, json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return doc


def trusted_fingerprints(extra_public_keys: Iterable[str] = ()) -> set[str]:
    """This station's key (when it exists here) and the public keys given (hex)."""
    found = {fingerprint(k.strip()) for k in extra_public_keys}
    if (key_dir() / KEY_FILE).exists():
        found.add(station_key().fingerprint)
    return found


def public_key_arg(value: str) -> str:
    """A public key given on the command line: 64 hex digits, or a file holding them."""
    text = value.strip()
    if not _is_key_hex(text):
        path = Path(value)
        try:
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            raise SigningError(
                f"--trusted-key {value}: expected an Ed25519 public key (64 hex digits) or a file "
                "holding one (station-ed25519.pub)"
            ) from None
        if not _is_key_hex(text):
            raise SigningError(f"{path}: expected 64 hex digits (an Ed25519 public key)")
    return text.lower()


def _is_key_hex(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text)


def verify_run_signature(
    run_dir: Path,
    run_id: str,
    run_end: Mapping[str, Any] | None,
    *,
    trusted: set[str] | None = None,
    store_row: Mapping[str, Any] | None = None,
) -> list[str]:
    """Problems with a run's signature, its key and its store row (empty: all hold).

    ``run_end``: the run_end record's fields (None when the run has none); ``trusted``: the key
    fingerprints accepted (None: do not judge the key); ``store_row``: the run's row in the
    results store (None: not checked)."""
    if run_end is None:
        return []  # the chain check reports the missing run_end
    payload = run_end.get("payload", {})
    named = payload.get("signing_key")
    path = Path(run_dir) / SIGNATURE
    if not isinstance(named, dict) or not isinstance(named.get("public_key"), str):
        return ["run_end names no signing key: the run was not signed"]
    if not _is_key_hex(named["public_key"]):
        return ["run_end: signing_key public_key is not 64 hex digits (an Ed25519 key)"]
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [f"{SIGNATURE}: missing; the run_end names key {named.get('fingerprint')}"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"{SIGNATURE}: not readable as JSON ({exc})"]
    problems = []
    if doc.get("public_key") != named["public_key"]:
        problems.append(f"{SIGNATURE}: signed by another key than the one run_end names")
    if doc.get("chain_head") != run_end.get("hash"):
        problems.append(
            f"{SIGNATURE}: signs chain head {str(doc.get('chain_head'))[:12]}…, "
            f"but the records end at {str(run_end.get('hash'))[:12]}…"
        )
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(named["public_key"]))
        message = signed_message(
            run_id, str(run_end.get("hash")), str(payload.get("manifest_sha256", ""))
        )
        public.verify(bytes.fromhex(str(doc.get("signature", ""))), message)
    except (ValueError, InvalidSignature):
        problems.append(
            f"{SIGNATURE}: the signature does not verify with key "
            f"{fingerprint(named['public_key'])} over this run's chain head and manifest — "
            "records or manifest forged"
        )
    key_fp = fingerprint(named["public_key"])
    if named.get("fingerprint") != key_fp:
        problems.append(f"run_end: signing_key fingerprint is not its public key's ({key_fp})")
    if trusted is not None and key_fp not in trusted:
        problems.append(
            f"signing key {key_fp} is not trusted here (this station's key, or --trusted-key): "
            "signed by another station, or the key was swapped"
        )
    if store_row is not None and store_row.get("missing"):
        problems.append(f"results store {store_row['missing']}: run not in the store")
    elif store_row is not None:
        if store_row.get("head_hash") != run_end.get("hash"):
            problems.append(
                f"results store: chain head {str(store_row.get('head_hash'))[:12]}… for this run, "
                f"but the records end at {str(run_end.get('hash'))[:12]}…"
            )
        if store_row.get("key_fingerprint") != key_fp:
            problems.append(
                f"results store: signed by {store_row.get('key_fingerprint')}, "
                f"but the records name {key_fp}"
            )
    return problems
