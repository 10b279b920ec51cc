"""Erasure by crypto-shredding: personal data in events is encrypted with a key per aggregate.

The event store never changes, yet the right to be forgotten is real: the personal
fields of every household (and signal) event are sealed with that household's own
data key (AES-256-GCM), and forgetting destroys the key. What is left of the event
is still an event: its other fields stay readable, and each sealed field holds a
placeholder (`REDACTED` for text, an empty list or mapping, or None), so replays,
projections and rebuilds keep working on the redacted events.

Which fields are personal is declared once, next to the aggregate
(`domain.household.PERSONAL_FIELDS`, `domain.signal.PERSONAL_FIELDS`), never guessed.

The data keys are stored wrapped (AES-GCM again) with the key-encryption key from
the settings (`WAAKVLAM_KEK`), in their own table (`waakvlam.store`), or beside the
in-memory store in unit tests. A destroyed key leaves a tombstone (no key material),
so a forgotten aggregate can never get a new key and new readable events.

This is the library's `Mapper` extension point: its own cipher (`CIPHER_TOPIC`) has
one key for the whole application, which could only forget everything at once.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any, Protocol
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

REDACTED = "[gewist]"
SEALED = "_sealed"  # the event state's field holding the encrypted personal fields
NONCE = 12
KEY_CACHE = 10_000  # data keys kept unwrapped in memory (bounded: a rebuild reads every household)
KEY_TTL = 300.0  # seconds a cached key is used before the table is asked again (another process may forget it)
SNAPSHOT_FIELDS = ("state",)  # a snapshot holds the aggregate's whole state: all of it is sealed
# Without WAAKVLAM_KEK in the environment (unit tests on the in-memory store, hand-made benchmark
# environments) the data keys are wrapped with this well-known key: fine for throw-away stores only.
# The service always passes one (waakvlam/database.py: the setting, or the data directory's own).
DEVELOPMENT_KEK = "d2Fha3ZsYW0tb250d2lra2VsaW5nLW5pZXQtZ2VoZWk="


class KeyDestroyed(Exception):
    """The aggregate was forgotten: its key is gone, and no new events may be sealed for it."""


class KeyStore(Protocol):
    def fetch_key(self, originator_id: UUID) -> tuple[bool, bytes | None]:
        """(whether a row exists, its wrapped key; None when destroyed)."""

    def insert_key(self, originator_id: UUID, wrapped: bytes) -> bytes | None:
        """Store the wrapped key unless one exists; the wrapped key that is stored (None: destroyed)."""

    def destroy_keys(self, originator_ids: Iterable[UUID]) -> None:
        """Destroy the keys (leave tombstones)."""


class MemoryKeys:
    """Keys beside an in-memory event store (unit tests): kept on the recorder, so that a
    second application reading the same recorder finds them, as it would find a table."""

    def __init__(self) -> None:
        self._keys: dict[UUID, bytes | None] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, recorder: Any) -> MemoryKeys:
        keys = recorder.__dict__.get("_waakvlam_keys")
        if keys is None:
            keys = recorder.__dict__["_waakvlam_keys"] = cls()
        return keys

    def fetch_key(self, originator_id: UUID) -> tuple[bool, bytes | None]:
        with self._lock:
            return originator_id in self._keys, self._keys.get(originator_id)

    def insert_key(self, originator_id: UUID, wrapped: bytes) -> bytes | None:
        with self._lock:
            return self._keys.setdefault(originator_id, wrapped)

    def destroy_keys(self, originator_ids: Iterable[UUID]) -> None:
        with self._lock:
            for originator_id in originator_ids:
                self._keys[originator_id] = None


def kek_of(env: Mapping[str, str]) -> bytes:
    """The environment's key-encryption key (`WAAKVLAM_KEK`; the development key without one)."""
    return parse_kek(env.get("WAAKVLAM_KEK") or DEVELOPMENT_KEK)


def parse_kek(value: str) -> bytes:
    """The key-encryption key from its base64 text (32 bytes: AES-256)."""
    try:
        kek = base64.b64decode(value, validate=True)
    except ValueError:
        raise ValueError("WAAKVLAM_KEK is not base64") from None
    if len(kek) != 32:
        raise ValueError("WAAKVLAM_KEK is not 32 bytes (base64 of 32 random bytes)")
    return kek


