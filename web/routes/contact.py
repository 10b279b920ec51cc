"""Contact vastleggen: recording a contact in seconds (at most three required fields)."""

from __future__ import annotations

import hashlib
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

from api.auth import Principal
from api.commands import CommandRunner
from api.schemas.commands import ContactIn
from domain.errors import Contention, InvalidInput, NotFound, RuleViolation
from web import dutch
from web.common import authorised, existing_household, local_now, not_found, on_household, parse_local, render, today
from web.refusals import refusal
from web.sessions import posted

router = APIRouter(include_in_schema=False)
DUE_SOON_DAYS = 3  # a check-in due within this many days is completed by a contact, unless the user unticks it



@router.get("/households/{household_id}/contact")
async def contact_form(request: Request, household_id: str) -> Response:
    return await on_household(request, household_id, _contact_form)


def _contact_form(request: Request, principal: Principal, household_id: UUID, values: dict[str, Any] | None = None,
                  errors: dict[str, str] | None = None, status: int = 200, summary: str = "") -> HTMLResponse:
    household = existing_household(request, household_id)
    if household is None:
        return not_found(request, principal)
    check_in = household.next_check_in
    due_soon = check_in is not None and (check_in["due"] - today()).days <= DUE_SOON_DAYS
    values = values or {"kind": "", "summary": "", "occurred_at": local_now(), "key": str(uuid.uuid4()),
                        "complete": due_soon, "default": local_now()}
    return render(request, "contact.html", {
        "title": "Contact vastleggen", "household": household, "household_id": household_id, "values": values,
        "errors": errors or {}, "summary": summary, "check_in": check_in, "kinds": dutch.CONTACT_KINDS,
        "now": local_now()}, status, principal)


@router.post("/households/{household_id}/contact")
async def record_contact(request: Request, household_id: str) -> Response:
    principal, form = await posted(request)
    found = await authorised(request, principal, household_id)
    if isinstance(found, HTMLResponse):
        return found
    return await anyio.to_thread.run_sync(_record_contact, request, principal, found, dict(form))


# The form's field names for the command's fields (the domain's refusals are in web/refusals.py).
FIELD_NL = {"kind": "soort", "summary": "wat", "occurred_at": "wanneer"}


def _record_contact(request: Request, principal: Principal, household_id: UUID, form: dict[str, Any]) -> Response:
    households = request.app.state.households
    values = {"kind": str(form.get("soort") or ""), "summary": str(form.get("wat") or ""),
              "occurred_at": str(form.get("wanneer") or "").strip(), "key": str(form.get("sleutel") or "")[:200],
              "complete": bool(form.get("afronden")), "check_in": str(form.get("afronden") or ""),
              "default": str(form.get("standaard") or "")}
    errors: dict[str, str] = {}
    if values["kind"] not in dict(dutch.CONTACT_KINDS):
        errors["soort"] = "Kies wat voor contact het was."
    # The form's own default ("now", to the minute) stands for now: the minute may lie before a registration of
    # seconds ago. A time the user typed is taken as typed, in Dutch time.
    default = values["occurred_at"] in ("", str(form.get("standaard") or ""))
    occurred_at = datetime.now(UTC) if default else parse_local(values["occurred_at"])
    if occurred_at is None:
        errors["wanneer"] = "Vul een datum en tijd in, zoals 21-10-2026 14:30."
    elif occurred_at > datetime.now(UTC) + timedelta(minutes=5):
        errors["wanneer"] = "Het moment ligt in de toekomst. Vul in wanneer het contact was."
    if len(values["summary"]) > 10_000:
        errors["wat"] = "Schrijf hooguit 10.000 tekens."
    body = None
    if not errors:
        try:
            body = ContactIn(kind=values["kind"], summary=values["summary"], occurred_at=occurred_at,
                             check_in_id=values["check_in"] or None)
        except ValidationError as error:
            for problem in error.errors():
                field = FIELD_NL.get(str(problem["loc"][0]) if problem["loc"] else "", "wat")
                errors.setdefault(field, "Deze waarde kan Waakvlam niet opslaan.")
    if errors or body is None:
        return _contact_form(request, principal, household_id, values, errors, 422)
    # What the user sent (not "now" as resolved): a resend of the same form is the same request.
    sent = {k: values[k] for k in ("kind", "summary", "occurred_at", "check_in")}
    fingerprint = hashlib.sha256(
        f"POST {request.url.path}\n".encode() + json.dumps(sent, sort_keys=True).encode()).hexdigest()
    runner = CommandRunner(households, principal, values["key"] or None, fingerprint, None)
    try:
        answer = runner.run(partial(households.record_contact, household_id, **body.fields()), created=True)
    except RuleViolation as error:
        name, text = refusal(error.rule, set(FIELD_NL))
        field = FIELD_NL.get(name, "")
        return _contact_form(request, principal, household_id, values, {field: text} if field else {}, 409,
                             "" if field else f"Het contact is niet vastgelegd. {text}")
    except InvalidInput:
        return _contact_form(request, principal, household_id, values, {}, 422,
                             "Het contact is niet vastgelegd: een van de velden kan Waakvlam niet opslaan.")
    except NotFound:
        return not_found(request, principal)
    except Contention:
        return _contact_form(request, principal, household_id, values, {}, 503,
                             "Er wordt nu veel tegelijk aan dit huishouden gewerkt. Probeer opslaan opnieuw.")
    if answer.status_code == 422:  # the key of another form: this form was already sent with other content
        values["key"] = str(uuid.uuid4())
        return _contact_form(request, principal, household_id, values, {}, 422,
                             "Dit formulier was al eens verstuurd met een andere inhoud. Controleer en sla opnieuw op.")
    position = json.loads(answer.body)["position"]
    return RedirectResponse(f"/households/{household_id}?vastgelegd=1&na={position}#tijdlijn", status_code=303)


