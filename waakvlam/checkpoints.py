"""Signed checkpoints: the history's head, kept outside the database (issue 12 §2).

The hash chain (projections/chain.py) shows a changed row, but someone with database access can rewrite every
event and recompute the whole chain. A checkpoint is the defence: the chain's head (position and hash) and the
access log's head (seq and hash), with the time, signed with an Ed25519 key that is not in the database, and
written as a new file to WAAKVLAM_CHECKPOINT_DIR (meant for write-once storage) and mailed to the privacy
officers. Verifying against a checkpoint (`waakvlam verify --against FILE`, GET /api/integrity) proves the
current history extends it: a rewritten history no longer holds the checkpoint's hash at its position.

A checkpoint is made only of a history that verifies: the whole chain is walked first (the daily one by the
reminder worker; on demand: POST /api/integrity/checkpoints, `waakvlam checkpoint`), events not yet chained are
chained first, so the checkpoint covers everything committed when it was asked for.

The file is JSON; the signature covers every other field, as compact JSON with sorted keys (`payload`):

    {"format": "waakvlam-checkpoint/1", "schema": "public", "position": 1234, "head_hash": "<hex>",
     "events": 1200, "access_log_seq": 88, "access_log_hash": "<hex>", "created_at": "2026-12-04T02:00:03Z",
     "key_id": "<first 16 hex of SHA-256 of the public key>", "signature": "<base64>"}
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from waakvlam.database import is_embedded, local_secret
from waakvlam.settings import Settings

FORMAT = "waakvlam-checkpoint/1"
KEY_FILE = "checkpoint_key"


class CheckpointKeyMissing(RuntimeError):
    """No signing key: WAAKVLAM_CHECKPOINT_KEY must be set for a database server outside demo mode."""


# ---- keys ---------------------------------------------------------------------------


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """WAAKVLAM_CHECKPOINT_KEY, or for the embedded database and the demo a key made once in the data directory
    (as the key-encryption key is, waakvlam/database.py)."""
    if settings.checkpoint_key:
        return _private(settings.checkpoint_key.get_secret_value())
    if settings.database_url and not settings.demo and not is_embedded(settings):
        raise CheckpointKeyMissing("WAAKVLAM_CHECKPOINT_KEY is not set: checkpoints are signed with a key kept "
                                   "outside the database (base64 of 32 random bytes; see README)")
    return _private(local_secret(settings.data_dir, KEY_FILE))


def _private(text: str) -> Ed25519PrivateKey:
    raw = base64.b64decode(text, validate=True)
    if len(raw) != 32:
        raise ValueError("a checkpoint key is base64 of exactly 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_text(key: Ed25519PublicKey) -> str:
    """A public key as published: base64 of its 32 raw bytes."""
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def trusted_keys(settings: Settings) -> dict[str, Ed25519PublicKey]:
    """The public keys whose checkpoints count, by key id: WAAKVLAM_CHECKPOINT_PUBLIC_KEYS and the signing key's."""
    keys = [Ed25519PublicKey.from_public_bytes(base64.b64decode(text)) for text in settings.checkpoint_public_keys]
    try:
        keys.append(signing_key(settings).public_key())
    except CheckpointKeyMissing:
        pass  # verifying elsewhere, with the published key only
    return {key_id(key): key for key in keys}


