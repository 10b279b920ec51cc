"""Who is asking. Every request has an authenticated principal, recorded as the
actor of what it changes. A bearer token is one of:

- an OpenID Connect access token (a JWT) of the configured issuer: signature checked
  against the issuer's keys (JWKS, inline or from its URL, cached; an unknown `kid`
  refetches at most once a minute), RS256 or ES256 only, `iss`, `aud`, `exp` and
  `nbf` checked with a small leeway;
- a session token of a local account (`POST /api/login`, waakvlam/accounts.py);
- in demo mode, one of the demo tokens; outside demo mode they are refused.

Who the user is comes from the token; their role and team from the staff registry
when it knows them, else from the token's source (the demo table, the account, the
OIDC claims).

A partner account (role `partner`: a housing corporation, home care, a GP, ...)
may report signals and follow its own reports, and nothing else (api/deps.py)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from dataclasses import dataclass, replace
from typing import Annotated, Any

import anyio.to_thread
import jwt
import structlog
from fastapi import HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from waakvlam.demo_users import DEMO_USERS
from waakvlam.settings import Settings

log = structlog.get_logger("api")


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str
    team: str | None = None
    via: str = "demo"  # demo, oidc or session


TEAM = "Wijkteam Noord"
# The demo users' tokens (waakvlam/demo_users.py), accepted in demo mode only.
DEMO_TOKENS = {user.token: Principal(user.name, user.role, user.team) for user in DEMO_USERS}
PARTNER = "partner"

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="waakvlam"'}

# Declares the bearer scheme in the OpenAPI document (Swagger UI's "Authorize"), and on every operation that
# authenticates. auto_error=False: `authenticate` answers a missing or bad token with its own problem+json 401.
BEARER_SCHEME = "bearer"
BEARER = HTTPBearer(scheme_name=BEARER_SCHEME, auto_error=False)
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]


def _invalid(detail: str) -> HTTPException:
    description = detail.replace('"', "'")
    return HTTPException(401, detail, {
        "WWW-Authenticate": f'Bearer realm="waakvlam", error="invalid_token", error_description="{description}"'})


async def authenticate(request: Request, _bearer: BearerCredentials = None) -> Principal:
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "authentication required: send 'Authorization: Bearer <token>'", _CHALLENGE)
    return await principal_of(request, token)


async def principal_of(request: Request, token: str) -> Principal:
    """The principal a token stands for (a 401 HTTPException when it stands for no one); also the pages'
    session cookie, which holds a local account's session token (web/sessions.py)."""
    settings: Settings = request.app.state.settings
    principal = DEMO_TOKENS.get(token) if settings.demo else None
    if principal is None:  # the token and the staff registry in one trip to a thread (every page asks this)
        principal = await anyio.to_thread.run_sync(_staffed_from_token, request, settings, token)
    else:
        principal = await staffed(request, principal)
    request.state.principal = principal
    return principal


def _staffed_from_token(request: Request, settings: Settings, token: str) -> Principal:
    principal = _from_token(request.app, settings, token)
    staff_member = getattr(request.app.state.households, "staff_member", None)
    member = staff_member(principal.user_id) if staff_member is not None else None
    return replace(principal, role=member.role, team=member.team) if member is not None else principal


async def staffed(request: Request, principal: Principal) -> Principal:
    """The principal with the role and team the staff registry gives them, when it knows them."""
    staff_member = getattr(request.app.state.households, "staff_member", None)
    if staff_member is not None:
        member = await anyio.to_thread.run_sync(staff_member, principal.user_id)
        if member is not None:
            principal = replace(principal, role=member.role, team=member.team)
    return principal


def _from_token(app: Any, settings: Settings, token: str) -> Principal:
    from waakvlam.accounts import SESSION_PREFIX, UNAVAILABLE

    if token.startswith(SESSION_PREFIX) and (settings.local_accounts_enabled or settings.oidc_login_enabled):
        try:
            account = app.state.accounts.session(token)
        except UNAVAILABLE:
            raise HTTPException(503, "the database is not reachable; try again shortly",
                                {"Retry-After": "5"}) from None
        if account is None:
            raise _invalid("the session has ended or is not known; log in again")
        return Principal(account.username, account.role, account.team, "session")
    if token.count(".") == 2 and settings.oidc_enabled:
        return principal_from_claims(settings, oidc_verifier(app, settings).verify(token))
    raise _invalid("the token is not valid here")


