"""The caseload: one row per household (label, team, coordinator, intensity,
status, next check-in, last contact).

`fold` is pure: (row, event) -> row. `CaseloadView` is the thin writer
(`projections/rows.py`) that stores the folded rows and the tracking position
in one transaction, so every event is applied exactly once, and the SQL that
serves the caseload list.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Composed, Identifier

from projections import ViewProjection
from projections.rows import HouseholdRowsView, decode_cursor, encode_cursor


@dataclass(frozen=True)
class CaseloadRow:
    household_id: UUID
    label: str
    team: str
    intensity: str
    status: str = "open"
    coordinator: str | None = None
    next_check_in_id: str | None = None
    next_check_in: date | None = None
    last_contact_id: str | None = None
    last_contact_at: datetime | None = None
    version: int = 0


def fold(row: CaseloadRow | None, event: Any) -> CaseloadRow | None:
    """The caseload row after `event`. Unknown kinds leave the row as it was."""
    kind = type(event).__name__
    if kind == "Registered":
        row = CaseloadRow(household_id=event.originator_id, label=event.label, team=event.team,
                          intensity=event.intensity)
    if row is None or kind == "Forgotten":  # a forgotten household has no row
        return None
    changes: dict[str, Any] = {"version": event.originator_version}
    if kind == "CoordinatorAssigned":
        changes["coordinator"] = event.coordinator
    elif kind == "ContactRecorded":
        if row.last_contact_at is None or event.occurred_at >= row.last_contact_at:
            changes.update(last_contact_id=event.contact_id, last_contact_at=event.occurred_at)
    elif kind in ("Escalated", "DeEscalated"):
        changes["intensity"] = event.to_level
    elif kind in ("CheckInScheduled", "CheckInRescheduled"):
        changes.update(next_check_in_id=event.check_in_id, next_check_in=event.due)
    elif kind in ("CheckInCompleted", "CheckInCancelled"):
        if event.check_in_id == row.next_check_in_id:
            changes.update(next_check_in_id=None, next_check_in=None)
    elif kind == "Closed":
        changes["status"] = "closed"
    elif kind == "Reopened":
        changes.update(status="open", intensity=event.intensity)
    elif kind == "Corrected":
        changes.update(_corrected(row, event))
    return replace(row, **changes)


def _corrected(row: CaseloadRow, event: Any) -> dict[str, Any]:
    if event.target_kind == "Registered" and "label" in event.changes:
        return {"label": event.changes["label"]}
    if event.target_kind == "ContactRecorded" and "occurred_at" in event.changes:
        moment = event.changes["occurred_at"]
        # A later moment may make this the last contact. A correction moving the
        # last contact earlier keeps it as last: the row holds no other contacts.
        if event.item_id == row.last_contact_id or row.last_contact_at is None or moment > row.last_contact_at:
            return {"last_contact_id": event.item_id, "last_contact_at": moment}
    return {}


def replay(events: Any) -> dict[UUID, CaseloadRow]:
    """Fold a stream of events from scratch: what a fresh rebuild would hold."""
    rows: dict[UUID, CaseloadRow] = {}
    for event in events:
        row = fold(rows.get(event.originator_id), event)
        if row is not None:
            rows[event.originator_id] = row
        else:
            rows.pop(event.originator_id, None)
    return rows


COLUMNS = [f.name for f in fields(CaseloadRow)]


class CaseloadView(HouseholdRowsView):
    """The caseload table, written with the tracking position in one transaction."""

    row_class = CaseloadRow
    fold = staticmethod(fold)

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        name = self.name
        self.sql_create_statements.extend([
            SQL(
                "CREATE TABLE IF NOT EXISTS {0} ("
                " household_id uuid PRIMARY KEY,"
                " label text NOT NULL,"
                " team text NOT NULL,"
                " intensity text NOT NULL,"
                " status text NOT NULL,"
                " coordinator text,"
                " next_check_in_id text,"
                " next_check_in date,"
                " last_contact_id text,"
                " last_contact_at timestamptz,"
                " version integer NOT NULL,"
                " due_key date GENERATED ALWAYS AS (COALESCE(next_check_in, DATE '9999-12-31')) STORED)"
            ).format(self.table),
            SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (due_key, household_id)").format(
                self.table, Identifier(f"{name}_due_idx")),
            SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (team, due_key, household_id)").format(
                self.table, Identifier(f"{name}_team_idx")),
            SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (coordinator, due_key, household_id)"
                ).format(self.table, Identifier(f"{name}_coordinator_idx")),
        ])

    # ---- reading -------------------------------------------------------------

    def page(self, *, team: str | None = None, coordinator: str | None = None, intensity: str | None = None,
             status: str | None = None, due_before: date | None = None, cursor: str | None = None,
             limit: int = 50, label_contains: str | None = None) -> tuple[list[CaseloadRow], str | None]:
        """One page of the caseload, soonest check-in first; keyset-paginated. `label_contains`: only labels
        holding that text, in any case (the pages' search, across all pages)."""
        where: list[Composed | SQL] = []
        params: list[Any] = []
        for column, value in (("team", team), ("coordinator", coordinator), ("intensity", intensity),
                              ("status", status)):
            if value is not None:
                where.append(SQL("{0} = %s").format(Identifier(column)))
                params.append(value)
        if due_before is not None:
            where.append(SQL("next_check_in <= %s"))
            params.append(due_before)
        if label_contains:
            escaped = label_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(SQL("label ILIKE %s"))
            params.append(f"%{escaped}%")
        if cursor is not None:
            due_key, household_id = decode_cursor(cursor)
            where.append(SQL("(due_key, household_id) > (%s, %s)"))
            params.extend([due_key, household_id])
        query = SQL("SELECT {1}, due_key FROM {0} {2} ORDER BY due_key, household_id LIMIT %s").format(
            self.table, SQL(", ").join(map(Identifier, COLUMNS)),
            SQL("WHERE ") + SQL(" AND ").join(where) if where else SQL(""))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(query, [*params, limit + 1])
            found = curs.fetchall()
        rows = [CaseloadRow(**{c: r[c] for c in COLUMNS}) for r in found[:limit]]
        next_cursor = None
        if len(found) > limit:
            last = found[limit - 1]
            next_cursor = encode_cursor(last["due_key"], last["household_id"])
        return rows, next_cursor


class CaseloadProjection(ViewProjection):
    name = "caseload"
