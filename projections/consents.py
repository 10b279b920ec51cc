"""Consents (toestemming) as a read model: per household, to which party it consented to share its data,
until when, and whether the consent was withdrawn.

The NEN 7513 access log (waakvlam/access_log.py) reads it to fill each entry's consent result: did the
household consent to the party the user acted for (their team) on the day of the access. The household
aggregate decides what may be shared (a referral needs consent); this view only answers the log, in one
query per batch of entries, so no request waits for it.

`fold` is pure: (a household's consents, event) -> its consents. `ConsentsView` is the thin writer that
replaces the rows of each household a batch touched, with the tracking position, in one transaction. The
view holds no personal data: the party is an organisation; who gave the consent and its purpose stay in
the (encrypted) events. A forgotten household has no rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, fields, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.sql import SQL, Composed, Identifier

from domain.values import local_date
from projections import ViewProjection
from projections.versions import table_name

NAME = "consents"
KINDS = ("ConsentRecorded", "ConsentWithdrawn", "Forgotten")


@dataclass(frozen=True)
class ConsentRow:
    household_id: UUID
    consent_id: str
    party: str
    given_at: datetime
    until: date | None = None  # the last day it is valid (Dutch calendar day)
    withdrawn_at: datetime | None = None

    def valid_at(self, moment: datetime) -> bool:
        """Given by `moment`, not yet withdrawn then, and `moment` is on or before its last day."""
        return self.given_at <= moment and (self.withdrawn_at is None or moment < self.withdrawn_at) \
            and (self.until is None or local_date(moment) <= self.until)


Consents = Mapping[str, ConsentRow]  # consent id -> row, of one household


def fold(consents: Consents, event: Any) -> Consents:
    """A household's consents after `event`. Unknown kinds leave them as they were."""
    kind = type(event).__name__
    if kind == "ConsentRecorded":
        return {**consents, event.consent_id: ConsentRow(event.originator_id, event.consent_id, event.party,
                                                         event.occurred_at, event.until)}
    if kind == "ConsentWithdrawn" and event.consent_id in consents:
        return {**consents, event.consent_id: replace(consents[event.consent_id], withdrawn_at=event.occurred_at)}
    if kind == "Forgotten":
        return {}
    return consents


def consented(consents: Iterable[ConsentRow], party: str, moment: datetime) -> bool:
    """Whether one of `consents` is for `party` (by name, ignoring case) and valid at `moment`."""
    name = party.strip().casefold()
    return any(c.party.casefold() == name and c.valid_at(moment) for c in consents)


COLUMNS = [f.name for f in fields(ConsentRow)]


def reader_table(schema: str) -> Composed:
    """The SQL view readers query: the active version's table (projections/versions.py)."""
    return SQL("{0}.{1}").format(Identifier(schema), Identifier(NAME))


def consents_of(curs: Any, schema: str, household_ids: Sequence[UUID]) -> dict[UUID, list[ConsentRow]]:
    """Every consent these households gave, withdrawn or not; one query. Raises
    psycopg.errors.UndefinedTable when the view was never made (no projection worker has run yet)."""
    curs.execute(SQL("SELECT {1} FROM {0} WHERE household_id = ANY(%s)").format(
        reader_table(schema), SQL(", ").join(map(Identifier, COLUMNS))), (list(household_ids),))
    found: dict[UUID, list[ConsentRow]] = {}
    for row in curs.fetchall():
        found.setdefault(row[0], []).append(ConsentRow(*row))
    return found


class ConsentsView(PostgresTrackingRecorder):
    """The consents table, written with the tracking position in one transaction."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.table = SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(table_name(self)))
        self.sql_create_statements.append(SQL(
            "CREATE TABLE IF NOT EXISTS {0} (household_id uuid NOT NULL, consent_id text NOT NULL,"
            " party text NOT NULL, given_at timestamptz NOT NULL, until date, withdrawn_at timestamptz,"
            " PRIMARY KEY (household_id, consent_id))"
        ).format(self.table))
        columns = SQL(", ").join(map(Identifier, COLUMNS))
        self._select = SQL("SELECT {1} FROM {0} WHERE household_id = ANY(%s) FOR UPDATE").format(self.table, columns)
        self._delete = SQL("DELETE FROM {0} WHERE household_id = ANY(%s)").format(self.table)
        self._insert = SQL("INSERT INTO {0} ({1}) VALUES (%s, %s, %s, %s, %s, %s)").format(self.table, columns)

    def apply(self, event: Any, tracking: Tracking) -> None:
        self.apply_batch([(event, tracking)])

    def apply_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        """Fold the batch's consent events into the households they touch; rewrite those households' rows."""
        touched = list({event.originator_id for event, _ in batch if type(event).__name__ in KINDS})
        with self.datastore.transaction(commit=True) as curs:
            if touched:
                curs.execute(self._select, (touched,))
                found: dict[UUID, Consents] = {household_id: {} for household_id in touched}
                for row in curs.fetchall():
                    found[row["household_id"]] = {**found[row["household_id"]], row["consent_id"]: ConsentRow(**row)}
                for event, _ in batch:
                    if event.originator_id in found:
                        found[event.originator_id] = fold(found[event.originator_id], event)
                curs.execute(self._delete, (touched,))
                rows = [astuple(row) for consents in found.values() for row in consents.values()]
                if rows:
                    curs.executemany(self._insert, rows)
            self._insert_tracking(curs, batch[-1][1])

    def rows(self, household_id: UUID) -> list[ConsentRow]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT {1} FROM {0} WHERE household_id = %s ORDER BY consent_id").format(
                self.table, SQL(", ").join(map(Identifier, COLUMNS))), (household_id,))
            return [ConsentRow(**row) for row in curs.fetchall()]


class ConsentsProjection(ViewProjection):
    name = NAME
