"""The conventions every route keeps (DESIGN.md, "API conventions"): the OpenAPI
document is the contract; errors are problem+json and never a 500 for bad input;
ETag and If-Match; Idempotency-Key; who is asking."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import api.schemas.auth
import api.schemas.commands
import api.schemas.signals
from api.main import create_app
from tests.api.support import (
    ANNA,
    BRAM,
    COMMANDS,
    ROUTES,
    SUB_ITEM_COMMANDS,
    UNKNOWN_HOUSEHOLD,
    Route,
    acting,
    assert_invalid,
    assert_problem,
    assert_refused,
    events,
    garbage_bodies,
    kinds,
    post,
    prepared,
    register,
    server_errors,
    version_of,
    write,
)
from tests.conftest import in_threads

# Besides reopening, a closed household may be forgotten (erasure: the retention job erases closed ones).
NOT_REOPENING = [route for route in COMMANDS if not route.path.endswith(("/reopening", "/erasure"))]


def _operation(client: TestClient, route: Route) -> dict[str, Any]:
    return client.app.openapi()["paths"][route.path][route.method.lower()]


def _body_schema(client: TestClient, route: Route) -> tuple[str, dict[str, Any]]:
    spec = client.app.openapi()
    ref = _operation(client, route)["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    name = ref.rsplit("/", 1)[-1]
    return name, spec["components"]["schemas"][name]


# ---- the OpenAPI document is the contract ------------------------------------


def test_the_tests_know_every_route_of_the_openapi_document_and_no_other(client):
    documented = {(method.upper(), path) for path, operations in client.app.openapi()["paths"].items()
                  for method in operations}
    assert documented == {route.key for route in ROUTES}


def test_the_openapi_document_and_the_docs_are_served(client):
    assert client.get("/openapi.json").json()["info"]["title"] == "Waakvlam"
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_every_route_says_in_a_summary_what_it_does(client, route):
    assert _operation(client, route)["summary"].strip()


@pytest.mark.parametrize("route", [r for r in ROUTES if r.method == "POST" and r.body], ids=str)
def test_every_post_route_documents_its_body_with_an_example_that_is_itself_valid(client, route):
    name, schema = _body_schema(client, route)
    assert schema.get("additionalProperties") is False, "bodies forbid extra fields"
    (example, *_) = schema["examples"]
    model = (getattr(api.schemas.commands, name, None) or getattr(api.schemas.signals, name, None)
             or getattr(api.schemas.auth, name))
    model.model_validate(example)


# What each route declares it answers, and that it answers nothing else: tests/api/test_openapi.py.


# ---- problems, never a 500 -------------------------------------------------------


def test_an_unknown_route_and_a_wrong_method_are_problems_too(client):
    assert_problem(client.get("/api/nothing-here"), 404)
    assert_problem(client.delete("/api/households"), 405)


@pytest.mark.parametrize("route", COMMANDS, ids=str)
def test_every_command_survives_a_barrage_of_garbage_without_a_server_error(client, route):
    _, url = prepared(client, route)
    _, schema = _body_schema(client, route)
    assert server_errors(acting(client, route), "POST", url, garbage_bodies(route.body(), schema["properties"])) == []


def test_registration_survives_a_barrage_of_garbage_without_a_server_error(client):
    route = ROUTES[0]
    _, schema = _body_schema(client, route)
    assert server_errors(client, "POST", "/api/households", garbage_bodies(route.body(), schema["properties"])) == []


@pytest.mark.parametrize("household_id", ["not-a-uuid", "0", "%00", "' OR 1=1 --", "x" * 500, "..",
                                          "7d4f2a6e-0000-4000-8000-00000000000g"])
def test_every_route_survives_a_garbage_household_id(client, household_id):
    for route in ROUTES:
        if route.per_household:
            url = route.url(household_id)
            assert server_errors(client, route.method, url, [route.body() if route.body else None], raw=[]) == []


@pytest.mark.parametrize("route", SUB_ITEM_COMMANDS, ids=str)
def test_every_follow_up_survives_a_garbage_item_id(client, route):
    household_id = register(client)
    for item_id in ["..", "%00", "a" * 65, "ü", "a b", "'; DROP TABLE x; --", "-", "_"]:
        assert server_errors(client, "POST", route.url(household_id, item_id), [route.body()], raw=[]) == [], item_id


@pytest.mark.parametrize("query", [
    "after=-1", "after=x", "after=1e3", "limit=0", "limit=201", "limit=x", "cursor=%00", "cursor=" + "A" * 300,
    "cursor=bm90IGEgY3Vyc29y", "cursor=OTk5OS0xMi0zMXxub3QtYS11dWlk", "intensity=hoog", "status=lost",
    "due_before=tomorrow", "due_before=2026-02-30", "team=%00", "coordinator=a%00b", "team=" + "x" * 101,
])
def test_the_caseload_survives_garbage_queries(client, query):
    assert server_errors(client, "GET", f"/api/households?{query}", [None], raw=[]) == []
    assert_problem(client.get(f"/api/households?{query}"), 422)


@pytest.mark.parametrize("route", [ROUTES[0], *COMMANDS], ids=str)
def test_malformed_json_is_an_invalid_body(client, route):
    household_id = register(client)
    response = acting(client, route).post(route.url(household_id),
                           content=b'{"label": "Fam. Jansen", ', headers={"Content-Type": "application/json"})
    body = assert_problem(response, 422)
    assert all(error["field"].startswith("body") for error in body["errors"]), body


@pytest.mark.parametrize("route", [ROUTES[0], *COMMANDS], ids=str)
def test_an_extra_field_is_refused_by_name(client, route):
    household_id, url = prepared(client, route)
    before = version_of(client, household_id)
    assert_invalid(acting(client, route).post(url, json={**route.body(), "priority": "high"}), "body.priority")
    assert version_of(client, household_id) == before


@pytest.mark.parametrize("route", [ROUTES[0], *COMMANDS], ids=str)
def test_a_moment_without_utc_offset_is_refused_by_name(client, route):
    _, url = prepared(client, route)
    response = acting(client, route).post(url, json={**route.body(), "occurred_at": "2026-01-05T10:30:00"})
    assert_invalid(response, "body.occurred_at")


@pytest.mark.parametrize("route", [ROUTES[0], *COMMANDS], ids=str)
def test_a_moment_in_the_future_breaks_a_rule(client, route):
    household_id, url = prepared(client, route)
    before = version_of(client, household_id)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert_refused(acting(client, route).post(url, json={**route.body(), "occurred_at": tomorrow}),
                   "nothing is recorded as having happened in the future")
    assert version_of(client, household_id) == before


@pytest.mark.parametrize("route", [ROUTES[0], *COMMANDS], ids=str)
def test_a_moment_without_a_utc_equivalent_is_invalid_not_a_crash(client, route):
    # Bug fixed: year 1 at +01:00 is 31 December of year 0 in UTC, which Python cannot represent (was a 500).
    _, url = prepared(client, route)
    assert_invalid(acting(client, route).post(url, json={**route.body(), "occurred_at": "0001-01-01T00:00:00+01:00"}),
                   "body.occurred_at")


@pytest.mark.parametrize("route", COMMANDS, ids=str)
def test_a_bad_household_id_is_refused_by_name(client, route):
    url = route.url("not-a-uuid")
    assert_invalid(acting(client, route).post(url, json=route.body()), "path.household_id")


@pytest.mark.parametrize("route", COMMANDS, ids=str)
def test_an_unknown_household_is_not_found(client, route):
    url = route.url(UNKNOWN_HOUSEHOLD)
    body = assert_problem(acting(client, route).post(url, json=route.body()), 404)
    assert UNKNOWN_HOUSEHOLD in body["detail"]


@pytest.mark.parametrize("route", SUB_ITEM_COMMANDS, ids=str)
def test_an_unknown_item_of_a_known_household_is_not_found(client, route):
    household_id = register(client)
    before = version_of(client, household_id)
    body = assert_problem(acting(client, route).post(route.url(household_id, "nosuchitem"), json=route.body()),
                          404)
    assert "nosuchitem" in body["detail"]
    assert version_of(client, household_id) == before


@pytest.mark.parametrize("route", SUB_ITEM_COMMANDS, ids=str)
def test_an_item_id_of_the_wrong_form_is_refused_by_name(client, route):
    household_id = register(client)
    url = route.url(household_id, "no spaces!")
    assert_invalid(acting(client, route).post(url, json=route.body()), f"path.{route.sub_id}")


@pytest.mark.parametrize("route", NOT_REOPENING, ids=str)
def test_a_closed_household_takes_nothing_but_a_reopening(client, route):
    household_id, url = prepared(client, route)
    write(client, household_id, "closure", {"reason_code": "moved"})
    before = version_of(client, household_id)
    assert_refused(acting(client, route).post(url, json=route.body()), "nothing but reopening on a closed household")
    assert version_of(client, household_id) == before


def test_an_invalid_value_is_named_but_never_echoed_back(client):
    household_id = register(client)
    response = post(client, household_id, "members", {"name": "Sanne", "birth_year": "BSN 123456782"})
    assert_invalid(response, "body.birth_year")
    assert "123456782" not in response.text


@pytest.mark.parametrize(("path", "body", "field"), [
    ("members", {"name": "Sanne\x00"}, "body.name"),
    ("contacts", {"kind": "huisbezoek", "participants": ["Henk", "Sa\x00nne"]}, "body.participants"),
    ("signaleringsplan", {"phases": {"rood": {"signs": ["\x00"]}}}, "body.phases"),
    ("corrections", {"target_version": 1, "changes": {"label": "Fam.\x00"}, "reason": "Tikfout"}, "body.changes"),
])
def test_a_nul_character_is_refused_by_name(client, path, body, field):
    # Bug fixed: PostgreSQL text cannot hold NUL; it was accepted and then broke the caseload projection.
    household_id = register(client)
    assert_invalid(post(client, household_id, path, body), field)


def test_a_household_named_with_a_nul_character_cannot_break_the_caseload(live_client):
    assert_invalid(live_client.post("/api/households", json={"label": "Fam.\x00Jansen", "team": "Noord"}),
                   "body.label")
    position = live_client.post("/api/households", json={"label": "Fam. Jansen",
                                                         "team": "Wijkteam Noord"}).json()["position"]
    assert [row["label"] for row in live_client.get(f"/api/households?after={position}").json()["items"]] == [
        "Fam. Jansen"]


# ---- ETag and If-Match ---------------------------------------------------------


def test_a_household_answers_with_its_version_as_etag(client):
    household_id = register(client)
    response = client.get(f"/api/households/{household_id}")
    assert response.headers["ETag"] == f'"{response.json()["version"]}"' == '"2"'


@pytest.mark.parametrize("route", [ROUTES[0], *COMMANDS], ids=str)
def test_every_write_answers_its_new_version_as_etag_and_its_store_position(client, households, route):
    household_id, url = prepared(client, route) if route.per_household else (None, route.path)
    before = version_of(client, household_id) if household_id else 0
    response = acting(client, route).post(url, json=route.body())
    assert response.status_code == route.status, response.text
    result = response.json()
    household_id = household_id or result["household_id"]
    assert result["household_id"] == household_id
    assert result["version"] > before
    assert response.headers["ETag"] == f'"{result["version"]}"'
    assert result["position"] == households.recorder.max_notification_id()
    assert client.get(f"/api/households/{household_id}").headers["ETag"] == response.headers["ETag"]


@pytest.mark.parametrize("route", COMMANDS, ids=str)
def test_a_write_on_a_stale_etag_gets_412_and_writes_nothing(client, route):
    household_id = register(client)
    seen = client.get(f"/api/households/{household_id}").headers["ETag"]
    _, url = prepared(client, route, household_id)  # someone else writes meanwhile (closes it, sets a goal, …)
    if version_of(client, household_id) == int(seen.strip('"')):
        write(client, household_id, "signals", {"source": "huisarts"}, headers=BRAM)
    current = version_of(client, household_id)
    response = acting(client, route).post(url, json=route.body(), headers={"If-Match": seen})
    body = assert_problem(response, 412)
    assert body["current_version"] == current
    assert response.headers["ETag"] == f'"{current}"'
    assert version_of(client, household_id) == current


@pytest.mark.parametrize("route", COMMANDS, ids=str)
def test_a_write_on_the_current_etag_succeeds(client, route):
    household_id, url = prepared(client, route)
    seen = client.get(f"/api/households/{household_id}").headers["ETag"]
    response = acting(client, route).post(url, json=route.body(), headers={"If-Match": seen})
    assert response.status_code == route.status, response.text
    assert response.json()["version"] > int(seen.strip('"'))


@pytest.mark.parametrize("if_match", ['W/"{v}"', "{v}", "*", ' "{v}" '])
def test_if_match_takes_a_weak_or_bare_tag_and_a_star(client, if_match):
    household_id = register(client)
    version = version_of(client, household_id)
    response = post(client, household_id, "contacts", {"kind": "telefonisch"},
                    headers={"If-Match": if_match.format(v=version)})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("if_match", ["abc", '""', '"2", "3"', '"-1"', '"1.5"', "W/abc", '"0x2"', '"2 "'])
def test_a_malformed_if_match_is_a_bad_request_and_writes_nothing(client, if_match):
    household_id = register(client)
    body = assert_problem(post(client, household_id, "contacts", {"kind": "telefonisch"},
                               headers={"If-Match": if_match}), 400)
    assert "If-Match" in body["detail"]
    assert version_of(client, household_id) == 2


def test_an_if_match_with_a_non_ascii_digit_is_a_bad_request_not_a_crash(client):
    # Bug fixed: '"²"'.isdigit() is true but int("²") raises, so this header was a 500. The test client
    # re-encodes header bytes as UTF-8, so the raw latin-1 byte is sent straight to the ASGI app.
    household_id = register(client)

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as raw:
            return await raw.post(f"/api/households/{household_id}/contacts", json={"kind": "telefonisch"},
                                  headers={**ANNA, "If-Match": b'"\xb2"'})

    assert_problem(asyncio.run(send()), 400)
    assert version_of(client, household_id) == 2


def test_simultaneous_intent_commands_all_land(client, households):
    # Without If-Match a write is an intent: a version race is retried, so nobody's note is lost.
    household_id = register(client)
    responses = in_threads(8, lambda i: post(client, household_id, "contacts", {"kind": "telefonisch",
                                                                                "summary": f"notitie {i}"}))
    assert [r.status_code for r in responses] == [201] * 8
    assert sorted(r.json()["version"] for r in responses) == list(range(3, 11))
    assert version_of(client, household_id) == 10
    assert kinds(households, household_id).count("ContactRecorded") == 8


def test_simultaneous_conditional_writes_on_one_etag_let_exactly_one_through(client):
    household_id = register(client)
    responses = in_threads(6, lambda i: post(client, household_id, "contacts", {"kind": "telefonisch"},
                                             headers={"If-Match": '"2"'}))
    assert sorted(r.status_code for r in responses) == [201] + [412] * 5
    assert version_of(client, household_id) == 3


def test_a_raced_intent_is_decided_again_on_the_new_state(client):
    household_id = register(client)
    responses = in_threads(4, lambda i: post(client, household_id, "coordinator", {"coordinator": "bram"}))
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    assert all(r.json()["rule"] == "one coordinator at a time" for r in responses if r.status_code == 409)


def test_a_failing_database_is_a_503_with_retry_after(client, monkeypatch):
    from eventsourcing.persistence import OperationalError

    def unreachable(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("connection refused")

    household_id = register(client)
    monkeypatch.setattr(client.app.state.households, "get", unreachable)
    for response in (client.get(f"/api/households/{household_id}"),
                     post(client, household_id, "contacts", {"kind": "telefonisch"})):
        body = assert_problem(response, 503)
        assert response.headers["Retry-After"] == "5"
        assert "connection refused" not in body["detail"]


# ---- Idempotency-Key -------------------------------------------------------------


def test_a_retried_contact_with_the_same_key_answers_the_first_answer_and_records_it_once(client, households):
    household_id = register(client)
    key = {"Idempotency-Key": "phone-7f3a-0001"}
    first = post(client, household_id, "contacts", {"kind": "huisbezoek", "summary": "Post doorgenomen"}, headers=key)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    position = households.recorder.max_notification_id()

    retry = post(client, household_id, "contacts", {"kind": "huisbezoek", "summary": "Post doorgenomen"}, headers=key)
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert version_of(client, household_id) == first.json()["version"]
    assert households.recorder.max_notification_id() == position
    assert kinds(households, household_id).count("ContactRecorded") == 1


@pytest.mark.parametrize("route", [ROUTES[0], *COMMANDS], ids=str)
def test_every_write_retried_with_its_key_records_nothing_twice(client, households, route):
    _, url = prepared(client, route) if route.per_household else (None, route.path)
    body = route.body()
    first = acting(client, route).post(url, json=body, headers={"Idempotency-Key": f"retry-{route.path}"})
    assert first.status_code == route.status, first.text
    position = households.recorder.max_notification_id()
    retry = acting(client, route).post(url, json=body, headers={"Idempotency-Key": f"retry-{route.path}"})
    assert (retry.status_code, retry.json()) == (route.status, first.json())
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert households.recorder.max_notification_id() == position


def test_a_registration_retried_with_its_key_registers_one_household(client, households):
    key = {"Idempotency-Key": "register-fam-jansen"}
    first = client.post("/api/households", json={"label": "Fam. Jansen", "team": "Noord"}, headers=key)
    retry = client.post("/api/households", json={"label": "Fam. Jansen", "team": "Noord"}, headers=key)
    assert retry.json() == first.json()
    assert retry.headers["Location"] == first.headers["Location"]
    assert households.recorder.max_notification_id() == first.json()["position"]


def test_the_same_key_with_another_body_is_refused_and_writes_nothing(client):
    household_id = register(client)
    key = {"Idempotency-Key": "k-1"}
    write(client, household_id, "contacts", {"kind": "huisbezoek"}, headers=key)
    version = version_of(client, household_id)
    body = assert_problem(post(client, household_id, "contacts", {"kind": "telefonisch"}, headers=key), 422)
    assert "Idempotency-Key" in body["detail"]
    assert_problem(post(client, household_id, "signals", {"source": "huisarts"}, headers=key), 422)
    assert version_of(client, household_id) == version


def test_the_same_key_of_another_user_is_another_request(client, households):
    household_id = register(client)
    first = write(client, household_id, "contacts", {"kind": "huisbezoek"}, headers={"Idempotency-Key": "k-1"})
    response = post(client, household_id, "contacts", {"kind": "huisbezoek"},
                    headers={**BRAM, "Idempotency-Key": "k-1"})
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert response.json()["version"] == first["version"] + 1
    assert response.json()["item_id"] != first["item_id"]
    contacts = [e for e in events(households, household_id) if type(e).__name__ == "ContactRecorded"]
    assert [e.actor for e in contacts] == ["anna", "bram"]


def test_a_conditional_write_retried_after_it_succeeded_gets_its_answer_not_a_412(client):
    household_id = register(client)
    headers = {"If-Match": '"2"', "Idempotency-Key": "k-cond"}
    first = post(client, household_id, "contacts", {"kind": "eropaf"}, headers=headers)
    retry = post(client, household_id, "contacts", {"kind": "eropaf"}, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()


def test_a_refused_command_is_not_remembered_under_its_key(client):
    household_id = register(client)
    headers = {"Idempotency-Key": "k-refused"}
    for _ in range(2):
        assert_refused(post(client, household_id, "escalations", {"to_level": "waakvlam", "reason": "rustig"},
                            headers=headers), "escalate only upward")
    # The key was not spent on the refusal: the corrected command goes through under it.
    response = post(client, household_id, "escalations", {"to_level": "crisis", "reason": "ontruiming"},
                    headers=headers)
    assert response.status_code == 200 and "Idempotent-Replayed" not in response.headers


def test_simultaneous_retries_with_one_key_record_once(client, households):
    household_id = register(client)

    def send(i: int) -> httpx.Response:
        return post(client, household_id, "contacts", {"kind": "huisbezoek"}, headers={"Idempotency-Key": "k-race"})

    responses = in_threads(6, send)
    assert {r.status_code for r in responses} == {201}
    assert all(r.json() == responses[0].json() for r in responses)
    assert sum("Idempotent-Replayed" not in r.headers for r in responses) == 1
    assert kinds(households, household_id).count("ContactRecorded") == 1


@pytest.mark.parametrize(("key", "field"), [("", "header.Idempotency-Key"), ("k" * 201, "header.Idempotency-Key")])
def test_an_idempotency_key_of_the_wrong_size_is_refused_by_name(client, key, field):
    household_id = register(client)
    assert_invalid(post(client, household_id, "contacts", {"kind": "huisbezoek"},
                        headers={"Idempotency-Key": key}), field)


# ---- who is asking ---------------------------------------------------------------


@pytest.mark.parametrize("route", [r for r in ROUTES if not r.public], ids=str)
def test_every_route_needs_a_token(client, route):
    household_id = register(client)
    anonymous = TestClient(client.app)
    url = route.url(household_id)
    response = anonymous.request(route.method, url, json=route.body() if route.body else None)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("authorization", ["Bearer nobody", "Bearer ", "Basic ZGV2LWFubmE6", "dev-anna",
                                           "Bearer dev-anna extra"])
def test_an_unknown_or_malformed_token_is_refused(client, authorization):
    response = client.get("/api/households", headers={"Authorization": authorization})
    assert_problem(response, 401)
    assert "WWW-Authenticate" in response.headers


def test_outside_demo_mode_the_demo_tokens_are_refused(settings):
    with TestClient(create_app(settings.model_copy(update={"demo": False})), headers=ANNA) as production:
        for method, url in [("GET", "/api/households"), ("GET", f"/api/households/{UNKNOWN_HOUSEHOLD}"),
                            ("POST", "/api/households")]:
            response = production.request(method, url, json={"label": "Fam. Jansen", "team": "Noord"})
            assert_problem(response, 401)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_outside_demo_mode_nothing_is_written_with_a_demo_token(settings, households):
    with TestClient(create_app(settings.model_copy(update={"demo": False})), headers=ANNA) as production:
        production.post("/api/households", json={"label": "Fam. Jansen", "team": "Noord"})
    assert households.recorder.max_notification_id() in (None, 0)


def test_the_actor_of_every_event_is_the_principal_that_asked(client, households):
    household_id = register(client)
    write(client, household_id, "coordinator", {"coordinator": "bram"}, headers={"Authorization": "Bearer dev-carla"})
    write(client, household_id, "contacts", {"kind": "huisbezoek"}, headers=BRAM)
    actors = [(type(e).__name__, e.actor) for e in events(households, household_id)]
    assert actors == [("Registered", "anna"), ("CheckInScheduled", "anna"), ("CoordinatorAssigned", "carla"),
                      ("ContactRecorded", "bram")]


def test_a_body_cannot_pose_as_another_actor(client, households):
    household_id = register(client)
    assert_invalid(post(client, household_id, "contacts", {"kind": "huisbezoek", "actor": "dirk"}), "body.actor")
    assert {e.actor for e in events(households, household_id)} == {"anna"}


def test_the_request_id_comes_back(client):
    response = client.get("/api/households/not-a-uuid", headers={"X-Request-Id": "req-123"})
    assert response.headers["X-Request-Id"] == "req-123"
