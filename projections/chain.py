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
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg.sql import SQL, Identifier

from domain.application import Households

TABLE = "event_chain"
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
    """An event the subscription delivered is not (or no longer) in the events table."""


class ChainView(PostgresTrackingRecorder):
    """The `event_chain` table, written with the tracking position in one transaction.

    Not versioned: the chain is evidence, and rebuilding it from the stored rows
    would bless whatever was changed in them. It is only ever extended."""

    versioned = False

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = Identifier(datastore.schema)
        self.table = SQL("{0}.{1}").format(schema, Identifier(TABLE))
        self.events = SQL("{0}.{1}").format(schema, Identifier(EVENTS_TABLE))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {0} ("
            " position bigint PRIMARY KEY,"
            " previous_position bigint,"
            " hash bytea NOT NULL)"
        ).format(self.table))
        self._select_rows = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {0}"
            " WHERE notification_id = ANY(%s)"
        ).format(self.events)
        self._select_head = SQL("SELECT position, hash FROM {0} ORDER BY position DESC LIMIT 1").format(self.table)
        self._insert = SQL("INSERT INTO {0} (position, previous_position, hash) VALUES (%s, %s, %s)").format(
            self.table)

    def apply(self, tracking: Tracking) -> None:
        self.apply_batch([tracking])

    def apply_batch(self, batch: Sequence[Tracking]) -> None:
        """Chain the stored rows at these positions (ascending) onto the chain's head, in one transaction."""
        positions = [tracking.notification_id for tracking in batch]
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._select_rows, (positions,), prepare=True)
            rows = {row["notification_id"]: row for row in curs.fetchall()}
            curs.execute(self._select_head, prepare=True)
            head = curs.fetchone()
            previous_position, previous_hash = (head["position"], bytes(head["hash"])) if head else (None, GENESIS)
            links = []
            for position in positions:
                row = rows.get(position)
                if row is None:
                    raise ChainError(f"event {position} was delivered but is not in the events table")
                if previous_position is not None and previous_position >= position:
                    raise ChainError(f"event {position} is not after the chain's head {previous_position}")
                digest = link(previous_hash, position, row["originator_id"], row["originator_version"], row["topic"],
                              row["state"])
                links.append((position, previous_position, digest))
                previous_position, previous_hash = position, digest
            curs.executemany(self._insert, links)
            self._insert_tracking(curs, batch[-1])

    def head(self) -> tuple[int, bytes] | None:
        """The last chained position and its hash, if any."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_head)
            found = curs.fetchone()
        return (found["position"], bytes(found["hash"])) if found else None


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
