"""Hardening (issue 5, §4): security headers on every response, CORS closed unless
configured, request size limits, and no stack traces or submitted values in errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.support import ANNA, UNKNOWN_HOUSEHOLD, assert_problem, register, tolerant

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def assert_secured(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert "strict-transport-security" not in response.headers  # only when configured behind TLS


@pytest.mark.parametrize(("method", "url"), [
    ("GET", "/api/households"), ("GET", f"/api/households/{UNKNOWN_HOUSEHOLD}"), ("GET", "/api/households/x"),
    ("GET", "/api/nothing-here"), ("DELETE", "/api/households"), ("GET", "/openapi.json"), ("GET", "/healthz"),
    ("POST", "/api/login"),
])
def test_every_response_carries_the_security_headers(client, method, url):
    response = client.request(method, url)
    assert_secured(response)


def test_json_answers_are_never_cached_and_forbid_everything_in_a_browser(client):
    household_id = register(client)
    response = client.get(f"/api/households/{household_id}")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert "unsafe" not in response.headers["content-security-policy"]


def test_a_401_carries_the_headers_too(client):
    response = TestClient(client.app).get("/api/households")
    assert_problem(response, 401)
    assert_secured(response)


def test_a_server_error_is_a_bare_problem_with_the_headers_and_no_trace(client):
    @client.app.get("/api/test-explodes")
    def explode() -> None:
        raise RuntimeError("Fam. Jansen, Dorpsstraat 12: traceback material")

    response = tolerant(client).get("/api/test-explodes")
    body = assert_problem(response, 500)
    assert "Jansen" not in response.text and "Traceback" not in response.text and "RuntimeError" not in response.text
    assert body["detail"] == "something went wrong on our side; nothing was half-written"
    assert_secured(response)


def test_with_hsts_configured_the_header_is_sent(settings):
    with TestClient(create_app(settings.model_copy(update={"hsts": True})), headers=ANNA) as client:
        assert client.get("/api/households").headers["strict-transport-security"].startswith("max-age=31536000")


# ---- CORS ---------------------------------------------------------------------------


def preflight(client: TestClient, origin: str) -> httpx.Response:
    return client.options("/api/households", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})


def test_cors_is_closed_by_default(client):
    response = preflight(client, "https://evil.example.org")
    assert "access-control-allow-origin" not in response.headers
    simple = client.get("/api/households", headers={"Origin": "https://evil.example.org"})
    assert "access-control-allow-origin" not in simple.headers


def test_cors_opens_only_for_the_configured_origins(settings):
    allowed = "https://wijkteams.example-gemeente.nl"
    with TestClient(create_app(settings.model_copy(update={"cors_origins": [allowed]})), headers=ANNA) as client:
        response = preflight(client, allowed)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == allowed
        assert "access-control-allow-credentials" not in response.headers
        assert "access-control-allow-origin" not in preflight(client, "https://evil.example.org").headers
        simple = client.get("/api/households", headers={"Origin": allowed})
        assert simple.headers["access-control-allow-origin"] == allowed


# ---- request size -----------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_with_413_and_nothing_is_written(client, households):
    household_id = register(client)
    position = households.recorder.max_notification_id()
    big = {"kind": "huisbezoek", "summary": "x" * 1_100_000}
    response = client.post(f"/api/households/{household_id}/contacts", json=big)
    body = assert_problem(response, 413)
    assert "1048576" in body["detail"]
    assert_secured(response)
    assert households.recorder.max_notification_id() == position


def test_a_lying_or_chunked_body_over_the_limit_is_refused_too(client, households):
    household_id = register(client)
    position = households.recorder.max_notification_id()

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"kind": "huisbezoek", "summary": "'
        for _ in range(40):
            yield b"x" * 32_768
        yield b'"}'

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=ANNA) as raw:
            return await raw.post(f"/api/households/{household_id}/contacts", content=chunks(),
                                  headers={"Content-Type": "application/json"})

    response = asyncio.run(send())
    assert "content-length" not in response.request.headers  # it really came chunked
    assert_problem(response, 413)
    assert households.recorder.max_notification_id() == position


def test_a_body_under_the_limit_goes_through(client):
    household_id = register(client)
    response = client.post(f"/api/households/{household_id}/contacts",
                           json={"kind": "huisbezoek", "summary": "Post doorgenomen. " * 100})
    assert response.status_code == 201, response.text


def test_a_flood_of_headers_or_one_huge_header_is_refused_with_431(client, households):
    household_id = register(client)
    position = households.recorder.max_notification_id()
    contact = {"kind": "huisbezoek", "summary": "Post doorgenomen."}
    flood = {f"X-Filler-{n}": "x" for n in range(150)}
    body = assert_problem(client.post(f"/api/households/{household_id}/contacts", json=contact, headers=flood), 431)
    assert "100 header fields" in body["detail"]
    huge = {"X-Filler": "x" * 9000}
    assert_problem(client.get(f"/api/households/{household_id}", headers=huge), 431)
    many_long = {f"X-Filler-{n}": "x" * 4000 for n in range(10)}
    assert "together" in assert_problem(client.get("/api/households", headers=many_long), 431)["detail"]
    assert households.recorder.max_notification_id() == position
    ordinary = {f"X-Filler-{n}": "x" * 100 for n in range(40)}
    assert client.get(f"/api/households/{household_id}", headers=ordinary).status_code == 200


def test_the_limit_is_a_setting(settings):
    with TestClient(create_app(settings.model_copy(update={"max_body_bytes": 2048})), headers=ANNA) as client:
        assert_problem(client.post("/api/households", json={"label": "x" * 3000, "team": "Noord"}), 413)
        assert client.post("/api/households", json={"label": "Fam. Jansen", "team": "Noord"}).status_code == 201
