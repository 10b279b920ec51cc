"""Signaal melden (issue 11 §2.7): a partner reports a signal to a wijkteam, as `POST /api/signals` does, checks
its answers, and follows its own reports on Mijn meldingen (whether the team picked them up, not how)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.auth import PARTNER, Principal
from api.deps import wait_for
from api.problems import CatchUpTimeout
from api.schemas.signals import SignalReport
from api.signal_access import record_signal, record_signals_listed
from domain.errors import Contention, InvalidInput, NotFound, RuleViolation
from projections.signals import replay
from web.common import error_page, local_now, parse_local, position, render
from web.sessions import current_principal, posted
from web.signals_nl import SOURCE_NL, URGENCY_NL, run_once, teams

router = APIRouter(include_in_schema=False)

FIELDS = ("bron", "naam", "adres", "wat", "urgentie", "team", "melder", "bereikbaar", "wanneer", "sleutel")
NO_TEAM = "onbekend"


def _sources(principal: Principal) -> list[tuple[str, str]]:
    return [(k, v) for k, v in SOURCE_NL.items() if k != "team" or principal.role != PARTNER]


def _blank(principal: Principal) -> dict[str, str]:
    return {"bron": "", "naam": "", "adres": "", "wat": "", "urgentie": "normal", "team": principal.team or "",
            "melder": "", "bereikbaar": "", "wanneer": "", "sleutel": str(uuid.uuid4())}


def _form(request: Request, principal: Principal, values: dict[str, str], errors: dict[str, str] | None = None,
          status: int = 200, summary: str = "") -> HTMLResponse:
    return render(request, "signals/report.html", {
        "title": "Signaal melden", "values": values, "errors": errors or {}, "summary": summary,
        "sources": _sources(principal), "urgencies": list(URGENCY_NL.items()), "teams": teams(request),
        "no_team": NO_TEAM, "now": local_now()}, status, principal)


@router.get("/melden")
async def report_form(request: Request) -> Response:
    principal = await current_principal(request)
    return await anyio.to_thread.run_sync(lambda: _form(request, principal, _blank(principal)))


def _values(form: Any) -> dict[str, str]:
    return {name: str(form.get(name) or "").strip() if name != "wat" else str(form.get(name) or "")
            for name in FIELDS}


def _checked(principal: Principal, values: dict[str, str]) -> tuple[SignalReport | None, dict[str, str]]:
    """The report as the API would take it, or the Dutch errors next to each field."""
    errors: dict[str, str] = {}
    if values["bron"] not in dict(_sources(principal)):
        errors["bron"] = "Kies wie u bent of namens wie u meldt."
    if not values["naam"] and not values["adres"]:
        errors["naam"] = "Vul een naam of een adres in (of allebei), zodat het wijkteam weet om wie het gaat."
    if not values["wat"].strip():
        errors["wat"] = "Beschrijf wat u zag of hoorde."
    elif len(values["wat"]) > 10_000:
        errors["wat"] = "Schrijf hooguit 10.000 tekens."
    if values["urgentie"] not in URGENCY_NL:
        errors["urgentie"] = "Kies hoe dringend het is."
    occurred = None
    if values["wanneer"]:
        occurred = parse_local(values["wanneer"])
        if occurred is None:
            errors["wanneer"] = "Vul een datum en tijd in, zoals 21-10-2026 14:30, of laat het leeg voor nu."
        elif occurred > datetime.now(UTC) + timedelta(minutes=5):
            errors["wanneer"] = "Het moment ligt in de toekomst. Vul in wanneer u het zag."
    for field, most in (("naam", 200), ("melder", 200), ("bereikbaar", 200), ("adres", 300), ("team", 100)):
        if len(values[field]) > most:
            errors.setdefault(field, f"Schrijf hooguit {most} tekens.")
    if errors:
        return None, errors
    team = values["team"] if values["team"] and values["team"] != NO_TEAM else None
    try:
        report = SignalReport(source=values["bron"], about_name=values["naam"], about_address=values["adres"],
                              description=values["wat"], urgency=values["urgentie"], team=team,
                              reporter_name=values["melder"], reporter_contact=values["bereikbaar"],
                              occurred_at=occurred)
    except ValidationError:
        return None, {"wat": "Een van de antwoorden kan Waakvlam niet opslaan. Controleer de tekens die u typte."}
    return report, {}


@router.post("/melden/controleren")
async def check_answers(request: Request) -> Response:
    """Check your answers: the report as it will be sent, each answer with a way to change it."""
    principal, form = await posted(request)
    values = _values(form)

    def page() -> HTMLResponse:
        if form.get("wijzigen"):
            return _form(request, principal, values)
        report, errors = _checked(principal, values)
        if report is None:
            return _form(request, principal, values, errors, 422)
        return render(request, "signals/check.html", {
            "title": "Controleer uw melding", "values": values, "no_team": NO_TEAM,
            "occurred": parse_local(values["wanneer"]) if values["wanneer"] else None}, 200, principal)

    return await anyio.to_thread.run_sync(page)


RULES_NL = {"nothing is recorded as having happened in the future": ("wanneer", "Het moment ligt in de toekomst.")}


@router.post("/melden")
async def send_report(request: Request) -> Response:
    principal, form = await posted(request)
    return await anyio.to_thread.run_sync(_send, request, principal, _values(form))


def _send(request: Request, principal: Principal, values: dict[str, str]) -> Response:
    report, errors = _checked(principal, values)
    if report is None:
        return _form(request, principal, values, errors, 422)
    fields = report.fields()
    if principal.role == PARTNER and not fields.get("team") and principal.team:
        fields["team"] = principal.team  # a partner of one neighbourhood reports to its team (as the API)
    households = request.app.state.households
    sent = {k: values[k] for k in FIELDS if k != "sleutel"}
    try:
        answer = run_once(request, principal, values["sleutel"], sent,
                          partial(households.report_signal, **fields), created=True)
    except RuleViolation as error:
        field, text = RULES_NL.get(error.rule, ("", "Dit mag volgens de regels van Waakvlam niet."))
        return _form(request, principal, values, {field: text} if field else {}, 409,
                     "" if field else f"De melding is niet verstuurd. {text}")
    except InvalidInput:
        return _form(request, principal, values, {}, 422,
                     "De melding is niet verstuurd: een van de antwoorden kan Waakvlam niet opslaan.")
    except Contention:
        return _form(request, principal, values, {}, 503, "Het is nu erg druk. Probeer het opnieuw.")
    if answer.status_code == 422:  # this form's key was used with other answers
        values["sleutel"] = str(uuid.uuid4())
        return _form(request, principal, values, {}, 422,
                     "Deze melding was al eens verstuurd met andere antwoorden. Controleer en verstuur opnieuw.")
    body = json.loads(answer.body)
    return RedirectResponse(f"/melden/verstuurd/{body['signal_id']}?na={body['position']}", status_code=303)


@router.get("/melden/verstuurd/{signal_id}")
async def sent_page(request: Request, signal_id: str) -> Response:
    """The confirmation: what was sent, and what happens next."""
    principal = await current_principal(request)

    def page() -> HTMLResponse:
        row = _own_report(request, principal, signal_id)
        if row is None:
            return error_page(request, principal, 404, "Melding niet gevonden",
                              "Er is geen melding van u op dit adres. Uw meldingen staan op Mijn meldingen.")
        return render(request, "signals/sent.html", {"title": "Melding verstuurd", "row": row,
                                                     "na": request.query_params.get("na", "")}, 200, principal)

    return await anyio.to_thread.run_sync(page)


def _own_report(request: Request, principal: Principal, raw: str) -> Any:
    """The partner's own report (logged as a read of it, as the API's), or None (someone else's: a refused read)."""
    try:
        signal_id = UUID(raw)
        (row,) = replay(request.app.state.households.signal_events(signal_id)).values()
    except (ValueError, NotFound):
        return None
    own = row.reported_by == principal.user_id  # someone else's report is none of theirs
    record_signal(request, principal, signal_id, authorised=own)
    return row if own else None


@router.get("/melden/mijn-meldingen")
async def my_reports(request: Request) -> Response:
    """A partner's own reports: received, or picked up by the team (not how), as the API shows them."""
    principal = await current_principal(request)
    if principal.role != PARTNER:
        return RedirectResponse("/signalen", status_code=303)  # the team's people follow the inbox

    def page() -> HTMLResponse:
        state = request.app.state
        behind = False
        try:
            wait_for(state.signals, position(request.query_params.get("na")), min(state.settings.catch_up_timeout, 5))
        except CatchUpTimeout:
            behind = True
        rows, more = state.signals.page(reported_by=principal.user_id, limit=200)
        record_signals_listed(request, principal, rows)  # NEN 7513, as the API's list
        return render(request, "signals/mine.html", {"title": "Mijn meldingen", "rows": rows, "more": more,
                                                     "behind": behind}, 200, principal)

    return await anyio.to_thread.run_sync(page)
