"""Tamper evidence: a hash chain over the events AS STORED, in notification order.

Each link hashes the previous link and the stored row's bytes, not the decoded
domain event: erasing personal data by crypto-shredding (destroying a key; the
stored ciphertext is never changed) leaves every link intact, while changing,
deleting or slipping in a row breaks the chain at that position.

Canonical encoding of a stored row (version 1). Five fields, in this order, each
written as a 4-byte unsigned big-endian length followed by that many bytes:

    notification_id      8 bytes, signed big-endian (PostgreSQL bigint)
    originator_id        16 bytes, the UUID's bytes (RFC 4122 order, `UUID.bytes`)
    originator_version   8 bytes, signed big-endian (PostgreSQL bigint)
    topic                the text as UTF-8
    state                the bytea exactly as stored

    hash(position) = SHA-256(previous hash || canonical row)

The genesis link's previous hash is 32 zero bytes. Positions are notification
ids; ids skipped by rolled-back transactions are normal, so a link names the
previous EXISTING position it chains from (`previous_position`, NULL at genesis).

`ChainView` writes one link per event together with the tracking position in
one transaction. `ChainProjection` reads the row from the events table in that
transaction, so what is hashed is what is stored; it subscribes through
`StoredHouseholds`, which hands on stored events undecoded (a shredded event
need never be decrypted to be chained). `waakvlam.integrity.verify` walks it.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg.sql import SQL, Identifier, Literal

from domain.application import Households
from waakvlam import fingerprints

TABLE = "event_chain"
FINGERPRINTS = fingerprints.TABLE
EVENTS_TABLE = f"{Households.name.lower()}_events"
GENESIS = bytes(32)
_BIGINT = struct.Struct(">q")
_LENGTH = struct.Struct(">I")


def canonical_row(position: int, originator_id: UUID, originator_version: int, topic: str, state: bytes) -> bytes:
    """The stored row's bytes as the chain hashes them (length-prefixed fields, see above)."""
    fields = (_BIGINT.pack(position), originator_id.bytes, _BIGINT.pack(originator_version),
              topic.encode("utf-8"), bytes(state))
    return b"".join(_LENGTH.pack(len(field)) + field for field in fields)


def link(previous_hash: bytes, position: int, originator_id: UUID, originator_version: int, topic: str,
         state: bytes) -> bytes:
    """sha256(previous_hash || canonical row)."""
    return hashlib.sha256(previous_hash + canonical_row(position, originator_id, originator_version, topic,
                                                        state)).digest()


class ChainError(Exception):
    """An event cannot be chained: it is not (or no longer) in the events table, or it was changed after it
    was stored (`position`; `chained`: how many rows before it were linked)."""

    def __init__(self, detail: str, *, position: int | None = None, chained: int = 0) -> None:
        super().__init__(detail)
        self.position, self.chained = position, chained


