"""The signal inbox: one row per signal (who reported what about whom, how
urgent, how it was triaged) with its eropaf: the time from the signal to the
first contact with the household it was linked to.

The first contact is the earliest `ContactRecorded` on the linked household
that happened (`occurred_at`) at or after the signal was seen, whenever it was
recorded: a visit made before the triage counts too. So the view keeps, beside
the inbox, the moment of every contact of every household (`NAME_contacts`):
a signal may be linked to any household, long after the contacts were recorded.

Pure functions: `fold(row, event) -> row` for the signal's own events,
`contact_moment(event)` for what a household event says about the moment of a
contact, and `with_eropaf(row, moments)` for the first contact among a
household's contact moments. `replay` composes them, as a fresh rebuild would.
`SignalsView` is the thin writer that stores the rows, the contact moments and
the tracking position in one transaction, and serves the inbox, most urgent first.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from psycopg.sql import SQL, Composed, Identifier, Literal

from projections import ViewProjection
from projections.versions import table_name

NEW, LINKED, DISMISSED = "new", "linked", "dismissed"
URGENCY_RANK = {"low": 0, "normal": 1, "high": 2, "acute": 3}
SIGNAL_KINDS = frozenset({"SignalReported", "SignalLinked", "SignalDismissed"})
FORGOTTEN_SIGNAL = "SignalForgotten"  # a signal erased on its own (domain/signal_erasure.py): its row leaves the inbox


@dataclass(frozen=True)
class SignalRow:
    signal_id: UUID
    status: str
    source: str
    reported_by: str
    reporter_name: str
    reporter_contact: str
    about_name: str
    about_address: str
    team: str | None
    life_domains: list[str]
    description: str
    urgency: str
    occurred_at: datetime  # when the signal was seen
    reported_at: datetime  # when it was received (recorded)
    household_id: UUID | None = None
    new_household: bool = False  # the household was registered from this signal
    triaged_by: str | None = None
    triaged_at: datetime | None = None
    dismissal_reason: str | None = None
    first_contact_at: datetime | None = None
    version: int = 0

    @property
    def eropaf_hours(self) -> float | None:
        """Hours from the signal to the first contact with the household after it (one decimal)."""
        if self.first_contact_at is None:
            return None
        return round((self.first_contact_at - self.occurred_at).total_seconds() / 3600, 1)


def fold(row: SignalRow | None, event: Any) -> SignalRow | None:
    """The inbox row after one of the signal's own events; other events leave it as it was.
    A forgotten signal has no row (None): nothing of its report stays in the inbox."""
    kind = type(event).__name__
    if kind == FORGOTTEN_SIGNAL:
        return None
    if kind == "SignalReported":
        return SignalRow(
            signal_id=event.originator_id, status=NEW, source=event.source, reported_by=event.actor,
            reporter_name=event.reporter_name, reporter_contact=event.reporter_contact,
            about_name=event.about_name, about_address=event.about_address, team=event.team,
            life_domains=list(event.life_domains), description=event.description, urgency=event.urgency,
            occurred_at=event.occurred_at, reported_at=event.timestamp, version=event.originator_version,
        )
    if row is None:
        return None
    triage = {"triaged_by": event.actor, "triaged_at": event.occurred_at, "version": event.originator_version}
    if kind == "SignalLinked":
        return replace(row, status=LINKED, household_id=event.household_id, new_household=event.new_household,
                       **triage)
    if kind == "SignalDismissed":
        return replace(row, status=DISMISSED, dismissal_reason=event.reason, **triage)
    return row


def contact_moment(event: Any) -> tuple[str, datetime] | None:
    """(contact id, when it happened) as a household event tells it: a contact, or a correction
    of when a contact happened. None for every other event."""
    kind = type(event).__name__
    if kind == "ContactRecorded":
        return event.contact_id, event.occurred_at
    if kind == "Corrected" and event.target_kind == "ContactRecorded" and "occurred_at" in event.changes:
        return event.item_id, event.changes["occurred_at"]
    return None


def with_eropaf(row: SignalRow, moments: Iterable[datetime]) -> SignalRow:
    """The row with its first contact: the earliest of the household's contacts at or after the signal."""
    after = [moment for moment in moments if moment >= row.occurred_at]
    return replace(row, first_contact_at=min(after, default=None))


def replay(events: Iterable[Any]) -> dict[UUID, SignalRow]:
    """Fold a stream of events from scratch: what a fresh rebuild would hold."""
    rows: dict[UUID, SignalRow] = {}
    contacts: dict[UUID, dict[str, datetime]] = {}
    for event in events:
        if type(event).__name__ == "Forgotten":
            rows = {key: row for key, row in rows.items() if row.household_id != event.originator_id}
            contacts.pop(event.originator_id, None)
        elif type(event).__name__ == FORGOTTEN_SIGNAL:
            rows.pop(event.originator_id, None)
        elif type(event).__name__ in SIGNAL_KINDS:
            row = fold(rows.get(event.originator_id), event)
            if row is not None:
                rows[event.originator_id] = row
        elif (moment := contact_moment(event)) is not None:
            contacts.setdefault(event.originator_id, {})[moment[0]] = moment[1]
    return {key: with_eropaf(row, contacts.get(row.household_id, {}).values()) if row.household_id else row
            for key, row in rows.items()}


