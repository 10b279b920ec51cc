"""The thin writer shared by views that hold one row per household, folded by a
pure `fold(row, event) -> row`: read the rows a batch touches once, fold every
event, write each changed row once, with the tracking position, in one
transaction (so every event is applied exactly once). A fold answering None for
a household that had a row (it was forgotten) deletes the row."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.sql import SQL, Identifier

from projections.versions import table_name


class HouseholdRowsView(PostgresTrackingRecorder):
    row_class: ClassVar[type]
    fold: ClassVar[Callable[[Any, Any], Any]]  # a staticmethod in subclasses

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.name = table_name(self)
        self.table = SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(self.name))
        self.columns = [f.name for f in fields(self.row_class)]
        select = SQL(", ").join(map(Identifier, self.columns))
        placeholders = SQL(", ").join(SQL("%({0})s").format(SQL(c)) for c in self.columns)
        updates = SQL(", ").join(SQL("{0} = EXCLUDED.{0}").format(Identifier(c)) for c in self.columns[1:])
        self._upsert = SQL("INSERT INTO {0} ({1}) VALUES ({2}) ON CONFLICT (household_id) DO UPDATE SET {3}").format(
            self.table, select, placeholders, updates)
        self._select_many = SQL("SELECT {1} FROM {0} WHERE household_id = ANY(%s) FOR UPDATE").format(
            self.table, select)
        self._select_all = SQL("SELECT {1} FROM {0}").format(self.table, select)
        self._delete = SQL("DELETE FROM {0} WHERE household_id = ANY(%s)").format(self.table)

    def apply(self, event: Any, tracking: Tracking) -> None:
        self.apply_batch([(event, tracking)])

    def apply_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        """Fold a batch of events into the rows they touch; one transaction, ending at the last position."""
        fold = type(self).fold
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self._select_many, (list({event.originator_id for event, _ in batch}),), prepare=True)
            before = {r["household_id"]: self.row_class(**r) for r in curs.fetchall()}
            after = dict(before)
            for event, _ in batch:
                row = fold(after.get(event.originator_id), event)
                if row is not None:
                    after[event.originator_id] = row
                else:
                    after.pop(event.originator_id, None)
            changed = [asdict(row) for key, row in after.items() if before.get(key) != row]
            if changed:
                curs.executemany(self._upsert, changed)
            dropped = [key for key in before if key not in after]
            if dropped:
                curs.execute(self._delete, (dropped,))
            self._insert_tracking(curs, batch[-1][1])

    def all_rows(self) -> dict[UUID, Any]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_all)
            return {r["household_id"]: self.row_class(**r) for r in curs.fetchall()}


def encode_cursor(due: date, household_id: UUID) -> str:
    """A keyset cursor over (date, household): opaque to clients."""
    return base64.urlsafe_b64encode(f"{due.isoformat()}|{household_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[date, UUID]:
    """Raises ValueError for a cursor this service did not hand out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        due, household_id = raw.split("|")
        return date.fromisoformat(due), UUID(household_id)
    except Exception as error:
        raise ValueError("not a cursor of this list") from error