def principal_from_claims(settings: Settings, claims: dict[str, Any]) -> Principal:
    """Who the issuer's verified claims say the user is (also an ID token's, web/oidc.py)."""
    user = claims.get(settings.oidc_user_claim)
    role = claims.get(settings.oidc_role_claim)
    team = claims.get(settings.oidc_team_claim)
    if not isinstance(user, str) or not user:
        raise _invalid(f"the token has no '{settings.oidc_user_claim}' claim")
    return Principal(user, role if isinstance(role, str) and role else "none",
                     team if isinstance(team, str) and team else None, "oidc")


# ---- OpenID Connect ---------------------------------------------------------------------

_verifier_lock = threading.Lock()


def oidc_verifier(app: Any, settings: Settings) -> OidcVerifier:
    with _verifier_lock:
        verifier = getattr(app.state, "oidc", None)
        if verifier is None:
            verifier = app.state.oidc = OidcVerifier(settings)
        return verifier


class OidcVerifier:
    """Verifies the issuer's JWTs against its JWKS."""

    REFRESH_AFTER = 3600.0  # seconds a fetched key set is trusted before it is fetched again
    MIN_REFETCH = 60.0  # an unknown kid refetches at most this often (no fetch storm from forged tokens)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.inline = _keys(json.loads(settings.oidc_jwks)) if settings.oidc_jwks else {}
        self.fetched: dict[str, jwt.PyJWK] = {}
        self.fetched_at = -1e18
        self.lock = threading.Lock()

    def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _invalid("the token is not a well-formed JWT") from None
        algorithm = header.get("alg")
        if algorithm not in self.settings.oidc_algorithms:
            raise _invalid(f"tokens signed with {str(algorithm)[:20]!r} are not accepted")
        key = self._key(header.get("kid"))
        try:
            return jwt.decode(
                token, key, algorithms=list(self.settings.oidc_algorithms), audience=self.settings.oidc_audience,
                issuer=self.settings.oidc_issuer, leeway=self.settings.oidc_leeway,
                options={"require": ["exp", "iss", "aud"]})
        except jwt.ExpiredSignatureError:
            raise _invalid("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise _invalid("the token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise _invalid("the token is meant for another audience") from None
        except jwt.InvalidIssuerError:
            raise _invalid("the token is from another issuer") from None
        except jwt.InvalidSignatureError:
            raise _invalid("the token's signature does not verify") from None
        except jwt.PyJWTError:
            raise _invalid("the token is not valid here") from None

    def _key(self, kid: Any) -> jwt.PyJWK:
        if not isinstance(kid, str) and not (kid is None and len(self._all()) == 1):
            raise _invalid("the token names no key (kid)")
        if kid is None:
            return next(iter(self._all().values()))
        found = self.inline.get(kid)
        if found is not None:
            return found
        if not self.settings.oidc_jwks_url:
            raise _invalid("the token is signed with an unknown key")
        with self.lock:
            age = time.monotonic() - self.fetched_at
            if age > self.REFRESH_AFTER or (kid not in self.fetched and age > self.MIN_REFETCH):
                self._fetch()
            found = self.fetched.get(kid)
        if found is None:
            raise _invalid("the token is signed with an unknown key")
        return found

    def _all(self) -> dict[str, jwt.PyJWK]:
        return {**self.fetched, **self.inline}

    def _fetch(self) -> None:
        self.fetched_at = time.monotonic()
        url = str(self.settings.oidc_jwks_url)
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                document = json.loads(response.read(1_000_000))
            self.fetched = _keys(document)
        except (OSError, ValueError) as error:
            log.error("oidc.jwks_unavailable", error=type(error).__name__)


def _keys(document: dict[str, Any]) -> dict[str, jwt.PyJWK]:
    """The public signing keys of a JWKS, by kid (a key without kid under ""). Symmetric keys are ignored."""
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document.get("keys", []):
        if not isinstance(entry, dict) or entry.get("kty") not in ("RSA", "EC") or entry.get("use", "sig") != "sig":
            continue
        if "d" in entry:  # a private key has no business here; use only its public half
            entry = {k: v for k, v in entry.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}
        try:
            keys[str(entry.get("kid", ""))] = jwt.PyJWK(entry)
        except jwt.PyJWTError:
            continue
    return keys