COLUMNS = [f.name for f in fields(SignalRow)]


def encode_cursor(rank: int, occurred_at: datetime, signal_id: UUID) -> str:
    raw = f"{rank}|{occurred_at.isoformat()}|{signal_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, datetime, UUID]:
    """Raises ValueError for a cursor this service did not hand out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        rank, moment, signal_id = raw.split("|")
        occurred_at = datetime.fromisoformat(moment)
        if rank not in {str(r) for r in URGENCY_RANK.values()} or occurred_at.tzinfo is None:
            raise ValueError(raw)
        return int(rank), occurred_at, UUID(signal_id)
    except Exception as error:
        raise ValueError("not a cursor of this inbox") from error


class SignalsView(PostgresTrackingRecorder):
    """The inbox table and the contact moments, written with the tracking position in one transaction."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        name = table_name(self)
        schema = Identifier(datastore.schema)
        self.table = SQL("{0}.{1}").format(schema, Identifier(name))
        self.contacts = SQL("{0}.{1}").format(schema, Identifier(f"{name}_contacts"))
        rank = SQL(" ").join(SQL("WHEN {0} THEN {1}").format(Literal(urgency), Literal(rank))
                             for urgency, rank in URGENCY_RANK.items())
        order = SQL("urgency_rank DESC, occurred_at DESC, signal_id DESC")
        self.sql_create_statements.extend([
            SQL(
                "CREATE TABLE IF NOT EXISTS {0} ("
                " signal_id uuid PRIMARY KEY,"
                " status text NOT NULL,"
                " source text NOT NULL,"
                " reported_by text NOT NULL,"
                " reporter_name text NOT NULL,"
                " reporter_contact text NOT NULL,"
                " about_name text NOT NULL,"
                " about_address text NOT NULL,"
                " team text,"
                " life_domains text[] NOT NULL,"
                " description text NOT NULL,"
                " urgency text NOT NULL,"
                " occurred_at timestamptz NOT NULL,"
                " reported_at timestamptz NOT NULL,"
                " household_id uuid,"
                " new_household boolean NOT NULL,"
                " triaged_by text,"
                " triaged_at timestamptz,"
                " dismissal_reason text,"
                " first_contact_at timestamptz,"
                " version integer NOT NULL,"
                " urgency_rank smallint GENERATED ALWAYS AS (CASE urgency {1} ELSE 0 END) STORED)"
            ).format(self.table, rank),
            SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} ({2})").format(
                self.table, Identifier(f"{name}_inbox_idx"), order),
            SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (team, status, {2})").format(
                self.table, Identifier(f"{name}_team_idx"), order),
            SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (status, {2})").format(
                self.table, Identifier(f"{name}_status_idx"), order),
            SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (reported_by, {2})").format(
                self.table, Identifier(f"{name}_reporter_idx"), order),
            SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (household_id) WHERE household_id IS NOT NULL").format(
                self.table, Identifier(f"{name}_household_idx")),
            SQL(
                "CREATE TABLE IF NOT EXISTS {0} ("
                " household_id uuid NOT NULL,"
                " contact_id text NOT NULL,"
                " occurred_at timestamptz NOT NULL,"
                " PRIMARY KEY (household_id, contact_id))"
            ).format(self.contacts),
        ])
        self._columns = SQL(", ").join(map(Identifier, COLUMNS))
        placeholders = SQL(", ").join(SQL("%({0})s").format(SQL(c)) for c in COLUMNS)
        updates = SQL(", ").join(SQL("{0} = EXCLUDED.{0}").format(Identifier(c)) for c in COLUMNS[1:])
        self._upsert = SQL("INSERT INTO {0} ({1}) VALUES ({2}) ON CONFLICT (signal_id) DO UPDATE SET {3}").format(
            self.table, self._columns, placeholders, updates)
        self._select_touched = SQL(
            "SELECT {1} FROM {0} WHERE signal_id = ANY(%s) OR household_id = ANY(%s) FOR UPDATE").format(
            self.table, self._columns)
        self._delete_of = SQL("DELETE FROM {0} WHERE household_id = ANY(%s)").format(self.table)
        self._delete_signals = SQL("DELETE FROM {0} WHERE signal_id = ANY(%s)").format(self.table)
        self._delete_contacts_of = SQL("DELETE FROM {0} WHERE household_id = ANY(%s)").format(self.contacts)
        self._upsert_contact = SQL(
            "INSERT INTO {0} (household_id, contact_id, occurred_at) VALUES (%s, %s, %s)"
            " ON CONFLICT (household_id, contact_id) DO UPDATE SET occurred_at = EXCLUDED.occurred_at").format(
            self.contacts)
        self._select_contacts = SQL("SELECT household_id, occurred_at FROM {0} WHERE household_id = ANY(%s)").format(
            self.contacts)

    # ---- writing -------------------------------------------------------------

    def apply(self, event: Any, tracking: Tracking) -> None:
        self.apply_batch([(event, tracking)])

    def apply_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        """Fold a batch into the rows and contact moments it touches; one transaction, ending at the last position."""
        signals = [event for event, _ in batch if type(event).__name__ in SIGNAL_KINDS]
        contacts = [(event.originator_id, *moment) for event, _ in batch
                    if (moment := contact_moment(event)) is not None]
        forgotten = [event.originator_id for event, _ in batch if type(event).__name__ == "Forgotten"]
        erased = [event.originator_id for event, _ in batch if type(event).__name__ == FORGOTTEN_SIGNAL]
        with self.datastore.transaction(commit=True) as curs:
            if contacts:
                curs.executemany(self._upsert_contact, contacts)
            if signals or contacts:
                touched = (list({e.originator_id for e in signals}), list({h for h, _, _ in contacts}))
                curs.execute(self._select_touched, touched, prepare=True)
                before = {r["signal_id"]: SignalRow(**r) for r in curs.fetchall()}
                after = dict(before)
                for event in signals:
                    row = fold(after.get(event.originator_id), event)
                    if row is not None:
                        after[event.originator_id] = row
                households = list({row.household_id for row in after.values() if row.household_id is not None})
                if households:
                    moments: dict[UUID, list[datetime]] = {}
                    curs.execute(self._select_contacts, (households,), prepare=True)
                    for found in curs.fetchall():
                        moments.setdefault(found["household_id"], []).append(found["occurred_at"])
                    for key, row in after.items():
                        if row.household_id is not None:
                            after[key] = with_eropaf(row, moments.get(row.household_id, []))
                changed = [asdict(row) for key, row in after.items() if before.get(key) != row]
                if changed:
                    curs.executemany(self._upsert, changed)
            if erased:  # a forgotten signal leaves the inbox (after whatever this batch folded for it)
                curs.execute(self._delete_signals, (erased,))
            if forgotten:  # the signals of a forgotten household leave the inbox, with its contact moments
                curs.execute(self._delete_of, (forgotten,))
                curs.execute(self._delete_contacts_of, (forgotten,))
            self._insert_tracking(curs, batch[-1][1])

    # ---- reading -------------------------------------------------------------

    def get(self, signal_id: UUID) -> SignalRow | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT {1} FROM {0} WHERE signal_id = %s").format(self.table, self._columns),
                         (signal_id,))
            found = curs.fetchone()
        return SignalRow(**found) if found else None

    def all_rows(self) -> dict[UUID, SignalRow]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT {1} FROM {0}").format(self.table, self._columns))
            return {r["signal_id"]: SignalRow(**r) for r in curs.fetchall()}

    def page(self, *, status: str | None = None, team: str | None = None, urgency: str | None = None,
             reported_by: str | None = None, cursor: str | None = None,
             limit: int = 50, visible_to: str | None = None) -> tuple[list[SignalRow], str | None]:
        """One page of the inbox: most urgent first, then the most recently seen; keyset-paginated.
        `visible_to`: only signals of that team or of no team yet (api/authz.py).
        Raises ValueError for a cursor of another list."""
        where: list[Composed | SQL] = []
        params: list[Any] = []
        if visible_to is not None:
            where.append(SQL("(team = %s OR team IS NULL)"))
            params.append(visible_to)
        for column, value in (("status", status), ("team", team), ("urgency", urgency),
                              ("reported_by", reported_by)):
            if value is not None:
                where.append(SQL("{0} = %s").format(Identifier(column)))
                params.append(str(value))
        if cursor is not None:
            where.append(SQL("(urgency_rank, occurred_at, signal_id) < (%s, %s, %s)"))
            params.extend(decode_cursor(cursor))
        query = SQL("SELECT {1}, urgency_rank FROM {0} {2} ORDER BY urgency_rank DESC, occurred_at DESC,"
                    " signal_id DESC LIMIT %s").format(
            self.table, self._columns, SQL("WHERE ") + SQL(" AND ").join(where) if where else SQL(""))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(query, [*params, limit + 1])
            found = curs.fetchall()
        rows = [SignalRow(**{c: r[c] for c in COLUMNS}) for r in found[:limit]]
        next_cursor = None
        if len(found) > limit:
            last = found[limit - 1]
            next_cursor = encode_cursor(last["urgency_rank"], last["occurred_at"], last["signal_id"])
        return rows, next_cursor


class SignalsProjection(ViewProjection):
    name = "signals"
