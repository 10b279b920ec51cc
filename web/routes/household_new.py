"""Huishouden registreren (issue 11 §2.7): the registration command of `POST /api/households` (label, team,
intensity), and from a signal's triage the registration of `POST /api/signals/{id}/triage` (`register`), prefilled
from the signal. After success, the new household's page."""

from __future__ import annotations

import json
import uuid
from functools import partial
from typing import Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import Principal
from api.authz import record, require_care_role, role_and_team
from domain.errors import Contention, InvalidInput, NotFound, RuleViolation
from domain.values import Intensity
from web.common import error_page, render
from web.routes.signal_inbox import RULES_NL, _signal
from web.sessions import current_principal, posted
from web.signals_nl import INTENSITY_TEXT, run_once, teams

router = APIRouter(include_in_schema=False)


def _refused(request: Request, principal: Principal) -> HTMLResponse:
    return error_page(request, principal, 403, "Geen toegang",
                      "Een huishouden registreren is werk van de medewerkers van een wijkteam.")


def _form(request: Request, principal: Principal, values: dict[str, str], signal: Any = None,
          errors: dict[str, str] | None = None, status: int = 200, summary: str = "") -> HTMLResponse:
    return render(request, "signals/household_new.html", {
        "title": "Huishouden registreren", "values": values, "signal": signal, "errors": errors or {},
        "summary": summary, "teams": teams(request), "intensities": list(INTENSITY_TEXT.items())},
        status, principal)


@router.get("/huishoudens/nieuw")
async def registration_form(request: Request) -> Response:
    principal = await current_principal(request)

    def page() -> HTMLResponse:
        try:
            _, own_team = require_care_role(request, principal)
        except HTTPException:
            return _refused(request, principal)
        values = {"naam": "", "team": own_team or "", "intensiteit": Intensity.LICHT.value,
                  "signaal": "", "sleutel": str(uuid.uuid4())}
        signal = None
        raw = request.query_params.get("signaal")
        if raw:
            signal = _signal(request, principal, raw)
            if isinstance(signal, HTMLResponse):
                return signal
            values.update(naam=signal.about_name or signal.about_address, team=signal.team or own_team or "",
                          signaal=str(signal.signal_id))
        return _form(request, principal, values, signal)

    return await anyio.to_thread.run_sync(page)


@router.post("/huishoudens/nieuw")
async def register(request: Request) -> Response:
    principal, form = await posted(request)
    return await anyio.to_thread.run_sync(_register, request, principal, dict(form))


def _register(request: Request, principal: Principal, form: dict[str, Any]) -> Response:
    try:
        _, own_team = require_care_role(request, principal)
    except HTTPException:
        return _refused(request, principal)
    values = {k: str(form.get(k) or "").strip() for k in ("naam", "team", "intensiteit", "signaal", "sleutel")}
    signal = None
    if values["signaal"]:
        signal = _signal(request, principal, values["signaal"])
        if isinstance(signal, HTMLResponse):
            return signal
    errors: dict[str, str] = {}
    if not values["naam"]:
        errors["naam"] = "Vul een naam in waaraan het team het huishouden herkent, zoals Fam. Jansen."
    elif len(values["naam"]) > 200 or "\x00" in values["naam"]:
        errors["naam"] = "Schrijf hooguit 200 tekens."
    if values["team"] not in teams(request):
        errors["team"] = "Kies het wijkteam dat het huishouden gaat volgen."
    if values["intensiteit"] not in INTENSITY_TEXT:
        errors["intensiteit"] = "Kies hoeveel steun het huishouden nu nodig heeft."
    if errors:
        return _form(request, principal, values, signal, errors, 422)
    households = request.app.state.households
    fields = {"label": values["naam"], "team": values["team"], "intensity": values["intensiteit"]}
    sent = {k: values[k] for k in ("naam", "team", "intensiteit", "signaal")}
    if signal is not None:
        command = partial(households.register_from_signal, signal.signal_id, **fields)
    else:
        command = partial(households.register, **fields)
    try:
        answer = run_once(request, principal, values["sleutel"], sent, command, created=signal is None)
    except RuleViolation as error:
        text = RULES_NL.get(error.rule, "Dit mag volgens de regels van Waakvlam niet.")
        return _form(request, principal, values, signal, {}, 409, f"Het huishouden is niet geregistreerd. {text}")
    except InvalidInput as error:
        field = {"label": "naam", "team": "team", "intensity": "intensiteit"}.get(getattr(error, "field", ""), "")
        text = "Deze waarde kan Waakvlam niet opslaan."
        return _form(request, principal, values, signal, {field: text} if field else {}, 422,
                     "" if field else f"Het huishouden is niet geregistreerd. {text}")
    except NotFound:
        return _form(request, principal, values, signal, {}, 404, "Het signaal bestaat niet meer.")
    except Contention:
        return _form(request, principal, values, signal, {}, 503, "Het is nu erg druk. Probeer het opnieuw.")
    if answer.status_code == 422:
        values["sleutel"] = str(uuid.uuid4())
        return _form(request, principal, values, signal, {}, 422, "Dit formulier was al eens verstuurd met een "
                     "andere inhoud. Controleer en probeer opnieuw.")
    body = json.loads(answer.body)
    household_id = UUID(body["household_id"])
    if signal is None and answer.status_code == 201:
        # NEN 7513: the registration as the API logs it
        record(request, principal, household_id, authorised=True, action="create",
               care_relationship=own_team == values["team"], team=role_and_team(request, principal)[1])
    return RedirectResponse(f"/households/{household_id}?na={body['position']}", status_code=303)
