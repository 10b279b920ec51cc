"""Authentication: OpenID Connect bearer tokens verified against a local key set
(inline, and served by a local HTTP server), the demo tokens, and local accounts
with sessions and a login rate limit on the real database."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

import anyio
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from starlette.requests import Request

from api.auth import DEMO_TOKENS, Principal, authenticate
from api.main import create_app
from tests.api.support import assert_problem

ISSUER = "https://login.example-gemeente.nl/realms/wijkteams"
AUDIENCE = "waakvlam"


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


KEY, OTHER_KEY = _rsa(), _rsa()
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def jwk(key: Any, kid: str) -> dict[str, Any]:
    algorithm = RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else ECAlgorithm
    return {**algorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig"}


def jwks(*entries: dict[str, Any]) -> str:
    return json.dumps({"keys": list(entries)})


def token(key: Any = KEY, kid: str | None = "k1", algorithm: str = "RS256", **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u-4711", "iat": now, "exp": now + 300,
               "waakvlam_role": "coordinator", "waakvlam_team": "Wijkteam Zuid", **claims}
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": kid} if kid else None)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def oidc_app(settings, **overrides: Any) -> TestClient:
    update = {"demo": False, "oidc_issuer": ISSUER, "oidc_audience": AUDIENCE,
              "oidc_jwks": jwks(jwk(KEY, "k1"), jwk(EC_KEY, "e1")), **overrides}
    return TestClient(create_app(settings.model_copy(update=update)))


def register_as(client: TestClient, headers: dict[str, str]) -> Any:
    """Register a household as whoever these headers say."""
    response = client.post("/api/households", json={"label": "Fam. Test", "team": "Wijkteam Zuid"}, headers=headers)
    return response


def assert_invalid_token(response: Any) -> dict[str, Any]:
    body = assert_problem(response, 401)
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer") and 'error="invalid_token"' in challenge, challenge
    return body


# ---- OpenID Connect --------------------------------------------------------------


def test_a_valid_oidc_token_is_accepted_and_its_subject_is_the_actor(settings, households):
    with oidc_app(settings) as client:
        response = register_as(client, bearer(token()))
        assert response.status_code == 201, response.text
    actors = {e.actor for e in households.events.get(UUID(response.json()["household_id"]))}
    assert actors == {"u-4711"}


def test_an_es256_token_is_accepted_too(settings):
    with oidc_app(settings) as client:
        assert client.get("/api/households", headers=bearer(token(EC_KEY, "e1", "ES256"))).status_code == 200


def principal_of(client: TestClient, headers: dict[str, str]) -> Principal:
    """Who `authenticate` makes of these headers, in this app."""
    request = Request({"type": "http", "app": client.app, "method": "GET", "path": "/",
                       "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]})
    return anyio.run(authenticate, request)


def test_role_and_team_come_from_the_claims_when_the_registry_does_not_know_the_user(settings):
    with oidc_app(settings, oidc_role_claim="groups_role", oidc_team_claim="team_name") as client:
        principal = principal_of(client, bearer(token(groups_role="team_lead", team_name="Wijkteam Noord")))
    assert principal == Principal("u-4711", "team_lead", "Wijkteam Noord", "oidc")


def test_the_staff_registry_decides_role_and_team_of_a_user_it_knows(settings):
    class Member:
        role, team = "generalist", "Wijkteam Centrum"

    with oidc_app(settings) as client:
        client.app.state.households.staff_member = lambda user_id: Member() if user_id == "u-4711" else None
        known = principal_of(client, bearer(token()))
        unknown = principal_of(client, bearer(token(sub="u-9")))
    assert (known.user_id, known.role, known.team) == ("u-4711", "generalist", "Wijkteam Centrum")
    assert (unknown.user_id, unknown.role, unknown.team) == ("u-9", "coordinator", "Wijkteam Zuid")


@pytest.mark.parametrize(("case", "make"), [
    ("expired", lambda: token(exp=int(time.time()) - 120, iat=int(time.time()) - 600)),
    ("not yet valid", lambda: token(nbf=int(time.time()) + 600)),
    ("wrong audience", lambda: token(aud="another-app")),
    ("wrong issuer", lambda: token(iss="https://evil.example.org")),
    ("bad signature", lambda: token(OTHER_KEY, "k1")),
    ("unknown kid", lambda: token(OTHER_KEY, "k-unknown")),
    ("no kid", lambda: token(kid=None)),
    ("no expiry", lambda: token(exp=None)),
    ("no subject", lambda: token(sub=None)),
    ("alg none", lambda: jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "sub": "u-1", "exp": int(time.time()) + 60},
                                    None, algorithm="none", headers={"kid": "k1"})),
    ("alg HS256 with the public key", lambda: _hs256_with_public_key()),
    ("alg RS512", lambda: token(algorithm="RS512")),
    ("ES256 header on an RSA key", lambda: _relabelled("ES256")),
    ("garbage", lambda: "a.b.c"),
])
def test_an_invalid_oidc_token_is_refused_with_invalid_token(settings, households, case, make):
    with oidc_app(settings) as client:
        assert_invalid_token(register_as(client, bearer(make())))
    assert households.recorder.max_notification_id() in (None, 0)


def _hs256_with_public_key() -> str:
    """The classic confusion attack: HMAC with the RSA public key (its JWK modulus) as the secret."""
    secret = base64.urlsafe_b64decode(jwk(KEY, "k1")["n"] + "==")
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "kid": "k1"}).encode()).rstrip(b"=")
    now = int(time.time())
    body = base64.urlsafe_b64encode(json.dumps({"iss": ISSUER, "aud": AUDIENCE, "sub": "u-1", "exp": now + 60})
                                    .encode()).rstrip(b"=")
    import hashlib
    import hmac

    signature = base64.urlsafe_b64encode(hmac.new(secret, header + b"." + body, hashlib.sha256).digest()).rstrip(b"=")
    return (header + b"." + body + b"." + signature).decode()


def _relabelled(algorithm: str) -> str:
    _, body, signature = token().split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"alg": algorithm, "kid": "k1"}).encode()).rstrip(b"=").decode()
    return f"{forged}.{body}.{signature}"


def test_a_little_clock_skew_is_tolerated(settings):
    now = int(time.time())
    with oidc_app(settings) as client:
        assert client.get("/api/households", headers=bearer(token(exp=now - 5))).status_code == 200
        assert client.get("/api/households", headers=bearer(token(nbf=now + 5))).status_code == 200


def test_outside_demo_mode_with_oidc_the_demo_tokens_are_still_refused(settings):
    with oidc_app(settings) as client:
        assert_problem(client.get("/api/households", headers=bearer("dev-anna")), 401)


def test_a_missing_token_gets_a_challenge_without_an_error_code(settings):
    with oidc_app(settings) as client:
        response = client.get("/api/households")
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="waakvlam"'


class _JwksServer:
    """The issuer's JWKS on a real local HTTP server; counts its fetches."""

    def __init__(self) -> None:
        self.document = jwks(jwk(KEY, "k1"))
        self.fetches = 0
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                body = outer.document.encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/protocol/openid-connect/certs"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def jwks_server() -> Iterator[_JwksServer]:
    server = _JwksServer()
    yield server
    server.close()


