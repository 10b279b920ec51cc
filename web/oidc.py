"""Logging in on the pages through the organisation's OpenID Connect issuer: the authorization-code flow with
PKCE (RFC 7636, S256), for deployments (settings: WAAKVLAM_OIDC_ISSUER and WAAKVLAM_OIDC_CLIENT_ID).

- The issuer's endpoints come from its discovery document (`<issuer>/.well-known/openid-configuration`, whose
  `issuer` must be the configured one), fetched with httpx and kept an hour.
- `start` makes a flow: a random state, nonce and code verifier, kept in a short-lived HttpOnly, SameSite=Lax
  cookie on the callback's path (the browser comes back to it by a top-level GET, which Lax allows), with the
  page to return to. The authorisation request carries the state, the nonce and the verifier's S256 challenge.
- `finish` exchanges the code, with the verifier, at the token endpoint and verifies the ID token with PyJWT:
  its signature against the issuer's JWKS (PyJWKClient; RS256/ES256 only, WAAKVLAM_OIDC_ALGORITHMS), `iss`,
  `aud` (the client id; `azp` when there are several), `exp`, `iat` and the flow's `nonce`.
- Who the user is, is decided as for the API's bearer tokens (api/auth.py `principal_from_claims`, then the
  staff registry); the route then starts the same session as a local login (waakvlam/accounts.py).

Every failure is a `LoginFailed` (the user's browser or the issuer said something we do not accept) or an
`IssuerUnavailable` (the issuer could not be reached); web/routes/oidc.py says either in Dutch.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from waakvlam.settings import Settings

FLOW_COOKIE = "waakvlam_oidc"
FLOW_PATH = "/inloggen/oidc"
FLOW_SECONDS = 600  # a login at the issuer that takes longer starts again
DISCOVERY_SECONDS = 3600.0
TIMEOUT = 10.0


class LoginFailed(Exception):
    """The login is refused; `reason` says why, for the log (never personal data)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IssuerUnavailable(Exception):
    """The issuer (discovery, token endpoint or key set) could not be reached or answered nonsense."""


