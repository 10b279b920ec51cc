"""Who is asking. Every request has an authenticated principal, recorded as the
actor of what it changes. Until access control lands, demo mode accepts the
demo bearer tokens; outside demo mode they are refused.

A partner account (role `partner`: a housing corporation, home care, a GP, ...)
may report signals and follow its own reports, and nothing else (api/deps.py)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request
from fastapi.security.utils import get_authorization_scheme_param


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str


DEMO_TOKENS = {
    "dev-anna": Principal("anna", "generalist"),
    "dev-bram": Principal("bram", "coordinator"),
    "dev-carla": Principal("carla", "team_lead"),
    "dev-dirk": Principal("dirk", "privacy_officer"),
    "dev-petra": Principal("petra", "partner"),
}
PARTNER = "partner"

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="waakvlam"'}


async def authenticate(request: Request) -> Principal:
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "authentication required: send 'Authorization: Bearer <token>'", _CHALLENGE)
    principal = DEMO_TOKENS.get(token) if request.app.state.settings.demo else None
    if principal is None:
        raise HTTPException(401, "the token is not valid here", _CHALLENGE)
    request.state.principal = principal
    return principal
