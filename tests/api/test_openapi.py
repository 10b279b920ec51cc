"""The API explains itself, offline (issue 10, item 4): /docs and /redoc load their assets from this server, never
from a CDN; the OpenAPI document declares how to authenticate and the security of every operation, declares the
answers the server really sends (problem+json for every error), validates, and Spectral's `spectral:oas` ruleset
finds nothing in it."""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from api.docs import oidc_discovery_url
from api.main import create_app
from api.security import docs_policy
from tests.api.support import PROBLEM, ROUTES, Route, acting, prepared
from tests.api.test_authorisation import EVERYONE, _request, allowed
from tests.conftest import TEST_KEK
from waakvlam.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SPECTRAL = ROOT / "node_modules" / ".bin" / "spectral"
RULESET = ROOT / ".spectral.yaml"
ISSUER = "https://login.gemeente.example/realms/wijkteams"
PUBLIC = {route.key for route in ROUTES if route.public}  # the calendar feed, login and logout
BEARER = {"bearer": []}


def demo_settings(**overrides: Any) -> Settings:
    """Settings for an app that is only asked for its document and docs pages (no database is reached)."""
    return Settings(**{"WAAKVLAM_DEMO": True, "WAAKVLAM_KEK": TEST_KEK, **overrides})


def oidc_settings() -> Settings:
    return Settings(WAAKVLAM_KEK=TEST_KEK, WAAKVLAM_OIDC_ISSUER=ISSUER, WAAKVLAM_OIDC_AUDIENCE="waakvlam",
                    WAAKVLAM_OIDC_JWKS='{"keys": []}')


SETTINGS = {"demo": demo_settings, "oidc": oidc_settings}


def document(settings: Settings) -> dict[str, Any]:
    return TestClient(create_app(settings)).get("/openapi.json").json()


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, operation) for path, found in doc["paths"].items()
            for method, operation in found.items()]


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return document(demo_settings())


# ---- the docs pages, offline ----------------------------------------------------------


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append(value)
            if tag == "redoc" and name == "spec-url" and value is not None:
                self.urls.append(value)


def assets_of(html: str) -> list[str]:
    parser = _Assets()
    parser.feed(html)
    # What the start-up script loads: Swagger UI's `url: '/openapi.json'`.
    return parser.urls + re.findall(r"\burl: '([^']+)'", html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_load_every_script_and_stylesheet_from_this_server(page):
    client = TestClient(create_app(demo_settings()))
    response = client.get(page)
    assert response.status_code == 200
    assert "://" not in response.text, "the page names another origin"
    urls = assets_of(response.text)
    assert any(url.endswith(".js") for url in urls), urls
    if page == "/docs":
        assert any(url.endswith(".css") for url in urls), urls
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), f"{url} is not a path on this server"
        asset = client.get(url)
        assert asset.status_code == 200, url
        if url.endswith(".js"):
            assert "javascript" in asset.headers["content-type"] and len(asset.content) > 100_000, url


def test_swagger_ui_is_one_that_reads_openapi_3_1():
    # Swagger UI 4 (the PyPI package swagger-ui-bundle) shows "Unable to render this definition" for 3.1.
    client = TestClient(create_app(demo_settings()))
    (bundle,) = [url for url in assets_of(client.get("/docs").text) if url.endswith("swagger-ui-bundle.js")]
    assert "OpenAPI 3.1" in client.get(bundle).text or "openapi31" in client.get(bundle).text.lower()
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")


def test_the_docs_may_connect_to_this_server_only_and_to_the_issuer_where_one_is_configured():
    client = TestClient(create_app(demo_settings()))
    for page in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        policy = client.get(page).headers["content-security-policy"]
        assert "http" not in policy and "frame-ancestors 'none'" in policy, (page, policy)
    assert "connect-src 'self' https://login.gemeente.example;" in docs_policy(oidc_settings())


# ---- authentication in the document ------------------------------------------------------


