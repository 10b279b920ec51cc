"""Correcting what an earlier event said (issue 11 §2.5): the timeline links each recorded fact to
/households/{id}/corrections?versie=N, which shows what was recorded (with earlier corrections) beside the new
value. Only the fields the user changes are sent (domain/corrections.py decides what may be corrected); the
original stays in the history, and the plan as known before the correction still shows it."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date, datetime
from functools import partial
from typing import Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import Principal
from api.commands import CommandRunner
from domain.corrections import CORRECTABLE
from domain.errors import Contention, InvalidInput, NotFound, RuleViolation, StaleVersion
from domain.values import LOCAL_TZ, ContactKind, Urgency
from projections.timeline import CONTACT_NL, URGENCY_NL
from web.command_forms import DOMAINS
from web.common import authorised, error_page, existing_household, on_household, position, render
from web.forms import CommandForm, Field, Scene, parse, parse_moment
from web.plan_read import KIND_NL, typed
from web.refusals import refusal
from web.sessions import posted

router = APIRouter(include_in_schema=False)
PATH = "/households/{household_id}/corrections"

# What each correctable field is called and how it is typed.
FIELDS: dict[str, Field] = {f.name: f for f in (
    Field("label", "Naam van het huishouden", max_length=200),
    Field("name", "Naam", max_length=200),
    Field("role", "Rol in het gezin", max_length=100),
    Field("birth_year", "Geboortejaar", "number"),
    Field("relation", "Relatie", max_length=100),
    Field("notices_decline", "Merkt het op als het slechter gaat", "checkbox"),
    Field("source", "Bron", max_length=100),
    Field("description", "Omschrijving", "textarea", max_length=10000),
    Field("summary", "Wat er gebeurde", "textarea", max_length=10000),
    Field("kind", "Soort contact", "select", choices=tuple((k.value, CONTACT_NL[k.value]) for k in ContactKind)),
    Field("urgency", "Urgentie", "select", choices=tuple((u.value, URGENCY_NL[u.value]) for u in Urgency)),
    Field("life_domains", "Leefgebieden", "domains", choices=DOMAINS),
    Field("life_domain", "Leefgebied", "select", choices=DOMAINS),
    Field("participants", "Deelnemers (één per regel)", "textarea"),
    Field("occurred_at", "Wanneer", "moment", hint="Een datum en tijd, zoals 21-10-2026 14:30."),
    Field("scores", "Scores", "scores"),
    Field("who", "Wie", max_length=200),
    Field("what", "Wat", "textarea", max_length=2000),
    Field("due", "Uiterlijk op", "date", hint="Een datum, zoals 21-10-2026."),
    Field("provider", "Door wie", max_length=200),
    Field("legal_basis", "Wettelijke grondslag", max_length=500),
)}
REASON = Field("reason", "Waarom deze correctie", "textarea", required=True, max_length=2000)


def _recorded(events: tuple[Any, ...], version: int) -> tuple[Any, dict[str, Any]] | None:
    """The event at `version` and what it says now: its fields, with every earlier correction applied."""
    if not 1 <= version <= len(events):
        return None
    event = events[version - 1]
    kind = type(event).__name__
    if kind not in CORRECTABLE:
        return event, {}
    now = {name: getattr(event, name, None) for name in CORRECTABLE[kind][1]}
    for later in events[version:]:
        if type(later).__name__ == "Corrected" and later.target_version == version:
            now.update({k: v for k, v in later.changes.items() if k in now})
    return event, now


def _shown(name: str, value: Any) -> Any:
    """A recorded value as its form field shows it."""
    f = FIELDS[name]
    if value is None:
        return "" if f.kind not in ("domains", "scores") else ({} if f.kind == "scores" else [])
    if f.kind == "moment":
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment.astimezone(LOCAL_TZ).strftime("%d-%m-%Y %H:%M")
    if f.kind == "date":
        return typed(value if isinstance(value, date) else date.fromisoformat(str(value)))
    if f.kind == "scores":
        return {k: str(v) for k, v in value.items()}
    if name == "participants":
        return "\n".join(value)
    if f.kind == "number":
        return str(value)
    return value


def _spec(fields: list[str]) -> CommandForm:
    return CommandForm("corrections", "Correctie", "correct", object, (*(FIELDS[n] for n in fields), REASON), "")


def _page(request: Request, principal: Principal, household_id: UUID, *, values: dict[str, Any] | None = None,
          errors: dict[str, str] | None = None, status: int = 200, summary: str = "",
          key: str | None = None) -> HTMLResponse:
    household = existing_household(request, household_id)
    version = position(str(request.query_params.get("versie") or ""))
    found = _recorded(request.app.state.households.history(household_id), version or 0) if household else None
    if household is None or found is None:
        return error_page(request, principal, 404, "Niet gevonden", "Deze gebeurtenis bestaat niet (meer).")
    event, now = found
    if not now:
        return render(request, "commands/not_now.html", {
            "title": "Dit kan niet worden gecorrigeerd", "household_id": household_id, "instead": None,
            "text": "Alleen vastgelegde feiten kunnen worden gecorrigeerd. Een besluit (zoals opschalen of "
                    "afsluiten) maakt u ongedaan met een nieuw besluit."}, 409, principal)
    errors = dict(errors or {})
    if "" in errors:
        summary = " ".join(filter(None, (summary, errors.pop(""))))
    original = {name: _shown(name, value) for name, value in now.items()}
    return render(request, "commands/correction.html", {
        "title": "Correctie", "household": household, "household_id": household_id,
        "kind": KIND_NL.get(type(event).__name__, ""), "event": event, "fields": [FIELDS[n] for n in now],
        "original": original, "values": values or {**original, "reason": ""}, "errors": errors, "summary": summary,
        "reason": REASON, "scene": Scene(household, {}), "key": key or str(uuid.uuid4()),
        "version": household.version, "target": version}, status, principal)


@router.get(PATH)
async def correction_form(request: Request, household_id: str) -> Response:
    return await on_household(request, household_id, _page)


@router.post(PATH)
async def record_correction(request: Request, household_id: str) -> Response:
    principal, form = await posted(request)
    found = await authorised(request, principal, household_id)
    if isinstance(found, HTMLResponse):
        return found
    return await anyio.to_thread.run_sync(_correct, request, principal, found, form)


def _value(f: Field, parsed: Any, errors: dict[str, str]) -> Any:
    raw = parsed.fields.get(f.name)
    if f.kind == "moment":
        moment = parse_moment(raw) if raw else None
        if moment is None:
            errors[f.name] = "Vul een datum en tijd in, zoals 21-10-2026 14:30."
        return moment
    if f.name == "participants":
        return [line.strip() for line in str(raw or "").splitlines() if line.strip()]
    return raw


def _same(f: Field, typed: Any, original: Any) -> bool:
    if f.kind == "domains":
        return set(typed or []) == set(original or [])
    if f.kind == "scores":
        return {k: v for k, v in (typed or {}).items() if v} == original
    if f.name == "participants":
        return [line.strip() for line in str(typed or "").splitlines() if line.strip()] == original.splitlines()
    return typed == original


def _correct(request: Request, principal: Principal, household_id: UUID, form: Any) -> Response:
    households = request.app.state.households
    household = existing_household(request, household_id)
    version = position(str(request.query_params.get("versie") or ""))
    found = _recorded(households.history(household_id), version or 0) if household else None
    if household is None or found is None or not found[1]:
        return _page(request, principal, household_id)
    _, now = found
    parsed = parse(_spec(list(now)), form)
    key = str(form.get("sleutel") or "")[:200] or None
    again = partial(_page, request, principal, household_id, values=parsed.values, key=key)
    errors = dict(parsed.errors)
    original = {name: _shown(name, value) for name, value in now.items()}
    changes = {}
    for name in now:
        if not _same(FIELDS[name], parsed.values.get(name), original[name]):
            changes[name] = _value(FIELDS[name], parsed, errors)
    reason = str(parsed.fields.get("reason") or "")
    if not reason:
        errors["reason"] = "Vul de reden van de correctie in."
    if not changes and not errors:
        errors[""] = "U hebt niets veranderd. Pas minstens één waarde aan."
    if errors:
        return again(errors=errors, status=422)
    sent = json.dumps(parsed.values, sort_keys=True, default=str)
    fingerprint = hashlib.sha256(f"POST {request.url.path}?{version}\n{sent}".encode()).hexdigest()
    command = partial(households.correct, household_id, target_version=version, changes=changes, reason=reason)
    try:
        answer = CommandRunner(households, principal, key, fingerprint, None).run(command, created=True)
    except RuleViolation as error:
        name, text = refusal(error.rule, set(now) | {"reason"})
        return again(errors={name: text} if name else {}, status=409,
                     summary="" if name else f"Niet opgeslagen. {text}")
    except InvalidInput as error:
        name = error.field.removeprefix("changes.").split(".")[0]
        return again(errors={name if name in now else "": "Deze waarde kan Waakvlam niet opslaan."}, status=422)
    except NotFound:
        return _page(request, principal, household_id)
    except (Contention, StaleVersion):
        return again(status=503, summary="Er wordt nu veel tegelijk aan dit huishouden gewerkt. Probeer opnieuw.")
    if answer.status_code == 422:
        return again(key=str(uuid.uuid4()), status=422,
                     summary="Dit formulier was al eens verstuurd met een andere inhoud. Controleer en sla opnieuw op.")
    done = json.loads(answer.body)["position"]
    return RedirectResponse(f"/households/{household_id}?vastgelegd=corrections&na={done}#tijdlijn", status_code=303)
