"""Logging in through the organisation (OpenID Connect, web/oidc.py): `/inloggen/oidc` sends the browser to the
issuer, `/inloggen/oidc/terug` takes it back, starts the same session as a local login and returns to the page
that was asked for. Every refusal is a Dutch page (4xx; 503 when the issuer cannot be reached); without an
issuer configured both paths are 404."""

from __future__ import annotations

from datetime import UTC, datetime

import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import principal_from_claims, staffed
from domain.staff import ROLES
from waakvlam.accounts import UNAVAILABLE
from web.common import log, render
from web.oidc import FLOW_COOKIE, FLOW_PATH, FLOW_SECONDS, Flow, IssuerUnavailable, LoginFailed, login_client
from web.sessions import safe_next, set_session_cookie

router = APIRouter(include_in_schema=False)

AGAIN = "Probeer het opnieuw via de knop op de inlogpagina."
TEXTS = {
    "expired": ("Inloggen is verlopen", "Het inloggen bij uw organisatie duurde te lang, of is in een ander "
                                         "venster opnieuw begonnen. " + AGAIN),
    "state": ("Inloggen is niet gelukt", "Het antwoord van uw organisatie hoort niet bij dit inloggen. " + AGAIN),
    "refused": ("Inloggen is niet gelukt", "Uw organisatie heeft het inloggen niet bevestigd. " + AGAIN),
    "denied": ("Inloggen is afgebroken", "Bij uw organisatie is het inloggen afgebroken of geweigerd. " + AGAIN),
    "token": ("Inloggen is niet gelukt", "Het bewijs van uw organisatie dat u bent ingelogd, kon Waakvlam niet "
                                         "controleren. " + AGAIN),
    "unknown": ("U bent niet bekend in Waakvlam", "Uw organisatie kent u, maar Waakvlam nog niet: u hebt geen rol "
                                                 "in Waakvlam. Vraag de beheerder of uw teamleider u toe te voegen."),
    "unavailable": ("Inloggen lukt nu niet", "Waakvlam kan uw organisatie of de database nu niet bereiken. "
                                             "Probeer het over een paar minuten opnieuw."),
}


def _disabled(request: Request) -> HTMLResponse | None:
    if request.app.state.settings.oidc_login_enabled:
        return None
    return render(request, "oidc_error.html", {
        "title": "Inloggen kan hier niet zo", "text": "Op deze omgeving logt u niet in via uw organisatie, maar "
                                                     "met uw gebruikersnaam en wachtwoord."}, 404)


def _secure(request: Request) -> bool:
    return bool(request.app.state.settings.hsts)


def _refused(request: Request, status: int, kind: str) -> HTMLResponse:
    title, text = TEXTS[kind]
    response = render(request, "oidc_error.html", {"title": title, "text": text}, status)
    if status == 503:
        response.headers["Retry-After"] = "30"
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, httponly=True, samesite="lax", secure=_secure(request))
    return response


@router.get("/inloggen/oidc")
async def start(request: Request) -> Response:
    if (disabled := _disabled(request)) is not None:
        return disabled
    flow = Flow.new(safe_next(request.query_params.get("volgende")))
    try:
        target = await anyio.to_thread.run_sync(login_client(request.app).authorization_url, flow)
    except IssuerUnavailable as error:
        log.error("oidc.issuer_unavailable", step=str(error))
        return _refused(request, 503, "unavailable")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(FLOW_COOKIE, flow.cookie(), max_age=FLOW_SECONDS, path=FLOW_PATH, httponly=True,
                        samesite="lax", secure=_secure(request))
    return response


@router.get("/inloggen/oidc/terug")
async def callback(request: Request) -> Response:
    if (disabled := _disabled(request)) is not None:
        return disabled
    flow = Flow.from_cookie(request.cookies.get(FLOW_COOKIE))
    if flow is None:
        log.info("login.refused", via="oidc", reason="no flow")
        return _refused(request, 400, "expired")
    query = {key: value for key, value in request.query_params.items()}
    try:
        claims = await anyio.to_thread.run_sync(login_client(request.app).finish, flow, query)
    except IssuerUnavailable as error:
        log.error("oidc.issuer_unavailable", step=str(error))
        return _refused(request, 503, "unavailable")
    except LoginFailed as failure:
        log.info("login.refused", via="oidc", reason=failure.reason)
        kind = ("state" if failure.reason == "state" else "denied" if failure.reason.startswith("issuer")
                else "token" if failure.reason.startswith("id token") else "refused")
        return _refused(request, 400 if kind == "state" else 401, kind)
    settings = request.app.state.settings
    try:
        principal = await staffed(request, principal_from_claims(settings, claims))
    except HTTPException:
        log.info("login.refused", via="oidc", reason="no user claim")
        return _refused(request, 401, "token")
    if principal.role not in ROLES:
        log.info("login.refused", via="oidc", reason="unknown user")
        return _refused(request, 403, "unknown")
    try:
        session = await anyio.to_thread.run_sync(request.app.state.accounts.start_session, principal.user_id,
                                                 principal.role, principal.team)
    except UNAVAILABLE:
        return _refused(request, 503, "unavailable")
    if session is None:
        log.info("login.refused", via="oidc", reason="account disabled")
        return _refused(request, 403, "unknown")
    log.info("login", user=principal.user_id, via="oidc")
    response = RedirectResponse(safe_next(flow.next_path), status_code=303)
    set_session_cookie(request, response, session.token, int((session.expires_at - datetime.now(UTC)).total_seconds()))
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, httponly=True, samesite="lax", secure=_secure(request))
    return response
