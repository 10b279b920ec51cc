"""Small helpers for the domain stories: a clock in the past, the events of a
household, and an independent reading of its check-ins straight from the store.

Nothing here uses the aggregate's own bookkeeping, so the tests can hold the
aggregate to what the stored events say.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.application import Households
from domain.household import Household
from domain.values import local_date

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
ACTOR = "ann.generalist"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

# The cadence the brief promises, written down here independently of values.py.
DAYS_BETWEEN_CHECK_INS = {"crisis": 2, "intensief": 7, "licht": 14, "waakvlam": 42}

# Households in these stories are registered well in the past, at 10:00 UTC,
# which is the same calendar day in Amsterdam (11:00 or 12:00).
START = datetime.combine(local_date(datetime.now(UTC)) - timedelta(days=200), time(10), tzinfo=UTC)


def day(n: float) -> datetime:
    """The moment `n` days after the stories' start."""
    return START + timedelta(days=n)


def local_day(n: int) -> date:
    """The Dutch calendar date `n` days after the start."""
    return START.date() + timedelta(days=n)


def dutch_date(moment: datetime) -> date:
    return moment.astimezone(AMSTERDAM).date()


def register(app: Households, **fields: Any) -> UUID:
    fields.setdefault("label", "Fam. De Vries")
    fields.setdefault("team", "Wijkteam Noord")
    fields.setdefault("occurred_at", START)
    return app.register(actor=ACTOR, **fields).household_id


def events(app: Households, household_id: UUID) -> list[Any]:
    return list(app.events.get(household_id))


def kinds(app: Households, household_id: UUID) -> list[str]:
    return [type(e).__name__ for e in events(app, household_id)]


def events_of(app: Households, household_id: UUID, kind: str) -> list[Any]:
    return [e for e in events(app, household_id) if type(e).__name__ == kind]


def only(app: Households, household_id: UUID, kind: str) -> Any:
    (found,) = events_of(app, household_id, kind)
    return found


def open_check_ins(app: Households, household_id: UUID) -> dict[str, date]:
    """The check-ins left open by the stored events: id -> due date."""
    open_: dict[str, date] = {}
    for event in events(app, household_id):
        kind = type(event).__name__
        if kind in ("CheckInScheduled", "CheckInRescheduled"):
            open_[event.check_in_id] = event.due
        elif kind in ("CheckInCompleted", "CheckInCancelled"):
            del open_[event.check_in_id]
    return open_


def the_open_check_in(app: Households, household_id: UUID) -> tuple[str, date]:
    """The one open check-in of an open household (fails when there is not exactly one)."""
    found = open_check_ins(app, household_id)
    assert len(found) == 1, f"expected exactly one open check-in, found {found}"
    ((check_in_id, due),) = found.items()
    return check_in_id, due


def state(household: Household) -> dict[str, Any]:
    """Everything a household knows from its history: without its not-yet-saved
    events, and without its team's cadence, which is policy the application sets."""
    return {k: v for k, v in vars(household).items() if k not in ("_pending_events", "team_cadence")}


def replay(app: Households, household_id: UUID, version: int | None = None) -> Household:
    """Rebuild a household from its stored events alone, ignoring snapshots."""
    household = None
    for event in app.events.get(household_id, lte=version):
        household = event.mutate(household)
    assert household is not None
    return household


def reader_of(app: Households) -> Households:
    """A fresh application (own mapper and transcoder) reading `app`'s stored
    events and snapshots, as a second process would."""

    class Reader(Households):
        def construct_recorder(self):  # type: ignore[no-untyped-def]
            return app.recorder

        def construct_snapshot_store(self):  # type: ignore[no-untyped-def]
            assert app.snapshots is not None
            return self.factory.event_store(mapper=self.mapper, recorder=app.snapshots.recorder)

    return Reader(env=POPO)


def nothing_stored(app: Households) -> bool:
    return list(app.notification_log.select(start=1, limit=10)) == []
