"""Planning (issue 11 §2.8): the open check-ins of the team (or of the households one coordinates) due within N
days, overdue first, as `GET /api/schedule` reads them (the same scope, decided and logged by api/authz.py); and the
calendar subscription link (`POST /api/calendar`): made or renewed (the old address stops working) or revoked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import PARTNER, Principal
from api.authz import list_scope, record_listed, role_and_team
from web.common import error_page, render, today
from web.planning_nl import behind, planned
from web.sessions import current_principal, posted

router = APIRouter(include_in_schema=False)

WITHIN = {"0": "vandaag", "7": "7 dagen", "14": "14 dagen", "30": "30 dagen"}  # the choice of N, as the API's
DEFAULT_WITHIN = "14"
MAX_DAYS = 366  # as the API: any number of days up to a year, though the page offers the choices above
PAGE_SIZE = 50
FILTERS = ("team", "coordinator", "within_days", "cursor")



def _refused(request: Request, principal: Principal) -> HTMLResponse:
    return error_page(request, principal, 403, "Geen toegang",
                      "De planning is voor de medewerkers van een wijkteam: u ziet die van uw eigen team, of die van "
                      "de huishoudens waarvan u regisseur bent.")


@router.get("/planning")
async def planning(request: Request) -> Response:
    principal = await current_principal(request)
    return await anyio.to_thread.run_sync(_planning, request, principal)


def _chosen(request: Request) -> tuple[dict[str, str], dict[str, str]]:
    """The filters as typed, and a Dutch message per filter that is not valid (as the API's 422 would be)."""
    query = request.query_params
    chosen = {name: (query.get(name) or "").strip() for name in FILTERS}
    errors: dict[str, str] = {}
    for name, what in (("team", "De naam van het team"), ("coordinator", "De naam van de regisseur")):
        if len(chosen[name]) > 100 or "\x00" in chosen[name]:
            errors[name] = f"{what} is te lang of bevat tekens die niet kunnen. Gebruik hoogstens 100 tekens."
            chosen[name] = chosen[name].replace("\x00", "")[:100]
    days = chosen["within_days"]
    if days and not (days.isascii() and days.isdigit() and len(days) <= 3 and int(days) <= MAX_DAYS):
        errors["within_days"] = "Kies een termijn uit de lijst: vandaag, 7, 14 of 30 dagen."
        chosen["within_days"] = ""
    elif days:
        chosen["within_days"] = str(int(days))  # "007" is 7
    if len(chosen["cursor"]) > 200:
        errors["cursor"] = "Deze pagina bestaat niet (meer). Begin opnieuw bij de eerste pagina."
        chosen["cursor"] = ""
    chosen["within_days"] = chosen["within_days"] or DEFAULT_WITHIN
    return chosen, errors


def _choices(chosen: str) -> list[tuple[str, str]]:
    """The choice of days, with the chosen number (from a link) among them when it is another."""
    choices = dict(WITHIN)
    if chosen not in choices:
        choices[chosen] = "1 dag" if chosen == "1" else f"{chosen} dagen"
    return sorted(choices.items(), key=lambda item: int(item[0]))


def _planning(request: Request, principal: Principal) -> HTMLResponse:
    chosen, errors = _chosen(request)
    role, own_team = role_and_team(request, principal)
    if role == PARTNER:
        return _refused(request, principal)
    context: dict[str, Any] = {
        "title": "Planning", "chosen": chosen, "errors": errors, "rows": [], "next_cursor": None,
        "choices": _choices(chosen["within_days"]), "own_team": own_team, "scope": None,
        "feed_made_at": request.app.state.notifications.feed_made_at(principal.user_id)}
    if errors:
        return render(request, "planning/schedule.html", context, 400, principal)
    coordinator = chosen["coordinator"] or None
    try:  # only what the user may see, refused (and logged) as the API's list
        team = list_scope(request, principal, chosen["team"] or None, coordinator)
    except HTTPException:
        return _refused(request, principal)
    context["behind"] = behind(request, request.app.state.schedule)
    day = today()
    try:
        found, next_cursor = request.app.state.schedule.page(
            until=day + timedelta(days=int(chosen["within_days"])), team=team, coordinator=coordinator,
            cursor=chosen["cursor"] or None, limit=PAGE_SIZE)
    except ValueError:
        context["errors"] = {"cursor": "Deze pagina bestaat niet (meer). Begin opnieuw bij de eerste pagina."}
        return render(request, "planning/schedule.html", context, 400, principal)
    rows = [planned(row, day) for row in found if row.check_in_id is not None and row.due is not None]
    record_listed(request, principal, (row.household_id for row in rows))  # NEN 7513: what the page shows
    context.update(rows=rows, next_cursor=next_cursor, scope=team,
                   late=[row for row in rows if row.days_overdue > 0],
                   coming=[row for row in rows if row.days_overdue == 0])
    return render(request, "planning/schedule.html", context, principal=principal)


@router.post("/planning/agenda")
async def renew_calendar_link(request: Request) -> Response:
    """A new secret address for the user's calendar feed; the previous one stops working. The address is shown in
    the answer to this POST, once, and never put in a URL of ours (no redirect): it is the key to the feed."""
    principal, _form = await posted(request)
    if principal.role == PARTNER:
        return _refused(request, principal)
    return await anyio.to_thread.run_sync(_renewed, request, principal)


def _renewed(request: Request, principal: Principal) -> HTMLResponse:
    secret = request.app.state.notifications.new_feed_secret(principal.user_id)
    url = f"{request.app.state.settings.base_url.rstrip('/')}/api/calendar/{secret}.ics"
    return render(request, "planning/calendar.html", {
        "title": "Uw nieuwe agendalink", "url": url, "webcal_url": "webcal://" + url.split("://", 1)[-1]},
        principal=principal)


@router.post("/planning/agenda/intrekken")
async def revoke_calendar_link(request: Request) -> Response:
    principal, _form = await posted(request)
    if principal.role == PARTNER:
        return _refused(request, principal)
    await anyio.to_thread.run_sync(request.app.state.notifications.revoke_feed, principal.user_id)
    return RedirectResponse("/planning?agenda=ingetrokken#agenda", status_code=303)