def test_the_keys_are_fetched_from_the_jwks_url_once_and_cached(settings, jwks_server):
    with oidc_app(settings, oidc_jwks=None, oidc_jwks_url=jwks_server.url) as client:
        for _ in range(3):
            assert client.get("/api/households", headers=bearer(token())).status_code == 200
    assert jwks_server.fetches == 1


def test_a_rotated_key_is_fetched_on_its_unknown_kid_but_unknown_kids_cannot_make_a_fetch_storm(
        settings, jwks_server):
    with oidc_app(settings, oidc_jwks=None, oidc_jwks_url=jwks_server.url) as client:
        assert client.get("/api/households", headers=bearer(token())).status_code == 200
        verifier = client.app.state.oidc
        verifier.jwks._last_successful_fetch -= verifier.MIN_REFETCH + 1  # a while later the issuer rotates its key
        jwks_server.document = jwks(jwk(KEY, "k1"), jwk(OTHER_KEY, "k2"))
        assert client.get("/api/households", headers=bearer(token(OTHER_KEY, "k2"))).status_code == 200
        assert jwks_server.fetches == 2
        for i in range(5):  # forged kids right after: no more fetches
            assert_invalid_token(client.get("/api/households", headers=bearer(token(OTHER_KEY, f"forged-{i}"))))
        assert jwks_server.fetches == 2


