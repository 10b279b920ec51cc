"""The household on one screen, at /households/{id} (where mails and calendar events link)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal
from api.deps import wait_for
from api.problems import CatchUpTimeout
from domain.errors import NotFound
from domain.values import LifeDomain
from projections.plan import present
from web import dutch
from web.common import authorised, not_found, position, render, today
from web.sessions import (
    current_principal,
)

router = APIRouter(include_in_schema=False)
TIMELINE_LENGTH = 50


@router.get("/households/{household_id}")
async def household_page(request: Request, household_id: str) -> Response:
    principal = await current_principal(request)
    found = await authorised(request, principal, household_id)
    if isinstance(found, HTMLResponse):
        return found
    return await anyio.to_thread.run_sync(_household, request, principal, found)


def _household(request: Request, principal: Principal, household_id: UUID) -> HTMLResponse:
    state = request.app.state
    households = state.households
    if not households.is_household(household_id):
        return not_found(request, principal)
    try:
        household = households.get(household_id)
    except NotFound:
        return not_found(request, principal)
    after, behind = position(request.query_params.get("na")), False
    for view in (state.plans, state.timeline):  # read your own write: wait for the views to have it
        try:
            wait_for(view, after, min(state.settings.catch_up_timeout, 5))
        except CatchUpTimeout:
            behind = True
    now = datetime.now(UTC)
    doc = state.plans.get(household_id)
    plan = present(doc, now) if doc is not None else None
    if plan is not None:  # the life domains in the ZRM's order
        order = list(LifeDomain)
        plan["life_domains"] = dict(sorted(plan["life_domains"].items(),
                                           key=lambda item: order.index(item[0]) if item[0] in order else 99))
    rows, _ = state.timeline.page(household_id, limit=TIMELINE_LENGTH)
    since = plan["intensity_history"][-1]["from"] if plan and plan["intensity_history"] else None
    check_in = household.next_check_in
    return render(request, "household.html", {
        "title": household.label, "household": household, "household_id": household_id, "plan": plan,
        "timeline": rows, "intensity_since": since, "check_in": check_in, "behind": behind,
        "late": dutch.days_late(check_in["due"], today()) if check_in else 0,
        "saved": request.query_params.get("vastgelegd") == "1",
        "loose_interventions": [i for i in plan["interventions"] if not i.get("goal_id")] if plan else [],
        "loose_agreements": [a for a in plan["open_agreements"] if not a.get("goal_id")] if plan else [],
    }, principal=principal)


