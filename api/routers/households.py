"""Households: register one, the caseload list, and one household's summary."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.authz import list_scope, record, record_listed, require_care_role
from api.deps import CaseloadDep, CaughtUpDep, CommandDep, HouseholdsDep, PrincipalDep
from api.routers.common import LIST_RESPONSES, READ_RESPONSES, problems
from api.schemas.commands import Registration
from api.schemas.views import CaseloadItem, CaseloadPage, CommandResult, HouseholdSummary
from domain.values import Intensity, cadence_days

router = APIRouter(prefix="/api/households", tags=["households"])

# PostgreSQL text cannot hold NUL characters; refused here rather than failing in the query.
NO_NUL = r"^[^\x00]*$"


REGISTRATION_RESPONSES = problems(400, 401, 409, 413, 422, 503, described={
    403: "Registering a household is for the wijkteams' people (generalist, coordinator, team lead)"})


@router.post("", status_code=201, response_model=CommandResult, responses=REGISTRATION_RESPONSES,
             summary="Register a household (its first check-in is scheduled at once)")
def register_household(body: Registration, command: CommandDep, request: Request) -> JSONResponse:
    """Registers a household in a team, at the intensity given (default `licht`), and schedules its first
    check-in by the team's cadence: from now on the pilot light never goes out. Answers the new household's
    id, `version` (also the `ETag`) and store `position`, with its address in `Location`.

    For the wijkteams' people. Send `Idempotency-Key` to make a retry safe."""
    _, own_team = require_care_role(request, command.principal)

    def run(**context: Any):
        return command.households.register(**body.fields(), **context)

    response = command.run(run, created=True, versioned=False)
    if response.status_code == 201:
        household_id = json.loads(response.body)["household_id"]
        response.headers["Location"] = f"/api/households/{household_id}"
        record(request, command.principal, UUID(household_id), authorised=True, action="create",
               care_relationship=own_team == body.team.strip(), team=own_team)
    return response


@router.get("", response_model=CaseloadPage, responses=LIST_RESPONSES,
            summary="The caseload: one row per household, soonest check-in first")
def caseload(
    request: Request,
    principal: PrincipalDep,
    view: CaseloadDep,
    _caught_up: CaughtUpDep,
    team: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    coordinator: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    intensity: Intensity | None = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    due_before: Annotated[date | None, Query(description="Only check-ins due on or before this date")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CaseloadPage:
    """The households you may see (your team's; a coordinator asking for `coordinator=<themselves>`: the
    households they coordinate in any team), filtered by team, coordinator, intensity, status or check-ins
    due before a date, soonest check-in first, a page at a time (`next_cursor`). A projection: pass
    `after=<position>` of your last write to read it. What the page shows is logged (NEN 7513)."""
    team = list_scope(request, principal, team, coordinator)  # only what the user may see (api/authz.py)
    try:
        rows, next_cursor = view.page(team=team, coordinator=coordinator, intensity=intensity, status=status,
                                      due_before=due_before, cursor=cursor, limit=limit)
    except ValueError as error:
        raise RequestValidationError([{"type": "value_error", "loc": ("query", "cursor"), "msg": str(error),
                                       "input": cursor}]) from None
    record_listed(request, principal, (row.household_id for row in rows))  # NEN 7513: what the list shows
    items = [CaseloadItem.model_validate(row, from_attributes=True) for row in rows]
    return CaseloadPage(items=items, next_cursor=next_cursor)


@router.get("/{household_id}", response_model=HouseholdSummary, responses=READ_RESPONSES,
            summary="One household: who, intensity, coordinator, next check-in and open items")
def household_summary(household_id: UUID, _principal: PrincipalDep, households: HouseholdsDep,
                      response: Response) -> HouseholdSummary:
    """The household as it stands now, read from its events: label, team, status, intensity, coordinator,
    members and network, the next check-in, the latest ZRM scores, goals, agreements, interventions, the
    signaleringsplan and the cadence per intensity. The `ETag` is its version: send it as `If-Match` to write
    only on what you saw. For the household's own team (others: emergency access only)."""
    household = households.get(household_id)
    response.headers["ETag"] = f'"{household.version}"'
    return HouseholdSummary(
        id=household.id, version=household.version, label=household.label, team=household.team,
        status=household.status, intensity=household.intensity, coordinator=household.coordinator,
        registered_at=household.registered_at, members=household.members, network=household.network,
        next_check_in=household.next_check_in, last_contact_at=household.last_contact_at,
        scores=household.scores, goals=household.goals,
        cadence={str(i): cadence_days(i, household.cadence, household.team_cadence) for i in Intensity},
        agreements=household.agreements, interventions=household.interventions,
        signaleringsplan=household.signaleringsplan, closure_reason=household.closure_reason,
    )
