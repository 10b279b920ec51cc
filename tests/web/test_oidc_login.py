"""Logging in on the pages through the organisation's issuer (web/oidc.py, web/routes/oidc.py): the
authorization-code flow with PKCE against a real local issuer (tests/web/oidc_issuer.py), every refusal a
Dutch page and no session, and no trace of it when no issuer is configured."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.main import create_app
from tests.web.oidc_issuer import Issuer, new_key
from tests.web.support import csrf_of, pages_client
from web.oidc import FLOW_COOKIE, Flow
from web.sessions import SESSION_COOKIE

CLIENT_ID, SECRET = "waakvlam-pages", "issuer-secret"
CARLA = {"sub": "carla", "waakvlam_role": "coordinator", "waakvlam_team": "Wijkteam Noord"}


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    with Issuer(CLIENT_ID, SECRET) as running:
        running.user = dict(CARLA)
        yield running


def deployment(settings: Any, issuer_url: str, **overrides: Any) -> TestClient:
    """The app as a deployment has it: no demo, the issuer for the API's tokens and for the pages' login."""
    update = {"demo": False, "oidc_issuer": issuer_url, "oidc_audience": CLIENT_ID,
              "oidc_jwks_url": f"{issuer_url}/jwks", "oidc_client_id": CLIENT_ID,
              "oidc_client_secret": SecretStr(SECRET), "oidc_organisation": "Gemeente Voorbeeld",
              "oidc_redirect_url": "http://testserver/inloggen/oidc/terug", **overrides}
    return TestClient(create_app(settings.model_copy(update=update)), follow_redirects=False)


@pytest.fixture
def visitor(settings: Any, issuer: Issuer) -> Iterator[TestClient]:
    with deployment(settings, issuer.url) as client:
        yield client


def to_issuer(visitor: TestClient, volgende: str = "/") -> str:
    """Start the login at the pages and let the issuer approve it: the callback URL it sends the browser to."""
    start = visitor.get("/inloggen/oidc", params={"volgende": volgende})
    assert start.status_code == 303, start.text
    approved = httpx.get(start.headers["location"], follow_redirects=False, timeout=10)
    assert approved.status_code == 302, approved.text
    back = urlsplit(approved.headers["location"])
    assert (back.scheme, back.netloc, back.path) == ("http", "testserver", "/inloggen/oidc/terug")
    return f"{back.path}?{back.query}"


def flow_of(visitor: TestClient) -> Flow:
    flow = Flow.from_cookie(visitor.cookies.get(FLOW_COOKIE))
    assert flow is not None
    return flow


def set_flow(visitor: TestClient, flow: Flow) -> None:
    for cookie in visitor.cookies.jar:
        if cookie.name == FLOW_COOKIE:
            cookie.value = flow.cookie()


def assert_refused(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert words in response.text
    assert '<html lang="nl">' in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert f'{FLOW_COOKIE}=""' in response.headers.get("set-cookie", "")  # the flow is over, either way


def test_the_login_page_offers_the_organisation_and_the_flow_lands_signed_in_on_the_page_asked_for(
        visitor: TestClient, issuer: Issuer) -> None:
    page = visitor.get("/huishoudens?zoek=Jansen")
    assert page.status_code == 303
    login = visitor.get(page.headers["location"])
    assert "Inloggen via Gemeente Voorbeeld" in login.text
    assert 'type="password"' not in login.text  # a deployment with an issuer has no local accounts
    assert 'href="/inloggen/oidc?volgende=/huishoudens%3Fzoek%3DJansen"' in login.text

    start = visitor.get("/inloggen/oidc", params={"volgende": "/huishoudens?zoek=Jansen"})
    assert start.status_code == 303
    flow_cookie = start.headers["set-cookie"]
    assert "HttpOnly" in flow_cookie and "SameSite=lax" in flow_cookie and "Path=/inloggen/oidc" in flow_cookie
    request = parse_qs(urlsplit(start.headers["location"]).query)
    flow = flow_of(visitor)
    assert request["code_challenge_method"] == ["S256"] and request["code_challenge"] == [flow.challenge]
    assert request["state"] == [flow.state] and request["nonce"] == [flow.nonce]
    assert request["client_id"] == [CLIENT_ID] and request["scope"] == ["openid"]

    approved = httpx.get(start.headers["location"], follow_redirects=False, timeout=10)
    back = urlsplit(approved.headers["location"])
    landed = visitor.get(f"{back.path}?{back.query}")
    assert landed.status_code == 303, landed.text
    assert landed.headers["location"] == "/huishoudens?zoek=Jansen"
    session_cookie = landed.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=wvs_" in session_cookie and "HttpOnly" in session_cookie
    assert "SameSite=lax" in session_cookie
    assert issuer.token_requests[-1]["code_verifier"] == flow.verifier

    caseload = visitor.get("/huishoudens?zoek=Jansen")
    assert caseload.status_code == 200
    assert "carla" in caseload.text and "Uitloggen" in caseload.text


def test_the_staff_registry_decides_the_role_as_for_the_api(visitor: TestClient, issuer: Issuer) -> None:
    visitor.app.state.households.register_staff("bram", actor="admin", team="Wijkteam Noord",
                                                roles=("team_lead",), reason="test")
    issuer.user = {"sub": "bram", "waakvlam_role": "generalist", "waakvlam_team": "Wijkteam Zuid"}
    assert visitor.get(to_issuer(visitor)).status_code == 303
    home = visitor.get("/")
    assert home.status_code == 200
    assert '<span class="wv-who">bram · teamleider</span>' in home.text  # the registry's, not the claim's


def test_a_code_exchanged_with_another_verifier_is_refused_by_the_issuer(visitor: TestClient,
                                                                         issuer: Issuer) -> None:
    callback = to_issuer(visitor)
    flow = flow_of(visitor)
    set_flow(visitor, Flow(flow.state, flow.nonce, "x" * 86, flow.next_path))
    refused = visitor.get(callback)
    assert_refused(refused, 401, "Uw organisatie heeft het inloggen niet bevestigd.")
    assert issuer.token_requests[-1]["code_verifier"] == "x" * 86  # the issuer was asked, and said no
    assert visitor.get("/").status_code == 303  # not signed in


def test_a_callback_with_another_state_is_refused_before_the_code_is_used(visitor: TestClient,
                                                                          issuer: Issuer) -> None:
    callback = urlsplit(to_issuer(visitor))
    query = {k: v[0] for k, v in parse_qs(callback.query).items()}
    refused = visitor.get(f"{callback.path}?{urlencode({**query, 'state': 'forged'})}")
    assert_refused(refused, 400, "hoort niet bij dit inloggen")
    assert issuer.token_requests == []
    assert visitor.get("/").status_code == 303


def test_a_callback_in_a_browser_that_did_not_start_the_login_is_refused(settings: Any, visitor: TestClient,
                                                                         issuer: Issuer) -> None:
    callback = to_issuer(visitor)
    with TestClient(visitor.app, follow_redirects=False) as other:
        assert_refused(other.get(callback), 400, "Het inloggen bij uw organisatie duurde te lang")
    assert issuer.token_requests == []


@pytest.mark.parametrize(("case", "claims", "other_key"), [
    ("expired", {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}, False),
    ("bad signature", {}, True),
    ("wrong audience", {"aud": "another-app"}, False),
    ("wrong issuer", {"iss": "https://evil.example.org"}, False),
    ("another nonce", {"nonce": "replayed"}, False),
    ("no nonce", {"nonce": None}, False),
    ("no expiry", {"exp": None}, False),
])
def test_an_id_token_that_does_not_verify_is_refused(visitor: TestClient, issuer: Issuer, case: str,
                                                     claims: dict[str, Any], other_key: bool) -> None:
    issuer.id_token_claims = claims
    issuer.sign_with = new_key() if other_key else None
    refused = visitor.get(to_issuer(visitor))
    assert_refused(refused, 401, "kon Waakvlam niet controleren")
    assert visitor.get("/").status_code == 303


def test_an_unknown_subject_is_refused_in_dutch(visitor: TestClient, issuer: Issuer) -> None:
    issuer.user = {"sub": "iemand-anders"}  # the issuer knows them; no role in the claims nor the registry
    refused = visitor.get(to_issuer(visitor))
    assert_refused(refused, 403, "U bent niet bekend in Waakvlam")
    assert "Vraag de beheerder" in refused.text
    assert visitor.get("/").status_code == 303


def test_a_login_the_issuer_refuses_is_a_dutch_page(visitor: TestClient, issuer: Issuer) -> None:
    issuer.deny = True
    assert_refused(visitor.get(to_issuer(visitor)), 401, "is het inloggen afgebroken of geweigerd")


def test_logout_after_an_oidc_login_ends_the_session(visitor: TestClient, issuer: Issuer) -> None:
    visitor.get(to_issuer(visitor, "/uitloggen"))
    token = visitor.cookies.get(SESSION_COOKIE)
    assert token and visitor.app.state.accounts.session(token) is not None
    form = visitor.get("/uitloggen")
    assert form.status_code == 200
    out = visitor.post("/uitloggen", data={"csrf": csrf_of(form.text)})
    assert out.status_code == 303 and out.headers["location"] == "/inloggen?uitgelogd=1"
    assert visitor.app.state.accounts.session(token) is None
    assert visitor.get("/").status_code == 303


def test_only_a_path_on_this_server_is_returned_to(visitor: TestClient) -> None:
    landed = visitor.get(to_issuer(visitor, "https://evil.example.org/"))
    assert landed.status_code == 303 and landed.headers["location"] == "/"


def test_an_oidc_user_has_no_local_password(settings: Any, issuer: Issuer) -> None:
    with deployment(settings, issuer.url, local_accounts=True) as visitor:
        login = visitor.get("/inloggen")
        assert "Inloggen via Gemeente Voorbeeld" in login.text and 'type="password"' in login.text
        assert visitor.get(to_issuer(visitor)).status_code == 303
        visitor.cookies.clear()
        form = visitor.get("/inloggen")
        attempt = visitor.post("/inloggen", data={"gebruikersnaam": "carla", "wachtwoord": "!external",
                                                  "csrf": csrf_of(form.text), "volgende": "/"})
        assert attempt.status_code == 401


def test_an_issuer_out_of_reach_is_said_in_dutch(settings: Any) -> None:
    with deployment(settings, "http://127.0.0.1:9") as visitor:
        refused = visitor.get("/inloggen/oidc")
        assert refused.status_code == 503 and "kan uw organisatie of de database nu niet bereiken" in refused.text
        assert refused.headers["retry-after"]


def test_without_an_issuer_there_is_no_button_and_no_flow(client: TestClient) -> None:
    visitor = pages_client(client)
    login = visitor.get("/inloggen")
    assert login.status_code == 200 and "Inloggen via" not in login.text and 'type="password"' in login.text
    for path in ("/inloggen/oidc", "/inloggen/oidc/terug?code=x&state=y"):
        answer = visitor.get(path)
        assert answer.status_code == 404 and "logt u niet in via uw organisatie" in answer.text
        assert "set-cookie" not in answer.headers


def test_a_callback_used_again_is_refused(visitor: TestClient, issuer: Issuer) -> None:
    callback = to_issuer(visitor)
    assert visitor.get(callback).status_code == 303
    assert_refused(visitor.get(callback), 400, "Het inloggen bij uw organisatie duurde te lang")
    assert len(issuer.token_requests) == 1  # the flow was over: its code is not offered again


def test_an_issuer_gone_during_the_login_is_said_in_dutch(visitor: TestClient, issuer: Issuer) -> None:
    callback = to_issuer(visitor)
    issuer.server.shutdown()
    issuer.server.server_close()
    refused = visitor.get(callback)
    assert refused.status_code == 503 and "Probeer het over een paar minuten opnieuw" in refused.text
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")


def test_a_public_client_logs_in_with_pkce_alone(settings: Any) -> None:
    with Issuer(CLIENT_ID) as public, deployment(settings, public.url, oidc_client_secret=None) as visitor:
        public.user = dict(CARLA)
        assert visitor.get(to_issuer(visitor, "/uitloggen")).headers["location"] == "/uitloggen"
        assert public.token_requests[-1]["client_id"] == CLIENT_ID
        assert visitor.get("/uitloggen").status_code == 200
