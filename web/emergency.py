"""Noodtoegang on the pages: the reason a user gave for opening a household outside their team, kept in a
cookie for that household's pages only (path `/households/<id>`), signed with the session (an HMAC, as the CSRF
token), for an hour. Every page of the household then passes the reason to api/authz.py, which decides and logs
each access as the API's `X-Emergency-Access` header would (flagged, with the reason) and tells the team lead and
the privacy officers (api/emergency.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from uuid import UUID

from fastapi import Request
from fastapi.responses import Response

from web.sessions import session_token

COOKIE = "waakvlam_nood"
MINUTES = 60  # how long one reason opens the household's pages
REASON_LENGTH = 500  # as much as the access log keeps


def _path(household_id: UUID) -> str:
    return f"/households/{household_id}"


def _signature(session: str, household_id: UUID, until: int, reason: str) -> str:
    message = f"noodtoegang\n{household_id}\n{until}\n{reason}".encode()
    return hmac.new(session.encode(), message, hashlib.sha256).hexdigest()[:40]


def grant(request: Request, response: Response, household_id: UUID, reason: str) -> None:
    """Keep `reason` for this household's pages, in this session, for MINUTES."""
    session = session_token(request)
    if session is None:
        return
    reason = reason.strip()[:REASON_LENGTH]
    until = int(time.time()) + MINUTES * 60
    encoded = base64.urlsafe_b64encode(reason.encode()).decode().rstrip("=")
    value = f"{until}.{encoded}.{_signature(session, household_id, until, reason)}"
    response.set_cookie(COOKIE, value, max_age=MINUTES * 60, path=_path(household_id), httponly=True,
                        samesite="lax", secure=bool(request.app.state.settings.hsts))


def end(request: Request, response: Response, household_id: UUID) -> None:
    response.delete_cookie(COOKIE, path=_path(household_id), httponly=True, samesite="lax",
                           secure=bool(request.app.state.settings.hsts))


def reason_for(request: Request, household_id: UUID) -> str | None:
    """The reason given in this session for this household, while it holds; else None."""
    session, value = session_token(request), request.cookies.get(COOKIE)
    if session is None or not value or not request.url.path.startswith(_path(household_id)):
        return None
    try:
        until_text, encoded, signature = value.split(".")
        until = int(until_text)
        reason = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except ValueError:
        return None
    if until < time.time() or not hmac.compare_digest(signature, _signature(session, household_id, until, reason)):
        return None
    return reason.strip() or None
