"""A partner's signal has an owner from the first minute (issue 12, section 3): reading it, in the inbox or
on its own, is in the NEN 7513 access log as a household read is (refusals too), with the signal's id as the
file concerned; the privacy officer erases one on request (`POST /api/signals/{id}/erasure`): its key is
destroyed, it leaves the inbox, and its events keep nothing of who reported it, about whom or what was seen;
its team's policy says how long one that led to nothing is kept."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from domain.erasure import REDACTED
from tests.api.support import assert_problem, register

PETRA = {"Authorization": "Bearer dev-petra"}  # a partner: the housing corporation
DIRK = {"Authorization": "Bearer dev-dirk"}  # the privacy officer
KEES = {"Authorization": "Bearer dev-kees"}  # a generalist of Wijkteam Zuid
ERASURE = {"reason": "Verzoek van de melder om de melding te wissen (AVG art. 17)"}
A_REPORT = {"source": "housing_corporation", "reporter_name": "Petra Woonstad", "about_name": "Fam. Kuiper",
            "about_address": "Lindelaan 4", "team": "Wijkteam Noord", "description": "Huurachterstand, post stapelt op",
            "urgency": "high"}
SIGNAL_ROUTE = "/api/signals/{signal_id}"


def report(client: TestClient, headers: dict[str, str] = PETRA, **fields: Any) -> str:
    response = client.post("/api/signals", json={**A_REPORT, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["signal_id"]


def entries(client: TestClient, subject: str) -> list[tuple[str, str, str, bool, bool]]:
    """(user, action, route, authorised, care relationship) of the access-log entries naming `subject`."""
    return [(e["user_id"], e["action"], e["route"], e["authorised"], e["care_relationship"])
            for e in client.app.state.access_log.entries(UUID(subject))]


def erase(client: TestClient, signal_id: str, headers: dict[str, str] = DIRK, **kwargs: Any):
    return client.post(f"/api/signals/{signal_id}/erasure", json=ERASURE, headers=headers, **kwargs)


# ---- reads are logged ----------------------------------------------------------------


def test_reading_one_signal_is_logged_as_a_read_of_that_signal(client):
    signal_id = report(client)
    assert entries(client, signal_id) == []  # reporting it is no read
    assert client.get(f"/api/signals/{signal_id}").status_code == 200  # anna, of its team
    assert client.get(f"/api/signals/{signal_id}", headers=PETRA).status_code == 200  # its reporter: the status

    rows = client.app.state.access_log.entries(UUID(signal_id))
    assert entries(client, signal_id) == [("anna", "read", SIGNAL_ROUTE, True, True),
                                          ("petra", "read", SIGNAL_ROUTE, True, False)]
    assert [str(r["household_id"]) for r in rows] == [signal_id, signal_id]  # the signal is the file concerned


def test_a_refused_read_of_a_signal_is_logged_too(client):
    signal_id = report(client)
    assert_problem(client.get(f"/api/signals/{signal_id}", headers=KEES), 403)  # another team's signal
    sofie = {"Authorization": "Bearer dev-sofie"}  # another partner (a school)
    assert_problem(client.get(f"/api/signals/{signal_id}", headers=sofie), 404)  # someone else's report
    assert entries(client, signal_id) == [("kees", "read", SIGNAL_ROUTE, False, False),
                                          ("sofie", "read", SIGNAL_ROUTE, False, False)]

def test_an_inbox_page_is_one_entry_naming_every_signal_on_it_and_their_households(client, signals_worker):
    household_id = register(client, label="Fam. Kuiper")
    linked, waiting = report(client), report(client, about_name="Fam. Smit")
    response = client.post(f"/api/signals/{linked}/triage", json={"action": "link", "household_id": household_id})
    assert response.status_code == 200, response.text
    position = response.json()["position"]

    page = client.get("/api/signals", params={"after": position})
    assert page.status_code == 200, page.text
    assert {item["signal_id"] for item in page.json()["items"]} == {linked, waiting}

    log = client.app.state.access_log
    (listing,) = [e for e in log.entries(UUID(waiting)) if e["route"] == "/api/signals"]
    assert (listing["user_id"], listing["action"], listing["authorised"], listing["household_id"]) == (
        "anna", "read", True, None)
    assert {str(h) for h in listing["listed"]} == {linked, waiting, household_id}
    assert [e["seq"] for e in log.entries(UUID(household_id)) if e["route"] == "/api/signals"] == [listing["seq"]]
    # The partner's list of its own reports is logged as well (not as care).
    assert client.get("/api/signals", headers=PETRA, params={"after": position}).status_code == 200
    assert ("petra", "read", "/api/signals", True, False) in entries(client, waiting)


# ---- erasure by the privacy officer --------------------------------------------------------


def test_the_privacy_officer_erases_a_signal_which_leaves_nothing_of_its_report(client, households, signals_worker):
    signal_id = report(client)
    response = erase(client, signal_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["signal_id"], body["version"], body["household_id"]) == (signal_id, 2, None)
    assert response.headers["ETag"] == '"2"'

    stored = households.signal_events(UUID(signal_id))
    assert [type(e).__name__ for e in stored] == ["SignalReported", "SignalForgotten"]
    reported, forgotten = stored
    assert (reported.about_name, reported.about_address, reported.reporter_name, reported.description) == (
        REDACTED, REDACTED, REDACTED, REDACTED)
    assert (forgotten.actor, forgotten.reason) == ("dirk", ERASURE["reason"])  # who, and why, stay
    assert households.keyring.for_reading(UUID(signal_id)) is None

    assert "Kuiper" not in erase(client, signal_id).text
    assert_problem(client.get(f"/api/signals/{signal_id}"), 404)
    inbox = client.get("/api/signals", params={"after": body["position"]}).json()["items"]
    assert signal_id not in {item["signal_id"] for item in inbox}
    assert ("dirk", "delete", "/api/signals/{signal_id}/erasure", True, False) in entries(client, signal_id)


def test_a_signal_is_erased_once(client, households):
    signal_id = report(client)
    assert erase(client, signal_id).status_code == 200
    body = assert_problem(erase(client, signal_id), 409)
    assert "already forgotten" in body["detail"]
    assert [type(e).__name__ for e in households.signal_events(UUID(signal_id))].count("SignalForgotten") == 1
    # Nor is it triaged any more.
    assert_problem(client.post(f"/api/signals/{signal_id}/triage", json={"action": "dismiss", "reason": "x"}), 409)


def test_erasing_a_signal_is_the_privacy_officers_alone(client, households):
    signal_id = report(client)
    for headers in ({}, KEES, {"Authorization": "Bearer dev-carla"}, {"Authorization": "Bearer dev-admin"}, PETRA):
        assert_problem(erase(client, signal_id, headers=headers or {"Authorization": "Bearer dev-anna"}), 403)
    assert [type(e).__name__ for e in households.signal_events(UUID(signal_id))] == ["SignalReported"]
    refused = [e for e in entries(client, signal_id) if e[1] == "delete"]
    assert refused and all(not authorised for _, _, _, authorised, _ in refused)


def test_erasing_an_unknown_signal_or_a_household_is_not_found(client):
    assert_problem(erase(client, "5b0e3c1e-0000-4000-8000-000000000000"), 404)
    assert_problem(erase(client, register(client)), 404)  # a household is no signal


def test_an_erasure_says_why_and_may_be_retried_with_its_key(client, households):
    signal_id = report(client)
    no_reason = client.post(f"/api/signals/{signal_id}/erasure", json={}, headers=DIRK)
    assert assert_problem(no_reason, 422)["errors"][0]["field"] == "body.reason"
    key = {**DIRK, "Idempotency-Key": "wis-melding-1"}
    first = client.post(f"/api/signals/{signal_id}/erasure", json=ERASURE, headers=key)
    retry = client.post(f"/api/signals/{signal_id}/erasure", json=ERASURE, headers=key)
    assert first.status_code == retry.status_code == 200 and retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    stale = client.post(f"/api/signals/{report(client)}/erasure", json=ERASURE, headers={**DIRK, "If-Match": '"5"'})
    assert_problem(stale, 412)


def test_a_linked_signal_erased_keeps_the_households_own_record_of_it(client, households):
    household_id = register(client, label="Fam. Kuiper")
    signal_id = report(client)
    assert client.post(f"/api/signals/{signal_id}/triage",
                       json={"action": "link", "household_id": household_id}).status_code == 200
    assert erase(client, signal_id).status_code == 200
    (recorded,) = [e for e in households.history(UUID(household_id)) if type(e).__name__ == "SignalRecorded"]
    assert recorded.description == A_REPORT["description"]  # the household's file, under its own key
    assert households.signal_events(UUID(signal_id))[0].about_name == REDACTED


# ---- the team's policy says how long -----------------------------------------------------------


def test_the_team_policy_has_a_signal_retention_period_of_six_months_by_default(client):
    carla = {"Authorization": "Bearer dev-carla"}
    assert client.get("/api/teams/Wijkteam Noord/policy").json()["signal_retention_months"] == 6
    changed = client.put("/api/teams/Wijkteam Noord/policy", json={"signal_retention_months": 3}, headers=carla)
    assert changed.status_code == 200, changed.text
    assert changed.json()["signal_retention_months"] == 3
    for months in (0, 61, "zes"):
        assert_problem(client.put("/api/teams/Wijkteam Noord/policy", json={"signal_retention_months": months},
                                  headers=carla), 422)
