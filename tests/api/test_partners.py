"""Partner accounts (a housing corporation, home care, a GP, ...): they report
signals and follow the status of their own reports, and do nothing else. Every
route of the OpenAPI document that takes a token is walked with a partner's
(a public route, such as the calendar feed behind its secret address, takes none)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.support import ROUTES, assert_problem, register

PETRA = {"Authorization": "Bearer dev-petra"}
INTAKE = {("POST", "/api/signals"), ("GET", "/api/signals"), ("GET", "/api/signals/{signal_id}")}
A_REPORT = {"source": "housing_corporation", "reporter_name": "Woonstad Noord", "about_name": "Fam. Jansen",
            "about_address": "Dorpsstraat 12", "team": "Wijkteam Noord", "description": "Huurachterstand",
            "urgency": "high"}


def as_partner(client: TestClient) -> TestClient:
    return TestClient(client.app, headers=PETRA)


def report(client: TestClient, **fields) -> str:
    response = client.post("/api/signals", json={**A_REPORT, **fields})
    assert response.status_code == 201, response.text
    return response.json()["signal_id"]


@pytest.mark.parametrize("route", [route for route in ROUTES if not route.public], ids=str)
def test_a_partner_may_report_and_follow_its_own_reports_and_nothing_else(client, households, route):
    partner = as_partner(client)
    household_id = register(client)
    # The route's own preparation (by the team), or, for a report of the partner's, the partner's.
    ids = route.prepare(partner if route.key in INTAKE else client, household_id)
    url = route.url(household_id, *ids.values())
    position = households.recorder.max_notification_id()

    response = partner.request(route.method, url, json=route.body() if route.body else None)

    if route.key in INTAKE:
        assert response.status_code == route.status, response.text
    else:
        body = assert_problem(response, 403)
        assert "partner" in body["detail"]
        assert households.recorder.max_notification_id() == position  # nothing written


def test_a_partner_sees_its_own_reports_and_nobody_elses(client, households, signals_worker):
    partner = as_partner(client)
    own = report(partner, about_name="Fam. Jansen")
    other = report(client, about_name="Fam. Bakker", source="team")
    after = {"after": households.recorder.max_notification_id()}

    listed = partner.get("/api/signals", params=after).json()["items"]
    assert [item["signal_id"] for item in listed] == [own]
    assert partner.get(f"/api/signals/{own}").status_code == 200
    body = assert_problem(partner.get(f"/api/signals/{other}"), 404)  # as if it did not exist
    assert other in body["detail"]
    assert {item["signal_id"] for item in client.get("/api/signals", params=after).json()["items"]} == {own, other}


def test_a_partner_sees_that_its_report_was_taken_up_but_not_how(client):
    partner = as_partner(client)
    linked, dismissed, waiting = report(partner), report(partner), report(partner)
    household_id = register(client)
    write_triage(client, linked, {"action": "link", "household_id": household_id})
    write_triage(client, dismissed, {"action": "dismiss", "reason": "Bekend bij de schuldhulpverlening"})

    statuses = {signal_id: partner.get(f"/api/signals/{signal_id}").json()
                for signal_id in (linked, dismissed, waiting)}

    assert [(s["status"], s["triaged"]) for s in statuses.values()] == [
        ("triaged", True), ("triaged", True), ("received", False)]
    for status in statuses.values():
        assert set(status) == {"signal_id", "version", "status", "triaged", "received_at", "triaged_at",
                               "occurred_at", "source", "about_name", "about_address", "urgency"}
        assert household_id not in str(status) and "schuldhulp" not in str(status)


def test_a_partners_list_shows_the_same_limited_status(client, signals_worker):
    partner = as_partner(client)
    signal_id = report(partner)
    position = write_triage(client, signal_id, {"action": "link", "household_id": register(client)})["position"]

    (item,) = partner.get("/api/signals", params={"after": position}).json()["items"]

    assert (item["signal_id"], item["status"], item["triaged"]) == (signal_id, "triaged", True)
    assert "household_id" not in item and "dismissal_reason" not in item and "description" not in item
    assert partner.get("/api/signals", params={"status": "new", "after": position}).json()["items"] == []
    for how in ("linked", "dismissed"):
        assert_problem(partner.get("/api/signals", params={"status": how}), 403)


def test_a_partner_cannot_triage_nor_touch_a_household(client, households):
    partner = as_partner(client)
    signal_id = report(partner)
    household_id = register(client)
    position = households.recorder.max_notification_id()

    for response in (partner.post(f"/api/signals/{signal_id}/triage", json={"action": "dismiss", "reason": "x"}),
                     partner.post(f"/api/households/{household_id}/contacts", json={"kind": "eropaf"}),
                     partner.get(f"/api/households/{household_id}"),
                     partner.get("/api/households")):
        assert_problem(response, 403)
    assert households.recorder.max_notification_id() == position


def test_a_partner_reports_as_a_partner_not_as_the_team(client, households):
    body = assert_problem(as_partner(client).post("/api/signals", json={**A_REPORT, "source": "team"}), 422)
    assert body["errors"][0]["field"] == "body.source"
    assert households.recorder.max_notification_id() in (None, 0)


def test_a_partners_retried_report_with_its_key_lands_once(client, households):
    partner = as_partner(client)
    key = {"Idempotency-Key": "woonstad-melding-17"}
    first = partner.post("/api/signals", json=A_REPORT, headers=key)
    retry = partner.post("/api/signals", json=A_REPORT, headers=key)
    assert retry.json() == first.json() and retry.headers["Idempotent-Replayed"] == "true"
    # The same key is the team's own, another request.
    assert client.post("/api/signals", json=A_REPORT, headers=key).json()["signal_id"] != first.json()["signal_id"]
    assert households.recorder.max_notification_id() == 2


def write_triage(client: TestClient, signal_id: str, body: dict) -> dict:
    response = client.post(f"/api/signals/{signal_id}/triage", json=body)
    assert response.status_code == 200, response.text
    return response.json()

