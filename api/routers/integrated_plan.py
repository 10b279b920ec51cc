"""The integrated plan of one household: now, or as it stood at a past moment."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime

from api.deps import AfterQuery, HouseholdsDep, PlanViewDep, PrincipalDep, SettingsDep, wait_for
from api.routers.common import READ_RESPONSES
from domain.errors import NotFound
from projections.plan import plan_as_of, present

router = APIRouter(prefix="/api/households", tags=["plan"])


@router.get("/{household_id}/plan", responses=READ_RESPONSES,
            summary="The integrated plan: now, as of a moment in the world, and/or as known at a moment")
def integrated_plan(
    household_id: UUID,
    _principal: PrincipalDep,
    households: HouseholdsDep,
    plans: PlanViewDep,
    settings: SettingsDep,
    response: Response,
    as_of: Annotated[AwareDatetime | None, Query(
        description="What had happened in the world by this moment (ISO 8601 with offset).")] = None,
    known_at: Annotated[AwareDatetime | None, Query(
        description="What the team had recorded by this moment (ISO 8601 with offset).")] = None,
    after: AfterQuery = None,
) -> dict[str, Any]:
    """The household's integrated plan: its goals per life domain with their agreements and interventions,
    and the latest scores. Without `as_of` and `known_at`: as it stands now (a projection; `after` reads your
    own write). With `as_of`: as things stood in the world at that moment; with `known_at`: as the team had
    recorded them by then (corrections made later left out); both together for an audit question. The
    `ETag` is the household's version the plan is of."""
    now = datetime.now(UTC)
    if as_of is None and known_at is None:
        wait_for(plans, after, settings.catch_up_timeout)
        doc = plans.get(household_id)
        at = now
    else:
        # The same fold as the live view, over the household's own events.
        doc = plan_as_of(households.history(household_id), as_of=as_of, known_at=known_at)
        at = min(m for m in (as_of, known_at, now) if m is not None)
    if doc is None:
        raise NotFound(f"household {household_id} does not exist (at that moment)")
    response.headers["ETag"] = f'"{doc["version"]}"'
    return present(doc, at)
