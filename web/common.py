"""What every page shares: the templates, rendering, the Dutch error pages, today's Dutch date, and the
household id of a page once the user may see it (decided and logged by api/authz.py, as the API's read).

Every endpoint of the pages is a module-level function in one of the modules of web/routes/ (never a closure
over the app: FastAPI caches endpoint functions). A page reads what the JSON API reads (the application
service `Households` and the views on `app.state`); nothing calls the JSON API over HTTP.
"""

from __future__ import annotations

import functools
import hashlib
import mimetypes
import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio.to_thread
import structlog
from fastapi import HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api.auth import Principal
from api.authz import OFFICER_ONLY, authorise
from domain.errors import NotFound
from domain.staff import CARE_ROLES, PRIVACY_OFFICER
from domain.values import LOCAL_TZ, local_date
from web import dutch, emergency
from web.navigation import menu
from web.sessions import current_principal, masked_csrf, session_token

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.auto_reload = False  # templates change with a release (a restart), not while it runs: no stat per include
templates.env.filters.update(dutch.FILTERS)
log = structlog.get_logger("web")


def today() -> date:
    return local_date(datetime.now(UTC))


@functools.cache
def _paths() -> frozenset[str]:
    """The paths the pages answer (web/routes/): the menu shows only screens that exist."""
    from web import routes  # the route modules import this module

    return frozenset(route.path for module in routes.modules() for route in module.router.routes)


def render(request: Request, template: str, context: dict[str, Any], status: int = 200,
           principal: Principal | None = None) -> HTMLResponse:
    token = session_token(request)
    return templates.TemplateResponse(request, template, {
        "principal": principal, "csrf": masked_csrf(token) if token and principal else "", "today": today(),
        "menu": menu(principal, request.url.path, _paths()) if principal else [],
        "emergency": getattr(request.state, "emergency", None),
        **context}, status_code=status)


def error_page(request: Request, principal: Principal | None, status: int, title: str, text: str) -> HTMLResponse:
    return render(request, "error.html", {"title": title, "text": text}, status, principal)


def local_now() -> str:
    return datetime.now(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")


def parse_local(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=LOCAL_TZ) if moment.tzinfo is None else moment


def position(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 19 else None


def parse_household_id(raw: str) -> UUID | None:
    try:
        return UUID(raw)
    except ValueError:
        return None


async def authorised(request: Request, principal: Principal, raw: str, as_api: tuple[str, str] | None = None,
                     action: str | None = None) -> UUID | HTMLResponse:
    """The household id when the user may see it (logged as the API logs it), else the Dutch 403/404 page.
    `as_api`: the API call (method, route) the page corresponds to, when not the household's own pages (and
    `action`, when the page is not that call's action, as the confirmation before an erasure). A care
    worker outside the household's team is offered emergency access (web/emergency.py); once they gave a reason,
    the page is an emergency access (`request.state.emergency`, shown by base.html)."""
    household_id = parse_household_id(raw)
    if household_id is None:
        return not_found(request, principal)
    reason = emergency.reason_for(request, household_id)
    try:  # decides and writes the NEN 7513 entry, exactly as the API read
        request.state.emergency = reason if await authorise(request, principal, as_api=as_api, action=action,
                                                            emergency_reason=reason) else None
    except HTTPException as error:
        if error.status_code != 403:
            raise
        if principal.role in CARE_ROLES and (as_api or ("", "")) not in OFFICER_ONLY:
            return emergency_offer(request, principal, household_id)
        if principal.role == PRIVACY_OFFICER:
            return render(request, "privacy/officer_refused.html", {"title": "Geen toegang",
                                                                    "household_id": household_id}, 403, principal)
        return error_page(request, principal, 403, "Geen toegang",
                           "Dit huishouden hoort niet bij uw team. U ziet het alleen als het bij uw team hoort "
                           "of als u de regisseur bent; elke poging wordt gelogd.")
    return household_id


def emergency_offer(request: Request, principal: Principal, household_id: UUID, reason: str = "",
                    error: str = "", status: int = 403) -> HTMLResponse:
    """The 403 page of a household outside the user's team, with the form for emergency access (reason first)."""
    back = request.url.path if request.method == "GET" else f"/households/{household_id}"
    return render(request, "privacy/emergency_offer.html", {
        "title": "Geen toegang", "household_id": household_id, "reason": reason, "error": error, "back": back,
        "minutes": emergency.MINUTES}, status, principal)


async def on_household(request: Request, raw: str,
                       page: Callable[[Request, Principal, UUID], Response]) -> Response:
    """A page of one household: `page(request, principal, household_id)` in a thread, once the user may see it."""
    principal = await current_principal(request)
    found = await authorised(request, principal, raw)
    if isinstance(found, HTMLResponse):
        return found
    return await anyio.to_thread.run_sync(page, request, principal, found)


def existing_household(request: Request, household_id: UUID) -> Any | None:
    """The household, or None when there is none (never registered, or erased)."""
    households = request.app.state.households
    if not households.is_household(household_id):
        return None
    try:
        return households.get(household_id)
    except NotFound:
        return None


def not_found(request: Request, principal: Principal) -> HTMLResponse:
    return error_page(request, principal, 404, "Huishouden niet gevonden",
                       "Er is geen huishouden op dit adres. Misschien is de link onvolledig, of is het huishouden "
                       "vernietigd.")


class Static(StaticFiles):
    """The static files. A versioned URL (`?v=<content hash>`, made by `asset()`) is cached for a year as
    immutable; any other URL for an hour (every other answer is `no-store`). A text file with a `.gz` beside it
    (made by web/vendor.sh) is sent compressed when the browser accepts gzip, with `Vary: Accept-Encoding`."""

    def file_response(self, full_path: Any, stat_result: Any, scope: Any, status_code: int = 200) -> Response:
        gz = Path(str(full_path) + ".gz")
        accepts = dict(scope.get("headers") or []).get(b"accept-encoding", b"")
        compressed = b"gzip" in accepts and gz.is_file()
        if compressed:
            response = FileResponse(gz, status_code=status_code, stat_result=os.stat(gz),
                                    media_type=mimetypes.guess_type(str(full_path))[0] or "text/plain")
            response.headers["Content-Encoding"] = "gzip"
        else:
            response = super().file_response(full_path, stat_result, scope, status_code)
        if gz.is_file():
            response.headers["Vary"] = "Accept-Encoding"
        versioned = b"v=" in (scope.get("query_string") or b"")
        response.headers["Cache-Control"] = ("public, max-age=31536000, immutable" if versioned
                                             else "public, max-age=3600")
        return response


@functools.cache
def _version(path: str) -> str:
    file = HERE / "static" / path
    return hashlib.sha256(file.read_bytes()).hexdigest()[:12] if file.is_file() else ""


def asset(path: str) -> str:
    """The URL of a static file with its content hash (`/static/vendor/utrecht.css?v=ab12...`)."""
    version = _version(path)
    return f"/static/{path}?v={version}" if version else f"/static/{path}"


templates.env.globals["asset"] = asset


