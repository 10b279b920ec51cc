"""Logging in and out with a local account (the demo users keep their passwords)."""

from __future__ import annotations

from datetime import UTC, datetime

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from waakvlam.accounts import UNAVAILABLE, LoginRefused, TooManyAttempts
from web.common import error_page, log, render
from web.sessions import (
    CSRF_FIELD,
    CsrfRefused,
    LoginNeeded,
    check_csrf,
    check_login_csrf,
    clear_session_cookie,
    current_principal,
    login_csrf,
    safe_next,
    session_token,
    set_login_cookie,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)



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
        return error_page(request, None, 404, "Inloggen kan hier niet",
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


