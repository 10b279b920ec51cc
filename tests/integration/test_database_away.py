"""A failing database is 503, everywhere (issue 10, item 2): with its PostgreSQL stopped, every route of the API,
the HTML export included, answers 503 with Retry-After and a problem+json body, never 500; and when the database
is back, the same process answers again without a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pgserver
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.support import PROBLEM, ROUTES, Route, register, request_for
from tests.api.test_authorisation import EVERYONE, NOORD, TOKENS, allowed
from tests.conftest import TEST_KEK
from waakvlam.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.alone]


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[Path]:
    """A PostgreSQL of this test's own, which it may stop and start again."""
    server = pgserver.get_server(tmp_path / "pg", cleanup_mode="stop")
    yield tmp_path / "pg"
    server.cleanup()


def _stop(pgdata: Path) -> None:
    pgserver.get_server(pgdata, cleanup_mode="stop").cleanup()


def _request(client: TestClient, route: Route) -> tuple[str, str, dict[str, Any]]:
    """The request that works on `route`, prepared while the database is up: method, URL and what it sends."""
    kwargs: dict[str, Any] = {"params": dict(route.query)}  # the calendar feed's; request_for's for the rest
    if route.body:
        kwargs["json"] = route.body()
    if route.sub_id == "secret":  # a feed that exists: its owner is looked up in the database
        feed = client.post("/api/calendar", headers={"Authorization": "Bearer dev-bram"})
        return route.method, urlsplit(feed.json()["url"]).path, kwargs
    if not route.public:
        role = next(role for role in EVERYONE if allowed(route, role))
        kwargs["headers"] = {"Authorization": f"Bearer {TOKENS[role]}"}
    _, url, kwargs["params"] = request_for(client, route, NOORD)
    return route.method, url, kwargs


def test_without_its_database_every_route_answers_503_with_retry_after_and_recovers_when_it_is_back(own_database):
    uri = pgserver.get_server(own_database, cleanup_mode="stop").get_uri()
    settings = Settings(_env_file=None, DATABASE_URL=uri, WAAKVLAM_DEMO=True, WAAKVLAM_KEK=TEST_KEK,
                        WAAKVLAM_POOL_SIZE=10)
    with TestClient(create_app(settings), headers={"Authorization": "Bearer dev-anna"}) as client:
        documented = {(method.upper(), path) for path, operations in client.get("/openapi.json").json()["paths"].items()
                      for method in operations}
        assert {route.key for route in ROUTES} == documented, "every route of the OpenAPI document is walked"
        started = time.monotonic()
        requests = [(route, *_request(client, route)) for route in ROUTES]
        print(f"prepared in {time.monotonic() - started:.1f} s")
        household_id = register(client)

        _stop(own_database)
        answers = []

        def send(request: tuple[Route, str, str, dict[str, Any]]) -> None:
            route, method, url, kwargs = request
            answers.append((route, client.request(method, url, **kwargs)))

        with ThreadPoolExecutor(24) as pool:  # each waits for the pool's timeout (5 s) before its 503
            list(pool.map(send, [*requests, (None, "GET", "/healthz", {})]))

        print(f"walked in {time.monotonic() - started:.1f} s")
        wrong = []
        for route, response in answers:
            if route is not None and route.key == ("POST", "/api/logout") and response.status_code == 204:
                continue  # logging out without a token touches nothing: there is nothing to end
            if (response.status_code != 503 or not response.headers.get("Retry-After", "").isdigit()
                    or not response.headers["content-type"].startswith(PROBLEM)
                    or response.json()["status"] != 503):
                wrong.append(f"{route}: {response.status_code} {response.headers.get('content-type')} "
                             f"{response.text[:120]}")
        assert wrong == [], "\n".join(wrong)
        assert len(answers) == len(ROUTES) + 1

        pgserver.get_server(own_database, cleanup_mode="stop")  # the database is back
        back = time.monotonic()
        while (answer := client.get(f"/api/households/{household_id}")).status_code == 503:
            assert time.monotonic() - back < 30, "the process did not recover when its database came back"
            time.sleep(0.5)
        assert answer.status_code == 200, answer.text
        print(f"answering again {time.monotonic() - back:.1f} s after the database came back")
        assert client.post(f"/api/households/{household_id}/contacts", json={"kind": "telefonisch"}).status_code == 201
