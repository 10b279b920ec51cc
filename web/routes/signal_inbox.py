"""Signalen (issue 11 §2.7): the team's inbox, new signals first, with each one's eropaf (the time from the signal to
the first contact with its household), and the triage of one signal: link it to a household of the team, register
a household from it (web/routes/household_new.py), or dismiss it with a reason, as `POST /api/signals/{id}/triage`.
Every page that shows a signal is in the access log as the API's reads are (api/signal_access.py)."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from functools import partial
from typing import Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import Principal
from api.authz import check, record_listed, signal_scope
from api.deps import wait_for
from api.problems import CatchUpTimeout
from api.signal_access import record_signal, record_signals_listed
from domain.errors import Contention, NotFound, RuleViolation
from projections.signals import NEW, SignalRow, replay
from web.common import error_page, position, render
from web.sessions import current_principal, posted
from web.signals_nl import STATUS_NL, URGENCY_NL, run_once

router = APIRouter(include_in_schema=False)
SEARCH_PAGES = 10  # at most this many pages of 200 households are searched by label


def refused(request: Request, principal: Principal) -> HTMLResponse:
    return error_page(request, principal, 403, "Geen toegang",
                      "De signalen zijn voor de medewerkers van een wijkteam, en elk team ziet alleen zijn eigen "
                      "signalen. Als ketenpartner meldt u een signaal via Signaal melden.")


def _missing(request: Request, principal: Principal) -> HTMLResponse:
    return error_page(request, principal, 404, "Signaal niet gevonden",
                      "Er is geen signaal op dit adres. Misschien is de link onvolledig.")


def _wait(request: Request) -> bool:
    """Read your own write: wait for the inbox view to have the position in `?na=`; True when it is behind."""
    state = request.app.state
    try:
        wait_for(state.signals, position(request.query_params.get("na")), min(state.settings.catch_up_timeout, 5))
    except CatchUpTimeout:
        return True
    return False


@router.get("/signalen")
async def inbox(request: Request) -> Response:
    principal = await current_principal(request)
    return await anyio.to_thread.run_sync(_inbox, request, principal)


def _inbox(request: Request, principal: Principal) -> HTMLResponse:
    try:
        team = signal_scope(request, principal)  # the wijkteams' people, their own team (logged when refused)
    except HTTPException:
        return refused(request, principal)
    status = request.query_params.get("status", "")
    status = status if status in STATUS_NL else ""
    urgency = request.query_params.get("urgentie", "")
    urgency = urgency if urgency in URGENCY_NL else ""
    behind = _wait(request)
    view = request.app.state.signals
    page = partial(view.page, urgency=urgency or None, visible_to=team, limit=100)
    new: list[SignalRow] = page(status=NEW)[0] if status in ("", NEW) else []
    done: list[SignalRow] = []
    for triaged in ("linked", "dismissed"):
        if status in ("", triaged):
            done.extend(page(status=triaged)[0])
    done.sort(key=lambda row: row.triaged_at or row.reported_at, reverse=True)
    record_signals_listed(request, principal, (*new, *done))  # NEN 7513, as the API's list
    return render(request, "signals/inbox.html", {
        "title": "Signalen", "team": team, "new": new, "done": done, "status": status, "urgency": urgency,
        "statuses": list(STATUS_NL.items()), "urgencies": list(URGENCY_NL.items()), "behind": behind,
        "done_text": request.query_params.get("klaar", "")}, 200, principal)


def _signal(request: Request, principal: Principal, raw: str) -> SignalRow | HTMLResponse:
    """The signal as the API's read shows it (its own events, the view's first contact), or a Dutch 403/404;
    logged as the API's read is (a forgotten signal has no row: 404)."""
    try:
        team = signal_scope(request, principal)
    except HTTPException:
        return refused(request, principal)
    try:
        signal_id = UUID(raw)
        (row,) = replay(request.app.state.households.signal_events(signal_id)).values()
    except (ValueError, NotFound):
        return _missing(request, principal)
    if row.team is not None and row.team != team:
        record_signal(request, principal, signal_id, authorised=False)
        return refused(request, principal)
    record_signal(request, principal, signal_id, authorised=True)
    seen = request.app.state.signals.get(signal_id)
    if seen is not None and row.household_id is not None and seen.household_id == row.household_id:
        row = replace(row, first_contact_at=seen.first_contact_at)
    return row


def _search(request: Request, principal: Principal, team: str, words: str) -> list[Any]:
    """The team's open households whose label holds the words (the caseload view), logged as a list."""
    words = words.casefold().strip()
    if not words:
        return []
    found, cursor = [], None
    for _ in range(SEARCH_PAGES):
        rows, cursor = request.app.state.caseload.page(team=team, status="open", cursor=cursor, limit=200)
        found.extend(row for row in rows if words in row.label.casefold())
        if cursor is None or len(found) >= 20:
            break
    found = found[:20]
    record_listed(request, principal, (row.household_id for row in found))  # NEN 7513: what the search shows
    return found


