"""Vernietigen (AVG art. 17): the privacy officer forgets a household by crypto-shredding (domain/application.py
`forget`, as the API's `POST .../erasure`), after a confirmation step: a page says what happens and what stays,
asks the reason and the household's name typed over; the POST (CSRF-checked) erases, and a Dutch page says it
was done. Only the privacy officer (api/authz.py: erasure is theirs alone, emergency or not); the confirmation
page is logged as a read, the erasure as the API's (`delete`)."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import Principal
from api.authz import HOUSEHOLD
from api.commands import CommandRunner
from domain.errors import Contention, InvalidInput, NotFound, RuleViolation
from domain.household import FORGOTTEN
from domain.staff import PRIVACY_OFFICER
from web.common import authorised, error_page, existing_household, not_found, parse_household_id, render
from web.sessions import current_principal, posted

router = APIRouter(include_in_schema=False)
ERASURE = ("POST", f"{HOUSEHOLD}/erasure")
REASON_LENGTH = 2000


@router.get("/households/{household_id}/vernietigen")
async def erasure_form(request: Request, household_id: str) -> Response:
    principal = await current_principal(request)
    found = await authorised(request, principal, household_id, as_api=ERASURE, action="read")
    if isinstance(found, HTMLResponse):
        return found
    return await anyio.to_thread.run_sync(_form, request, principal, found)


def _form(request: Request, principal: Principal, household_id: UUID, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, status: int = 200, summary: str = "") -> HTMLResponse:
    household = existing_household(request, household_id)
    if household is None:
        return not_found(request, principal)
    if household.status == FORGOTTEN:
        return render(request, "privacy/erased.html", {"title": "Al vernietigd", "household_id": household_id,
                                                       "already": True}, principal=principal)
    return render(request, "privacy/erasure.html", {
        "title": "Dossier vernietigen", "household_id": household_id, "label": household.label,
        "values": values or {"reden": "", "naam": "", "sleutel": str(uuid.uuid4())}, "errors": errors or {},
        "summary": summary}, status, principal)


@router.post("/households/{household_id}/vernietigen")
async def erase(request: Request, household_id: str) -> Response:
    principal, form = await posted(request)
    found = await authorised(request, principal, household_id, as_api=ERASURE)
    if isinstance(found, HTMLResponse):
        return found
    return await anyio.to_thread.run_sync(_erase, request, principal, found, dict(form))


def _erase(request: Request, principal: Principal, household_id: UUID, form: dict[str, Any]) -> Response:
    households = request.app.state.households
    household = existing_household(request, household_id)
    if household is None:
        return not_found(request, principal)
    values = {"reden": str(form.get("reden") or "").strip(), "naam": str(form.get("naam") or "").strip(),
              "sleutel": str(form.get("sleutel") or "")[:200]}
    if household.status == FORGOTTEN:  # a second send of the same form: it was done
        return RedirectResponse(f"/households/{household_id}/vernietigd", status_code=303)
    errors = {}
    if not values["reden"]:
        errors["reden"] = "Vul de reden in, bijvoorbeeld: verzoek van betrokkene (AVG artikel 17)."
    elif len(values["reden"]) > REASON_LENGTH:
        errors["reden"] = f"Schrijf de reden in hooguit {REASON_LENGTH} tekens."
    if " ".join(values["naam"].split()).casefold() != " ".join(household.label.split()).casefold():
        errors["naam"] = (f"Typ de naam van het huishouden precies over: {household.label}." if values["naam"] else
                          "Typ ter bevestiging de naam van het huishouden over.")
    if errors:
        return _form(request, principal, household_id, values, errors, 422)
    runner = CommandRunner(households, principal, values["sleutel"] or None, f"erase {household_id}", None)
    try:
        runner.run(partial(households.forget, household_id, actor=principal.user_id, reason=values["reden"]))
    except NotFound:
        return not_found(request, principal)
    except (RuleViolation, InvalidInput):
        return _form(request, principal, household_id, values, {}, 409,
                     "Het dossier is niet vernietigd: Waakvlam weigerde dit. Probeer het opnieuw.")
    except Contention:
        return _form(request, principal, household_id, values, {}, 503,
                     "Er wordt nu veel tegelijk aan dit huishouden gewerkt. Probeer het zo opnieuw.")
    return RedirectResponse(f"/households/{household_id}/vernietigd", status_code=303)


@router.get("/households/{household_id}/vernietigd")
async def erased(request: Request, household_id: str) -> Response:
    """The result: nothing of the household's data is left to show (its name is gone too)."""
    principal = await current_principal(request)
    found = parse_household_id(household_id)
    if found is None:
        return not_found(request, principal)
    if principal.role != PRIVACY_OFFICER:
        return error_page(request, principal, 403, "Geen toegang",
                          "Een dossier vernietigen is de beslissing van de privacyfunctionaris.")
    return render(request, "privacy/erased.html", {"title": "Dossier vernietigd", "household_id": found,
                                                   "already": False}, principal=principal)
