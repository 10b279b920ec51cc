"""The waakvlam schedule: every household's open check-in, and the history of its check-ins.

`fold(row, event)` is pure: one row per household with its open check-in (due
date, why it was planned), coordinator, team, intensity, and the latest signal
since the household was last seen. `ScheduleView` stores the rows
(`projections/rows.py`) and serves "due within N days, overdue first".

`check_ins(events)` is a pure fold too: every check-in of a household with its due
date as it was planned over time, and when it was completed or cancelled. From
it, `overdue_on(history, day)` answers "was this check-in overdue on day D, and
by how many days", and `CheckIn.days_overdue` "for how long was it overdue in
all". Dates are Dutch calendar dates (Europe/Amsterdam), taken from when things
happened in the world (`occurred_at`), so a visit typed in the next morning
still counts on the day it took place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Composed, Identifier

from domain.values import local_date
from projections import ViewProjection
from projections.rows import HouseholdRowsView, decode_cursor, encode_cursor

OPEN, COMPLETED, CANCELLED = "open", "completed", "cancelled"


@dataclass(frozen=True)
class CheckIn:
    check_in_id: str
    scheduled_on: date
    plan: tuple[tuple[date, date], ...]  # (from this day on, due on that date): the due date as it changed
    status: str = OPEN
    ended_on: date | None = None  # the day it was completed or cancelled

    @property
    def due(self) -> date:
        return self.plan[-1][1]

    def due_as_of(self, day: date) -> date | None:
        """The due date as planned on `day` (None before it was scheduled)."""
        planned = [due for since, due in self.plan if since <= day]
        return planned[-1] if planned else None

    def days_overdue(self, today: date) -> int:
        """How many days it was (or, still open, is) overdue in all: from the day after
        its due date to the day it was completed or cancelled (or `today`)."""
        end = self.ended_on if self.ended_on is not None else today
        return max(0, (end - self.due).days)


def check_ins(events: Iterable[Any]) -> dict[str, CheckIn]:
    """Every check-in of one household, in the order they were scheduled (pure)."""
    found: dict[str, CheckIn] = {}
    for event in events:
        kind = type(event).__name__
        check_in_id = getattr(event, "check_in_id", None)
        if check_in_id is None:
            continue
        on = local_date(event.occurred_at)
        if kind == "CheckInScheduled":
            found[check_in_id] = CheckIn(check_in_id, on, ((on, event.due),))
        elif kind == "CheckInRescheduled" and check_in_id in found:
            known = found[check_in_id]
            found[check_in_id] = replace(known, plan=(*known.plan, (on, event.due)))
        elif kind in ("CheckInCompleted", "CheckInCancelled") and check_in_id in found:
            status = COMPLETED if kind == "CheckInCompleted" else CANCELLED
            found[check_in_id] = replace(found[check_in_id], status=status, ended_on=on)
    return found


def overdue_on(check_in: CheckIn, day: date) -> int | None:
    """Days overdue on `day` (due before it and neither completed nor cancelled by the end of it),
    or None when it was not overdue then."""
    due = check_in.due_as_of(day)
    if due is None or due >= day:
        return None
    if check_in.ended_on is not None and check_in.ended_on <= day:
        return None
    return (day - due).days


# ---- the live schedule: one row per household ---------------------------------

SIGNAL_SUMMARY = 160


@dataclass(frozen=True)
class ScheduleRow:
    household_id: UUID
    label: str
    team: str
    intensity: str
    coordinator: str | None = None
    check_in_id: str | None = None  # None once the household is closed: the pilot light is off
    due: date | None = None
    reason: str | None = None  # why the check-in was planned, or last moved: registered, completed, signal, ...
    signal_at: datetime | None = None  # the latest signal since the household was last seen
    signal_summary: str | None = None
    version: int = 0


def fold(row: ScheduleRow | None, event: Any) -> ScheduleRow | None:
    """The schedule row after `event`. Events of other kinds (and aggregates) leave it as it was."""
    kind = type(event).__name__
    if kind == "Registered":
        row = ScheduleRow(household_id=event.originator_id, label=event.label, team=event.team,
                          intensity=event.intensity)
    if row is None or kind == "Forgotten":  # a forgotten household has no row
        return None
    changes: dict[str, Any] = {"version": event.originator_version}
    if kind == "CoordinatorAssigned":
        changes["coordinator"] = event.coordinator
    elif kind in ("Escalated", "Reopened"):
        # Escalating is the coordinator's answer to a signal; so is reopening.
        changes.update(intensity=getattr(event, "to_level", None) or event.intensity, signal_at=None,
                       signal_summary=None)
    elif kind == "DeEscalated":
        # So is de-escalating: a signal seen at the higher level is no reason to escalate afterwards.
        changes.update(intensity=event.to_level, signal_at=None, signal_summary=None)
    elif kind == "SignalRecorded":
        if row.signal_at is None or event.occurred_at >= row.signal_at:
            text = " ".join(f"{event.urgency}: {event.description}".split())
            changes.update(signal_at=event.occurred_at, signal_summary=text[:SIGNAL_SUMMARY])
    elif kind == "CheckInScheduled":
        changes.update(check_in_id=event.check_in_id, due=event.due, reason=event.reason)
    elif kind == "CheckInRescheduled" and event.check_in_id == row.check_in_id:
        changes.update(due=event.due, reason=event.reason or "rescheduled")
    elif kind == "CheckInCompleted":
        changes.update(signal_at=None, signal_summary=None)  # the household has been seen since
        if event.check_in_id == row.check_in_id:
            changes.update(check_in_id=None, due=None, reason=None)
    elif kind == "CheckInCancelled" and event.check_in_id == row.check_in_id:
        changes.update(check_in_id=None, due=None, reason=None)
    elif kind == "Closed":
        changes.update(check_in_id=None, due=None, reason=None, signal_at=None, signal_summary=None)
    elif kind == "Corrected" and event.target_kind == "Registered" and "label" in event.changes:
        changes["label"] = event.changes["label"]
    return replace(row, **changes)


def replay(events: Iterable[Any]) -> dict[UUID, ScheduleRow]:
    """Fold a stream of events from scratch: what a fresh rebuild would hold."""
    rows: dict[UUID, ScheduleRow] = {}
    for event in events:
        row = fold(rows.get(event.originator_id), event)
        if row is not None:
            rows[event.originator_id] = row
        else:
            rows.pop(event.originator_id, None)
    return rows


COLUMNS = [f.name for f in fields(ScheduleRow)]


class ScheduleView(HouseholdRowsView):
    """The schedule table and the queries that serve it. Days overdue are not
    stored: they follow from the due date and today's Dutch date."""

    row_class = ScheduleRow
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
                " coordinator text,"
                " check_in_id text UNIQUE,"
                " due date,"
                " reason text,"
                " signal_at timestamptz,"
                " signal_summary text,"
                " version integer NOT NULL)"
            ).format(self.table),
            # Only open check-ins are ever asked for: partial indexes keep closed households out of them.
            SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (due, household_id) WHERE due IS NOT NULL").format(
                self.table, Identifier(f"{name}_due_idx")),
            SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (team, due, household_id) WHERE due IS NOT NULL").format(
                self.table, Identifier(f"{name}_team_idx")),
            SQL("CREATE INDEX IF NOT EXISTS {1} ON {0} (coordinator, due, household_id) WHERE due IS NOT NULL"
                ).format(self.table, Identifier(f"{name}_coordinator_idx")),
        ])
        self._columns_sql = SQL(", ").join(map(Identifier, COLUMNS))

    def page(self, *, until: date, team: str | None = None, coordinator: str | None = None,
             cursor: str | None = None, limit: int = 100) -> tuple[list[ScheduleRow], str | None]:
        """Open check-ins due on or before `until`, earliest (so most overdue) first; keyset-paginated."""
        where: list[Composed | SQL] = [SQL("due IS NOT NULL"), SQL("due <= %s")]
        params: list[Any] = [until]
        for column, value in (("team", team), ("coordinator", coordinator)):
            if value is not None:
                where.append(SQL("{0} = %s").format(Identifier(column)))
                params.append(value)
        if cursor is not None:
            due, household_id = decode_cursor(cursor)
            where.append(SQL("(due, household_id) > (%s, %s)"))
            params.extend([due, household_id])
        query = SQL("SELECT {1} FROM {0} WHERE {2} ORDER BY due, household_id LIMIT %s").format(
            self.table, self._columns_sql, SQL(" AND ").join(where))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(query, [*params, limit + 1], prepare=True)
            found = [ScheduleRow(**r) for r in curs.fetchall()]
        next_cursor = None
        if len(found) > limit:
            last = found[limit - 1]
            assert last.due is not None
            next_cursor = encode_cursor(last.due, last.household_id)
        return found[:limit], next_cursor

    def due_by(self, day: date) -> list[ScheduleRow]:
        """Every open check-in due on or before `day`, earliest first (for the reminder worker)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT {1} FROM {0} WHERE due IS NOT NULL AND due <= %s ORDER BY due, household_id"
                             ).format(self.table, self._columns_sql), (day,))
            return [ScheduleRow(**r) for r in curs.fetchall()]

    def open_for(self, coordinator: str) -> list[ScheduleRow]:
        """Every open check-in of one coordinator's households, earliest first (for the calendar feed)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT {1} FROM {0} WHERE coordinator = %s AND due IS NOT NULL"
                             " ORDER BY due, household_id").format(self.table, self._columns_sql), (coordinator,))
            return [ScheduleRow(**r) for r in curs.fetchall()]


class ScheduleProjection(ViewProjection):
    name = "schedule"