@router.get("/signalen/{signal_id}")
async def signal_page(request: Request, signal_id: str) -> Response:
    principal = await current_principal(request)
    return await anyio.to_thread.run_sync(_signal_page, request, principal, signal_id)


def _signal_page(request: Request, principal: Principal, raw: str, errors: dict[str, str] | None = None,
                 status: int = 200, summary: str = "", values: dict[str, str] | None = None) -> HTMLResponse:
    behind = _wait(request)
    row = _signal(request, principal, raw)
    if isinstance(row, HTMLResponse):
        return row
    record_listed(request, principal, [row.household_id])  # NEN 7513: a linked household's signal, as the API
    values = values or {}
    key = values.get("sleutel", "").removesuffix("-k").removesuffix("-a") or str(uuid.uuid4())
    words = values.get("zoek", request.query_params.get("zoek", ""))[:200]
    team = signal_scope(request, principal)
    matches = _search(request, principal, team, words) if row.status == NEW else []
    return render(request, "signals/triage.html", {
        "title": "Signaal beoordelen", "row": row, "errors": errors or {}, "summary": summary, "words": words,
        "searched": bool(words.strip()), "matches": matches, "reason": values.get("reden", ""),
        "key": key, "behind": behind}, status, principal)


# The domain's refusals of a triage, in Dutch.
RULES_NL = {
    "a signal is triaged once": "Dit signaal is al beoordeeld, misschien door een collega. Bekijk hieronder wat er "
                                "mee is gebeurd.",
    "nothing but reopening on a closed household": "Dit huishouden is afgesloten; heropen het eerst, of kies een "
                                                   "ander huishouden.",
}


def _triage(request: Request, principal: Principal, raw: str, form: dict[str, Any], action: str) -> Response:
    row = _signal(request, principal, raw)
    if isinstance(row, HTMLResponse):
        return row
    values = {k: str(form.get(k) or "") for k in ("zoek", "huishouden", "reden", "sleutel")}
    households = request.app.state.households
    if action == "link":
        try:
            household_id = UUID(values["huishouden"])
        except ValueError:
            return _signal_page(request, principal, raw, {"huishouden": "Kies het huishouden waar dit signaal over "
                                                          "gaat. Zoek het eerst op naam."}, 422, values=values)
        try:
            check(request, principal, household_id, action="update")  # may they act on it? (logged, as the API)
        except HTTPException:
            return error_page(request, principal, 403, "Geen toegang",
                              "Dit huishouden hoort niet bij uw team. U kunt een signaal alleen koppelen aan een "
                              "huishouden van uw eigen team.")
        command = partial(households.link_signal, row.signal_id, household_id)
        sent: dict[str, Any] = {"action": "link", "household_id": str(household_id)}
    else:
        reason = values["reden"].strip()
        if not reason:
            return _signal_page(request, principal, raw, {"reden": "Schrijf op waarom het team dit signaal niet "
                                                          "oppakt."}, 422, values=values)
        if len(reason) > 2_000:
            return _signal_page(request, principal, raw, {"reden": "Schrijf hooguit 2.000 tekens."}, 422,
                                values=values)
        command = partial(households.dismiss_signal, row.signal_id, reason=reason)
        sent = {"action": "dismiss", "reason": reason}
    try:
        answer = run_once(request, principal, values["sleutel"], sent, command)
    except RuleViolation as error:
        text = RULES_NL.get(error.rule, "Dit mag volgens de regels van Waakvlam niet.")
        return _signal_page(request, principal, raw, {}, 409, f"Het signaal is niet beoordeeld. {text}",
                            values=values)
    except NotFound:
        return _signal_page(request, principal, raw, {"huishouden": "Dit huishouden bestaat niet (meer). Zoek "
                                                      "opnieuw."}, 404, values=values)
    except Contention:
        return _signal_page(request, principal, raw, {}, 503, "Het is nu erg druk. Probeer het opnieuw.",
                            values=values)
    if answer.status_code == 422:
        values["sleutel"] = str(uuid.uuid4())
        return _signal_page(request, principal, raw, {}, 422, "Dit formulier was al eens verstuurd met een andere "
                            "inhoud. Controleer en probeer opnieuw.", values=values)
    body = json.loads(answer.body)
    if action == "link":
        return RedirectResponse(f"/households/{body['household_id']}?na={body['position']}", status_code=303)
    return RedirectResponse(f"/signalen?klaar=afgewezen&na={body['position']}", status_code=303)


@router.post("/signalen/{signal_id}/koppelen")
async def link(request: Request, signal_id: str) -> Response:
    principal, form = await posted(request)
    return await anyio.to_thread.run_sync(_triage, request, principal, signal_id, dict(form), "link")


@router.post("/signalen/{signal_id}/afwijzen")
async def dismiss(request: Request, signal_id: str) -> Response:
    principal, form = await posted(request)
    return await anyio.to_thread.run_sync(_triage, request, principal, signal_id, dict(form), "dismiss")