class KeyRing:
    """Data keys per aggregate: created on first use, unwrapped with the key-encryption key,
    cached in memory (bounded), destroyed on erasure."""

    def __init__(self, kek: bytes, store: KeyStore, *, cache_size: int = KEY_CACHE) -> None:
        self._kek = AESGCM(kek)
        self._store = store
        self._cache: OrderedDict[UUID, tuple[float, AESGCM | None]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._pending = threading.local()
        self.deferred = False  # set when the recorder stores new keys with the events (waakvlam/store.py)

    def for_reading(self, originator_id: UUID) -> AESGCM | None:
        """The aggregate's key, or None when it was destroyed (or never made)."""
        cached = self._cached(originator_id)
        if cached is not False:
            return cached  # type: ignore[return-value]
        exists, wrapped = self._store.fetch_key(originator_id)
        key = self._unwrap(originator_id, wrapped) if wrapped is not None else None
        if exists:  # a missing row is not cached: another process may be about to create it
            self._put(originator_id, key)
        return key

    def for_writing(self, originator_id: UUID, *, new: bool = False) -> AESGCM:
        """The aggregate's key, made (and stored) on first use. KeyDestroyed for a forgotten one.

        For a `new` aggregate (its first event) with a store that saves keys with the events
        (`deferred`), the key is made here and handed to the recorder (`take_pending`), which
        inserts it in the same transaction as the events: no extra round trip, and no key
        without its events."""
        cached = self._cached(originator_id)
        if cached is None:
            raise KeyDestroyed(str(originator_id))
        if cached is not False:
            return cached  # type: ignore[return-value]
        nonce = os.urandom(NONCE)
        data_key = AESGCM.generate_key(256)
        wrapped = nonce + self._kek.encrypt(nonce, data_key, originator_id.bytes)
        if new and self.deferred:
            key = AESGCM(data_key)
            self._put(originator_id, key)
            self._pending.__dict__.setdefault("keys", []).append((originator_id, wrapped))
            return key
        stored = self._store.insert_key(originator_id, wrapped)
        key = self._unwrap(originator_id, stored) if stored is not None else None
        self._put(originator_id, key)
        if key is None:
            raise KeyDestroyed(str(originator_id))
        return key

    def take_pending(self) -> list[tuple[UUID, bytes]]:
        """The keys made for new aggregates in this thread since the last call (for the recorder)."""
        return self._pending.__dict__.pop("keys", [])

    def destroy(self, originator_ids: Iterable[UUID]) -> None:
        ids = list(originator_ids)
        self._store.destroy_keys(ids)
        with self._lock:
            for originator_id in ids:
                self._cache.pop(originator_id, None)

    def forget_cached(self, originator_id: UUID) -> None:
        with self._lock:
            self._cache.pop(originator_id, None)

    def _unwrap(self, originator_id: UUID, wrapped: bytes) -> AESGCM:
        return unwrap(self._kek, originator_id, wrapped)

    def _cached(self, originator_id: UUID) -> AESGCM | bool | None:
        """The cached key (None: destroyed), or False when it is not cached (or no longer fresh)."""
        with self._lock:
            found = self._cache.get(originator_id)
            if found is None or (found[1] is not None and found[0] < time.monotonic()):
                return False  # a destroyed key stays destroyed: only live keys are asked for again
            self._cache.move_to_end(originator_id)
            return found[1]

    def _put(self, originator_id: UUID, key: AESGCM | None) -> None:
        with self._lock:
            self._cache[originator_id] = (time.monotonic() + KEY_TTL, key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)


def unwrap(kek: AESGCM, originator_id: UUID, wrapped: bytes) -> AESGCM:
    """A data key as stored (wrapped with the key-encryption key), ready to seal and open with."""
    wrapped = bytes(wrapped)
    try:
        return AESGCM(kek.decrypt(wrapped[:NONCE], wrapped[NONCE:], originator_id.bytes))
    except InvalidTag:
        raise ValueError(f"the data key of {originator_id} does not open with this WAAKVLAM_KEK") from None


class Sealer:
    """Seals data with an aggregate's data key outside the event store (the reminder outbox, the access
    log's emergency reasons), for processes that read the keys table themselves, in the query that needs
    them: `key(originator_id, wrapped)` with the wrapped key as stored (None: destroyed, or never made).
    No cache: a key destroyed by another process is gone at the next query."""

    def __init__(self, kek: bytes) -> None:
        self._kek = AESGCM(kek)

    @classmethod
    def of(cls, env: Mapping[str, str]) -> Sealer:
        """With the key-encryption key of the environment (as the application's key ring has it)."""
        return cls(kek_of(env))

    def key(self, originator_id: UUID, wrapped: bytes | None) -> AESGCM | None:
        return unwrap(self._kek, originator_id, wrapped) if wrapped is not None else None


def seal(key: AESGCM, data: bytes, aad: bytes) -> bytes:
    """`data` encrypted with `key` (AES-256-GCM), bound to `aad`: nonce || ciphertext."""
    nonce = os.urandom(NONCE)
    return nonce + key.encrypt(nonce, data, aad)


def unseal(key: AESGCM | None, sealed: bytes, aad: bytes) -> bytes | None:
    """What `seal` sealed; None without the key (destroyed: forgotten) or when it does not open with it."""
    if key is None:
        return None
    sealed = bytes(sealed)
    try:
        return key.decrypt(sealed[:NONCE], sealed[NONCE:], aad)
    except InvalidTag:
        return None


def placeholder(value: Any) -> Any:
    """What a sealed field reads as without its key."""
    if isinstance(value, str):
        return REDACTED
    if isinstance(value, list | tuple):
        return []
    if isinstance(value, dict):
        return {}
    return None


def personal_topics(*declarations: tuple[type, dict[str, tuple[str, ...]]]) -> dict[str, tuple[str, ...]]:
    """{event topic: its personal fields} from (aggregate class, {event name: fields}) declarations."""
    topics = {get_topic(Snapshot): SNAPSHOT_FIELDS}
    for aggregate, fields in declarations:
        for name, personal in fields.items():
            topics[get_topic(getattr(aggregate, name))] = personal
    return topics


class ShreddingMapper(Mapper[UUID]):
    """The library's mapper, sealing each event's personal fields with its aggregate's key.

    `keyring` and `personal` are set by the application after construction; until then
    (and for events without personal fields) it is the library's mapper."""

    keyring: KeyRing | None = None
    personal: dict[str, tuple[str, ...]] = {}  # replaced per instance

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        fields = self.personal.get(get_topic(type(domain_event)))
        if not fields or self.keyring is None:
            return super().to_stored_event(domain_event)
        state = dict(vars(domain_event))
        originator_id, version = state["originator_id"], state["originator_version"]
        secret = {name: state[name] for name in fields if name in state}
        for name, value in secret.items():
            state[name] = placeholder(value)
        key = self.keyring.for_writing(originator_id, new=version == 1 and not isinstance(domain_event, Snapshot))
        nonce = os.urandom(NONCE)
        sealed = nonce + key.encrypt(nonce, self.transcoder.encode(secret), _aad(originator_id, version))
        state[SEALED] = base64.b64encode(sealed).decode()
        stand_in = object.__new__(type(domain_event))
        object.__setattr__(stand_in, "__dict__", state)
        return super().to_stored_event(stand_in)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        domain_event = super().to_domain_event(stored_event)
        state = domain_event.__dict__
        sealed = state.pop(SEALED, None)
        if sealed is None or self.keyring is None:
            return domain_event
        key = self.keyring.for_reading(stored_event.originator_id)
        if key is not None:  # else: forgotten, the placeholders stay
            raw = base64.b64decode(sealed)
            aad = _aad(stored_event.originator_id, stored_event.originator_version)
            state.update(self.transcoder.decode(key.decrypt(raw[:NONCE], raw[NONCE:], aad)))
        return domain_event


def _aad(originator_id: UUID, version: int) -> bytes:
    """Binds a sealed blob to its event: it cannot be copied into another event and opened."""
    return originator_id.bytes + version.to_bytes(8, "big")