def test_a_failing_jwks_url_is_not_asked_again_on_every_request(settings, jwks_server):
    jwks_server.status = 503
    with oidc_app(settings, oidc_jwks=None, oidc_jwks_url=jwks_server.url) as client:
        for kid in ("k1", "k1", "k2", "forged"):
            assert_invalid_token(client.get("/api/households", headers=bearer(token(kid=kid))))
        assert jwks_server.fetches == 1  # then nothing for a minute (MIN_REFETCH)
        jwks_server.status = 200
        client.app.state.oidc.jwks.retry_at -= client.app.state.oidc.MIN_REFETCH + 1  # a minute later
        assert client.get("/api/households", headers=bearer(token())).status_code == 200
        assert jwks_server.fetches == 2


def test_a_key_the_issuer_withdrew_is_refused_once_the_key_set_is_refreshed(settings, jwks_server):
    with oidc_app(settings, oidc_jwks=None, oidc_jwks_url=jwks_server.url) as client:
        assert client.get("/api/households", headers=bearer(token())).status_code == 200
        jwks_server.document = jwks(jwk(OTHER_KEY, "k2"))  # k1 withdrawn (compromised, say)
        verifier = client.app.state.oidc
        verifier.jwks.jwk_set_cache.jwk_set_with_timestamp.timestamp -= verifier.REFRESH_AFTER + 1  # an hour on
        assert_invalid_token(client.get("/api/households", headers=bearer(token())))
        assert client.get("/api/households", headers=bearer(token(OTHER_KEY, "k2"))).status_code == 200
        assert jwks_server.fetches == 2


def test_of_a_fetched_key_set_only_public_rsa_and_ec_signing_keys_are_used(settings, jwks_server):
    private = {**RSAAlgorithm.to_jwk(KEY, as_dict=True), "kid": "k1", "use": "sig"}  # with its private half
    secret = {"kty": "oct", "k": "c2VjcmV0", "kid": "h1", "alg": "HS256"}
    encryption = {**jwk(OTHER_KEY, "x1"), "use": "enc"}
    jwks_server.document = jwks(private, secret, encryption)
    with oidc_app(settings, oidc_jwks=None, oidc_jwks_url=jwks_server.url) as client:
        assert client.get("/api/households", headers=bearer(token())).status_code == 200
        keys = client.app.state.oidc.jwks.get_signing_keys()
        assert [(k.key_id, k.key_type) for k in keys] == [("k1", "RSA")]
        assert not hasattr(keys[0].key, "private_numbers")  # only the public half was kept
        assert_invalid_token(client.get("/api/households", headers=bearer(token(OTHER_KEY, "x1"))))


def test_an_unreachable_jwks_url_refuses_the_token_and_does_not_crash(settings):
    with oidc_app(settings, oidc_jwks=None, oidc_jwks_url="http://127.0.0.1:9/nothing") as client:
        assert_invalid_token(client.get("/api/households", headers=bearer(token())))


# ---- the demo tokens ------------------------------------------------------------------


def test_the_demo_tokens_keep_their_users_roles_and_teams():
    assert {token: (p.user_id, p.role, p.team) for token, p in DEMO_TOKENS.items()}.items() >= dict({
        "dev-anna": ("anna", "generalist", "Wijkteam Noord"),
        "dev-bram": ("bram", "coordinator", "Wijkteam Noord"),
        "dev-carla": ("carla", "team_lead", "Wijkteam Noord"),
        "dev-dirk": ("dirk", "privacy_officer", None),
        "dev-petra": ("petra", "partner", None),
    }).items()


# ---- local accounts ------------------------------------------------------------------------


@pytest.fixture
def accounts_client(client: TestClient) -> TestClient:
    client.app.state.accounts.ensure_demo_accounts()
    return TestClient(client.app)  # no demo token


def login(client: TestClient, username: str = "bram", password: str = "waakvlam-demo") -> Any:
    return client.post("/api/login", json={"username": username, "password": password})


