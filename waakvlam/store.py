"""The event store: the library's PostgreSQL recorder, plus idempotency keys
recorded in the same transaction as the events they produced.

A retried request with the same key then finds the first answer, also when the
first attempt's response was lost on the way back: either the events and the
key were committed together, or neither was.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.sql import SQL, Identifier

from domain.application import Idempotency
from domain.errors import DuplicateRequest

IDEMPOTENCY_TABLE = "idempotency_keys"


class IdempotentRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        table = SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(IDEMPOTENCY_TABLE))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {0} ("
            " principal text NOT NULL,"
            " key text NOT NULL,"
            " fingerprint text NOT NULL,"
            " outcome jsonb NOT NULL,"
            " recorded_at timestamptz NOT NULL DEFAULT now(),"
            " PRIMARY KEY (principal, key))"
        ).format(table))
        self._insert_key = SQL(
            "INSERT INTO {0} (principal, key, fingerprint, outcome) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING RETURNING key"
        ).format(table)
        self._select_key = SQL("SELECT fingerprint, outcome FROM {0} WHERE principal = %s AND key = %s").format(table)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        idempotency: Idempotency | None = kwargs.get("idempotency")
        if idempotency is None:
            return super().insert_events(stored_events, **kwargs)
        # Not the library's pipelined path: that one commits before it re-raises
        # an error, and a used key must undo the events of its transaction.
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._insert_stored_events(curs, stored_events)  # table lock, NOTIFY, INSERT
            ids = [row["notification_id"] for row in curs.fetchall()]
            outcome = dict(idempotency.outcome, position=max(ids) if ids else None)
            curs.execute(self._insert_key, (idempotency.principal, idempotency.key,
                                            idempotency.fingerprint, json.dumps(outcome)))
            if curs.fetchone() is None:
                raise DuplicateRequest(idempotency.key)  # rolls the transaction back
        return ids

    def find_idempotency_key(self, principal: str, key: str) -> tuple[str, dict[str, Any]] | None:
        """The fingerprint and outcome stored for a key, if it was used."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_key, (principal, key))
            row = curs.fetchone()
        return (row["fingerprint"], row["outcome"]) if row else None