class ChainView(PostgresTrackingRecorder):
    """The `event_chain` table, written with the tracking position in one transaction.

    Not versioned: the chain is evidence, and rebuilding it from the stored rows
    would bless whatever was changed in them. It is only ever extended: triggers
    refuse UPDATE, DELETE and TRUNCATE, as on the access log.

    Two writers may extend it: the chain worker (its subscription's batches) and
    `chain_pending` (verification and checkpoints chain what the worker has not
    reached yet). They take turns on an advisory lock; a position already chained
    is passed over, so the worker, arriving later, only records its tracking. A
    row is chained only if it still matches the fingerprint taken when it was
    inserted (waakvlam/fingerprints.py): one changed in between stops the chain
    there (ChainError, the worker retries and reports it) instead of being blessed."""

    versioned = False

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = Identifier(datastore.schema)
        self.table = SQL("{0}.{1}").format(schema, Identifier(TABLE))
        self.events = SQL("{0}.{1}").format(schema, Identifier(EVENTS_TABLE))
        prints = SQL("{0}.{1}").format(schema, Identifier(FINGERPRINTS))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {0} ("
            " position bigint PRIMARY KEY,"
            " previous_position bigint,"
            " hash bytea NOT NULL)"
        ).format(self.table))
        function = SQL("{0}.{1}").format(schema, Identifier(f"{TABLE}_append_only"))
        self.sql_create_statements.extend([
            SQL("CREATE OR REPLACE FUNCTION {0}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                " RAISE EXCEPTION 'the event chain is append-only'; END $$").format(function),
            SQL("CREATE OR REPLACE TRIGGER {1} BEFORE UPDATE OR DELETE ON {0} FOR EACH ROW"
                " EXECUTE FUNCTION {2}()").format(self.table, Identifier(f"{TABLE}_no_change"), function),
            SQL("CREATE OR REPLACE TRIGGER {1} BEFORE TRUNCATE ON {0} FOR EACH STATEMENT"
                " EXECUTE FUNCTION {2}()").format(self.table, Identifier(f"{TABLE}_no_truncate"), function),
        ])
        self._lock = SQL("SELECT pg_advisory_xact_lock(hashtextextended({0}, 0))").format(
            Literal(f"{datastore.schema}.{TABLE}"))
        self._select_rows = SQL(
            "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, f.fingerprint"
            " FROM {0} e LEFT JOIN {1} f ON f.notification_id = e.notification_id"
            " WHERE e.notification_id = ANY(%s)"
        ).format(self.events, prints)
        self._select_after = SQL(
            "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, f.fingerprint"
            " FROM {0} e LEFT JOIN {1} f ON f.notification_id = e.notification_id"
            " WHERE e.notification_id > %s ORDER BY e.notification_id LIMIT %s"
        ).format(self.events, prints)
        self._select_head = SQL("SELECT position, hash FROM {0} ORDER BY position DESC LIMIT 1").format(self.table)
        self._insert = SQL("INSERT INTO {0} (position, previous_position, hash) VALUES (%s, %s, %s)").format(
            self.table)
        self._forget_prints = SQL("DELETE FROM {0} WHERE notification_id = ANY(%s)").format(prints)

    def _create_table(self, curs: Any) -> None:
        # The chain worker, a checkpoint on demand and `waakvlam verify` each create these objects; two
        # CREATE OR REPLACE at once fail ("tuple concurrently updated"). One at a time, as the store does.
        curs.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"{self.datastore.schema}.ddl",))
        super()._create_table(curs)

    def apply(self, tracking: Tracking) -> None:
        self.apply_batch([tracking])

    def apply_batch(self, batch: Sequence[Tracking]) -> None:
        """Chain the stored rows at these positions (ascending) onto the chain's head, in one transaction."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._lock)
            head = self._head(curs)
            positions = [t.notification_id for t in batch if head is None or t.notification_id > head[0]]
            if positions:
                curs.execute(self._select_rows, (positions,), prepare=True)
                rows = {row["notification_id"]: row for row in curs.fetchall()}
                missing = [p for p in positions if p not in rows]
                if missing:
                    raise ChainError(f"event {missing[0]} was delivered but is not in the events table")
                self._extend(curs, head, [rows[p] for p in positions])
            self._insert_tracking(curs, batch[-1])

    def chain_pending(self, *, page: int = 10_000, progress: Callable[[int], None] | None = None) -> int:
        """Chain every stored event after the chain's head, a page per transaction (no tracking: the worker
        passes over them later); how many were chained (`progress` is told the count after each page).
        Raises ChainError at a row that no longer matches its fingerprint, having chained the ones before it."""
        chained = 0
        while True:
            failed: ChainError | None = None
            with self.datastore.transaction(commit=True) as curs:  # commits what was linked before a failure
                curs.execute(self._lock)
                head = self._head(curs)
                curs.execute(self._select_after, (head[0] if head else -(2**63), page))
                rows = curs.fetchall()
                try:
                    self._extend(curs, head, rows)
                except ChainError as error:
                    failed = error
            if failed is not None:
                failed.chained += chained
                raise failed
            chained += len(rows)
            if progress is not None:
                progress(chained)
            if len(rows) < page:
                return chained

    def _head(self, curs: Any) -> tuple[int, bytes] | None:
        curs.execute(self._select_head, prepare=True)
        found = curs.fetchone()
        return (found["position"], bytes(found["hash"])) if found else None

    def _extend(self, curs: Any, head: tuple[int, bytes] | None, rows: Sequence[dict[str, Any]]) -> None:
        """Link `rows` (ascending, after `head`) and drop their fingerprints, in the caller's transaction. At a
        row that no longer matches its fingerprint: the rows before it are linked, then ChainError."""
        previous_position, previous_hash = head if head else (None, GENESIS)
        links = []
        for row in rows:
            position = row["notification_id"]
            if previous_position is not None and previous_position >= position:
                raise ChainError(f"event {position} is not after the chain's head {previous_position}")
            canonical = canonical_row(position, row["originator_id"], row["originator_version"], row["topic"],
                                      row["state"])
            if row["fingerprint"] is not None and hashlib.sha256(canonical).digest() != bytes(row["fingerprint"]):
                self._write(curs, links)
                raise ChainError(f"event {position} was changed after it was stored, before it was chained",
                                 position=position, chained=len(links))
            digest = hashlib.sha256(previous_hash + canonical).digest()
            links.append((position, previous_position, digest))
            previous_position, previous_hash = position, digest
        self._write(curs, links)

    def _write(self, curs: Any, links: list[tuple[int, int | None, bytes]]) -> None:
        if links:
            curs.executemany(self._insert, links)
            curs.execute(self._forget_prints, ([position for position, _, _ in links],))

    def head(self) -> tuple[int, bytes] | None:
        """The last chained position and its hash, if any."""
        with self.datastore.transaction(commit=False) as curs:
            return self._head(curs)


class _StoredEventsAsIs(Mapper[UUID]):
    """A mapper that hands on the stored event as read: nothing decrypted, nothing decoded."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return stored_event


class StoredHouseholds(Households):
    """The households' event store, read as stored (for the chain projection)."""

    name = Households.name  # the same tables

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=_StoredEventsAsIs)


class ChainProjection(Projection[ChainView]):
    name = "chain"
    application_class = StoredHouseholds  # the worker subscribes through this: events stay undecoded

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        # Whatever the subscription delivered, the view hashes the row as the events table holds it.
        self.view.apply(tracking)

    def process_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        self.view.apply_batch([tracking for _, tracking in batch])