def test_bearer_authentication_is_declared_with_the_demo_tokens(doc):
    scheme = doc["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "`dev-anna`" in scheme["description"] and "POST /api/login" in scheme["description"]
    outside_demo = document(demo_settings(WAAKVLAM_DEMO=False))["components"]["securitySchemes"]["bearer"]
    assert "dev-anna" not in outside_demo["description"]


def test_every_operation_needs_the_bearer_token_but_the_public_ones(doc):
    for method, path, operation in operations(doc):
        if (method, path) == ("POST", "/api/logout"):
            assert operation["security"] == [BEARER, {}], "logging out takes a token, or none"
        elif (method, path) in PUBLIC:
            assert "security" not in operation, (method, path)
        else:
            assert operation["security"] == [BEARER], (method, path)
    assert "security" not in doc, "no document-wide requirement: each operation says its own"


def test_with_openid_connect_configured_its_issuer_is_a_second_way_in():
    doc = document(oidc_settings())
    assert doc["components"]["securitySchemes"]["openIdConnect"] == {
        "type": "openIdConnect", "openIdConnectUrl": f"{ISSUER}/.well-known/openid-configuration",
        "description": doc["components"]["securitySchemes"]["openIdConnect"]["description"]}
    assert oidc_discovery_url(oidc_settings()) == f"{ISSUER}/.well-known/openid-configuration"
    assert "dev-anna" not in doc["components"]["securitySchemes"]["bearer"]["description"]
    for method, path, operation in operations(doc):
        if (method, path) == ("POST", "/api/logout"):
            assert operation["security"] == [BEARER, {"openIdConnect": []}, {}]
        elif (method, path) not in PUBLIC:
            assert operation["security"] == [BEARER, {"openIdConnect": []}], (method, path)
    page = TestClient(create_app(oidc_settings())).get("/docs").text
    assert '"clientId": "waakvlam"' in page and '"usePkceWithAuthorizationCodeGrant": true' in page


# ---- every operation explained ----------------------------------------------------------------


def test_every_operation_has_a_defined_tag_a_description_and_a_camel_case_operation_id(doc):
    defined = {tag["name"] for tag in doc["tags"]}
    assert all(tag.get("description") for tag in doc["tags"])
    ids = []
    for method, path, operation in operations(doc):
        assert operation["tags"] and set(operation["tags"]) <= defined, (method, path)
        assert len(operation.get("description", "")) > len(operation["summary"]), (method, path)
        assert re.fullmatch(r"[a-z][a-zA-Z0-9]*", operation["operationId"]), operation["operationId"]
        ids.append(operation["operationId"])
    assert len(ids) == len(set(ids)), "operationIds are unique"
    assert {tag["name"] for tag in doc["tags"]} == {tag for _, _, o in operations(doc) for tag in o["tags"]}


# ---- declared answers ----------------------------------------------------------------------


def _takes_if_match(operation: dict[str, Any]) -> bool:
    return any(p["in"] == "header" and p["name"] == "If-Match" for p in operation.get("parameters", []))


def _can_be_invalid(operation: dict[str, Any]) -> bool:
    """A body, or a parameter whose schema refuses something (any string passes a bare `type: string`)."""
    return "requestBody" in operation or any(p["schema"] != {"type": "string", "title": p["schema"].get("title")}
                                             for p in operation.get("parameters", []))


def test_every_error_is_declared_as_problem_json_whatever_the_route_answers_otherwise(doc):
    assert "HTTPValidationError" not in json.dumps(doc)  # FastAPI's own 422, which this API never sends
    assert doc["components"]["schemas"]["Problem"]["required"] == ["title", "status", "detail"]
    for method, path, operation in operations(doc):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"] == {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}, (
                    method, path, status, response["content"])
    # The HTML export answers HTML, and its errors as problem+json like every other route's.
    export = doc["paths"]["/api/households/{household_id}/export.html"]["get"]["responses"]
    assert list(export["200"]["content"]) == ["text/html"]
    assert {list(export[s]["content"]) == [PROBLEM] for s in ("401", "403", "404", "422", "503")} == {True}


