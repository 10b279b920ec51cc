"""The waakvlam schedule, from a household's events (issue 4, first part).

`check_ins(events)` is a pure fold: every check-in of a household with its due
date as it was planned over time, and when it was completed or cancelled. From
it, `overdue_on(history, day)` answers "was this check-in overdue on day D, and
by how many days", and `CheckIn.days_overdue` "for how long was it overdue in
all". Dates are Dutch calendar dates (Europe/Amsterdam), taken from when things
happened in the world (`occurred_at`), so a visit typed in the next morning
still counts on the day it took place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from domain.values import local_date

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
