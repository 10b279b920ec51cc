"""Who is asking. Every request has an authenticated principal, recorded as the
actor of what it changes. A bearer token is one of:

- an OpenID Connect access token (a JWT) of the configured issuer: signature checked
  against the issuer's keys (JWKS, inline or from its URL through PyJWT's
  `PyJWKClient`, cached for an hour; an unknown `kid` refetches at most once a
  minute), RS256 or ES256 only, `iss`, `aud`, `exp` and
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
    """Verifies the issuer's JWTs against its JWKS: inline keys (settings), else the issuer's keys from its URL
    through PyJWT's `PyJWKClient`, which fetches, caches and refreshes them."""

    REFRESH_AFTER = 3600.0  # seconds a fetched key set is trusted before it is fetched again (the client's lifespan)
    MIN_REFETCH = 60.0  # an unknown kid refetches at most this often (no fetch storm from forged tokens)

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.inline = _keys(json.loads(settings.oidc_jwks)) if settings.oidc_jwks else {}
        self.jwks: IssuerKeys | None = None
        if settings.oidc_jwks_url:
            try:
                self.jwks = IssuerKeys(str(settings.oidc_jwks_url), lifespan=self.REFRESH_AFTER,
                                       cooldown_duration=self.MIN_REFETCH, back_off=self.MIN_REFETCH)
            except jwt.PyJWKClientError as error:  # not http(s): no keys, every token refused
                log.error("oidc.jwks_url_invalid", error=str(error)[:120])

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
        if kid is None and len(self.inline) == 1 and self.jwks is None:
            return next(iter(self.inline.values()))  # one inline key: a token may leave out its kid
        if not isinstance(kid, str):
            raise _invalid("the token names no key (kid)")
        found = self.inline.get(kid)
        if found is not None:
            return found
        if self.jwks is None:
            raise _invalid("the token is signed with an unknown key")
        try:
            return self.jwks.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as error:
            log.error("oidc.jwks_unavailable", error=str(error)[:120])
        except jwt.PyJWTError:
            pass
        raise _invalid("the token is signed with an unknown key")


class IssuerKeys(jwt.PyJWKClient):
    """The issuer's key set from its JWKS URL. `PyJWKClient` fetches it (no redirects, http(s) only), caches the
    parsed set for `lifespan` seconds and refetches once on an unknown kid, at most once per `cooldown_duration`.
    Signing keys are looked up in the cached set on every token, not in the client's per-kid cache
    (`cache_keys`), which never expires: a key the issuer withdrew would stay trusted for the life of the process.

    What it adds: only public RSA and EC signing keys are kept (as `_keys` does for inline keys), and after a
    failed fetch none is tried again for `back_off` seconds, so an issuer that is away does not cost every
    request a fetch (the client's cooldown starts only after a successful one)."""

    def __init__(self, uri: str, *, back_off: float, **kwargs: Any) -> None:
        super().__init__(uri, cache_keys=False, timeout=5, **kwargs)
        self.back_off = back_off
        self.retry_at = -1e18

    def fetch_data(self) -> Any:
        if time.monotonic() < self.retry_at:
            raise jwt.PyJWKClientConnectionError("the JWKS URL failed a moment ago; not fetched again yet")
        try:
            document = super().fetch_data()
            kept = {"keys": [_public(entry) for entry in document.get("keys", []) if _signing(entry)]}
            if self.jwk_set_cache is not None:  # the client cached the set as it came: replace it at once
                self.jwk_set_cache.put(kept)
        except (jwt.PyJWTError, ValueError):
            if self.jwk_set_cache is not None:
                self.jwk_set_cache.put(None)  # nothing usable came: keep nothing of it
            self.retry_at = time.monotonic() + self.back_off
            raise
        return kept


def _signing(entry: Any) -> bool:
    return isinstance(entry, dict) and entry.get("kty") in ("RSA", "EC") and entry.get("use", "sig") == "sig"


def _public(entry: dict[str, Any]) -> dict[str, Any]:
    """A private key has no business here: only its public half is used."""
    return {k: v for k, v in entry.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}


def _keys(document: dict[str, Any]) -> dict[str, jwt.PyJWK]:
    """The public signing keys of a JWKS, by kid (a key without kid under ""). Symmetric keys are ignored."""
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document.get("keys", []):
        if not _signing(entry):
            continue
        try:
            keys[str(entry.get("kid", ""))] = jwt.PyJWK(_public(entry))
        except jwt.PyJWTError:
            continue
    return keys