def test_the_declared_statuses_follow_from_what_the_operation_takes(doc):
    for method, path, operation in operations(doc):
        declared = {int(status) for status in operation["responses"]}
        where = (method, path, sorted(declared))
        assert (400 in declared) == _takes_if_match(operation), where  # If-Match that is not an ETag
        assert 412 not in declared or _takes_if_match(operation), where
        assert (413 in declared) == ("requestBody" in operation), where
        assert (422 in declared) == _can_be_invalid(operation), where
        needs_token = operation.get("security") == [BEARER]
        assert (401 in declared) == (needs_token or path == "/api/login"), where
        assert 403 in declared or not needs_token or (method == "POST" and path == "/api/signals"), where
        assert 404 in declared or "{household_id}" not in path, where
        assert 503 in declared, where
        assert (429 in declared) == (path == "/api/login"), where


def _declared(client: TestClient, route: Route) -> dict[str, Any]:
    return client.app.openapi()["paths"][route.path][route.method.lower()]["responses"]


def _check(route: Route, declared: dict[str, Any], response: Any, what: str) -> None:
    status = str(response.status_code)
    assert status in declared, f"{route} {what}: {status} is not declared ({sorted(declared)}): {response.text[:200]}"
    content = declared[status].get("content")
    if content and response.content:
        media = response.headers["content-type"].split(";")[0]
        assert any(media == declared_media.split(";")[0] for declared_media in content), (route, what, media)


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_route_answers_only_what_it_declares(client, route):
    """The request that works, then anonymous, a partner, another team's generalist, a bad If-Match, a body too
    large or not JSON: each answer's status is declared, with the media type it is sent in."""
    declared = _declared(client, route)
    operation = client.app.openapi()["paths"][route.path][route.method.lower()]
    body = route.body() if route.body else None
    if route.public:
        _, url = prepared(client, route)
        response = client.request(route.method, url, json=body, params=route.query)
    else:  # as the first role the authorisation table allows, so the request works
        role = next(role for role in EVERYONE if allowed(route, role))
        _, response = _request(client, role, route)
        url = response.request.url.path
    assert response.status_code == route.status, response.text
    _check(route, declared, response, "the request that works")
    probes: list[tuple[str, TestClient, dict[str, Any]]] = [
        ("anonymous", TestClient(client.app), {"json": body}),
        ("a partner", TestClient(client.app, headers={"Authorization": "Bearer dev-petra"}), {"json": body}),
        ("another team", TestClient(client.app, headers={"Authorization": "Bearer dev-kees"}), {"json": body}),
    ]
    if _takes_if_match(operation):
        probes.append(("a bad If-Match", acting(client, route), {"json": body, "headers": {"If-Match": "gisteren"}}))
    if route.body:
        json_type = {"Content-Type": "application/json"}
        too_large = b"[" + b" " * client.app.state.settings.max_body_bytes + b"]"
        probes += [("a body too large", acting(client, route), {"content": too_large, "headers": json_type}),
                   ("a body not JSON", acting(client, route), {"content": b"{", "headers": json_type})]
    for what, sender, kwargs in probes:
        _check(route, declared, sender.request(route.method, url, params=route.query, **kwargs), what)


# ---- a real OpenAPI linter --------------------------------------------------------------------


@pytest.mark.parametrize("name", SETTINGS)
def test_the_document_is_valid_openapi(name):
    validate(document(SETTINGS[name]()))


@pytest.mark.parametrize("name", SETTINGS)
def test_spectral_finds_nothing_in_the_document(name, tmp_path):
    assert SPECTRAL.exists(), "Spectral is not installed: `make` installs it (npm ci, package-lock.json)"
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document(SETTINGS[name]()), indent=1))
    done = subprocess.run([str(SPECTRAL), "lint", "--ruleset", str(RULESET), "--format", "json", "--quiet",
                           "--fail-severity", "hint", str(spec)], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert done.stdout.strip().startswith("["), (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    results = json.loads(done.stdout)
    shown = "\n".join(f"{r['severity']} {r['code']} {'.'.join(map(str, r['path']))}: {r['message']}" for r in results)
    assert results == [], f"Spectral (spectral:oas) found:\n{shown}"
    assert done.returncode == 0, done.stderr