# ---- the checkpoint --------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    schema: str
    position: int  # the chain's head
    head_hash: str  # hex
    events: int  # events verified (the whole history) before it was signed
    access_log_seq: int | None
    access_log_hash: str | None
    created_at: str  # ISO 8601, UTC
    key_id: str
    signature: str = ""  # base64 of the Ed25519 signature over `payload`

    def payload(self) -> bytes:
        signed = {"format": FORMAT, **{k: v for k, v in asdict(self).items() if k != "signature"}}
        return json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **asdict(self)}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Checkpoint:
        """Parse a checkpoint file; ValueError when it is not one."""
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ValueError(f"not JSON: {error}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        names = {f.name for f in fields(cls)}
        if set(data) - {"format"} != names:
            raise ValueError(f"the fields are not those of {FORMAT}")
        checkpoint = cls(**{k: v for k, v in data.items() if k != "format"})
        if not (isinstance(checkpoint.position, int) and isinstance(checkpoint.head_hash, str)
                and len(checkpoint.head_hash) == 64):
            raise ValueError("position or head_hash is malformed")
        bytes.fromhex(checkpoint.head_hash)
        return checkpoint

    @property
    def anchor(self) -> tuple[int, bytes]:
        return self.position, bytes.fromhex(self.head_hash)

    @property
    def log_anchor(self) -> tuple[int, bytes] | None:
        if self.access_log_seq is None or self.access_log_hash is None:
            return None
        return self.access_log_seq, bytes.fromhex(self.access_log_hash)

    @property
    def file_name(self) -> str:
        moment = self.created_at.replace("-", "").replace(":", "").replace("+0000", "Z")
        return f"checkpoint-{self.schema}-{self.position:012d}-{moment}.json"


def sign(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> Checkpoint:
    unsigned = replace(checkpoint, key_id=key_id(key.public_key()), signature="")
    return replace(unsigned, signature=base64.b64encode(key.sign(unsigned.payload())).decode())


def signature_problem(checkpoint: Checkpoint, trusted: dict[str, Ed25519PublicKey]) -> str | None:
    """None when a trusted key signed exactly this checkpoint; else why not (in English, for the log/CLI)."""
    key = trusted.get(checkpoint.key_id)
    if key is None:
        return f"signed with key {checkpoint.key_id}, which is not a trusted key"
    try:
        key.verify(base64.b64decode(checkpoint.signature), checkpoint.payload())
    except (InvalidSignature, ValueError):
        return "the signature does not match the checkpoint: it was altered, or not signed by that key"
    return None


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- the directory -----------------------------------------------------------------------


def directory(settings: Settings) -> Path:
    return (settings.checkpoint_dir or settings.data_dir / "checkpoints").resolve()


def write(folder: Path, checkpoint: Checkpoint) -> Path:
    """Write a new file (never over an existing one: O_EXCL), read-only, flushed to disk with its directory."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / checkpoint.file_name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    with os.fdopen(fd, "w") as file:
        file.write(checkpoint.to_json())
        file.flush()
        os.fsync(file.fileno())
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path


@dataclass(frozen=True)
class Stored:
    path: Path
    checkpoint: Checkpoint | None
    problem: str | None  # None: a checkpoint signed by a trusted key

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.path.name, "valid": self.problem is None, "problem": self.problem,
                **(asdict(self.checkpoint) if self.checkpoint else {})}


def read(path: Path, trusted: dict[str, Ed25519PublicKey]) -> Stored:
    try:
        checkpoint = Checkpoint.from_json(path.read_bytes())
    except (OSError, ValueError, TypeError) as error:
        return Stored(path, None, f"not a checkpoint: {error}")
    return Stored(path, checkpoint, signature_problem(checkpoint, trusted))


def read_all(folder: Path, trusted: dict[str, Ed25519PublicKey], schema: str | None = None) -> list[Stored]:
    """Every checkpoint file in `folder` (of `schema`, when given), oldest position first."""
    if not folder.is_dir():
        return []
    found = [read(path, trusted) for path in sorted(folder.glob("checkpoint-*.json"))]
    found = [s for s in found if schema is None or s.checkpoint is None or s.checkpoint.schema == schema]
    return sorted(found, key=lambda s: (s.checkpoint.position if s.checkpoint else -1, s.path.name))


def valid(stored: list[Stored]) -> list[Checkpoint]:
    return [s.checkpoint for s in stored if s.problem is None and s.checkpoint is not None]


# ---- making one ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Made:
    events: Any  # waakvlam.integrity.IntegrityResult
    access_log: Any  # waakvlam.access_log.VerifyResult
    checkpoint: Checkpoint | None  # None: the history does not verify, or there is nothing to sign yet
    path: Path | None
    chained: int  # events chained first (the worker had not reached them)

    @property
    def ok(self) -> bool:
        return bool(self.events.ok and self.access_log.ok)


def make(env: dict[str, str], settings: Settings, *, full: bool = True) -> Made:
    """Chain what is not chained yet, verify (the whole history, or with `full=False` the rows since the last
    checkpoint), and when it verifies sign and write a checkpoint of it. Raises CheckpointKeyMissing."""
    import psycopg

    from projections import versions
    from projections.chain import ChainError, ChainProjection, ChainView

    key = signing_key(settings)
    schema = env.get("POSTGRES_SCHEMA") or "public"
    chained = 0
    view = versions.construct(ChainProjection.name, ChainView, env, create=True)
    try:
        chained = view.chain_pending()
    except ChainError as error:  # a row changed before it was chained: verify names it
        chained = error.chained
    finally:
        view.datastore.close()
    with psycopg.connect(versions.conninfo(env), autocommit=True) as conn:
        events, log, last = verify_history(conn, schema, settings, full=full)
    if not (events.ok and log.ok) or events.last_position is None:
        return Made(events, log, None, None, chained)
    checkpoint = sign(Checkpoint(
        schema=schema, position=events.last_position, head_hash=events.head_hash, events=events.checked
        + (last.events if last else 0), access_log_seq=log.head_seq, access_log_hash=log.head_hash,
        created_at=now_text(), key_id=""), key)
    try:
        path = write(directory(settings), checkpoint)
    except FileExistsError:  # the same head in the same second: the very same checkpoint (Ed25519 is deterministic)
        path = directory(settings) / checkpoint.file_name
    return Made(events, log, checkpoint, path, chained)


def verify_history(conn: Any, schema: str, settings: Settings, *, full: bool = False
                   ) -> tuple[Any, Any, Checkpoint | None]:
    """The events' and the access log's verification against every valid checkpoint, walking only what came after
    the last one (`full`: everything); with that checkpoint (None: none, or `full`)."""
    from waakvlam.access_log import verify as verify_log
    from waakvlam.integrity import verify

    earlier = valid(read_all(directory(settings), trusted_keys(settings), schema))
    last = earlier[-1] if earlier and not full else None
    events = verify(conn, schema, anchors=[c.anchor for c in earlier], since=last.anchor if last else None)
    log = verify_log(conn, schema, anchors=[a for c in earlier if (a := c.log_anchor)],
                     since=last.log_anchor if last else None)
    return events, log, last