@dataclass(frozen=True)
class Flow:
    state: str
    nonce: str
    verifier: str
    next_path: str

    @classmethod
    def new(cls, next_path: str) -> Flow:
        return cls(secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64), next_path)

    def cookie(self) -> str:
        return base64.urlsafe_b64encode(json.dumps(asdict(self)).encode()).decode().rstrip("=")

    @classmethod
    def from_cookie(cls, value: str | None) -> Flow | None:
        if not value or len(value) > 2000:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
            flow = cls(**{k: data[k] for k in ("state", "nonce", "verifier", "next_path")})
        except (ValueError, TypeError, KeyError):
            return None
        return flow if all(isinstance(v, str) and v for v in asdict(flow).values()) else None

    @property
    def challenge(self) -> str:
        """The code challenge of the verifier (S256)."""
        digest = hashlib.sha256(self.verifier.encode("ascii")).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class OidcLogin:
    """The issuer as this service's client; one per app (`login_client`), safe to share between threads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.issuer = str(settings.oidc_issuer)
        self.client_id = str(settings.oidc_client_id)
        self._discovery: dict[str, Any] | None = None
        self._discovered_at = 0.0
        self._keys: jwt.PyJWKClient | None = None
        self._lock = threading.Lock()

    # ---- the issuer's metadata ------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._discovery is None or time.monotonic() - self._discovered_at > DISCOVERY_SECONDS:
                self._discovery = self._discover()
                self._discovered_at = time.monotonic()
                jwks_uri = self.settings.oidc_jwks_url or self._discovery["jwks_uri"]
                self._keys = jwt.PyJWKClient(jwks_uri, cache_keys=True, lifespan=DISCOVERY_SECONDS,
                                             timeout=TIMEOUT)
            return self._discovery

    def _discover(self) -> dict[str, Any]:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            response = httpx.get(url, timeout=TIMEOUT, follow_redirects=False)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise IssuerUnavailable(f"discovery: {type(error).__name__}") from None
        needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        if not isinstance(document, dict) or not all(isinstance(document.get(k), str) for k in needed):
            raise IssuerUnavailable("discovery: incomplete document")
        if document["issuer"] != self.issuer:  # OpenID Connect Discovery 1.0, section 4.3
            raise IssuerUnavailable("discovery: another issuer")
        return document

    # ---- the flow -------------------------------------------------------------------

    def authorization_url(self, flow: Flow) -> str:
        endpoint = self.metadata()["authorization_endpoint"]
        query = urlencode({
            "response_type": "code", "client_id": self.client_id, "redirect_uri": self.settings.oidc_callback_url,
            "scope": self.settings.oidc_scope, "state": flow.state, "nonce": flow.nonce,
            "code_challenge": flow.challenge, "code_challenge_method": "S256"})
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    def finish(self, flow: Flow, query: dict[str, str]) -> dict[str, Any]:
        """The verified claims of the ID token this callback's code stands for; LoginFailed otherwise."""
        state, code = query.get("state"), query.get("code")
        if not state or not hmac.compare_digest(state.encode(), flow.state.encode()):
            raise LoginFailed("state")
        if "error" in query:
            raise LoginFailed(f"issuer: {query['error'][:40]}")
        if not code:
            raise LoginFailed("no code")
        return self.verify(self.exchange(code, flow.verifier), flow.nonce)

    def exchange(self, code: str, verifier: str) -> str:
        """The ID token the token endpoint gives for this code and verifier."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.settings.oidc_callback_url,
                "code_verifier": verifier, "client_id": self.client_id}
        secret = self.settings.oidc_client_secret
        auth = (self.client_id, secret.get_secret_value()) if secret is not None else None
        try:
            response = httpx.post(self.metadata()["token_endpoint"], data=form, auth=auth, timeout=TIMEOUT,
                                  headers={"Accept": "application/json"})
        except httpx.HTTPError as error:
            raise IssuerUnavailable(f"token endpoint: {type(error).__name__}") from None
        if response.status_code >= 500:
            raise IssuerUnavailable(f"token endpoint: {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200:
            error = body.get("error") if isinstance(body, dict) else None
            raise LoginFailed(f"token endpoint: {str(error or response.status_code)[:40]}")
        id_token = body.get("id_token") if isinstance(body, dict) else None
        if not isinstance(id_token, str):
            raise LoginFailed("no id token")
        return id_token

    def verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        self.metadata()
        assert self._keys is not None
        algorithms = list(self.settings.oidc_algorithms)
        try:
            if jwt.get_unverified_header(id_token).get("alg") not in algorithms:
                raise LoginFailed("id token: algorithm")
            key = self._keys.get_signing_key_from_jwt(id_token)
        except jwt.PyJWKClientConnectionError:
            raise IssuerUnavailable("jwks") from None
        except jwt.PyJWTError:
            raise LoginFailed("id token: key") from None
        try:
            claims = jwt.decode(id_token, key, algorithms=algorithms, audience=self.client_id, issuer=self.issuer,
                                leeway=self.settings.oidc_leeway,
                                options={"require": ["exp", "iat", "iss", "aud", "sub"]})
        except jwt.ExpiredSignatureError:
            raise LoginFailed("id token: expired") from None
        except jwt.PyJWTError as error:
            raise LoginFailed(f"id token: {type(error).__name__}") from None
        if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"].encode(),
                                                                                nonce.encode()):
            raise LoginFailed("id token: nonce")
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise LoginFailed("id token: azp")
        return claims


_lock = threading.Lock()


def login_client(app: Any) -> OidcLogin:
    with _lock:
        client = getattr(app.state, "oidc_login", None)
        if client is None:
            client = app.state.oidc_login = OidcLogin(app.state.settings)
        return client
