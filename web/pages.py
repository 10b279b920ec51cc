"""The pages (issue 11, first step): login, Mijn werk, the household, and recording a contact.

Every endpoint is a module-level function (never a closure over the app: FastAPI caches endpoint functions).
A page reads what the JSON API reads (the application service `Households` and the views on `app.state`),
is authorised by the same code (api/authz.py), and writes the same NEN 7513 access-log entry, with the
page's own route: the household page is a read of household data (`authorise`), Mijn werk a list
(`list_scope`, `record_listed`), recording a contact an update. Nothing here calls the JSON API over HTTP.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio.to_thread
import structlog
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from api.auth import Principal
from api.authz import authorise, list_scope, record_listed, role_and_team
from api.commands import CommandRunner
from api.deps import wait_for
from api.problems import CatchUpTimeout
from api.schemas.commands import ContactIn
from domain.errors import Contention, InvalidInput, NotFound, RuleViolation
from domain.staff import CARE_ROLES, COORDINATOR
from domain.values import LOCAL_TZ, LifeDomain, local_date
from projections.plan import present
from waakvlam.accounts import UNAVAILABLE, LoginRefused, TooManyAttempts
from web import dutch
from web.sessions import (
    CSRF_FIELD,
    CsrfRefused,
    LoginNeeded,
    check_csrf,
    check_login_csrf,
    clear_session_cookie,
    csrf_token,
    current_principal,
    login_csrf,
    safe_next,
    session_token,
    set_login_cookie,
    set_session_cookie,
    to_login,
)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(dutch.FILTERS)
log = structlog.get_logger("web")

router = APIRouter(include_in_schema=False)
DUE_SOON_DAYS = 3  # a check-in due within this many days is completed by a contact, unless the user unticks it
TIMELINE_LENGTH = 50


def _today() -> Any:
    return local_date(datetime.now(UTC))


def render(request: Request, template: str, context: dict[str, Any], status: int = 200,
           principal: Principal | None = None) -> HTMLResponse:
    token = session_token(request)
    return templates.TemplateResponse(request, template, {
        "principal": principal, "csrf": csrf_token(token) if token and principal else "", "today": _today(),
        **context}, status_code=status)


def _error_page(request: Request, principal: Principal | None, status: int, title: str, text: str) -> HTMLResponse:
    return render(request, "error.html", {"title": title, "text": text}, status, principal)


# ---- logging in and out --------------------------------------------------------------------------------------

@router.get("/inloggen")
def login_form(request: Request) -> HTMLResponse:
    return _login_page(request, {}, "", safe_next(request.query_params.get("volgende")))


def _login_page(request: Request, errors: dict[str, str], username: str, next_path: str,
                status: int = 200, summary: str = "") -> HTMLResponse:
    token = login_csrf(request)
    response = render(request, "login.html", {
        "title": "Inloggen", "errors": errors, "username": username, "volgende": next_path, "login_csrf": token,
        "summary": summary}, status)
    set_login_cookie(request, response, token)
    return response


@router.post("/inloggen")
async def login(request: Request) -> Response:
    form = await request.form()
    next_path = safe_next(form.get("volgende"))
    username, password = str(form.get("gebruikersnaam") or "").strip(), str(form.get("wachtwoord") or "")
    try:
        check_login_csrf(request, form.get(CSRF_FIELD))
    except CsrfRefused:
        return _login_page(request, {}, username, next_path, 403,
                           "Het formulier was verlopen. Log opnieuw in.")
    settings = request.app.state.settings
    if not settings.local_accounts_enabled:
        return _error_page(request, None, 404, "Inloggen kan hier niet",
                           "Op deze omgeving logt u in via uw organisatie (OpenID Connect).")
    errors = {}
    if not username:
        errors["gebruikersnaam"] = "Vul uw gebruikersnaam in."
    if not password:
        errors["wachtwoord"] = "Vul uw wachtwoord in."
    if errors:
        return _login_page(request, errors, username, next_path, 422)
    address = request.client.host if request.client else None
    try:
        session = await anyio.to_thread.run_sync(request.app.state.accounts.login, username, password, address)
    except TooManyAttempts as error:
        minutes = max(1, round(error.retry_after / 60))
        response = _login_page(request, {}, username, next_path, 429,
                               f"Te vaak een verkeerd wachtwoord. Probeer het over {minutes} "
                               f"{'minuut' if minutes == 1 else 'minuten'} opnieuw.")
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    except UNAVAILABLE:
        return _login_page(request, {}, username, next_path, 503,
                           "Waakvlam kan nu niet bij de database. Probeer het over een paar seconden opnieuw.")
    except LoginRefused:
        log.info("login.refused", via="page")
        return _login_page(request, {"wachtwoord": "De gebruikersnaam of het wachtwoord klopt niet."}, username,
                           next_path, 401)
    log.info("login", user=session.account.username, via="page")
    response = RedirectResponse(next_path, status_code=303)
    max_age = int((session.expires_at - datetime.now(UTC)).total_seconds())
    set_session_cookie(request, response, session.token, max_age)
    return response


@router.get("/uitloggen")
async def logout_form(request: Request) -> Response:
    try:
        principal = await current_principal(request)
    except LoginNeeded:
        return RedirectResponse("/inloggen", status_code=303)
    return render(request, "logout.html", {"title": "Uitloggen"}, principal=principal)


@router.post("/uitloggen")
async def logout(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    token = session_token(request)
    if token is not None:
        try:
            await anyio.to_thread.run_sync(request.app.state.accounts.logout, token)
        except UNAVAILABLE:
            pass  # the cookie goes anyway; the session expires on its own
    response = RedirectResponse("/inloggen?uitgelogd=1", status_code=303)
    clear_session_cookie(request, response)
    return response


# ---- Mijn werk -----------------------------------------------------------------------------------------------

ROLE_TEXT = {
    "privacy_officer": "Als privacyfunctionaris leest u de geschiedenis, het toegangslog en het inzageverzoek van "
                       "een huishouden, en beslist u over vernietiging. Die schermen komen in een volgende stap; "
                       "tot dan gebruikt u de API.",
    "administrator": "Als beheerder houdt u het personeelsregister bij. Dat scherm komt in een volgende stap; "
                     "tot dan gebruikt u de API.",
    "partner": "Als ketenpartner meldt u een signaal bij het wijkteam en volgt u wat ermee gebeurt. Het "
               "meldformulier komt in een volgende stap; tot dan gebruikt u de API.",
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
    return render(request, "home.html", context, principal=principal)


# ---- the household -------------------------------------------------------------------------------------------

def _household_id(raw: str) -> UUID | None:
    try:
        return UUID(raw)
    except ValueError:
        return None


async def _authorised(request: Request, principal: Principal, raw: str) -> UUID | HTMLResponse:
    """The household id when the user may see it (logged as the API logs it), else the Dutch 403/404 page."""
    household_id = _household_id(raw)
    if household_id is None:
        return _not_found(request, principal)
    try:
        await authorise(request, principal)  # decides and writes the NEN 7513 entry, exactly as the API read
    except HTTPException as error:
        if error.status_code != 403:
            raise
        return _error_page(request, principal, 403, "Geen toegang",
                           "Dit huishouden hoort niet bij uw team. U ziet het alleen als het bij uw team hoort "
                           "of als u de regisseur bent. Noodtoegang vanuit deze pagina komt in een volgende "
                           "stap; elke poging wordt gelogd.")
    return household_id


def _not_found(request: Request, principal: Principal) -> HTMLResponse:
    return _error_page(request, principal, 404, "Huishouden niet gevonden",
                       "Er is geen huishouden op dit adres. Misschien is de link onvolledig, of is het huishouden "
                       "vernietigd.")


@router.get("/households/{household_id}")
async def household_page(request: Request, household_id: str) -> Response:
    principal = await current_principal(request)
    found = await _authorised(request, principal, household_id)
    if isinstance(found, HTMLResponse):
        return found
    return await anyio.to_thread.run_sync(_household, request, principal, found)


def _position(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 19 else None


def _household(request: Request, principal: Principal, household_id: UUID) -> HTMLResponse:
    state = request.app.state
    households = state.households
    if not households.is_household(household_id):
        return _not_found(request, principal)
    try:
        household = households.get(household_id)
    except NotFound:
        return _not_found(request, principal)
    after, behind = _position(request.query_params.get("na")), False
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
        "late": dutch.days_late(check_in["due"], _today()) if check_in else 0,
        "saved": request.query_params.get("vastgelegd") == "1",
        "loose_interventions": [i for i in plan["interventions"] if not i.get("goal_id")] if plan else [],
        "loose_agreements": [a for a in plan["open_agreements"] if not a.get("goal_id")] if plan else [],
    }, principal=principal)


# ---- recording a contact -------------------------------------------------------------------------------------

@router.get("/households/{household_id}/contact")
async def contact_form(request: Request, household_id: str) -> Response:
    principal = await current_principal(request)
    found = await _authorised(request, principal, household_id)
    if isinstance(found, HTMLResponse):
        return found
    return await anyio.to_thread.run_sync(_contact_form, request, principal, found)


def _local_now() -> str:
    return datetime.now(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def _contact_form(request: Request, principal: Principal, household_id: UUID, values: dict[str, Any] | None = None,
                  errors: dict[str, str] | None = None, status: int = 200, summary: str = "") -> HTMLResponse:
    households = request.app.state.households
    if not households.is_household(household_id):
        return _not_found(request, principal)
    household = households.get(household_id)
    check_in = household.next_check_in
    due_soon = check_in is not None and (check_in["due"] - _today()).days <= DUE_SOON_DAYS
    values = values or {"kind": "", "summary": "", "occurred_at": _local_now(), "key": str(uuid.uuid4()),
                        "complete": due_soon, "default": _local_now()}
    return render(request, "contact.html", {
        "title": "Contact vastleggen", "household": household, "household_id": household_id, "values": values,
        "errors": errors or {}, "summary": summary, "check_in": check_in, "kinds": dutch.CONTACT_KINDS,
        "now": _local_now()}, status, principal)


@router.post("/households/{household_id}/contact")
async def record_contact(request: Request, household_id: str) -> Response:
    principal = await current_principal(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    found = await _authorised(request, principal, household_id)
    if isinstance(found, HTMLResponse):
        return found
    return await anyio.to_thread.run_sync(_record_contact, request, principal, found, dict(form))


def _parse_local(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=LOCAL_TZ) if moment.tzinfo is None else moment


# The domain's refusals of a contact, in Dutch and next to the field they are about ("" : at the top).
RULES_NL = {
    "nothing happens to a household before it was registered":
        ("wanneer", "Het moment ligt vóór de registratie van het huishouden. Vul in wanneer het contact was."),
    "nothing is recorded as having happened in the future":
        ("wanneer", "Het moment ligt in de toekomst. Vul in wanneer het contact was."),
    "nothing is recorded in the future": ("wanneer", "Het moment ligt in de toekomst. Vul in wanneer het contact was."),
    "nothing but reopening on a closed household": ("", "Het huishouden is afgesloten; heropen het eerst."),
}
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
    occurred_at = datetime.now(UTC) if default else _parse_local(values["occurred_at"])
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
        field, text = RULES_NL.get(error.rule, ("", "Dit mag volgens de regels van Waakvlam niet."))
        return _contact_form(request, principal, household_id, values, {field: text} if field else {}, 409,
                             "" if field else f"Het contact is niet vastgelegd. {text}")
    except InvalidInput:
        return _contact_form(request, principal, household_id, values, {}, 422,
                             "Het contact is niet vastgelegd: een van de velden kan Waakvlam niet opslaan.")
    except NotFound:
        return _not_found(request, principal)
    except Contention:
        return _contact_form(request, principal, household_id, values, {}, 503,
                             "Er wordt nu veel tegelijk aan dit huishouden gewerkt. Probeer opslaan opnieuw.")
    if answer.status_code == 422:  # the key of another form: this form was already sent with other content
        values["key"] = str(uuid.uuid4())
        return _contact_form(request, principal, household_id, values, {}, 422,
                             "Dit formulier was al eens verstuurd met een andere inhoud. Controleer en sla opnieuw op.")
    position = json.loads(answer.body)["position"]
    return RedirectResponse(f"/households/{household_id}?vastgelegd=1&na={position}#tijdlijn", status_code=303)


# ---- installing ----------------------------------------------------------------------------------------------

async def login_needed(request: Request, _error: LoginNeeded) -> Response:
    return to_login(request)


async def csrf_refused(request: Request, _error: CsrfRefused) -> Response:
    return _error_page(request, None, 403, "Formulier verlopen",
                       "Dit formulier kon niet worden verwerkt: het was verlopen of kwam niet van deze pagina. "
                       "Ga terug, laad de pagina opnieuw en probeer het nog eens.")


class Static(StaticFiles):
    """The stylesheets and fonts, cached by the browser for an hour (every other answer is `no-store`)."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response


def install(app: FastAPI) -> None:
    """The pages, their static files and the redirect to the login page, in `app` (api/main.py)."""
    app.include_router(router)
    app.mount("/static", Static(directory=HERE / "static", check_dir=False), name="static")
    app.add_exception_handler(LoginNeeded, login_needed)
    app.add_exception_handler(CsrfRefused, csrf_refused)

