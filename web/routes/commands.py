"""Every command on a household as a form (web/command_forms.py), at the path the API has it without `/api`:
GET shows the form, POST runs the command and returns to the household page.

A form carries the household's version when it was opened, and an idempotency key. When someone else saved
something meanwhile, the command is decided again on the new state unless what they saved touches what this
form decides (the same goal, the consent an intervention needs): then the page shows what changed, keeps
everything typed, and the user submits again on the new version. A resend of a form that was saved is answered
from the stored key, whatever happened since.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from functools import partial
from typing import Any
from uuid import UUID

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import Principal
from api.commands import CommandRunner
from domain.errors import Contention, InvalidInput, NotFound, RuleViolation, StaleVersion
from projections.plan import replay
from projections.timeline import summary
from web import plan_read
from web.command_forms import FORMS
from web.common import authorised, error_page, existing_household, on_household, position, render
from web.forms import WHEN, CommandForm, Parsed, Scene, first_value, parse, validate
from web.refusals import refusal
from web.sessions import posted

router = APIRouter(include_in_schema=False)
ALWAYS_TOUCHING = ("Closed", "Reopened", "Forgotten")  # a form decided on an open household is not decided again


def scene_of(request: Request, spec: CommandForm, household_id: UUID, item_id: str | None) -> Scene | None:
    households = request.app.state.households
    household = existing_household(request, household_id)
    if household is None:
        return None
    events = households.history(household_id)
    plan = replay(events) or {}
    item = None
    if spec.item == "check_ins":
        check_in = household.next_check_in
        item = {"id": check_in["id"], "due": check_in["due"], "status": "open"} \
            if check_in and check_in["id"] == item_id else None
    elif spec.item == "consents":
        item = next((c for c in plan_read.consents_of(plan) if c["id"] == item_id), None) if plan else None
    elif spec.item is not None:
        item = plan.get(spec.item, {}).get(item_id or "")
    staff = tuple(households.staff()) if spec.path == "coordinator" else ()
    consents = tuple(plan_read.consents_of(plan)) if plan and spec.path == "interventions" else ()
    return Scene(household, plan, item_id, item, staff, consents)


def _page(spec: CommandForm, request: Request, principal: Principal, household_id: UUID, *,
          values: dict[str, Any] | None = None, errors: dict[str, str] | None = None, status: int = 200,
          summary_text: str = "", changes: list[dict[str, Any]] | None = None, version: int | None = None,
          key: str | None = None, scene: Scene | None = None) -> HTMLResponse:
    item_id = request.path_params.get(spec.item_param) if spec.item_param else None
    scene = scene or scene_of(request, spec, household_id, item_id)
    if scene is None or (spec.item is not None and scene.item is None):
        return error_page(request, principal, 404, "Niet gevonden",
                          "Dit huishouden, of wat u hier wilde wijzigen, bestaat niet (meer).")
    household = scene.household
    errors = dict(errors or {})
    if "" in errors:  # about no one field: at the top
        summary_text = " ".join(filter(None, (summary_text, errors.pop(""))))
    if values is None:  # a form opened afresh: is it one that applies now?
        if household.status == "closed" and spec.path != "reopening":
            return _not_now(request, principal, household_id, "Het huishouden is afgesloten. Heropen het eerst.",
                            "reopening")
        if not spec.offered(scene):
            return _not_now(request, principal, household_id, _why_not(spec, scene), None)
    if values is None:
        values = first_value(spec, scene)
        for f in spec.fields:  # a link may choose for the user (an agreement for this goal)
            if f.kind in ("select", "text") and f.name in request.query_params:
                values[f.name] = str(request.query_params[f.name])[:200]
    return render(request, "commands/form.html", {
        "title": spec.title, "spec": spec, "scene": scene, "household": household, "household_id": household_id,
        "values": values, "errors": errors, "summary": summary_text,
        "changes": changes or [], "version": household.version if version is None else version,
        "key": key or str(uuid.uuid4()), "action": request.url.path, "WHEN": WHEN}, status, principal)


def _why_not(spec: CommandForm, scene: Scene) -> str:
    if spec.path == "escalations":
        return "Het huishouden staat al op de hoogste intensiteit (crisis)."
    if spec.path == "de-escalations":
        return "Het huishouden staat al op de laagste intensiteit (waakvlam)."
    if spec.path == "closure":
        return "Het huishouden is al afgesloten."
    if spec.path == "reopening":
        return "Het huishouden is niet afgesloten; heropenen is niet nodig."
    return "Dit is al afgerond (bereikt, nagekomen, vervallen of beëindigd) en kan niet meer worden gewijzigd."


def _not_now(request: Request, principal: Principal, household_id: UUID, text: str,
             instead: str | None) -> HTMLResponse:
    return render(request, "commands/not_now.html", {"title": "Dit kan nu niet", "text": text,
                                                     "household_id": household_id, "instead": instead},
                  409, principal)


def _show(spec: CommandForm, request: Request, principal: Principal, household_id: UUID) -> Response:
    return _page(spec, request, principal, household_id)


def _described(events: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [{"at": e.timestamp, "by": getattr(e, "actor", ""), "what": summary(e)} for e in events]


def _submit(spec: CommandForm, request: Request, principal: Principal, household_id: UUID, form: Any) -> Response:
    households = request.app.state.households
    item_id = request.path_params.get(spec.item_param) if spec.item_param else None
    scene = scene_of(request, spec, household_id, item_id)
    if scene is None or (spec.item is not None and scene.item is None):
        return _page(spec, request, principal, household_id)  # the 404 page
    parsed: Parsed = parse(spec, form)
    kwargs = validate(spec, parsed)
    version, key = position(str(form.get("versie") or "")), str(form.get("sleutel") or "")[:200] or None
    again = partial(_page, spec, request, principal, household_id, values=parsed.values, version=version, key=key,
                    scene=scene)
    if kwargs is None:
        return again(errors=parsed.errors, status=422)
    sent = json.dumps(parsed.values, sort_keys=True, default=str)
    fingerprint = hashlib.sha256(f"POST {request.url.path}\n{sent}".encode()).hexdigest()
    command = partial(getattr(households, spec.method), household_id, *([item_id] if item_id else []), **kwargs)
    fields = {f.name for f in spec.fields} | {WHEN}
    try:
        try:
            answer = CommandRunner(households, principal, key, fingerprint, version).run(command,
                                                                                       created=spec.created)
        except StaleVersion:
            changed = households.history(household_id)[version or 0:]
            if any(type(e).__name__ in ALWAYS_TOUCHING or spec.touches(e, kwargs, item_id) for e in changed):
                current = existing_household(request, household_id)
                return again(status=409, changes=_described(changed),
                             version=current.version if current is not None else None,
                             summary_text="Iemand anders heeft dit huishouden intussen gewijzigd, ook wat dit "
                                          "formulier gaat veranderen. Bekijk de wijzigingen hieronder; wat u "
                                          "invulde staat er nog. Verstuur het opnieuw als het nog klopt.")
            answer = CommandRunner(households, principal, key, fingerprint, None).run(command, created=spec.created)
    except RuleViolation as error:
        name, text = refusal(error.rule, fields)
        return again(errors={name: text} if name else {}, status=409,
                     summary_text="" if name else f"Niet opgeslagen. {text}")
    except InvalidInput as error:
        name = error.field.split(".")[0]
        return again(errors={name if name in fields else "": "Deze waarde kan Waakvlam niet opslaan."}, status=422)
    except NotFound:
        return error_page(request, principal, 404, "Niet gevonden",
                          "Wat u wilde wijzigen, bestaat niet (meer). Er is niets opgeslagen.")
    except Contention:
        return again(status=503, summary_text="Er wordt nu veel tegelijk aan dit huishouden gewerkt. Probeer "
                                              "opslaan opnieuw.")
    if answer.status_code == 422:  # this key was used for another content: a form sent twice, then changed
        return again(key=str(uuid.uuid4()), status=422,
                     summary_text="Dit formulier was al eens verstuurd met een andere inhoud. Controleer en sla "
                                  "opnieuw op.")
    done = json.loads(answer.body)["position"]
    return RedirectResponse(f"/households/{household_id}?vastgelegd={spec.name}&na={done}#{spec.anchor}",
                            status_code=303)


def _endpoints(spec: CommandForm) -> tuple[Any, Any]:
    async def show(request: Request, household_id: str) -> Response:
        return await on_household(request, household_id, partial(_show, spec))

    async def submit(request: Request, household_id: str) -> Response:
        principal, form = await posted(request)
        found = await authorised(request, principal, household_id)
        if isinstance(found, HTMLResponse):
            return found
        return await anyio.to_thread.run_sync(_submit, spec, request, principal, found, form)

    return show, submit


# Made once, at import: the endpoints close over a form's declaration, never over an app.
for _spec in FORMS:
    _get, _post = _endpoints(_spec)
    router.add_api_route(f"/households/{{household_id}}/{_spec.path}", _get, methods=["GET"], name=f"{_spec.name}")
    router.add_api_route(f"/households/{{household_id}}/{_spec.path}", _post, methods=["POST"],
                         name=f"{_spec.name}-post")
