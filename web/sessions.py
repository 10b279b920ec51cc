"""Sessions for the pages: a local account's session token (waakvlam/accounts.py) in an HttpOnly,
SameSite=Lax cookie (Secure behind TLS, when WAAKVLAM_HSTS is set), and CSRF tokens on every form.

- Signed in: the CSRF token is derived from the session token (an HMAC), so it is per session, never stored,
  and useless without the cookie it belongs to. Every POST checks it (`check_csrf`).
- Not signed in yet (the login form): a random token in a short-lived cookie and in the form's hidden field
  must match (double submit), so another site cannot log a browser in under its own account.
- A page asked for without a session answers a redirect to `/inloggen?volgende=<path>`; after logging in the
  user lands there (a reminder mail's `/households/<id>` link lands on its page). `volgende` is only ever a
  path on this server (`safe_next`), never another site.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from api.auth import Principal, principal_of
from waakvlam.accounts import SESSION_PREFIX

SESSION_COOKIE = "waakvlam_sessie"
LOGIN_COOKIE = "waakvlam_inlog"  # the login form's CSRF token, before there is a session
CSRF_FIELD = "csrf"


class LoginNeeded(Exception):
    """No (live) session: the page redirects to the login page, and back after logging in."""


class CsrfRefused(Exception):
    """A form posted without the CSRF token of its session."""


def session_token(request: Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE)
    return token if token and token.startswith(SESSION_PREFIX) else None  # only a local account's session


async def current_principal(request: Request) -> Principal:
    """The signed-in user (as the API would know them: the staff registry's role and team), or LoginNeeded."""
    token = session_token(request)
    if token is None:
        raise LoginNeeded
    try:
        return await principal_of(request, token)
    except HTTPException as error:
        if error.status_code == 401:
            raise LoginNeeded from None
        raise


def csrf_token(session: str) -> str:
    return hmac.new(session.encode(), b"waakvlam csrf", hashlib.sha256).hexdigest()[:40]


def masked_csrf(session: str) -> str:
    """The session's CSRF token as a form carries it: XOR-ed with a fresh random pad, the pad in front. Every
    page holds a different string, so a compressed page that also reflects what was typed (a search) never
    leaks the token through its compressed size (BREACH)."""
    token = bytes.fromhex(csrf_token(session))
    pad = secrets.token_bytes(len(token))
    return pad.hex() + bytes(a ^ b for a, b in zip(pad, token, strict=True)).hex()


def _unmasked(submitted: str) -> str:
    if len(submitted) != 80:
        return submitted  # an unmasked token (as forms had it before) still counts
    try:
        pad, masked = bytes.fromhex(submitted[:40]), bytes.fromhex(submitted[40:])
    except ValueError:
        return ""
    return bytes(a ^ b for a, b in zip(pad, masked, strict=True)).hex()


def check_csrf(request: Request, submitted: object) -> None:
    token = session_token(request)
    if token is None or not isinstance(submitted, str) \
            or not hmac.compare_digest(csrf_token(token), _unmasked(submitted)):
        raise CsrfRefused


def login_csrf(request: Request) -> str:
    """The login form's token: the one in its cookie, or a new one (set by `set_login_cookie`)."""
    found = request.cookies.get(LOGIN_COOKIE)
    return found if found and len(found) == 43 else secrets.token_urlsafe(32)


def check_login_csrf(request: Request, submitted: object) -> None:
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not cookie or not isinstance(submitted, str) or not hmac.compare_digest(cookie, submitted):
        raise CsrfRefused


def _secure(request: Request) -> bool:
    """Secure behind TLS: HSTS configured, or the request came over https (uvicorn --proxy-headers behind a proxy)."""
    return bool(request.app.state.settings.hsts) or request.url.scheme == "https"


def set_login_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, path="/inloggen", httponly=True, samesite="lax",
                        secure=_secure(request))


def set_session_cookie(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=_secure(request))
    response.delete_cookie(LOGIN_COOKIE, path="/inloggen", httponly=True, samesite="lax", secure=_secure(request))


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))


def safe_next(value: object) -> str:
    """A path on this server to return to after login; anything else (another site, `//host`, `/\\host`) is `/`."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(ord(c) < 32 or c == "\\" for c in value) or len(value) > 2000 or value.startswith("/inloggen"):
        return "/"
    return value


def to_login(request: Request) -> RedirectResponse:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = "/inloggen" if path == "/" else f"/inloggen?volgende={quote(safe_next(path), safe='/')}"
    return RedirectResponse(target, status_code=303)


async def posted(request: Request) -> tuple[Principal, FormData]:
    """The user and their form, once the form's CSRF token is this session's (every POST of the pages)."""
    principal = await current_principal(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    return principal, form
