"""A household's timeline (newest first, filtered, paginated) and its audit history
(every stored event, as JSON lines, straight from the event store)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel, Field

from api.deps import AfterQuery, HouseholdsDep, PrincipalDep, SettingsDep, wait_for
from api.routers.common import READ_RESPONSES
from domain.application import Households
from domain.errors import NotFound
from domain.values import LifeDomain
from projections.history import household_history, json_lines
from projections.timeline import EventKind, TimelineView

router = APIRouter(prefix="/api/households", tags=["timeline"])

NO_NUL = r"^[^\x00]*$"
NDJSON = "application/x-ndjson"


async def _timeline(request: Request) -> TimelineView:
    return request.app.state.timeline


TimelineViewDep = Annotated[TimelineView, Depends(_timeline)]


class TimelineItem(BaseModel):
    household_id: UUID
    version: int = Field(description="The household's version this event made.")
    position: int = Field(description="The event's position in the store.")
    kind: str = Field(description="The kind of event, e.g. `ContactRecorded`.")
    summary: str = Field(description="What happened, in Dutch.")
    actor: str = Field(description="Who recorded it.")
    occurred_at: datetime = Field(description="When it happened in the world.")
    recorded_at: datetime = Field(description="When it was recorded.")
    life_domains: list[str]


class TimelinePage(BaseModel):
    items: list[TimelineItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("query", field), "msg": message, "input": None}])


def _exists(households: Households, household_id: UUID) -> None:
    if not households.is_household(household_id):  # the store also holds teams and signals
        raise NotFound(f"household {household_id} does not exist")


@router.get("/{household_id}/timeline", response_model=TimelinePage, responses=READ_RESPONSES,
            summary="The household's timeline: one line per event in Dutch, newest first")
def timeline(
    household_id: UUID,
    _principal: PrincipalDep,
    households: HouseholdsDep,
    view: TimelineViewDep,
    settings: SettingsDep,
    domain: Annotated[LifeDomain | None, Query(description="Only events that touch this life domain.")] = None,
    kind: Annotated[EventKind | None, Query(description="Only events of this kind.")] = None,
    actor: Annotated[str | None, Query(max_length=100, pattern=NO_NUL, description="Only events by this user.")]
    = None,
    since: Annotated[AwareDatetime | None, Query(alias="from", description="Happened at or after (with UTC offset).")]
    = None,
    until: Annotated[AwareDatetime | None, Query(description="Happened before this moment (with UTC offset).")] = None,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: AfterQuery = None,
) -> TimelinePage:
    """The household's events as one line each in Dutch (who did what, when, on which life domains), newest first,
    filtered by life domain, kind, actor and period, a page at a time (`next_cursor`). A projection: `after` reads
    your own write."""
    _exists(households, household_id)
    wait_for(view, after, settings.catch_up_timeout)
    try:
        rows, next_cursor = view.page(household_id, domain=domain, kind=kind, actor=actor, since=since,
                                      until=until, cursor=cursor, limit=limit)
    except ValueError as error:
        raise _invalid("cursor", str(error)) from None
    items = [TimelineItem.model_validate(row, from_attributes=True) for row in rows]
    return TimelinePage(items=items, next_cursor=next_cursor)


@router.get("/{household_id}/history", response_class=StreamingResponse,
            responses={**READ_RESPONSES, 200: {
                "description": "One JSON object per line and per event, oldest first: kind, household_id, "
                               "version, position, actor, occurred_at, recorded_at and the event's own `fields`.",
                "content": {NDJSON: {"schema": {"type": "string"}}}}},
            summary="The audit history: every stored event of the household with all its metadata, as JSON lines")
def audit_history(household_id: UUID, _principal: PrincipalDep, households: HouseholdsDep) -> StreamingResponse:
    """Every event stored for the household, oldest first, straight from the event store, as JSON lines: the audit
    export. For the household's team and the privacy officer; logged as an export (NEN 7513 `execute`). The `ETag`
    is the household's version."""
    _exists(households, household_id)
    entries = household_history(households, household_id)
    return StreamingResponse(json_lines(entries), media_type=NDJSON,
                             headers={"ETag": f'"{entries[-1]["version"]}"'})
