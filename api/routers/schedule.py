"""The waakvlam schedule: open check-ins due within N days, overdue first; and
the history of one household's check-ins ("was it overdue on day D, for how long")."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError

from api.authz import list_scope, record_listed
from api.deps import AfterQuery, HouseholdsDep, PrincipalDep, ScheduleDep, SettingsDep, wait_for
from api.routers.common import LIST_RESPONSES, READ_RESPONSES
from api.schemas.schedule import CheckInHistory, ScheduleItem, SchedulePage
from domain.team import SIGNAL_LEVELS
from domain.values import local_date
from projections.schedule import check_ins, overdue_on

router = APIRouter(tags=["schedule"])

NO_NUL = r"^[^\x00]*$"


@router.get("/api/schedule", response_model=SchedulePage, responses=LIST_RESPONSES,
            summary="Open check-ins due within N days, overdue first (by team or coordinator)")
def schedule(
    request: Request,
    principal: PrincipalDep,
    view: ScheduleDep,
    settings: SettingsDep,
    team: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    coordinator: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    within_days: Annotated[int, Query(ge=0, le=366, description="Due today or within this many days; "
                                      "overdue check-ins are always included")] = 14,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: AfterQuery = None,
) -> SchedulePage:
    """The open check-ins due today or within `within_days`, and every overdue one, overdue first, for your team (or
    the households you coordinate: `coordinator=<you>`), a page at a time. Each says how many days it is overdue,
    why it was planned, and whether a signal arrived since the household was last seen (`escalation_hint`). A
    projection: `after` reads your own write."""
    wait_for(view, after, settings.catch_up_timeout)
    today = local_date(datetime.now(UTC))
    team = list_scope(request, principal, team, coordinator)  # only what the user may see (api/authz.py)
    try:
        rows, next_cursor = view.page(until=today + timedelta(days=within_days), team=team, coordinator=coordinator,
                                      cursor=cursor, limit=limit)
    except ValueError as error:
        raise RequestValidationError([{"type": "value_error", "loc": ("query", "cursor"), "msg": str(error),
                                       "input": cursor}]) from None
    items = [ScheduleItem(
        check_in_id=row.check_in_id, household_id=row.household_id, label=row.label, team=row.team,
        coordinator=row.coordinator, intensity=row.intensity, due=row.due, days_overdue=max(0, (today - row.due).days),
        reason=row.reason, signal_at=row.signal_at, signal_summary=row.signal_summary,
        escalation_hint=row.signal_at is not None and row.intensity in SIGNAL_LEVELS,
    ) for row in rows if row.check_in_id is not None and row.due is not None]
    record_listed(request, principal, (item.household_id for item in items))  # NEN 7513: what the list shows
    return SchedulePage(today=today, items=items, next_cursor=next_cursor)


@router.get("/api/households/{household_id}/check-ins", response_model=list[CheckInHistory],
            responses=READ_RESPONSES, tags=["households"],
            summary="Every check-in of a household: due dates as they changed, when done, days overdue")
def check_in_history(
    household_id: UUID,
    _principal: PrincipalDep,
    households: HouseholdsDep,
    on: Annotated[date | None, Query(description="Also say how many days each check-in was overdue on this date")]
    = None,
) -> list[CheckInHistory]:
    """Every check-in the household ever had, with its due date as it changed over time, how it ended (completed or
    cancelled) and when, and the days it was overdue; with `on`, also how overdue each was on that date: was it
    overdue on day D, and for how long."""
    households.get(household_id)  # 404 for an unknown household
    today = local_date(datetime.now(UTC))
    return [CheckInHistory(
        check_in_id=found.check_in_id, scheduled_on=found.scheduled_on, due=found.due, plan=list(found.plan),
        status=found.status, ended_on=found.ended_on, days_overdue=found.days_overdue(today),
        overdue_on_day=overdue_on(found, on) if on is not None else None,
    ) for found in check_ins(households.history(household_id)).values()]