def test_a_demo_user_logs_in_and_the_session_token_works_until_logout(accounts_client, households):
    response = login(accounts_client)
    assert response.status_code == 200, response.text
    session = response.json()
    assert (session["user_id"], session["token_type"]) == ("bram", "bearer")
    assert 0 < session["expires_in"] <= 10 * 3600
    headers = bearer(session["access_token"])
    created = register_as(accounts_client, headers)
    assert created.status_code == 201, created.text
    household = households.repository.get(UUID(created.json()["household_id"]))
    assert household.version >= 1
    assert accounts_client.get("/api/households", headers=headers).status_code == 200

    assert accounts_client.post("/api/logout", headers=headers).status_code == 204
    assert_invalid_token(accounts_client.get("/api/households", headers=headers))
    assert accounts_client.post("/api/logout", headers=headers).status_code == 204  # again: nothing to end


def test_every_demo_token_has_a_local_account_of_the_same_user_role_and_team(accounts_client):
    for token, principal in DEMO_TOKENS.items():
        response = login(accounts_client, principal.user_id)
        assert response.status_code == 200, (token, response.text)
        me = accounts_client.app.state.accounts.session(response.json()["access_token"])
        assert (me.username, me.role, me.team) == (principal.user_id, principal.role, principal.team), token


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(accounts_client):
    wrong = login(accounts_client, "bram", "raden")
    unknown = login(accounts_client, "niemand", "raden")
    assert_problem(wrong, 401)
    assert_problem(unknown, 401)
    assert wrong.json() == unknown.json()


def test_an_unknown_user_takes_as_long_as_a_wrong_password(accounts_client):
    login(accounts_client, "niemand", "warm-up")  # the dummy hash is made on first use

    def timed(username: str) -> float:
        started = time.perf_counter()
        assert_problem(login(accounts_client, username, "raden"), 401)
        return time.perf_counter() - started

    known = sorted(timed(name) for name in ("anna", "bram", "carla"))[1]
    unknown = sorted(timed(f"niemand-{i}") for i in range(3))[1]
    assert unknown > known * 0.5, (known, unknown)


def test_the_sixth_failed_login_of_a_user_is_refused_with_retry_after(accounts_client):
    for _ in range(5):
        assert_problem(login(accounts_client, "carla", "raden"), 401)
    response = login(accounts_client, "carla", "waakvlam-demo")  # even the right password, now
    assert_problem(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 900
    assert login(accounts_client, "dirk").status_code == 200  # another user from the same address is not


def test_failures_from_one_address_are_limited_over_all_user_names(settings):
    with TestClient(create_app(settings.model_copy(update={"login_max_failures_per_address": 3}))) as client:
        client.app.state.accounts.ensure_demo_accounts()
        for name in ("anna", "bram", "wie-anders"):
            assert_problem(login(client, name, "raden"), 401)
        response = login(client, "dirk")
        assert_problem(response, 429)
        assert "Retry-After" in response.headers


def test_a_successful_login_clears_the_users_failures(accounts_client):
    for _ in range(4):
        login(accounts_client, "anna", "raden")
    assert login(accounts_client, "anna").status_code == 200
    for _ in range(4):
        assert login(accounts_client, "anna", "raden").status_code == 401


def test_the_login_body_is_checked(accounts_client):
    assert_problem(accounts_client.post("/api/login", json={"username": "anna"}), 422)
    assert_problem(accounts_client.post("/api/login", json={"username": "anna", "password": "x", "role": "admin"}),
                   422)
    response = accounts_client.post("/api/login", json={"username": "anna", "password": "geheim" * 300})
    assert "geheim" not in response.text


def test_with_oidc_configured_local_accounts_are_off_unless_asked_for(settings):
    with oidc_app(settings) as client:
        assert_problem(client.post("/api/login", json={"username": "anna", "password": "waakvlam-demo"}), 404)


def test_a_nul_character_in_the_credentials_is_invalid_not_a_crash(accounts_client):
    assert_problem(accounts_client.post("/api/login", json={"username": "an\x00na", "password": "x"}), 422)
    assert_problem(accounts_client.post("/api/login", json={"username": "anna", "password": "x\x00"}), 422)


def test_without_the_database_logging_in_and_sessions_answer_503(client, env):
    from waakvlam.accounts import Accounts

    client.app.state.accounts.close()
    client.app.state.accounts = Accounts({**env, "POSTGRES_PORT": "1"})
    anonymous = TestClient(client.app)
    response = anonymous.post("/api/login", json={"username": "anna", "password": "waakvlam-demo"})
    assert_problem(response, 503)
    assert response.headers["Retry-After"]
    assert_problem(anonymous.get("/api/households", headers=bearer("wvs_" + "a" * 43)), 503)
