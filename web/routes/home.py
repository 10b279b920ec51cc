"""Mijn werk: the home screen, per role."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal
from api.authz import list_scope, record_listed, role_and_team
from domain.staff import CARE_ROLES, COORDINATOR, PARTNER, PRIVACY_OFFICER, TEAM_LEAD
from projections.signals import NEW
from web import privacy_status, team_lead
from web.common import render
from web.sessions import current_principal

router = APIRouter(include_in_schema=False)

ROLE_TEXT = {
    "privacy_officer": "Als privacyfunctionaris beoordeelt u noodtoegang, bewaakt u de integriteit van de gegevens "
                       "en de bewaartermijnen, en beslist u over vernietiging. Alles staat onder Privacy.",
    "administrator": "Als beheerder houdt u het personeelsregister bij. Dat scherm komt in een volgende stap; "
                     "tot dan gebruikt u de API.",
    "partner": "Als ketenpartner meldt u een signaal bij het wijkteam (Signaal melden) en ziet u op Mijn "
               "meldingen of het team uw meldingen heeft opgepakt.",
}


@router.get("/")
async def home(request: Request) -> Response:
    principal = await current_principal(request)
    return await anyio.to_thread.run_sync(_home, request, principal)


def _home(request: Request, principal: Principal) -> HTMLResponse:
    role, team = role_and_team(request, principal)
    context: dict[str, Any] = {"title": "Mijn werk", "role": role, "team": team, "rows": None,
                               "role_text": ROLE_TEXT.get(role or "", "Uw rol geeft (nog) geen werk in Waakvlam.")}
    if role in CARE_ROLES:
        coordinator = principal.user_id if role == COORDINATOR else None
        try:
            scope = list_scope(request, principal, None, coordinator)  # only what the user may see (api/authz.py)
        except HTTPException:
            context["role_text"] = "U hoort (nog) bij geen team. Vraag de beheerder u aan een team toe te voegen."
        else:
            rows, more = request.app.state.caseload.page(team=scope, coordinator=coordinator, status="open",
                                                         limit=100)
            record_listed(request, principal, (row.household_id for row in rows))  # NEN 7513: what the page shows
            context.update(rows=rows, more=more is not None, mine=coordinator is not None)
            if role == TEAM_LEAD and scope is not None:
                context["lead"] = team_lead.figures(request, scope)  # web/templates/home/_team_lead.html
            elif team is not None:  # the team's new signals, waiting in the inbox (a count: no household shown)
                signals, more_signals = request.app.state.signals.page(status=NEW, visible_to=team, limit=99)
                context["team_signals"] = {"count": len(signals), "more": more_signals is not None,
                                           "urgent": sum(1 for s in signals if s.urgency in ("acute", "high"))}
    if role != PARTNER:  # Meldingen: the user's unread notifications (a partner has none)
        context["unread"] = request.app.state.notifications.unread_count(principal.user_id)
    if role == PRIVACY_OFFICER:  # web/templates/home/_privacy_officer.html
        context["officer"] = privacy_status.overview(request, principal, check=False)
    return render(request, "home.html", context, principal=principal)


