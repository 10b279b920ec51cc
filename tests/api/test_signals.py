"""Signals over HTTP: a partner reports, the team finds it in its inbox and
triages it once (link, register, dismiss), and sees its eropaf."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.support import (
    UNKNOWN_HOUSEHOLD,
    assert_invalid,
    assert_problem,
    assert_refused,
    days_from_today,
    events,
    garbage_bodies,
    kinds,
    last_event,
    next_check_in,
    register,
    server_errors,
    summary,
    write,
)

PETRA = {"Authorization": "Bearer dev-petra"}
CARLA = {"Authorization": "Bearer dev-carla"}
UNKNOWN_SIGNAL = "5b0e3c1e-0000-4000-8000-000000000000"
A_REPORT = {"source": "housing_corporation", "reporter_name": "Woonstad Noord", "reporter_contact": "010 1234567",
            "about_name": "Fam. Jansen", "about_address": "Dorpsstraat 12", "team": "Wijkteam Noord",
            "life_domains": ["housing", "finances"], "description": "Huurachterstand van drie maanden",
            "urgency": "high"}


NOW = datetime.now(UTC).replace(microsecond=0)  # the stories' moments are exact to the hour from here


def hours_ago(hours: float) -> str:
    return (NOW - timedelta(hours=hours)).isoformat()


def report(client: TestClient, headers: dict[str, str] = PETRA, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/signals", json={**A_REPORT, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def triage(client: TestClient, signal_id: str, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
    return client.post(f"/api/signals/{signal_id}/triage", json=body, **kwargs)


def triaged(client: TestClient, signal_id: str, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    response = triage(client, signal_id, body, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def signal(client: TestClient, signal_id: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/signals/{signal_id}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def inbox(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/api/signals", params=params)
    assert response.status_code == 200, response.text
    return response.json()


# ---- intake ---------------------------------------------------------------------------


def test_a_partners_report_lands_as_a_new_signal_with_its_id_version_and_position(client, households):
    response = client.post("/api/signals", json={**A_REPORT, "occurred_at": hours_ago(20)}, headers=PETRA)

    assert response.status_code == 201, response.text
    result = response.json()
    signal_id = result["signal_id"]
    assert UUID(signal_id)
    assert (result["version"], result["household_id"], result["household_version"]) == (1, None, None)
    assert result["position"] == households.recorder.max_notification_id()
    assert response.headers["Location"] == f"/api/signals/{signal_id}"
    assert response.headers["ETag"] == '"1"'
    (reported,) = events(households, signal_id)
    assert (type(reported).__name__, reported.actor, reported.source) == ("SignalReported", "petra",
                                                                          "housing_corporation")

    found = signal(client, signal_id)
    assert (found["status"], found["reported_by"], found["about_name"], found["urgency"]) == (
        "new", "petra", "Fam. Jansen", "high")
    assert found["life_domains"] == ["finances", "housing"]
    assert (found["household_id"], found["first_contact_at"], found["eropaf_hours"]) == (None, None, None)


def test_a_partner_of_one_neighbourhood_reports_to_its_team_unless_it_names_another(client, households):
    wouter = {"Authorization": "Bearer dev-wouter"}  # the wijkagent of Noord
    report = {key: value for key, value in A_REPORT.items() if key != "team"} | {"source": "police"}
    signal_id = client.post("/api/signals", json=report, headers=wouter).json()["signal_id"]
    assert [event.team for event in events(households, signal_id)] == ["Wijkteam Noord"]

    elsewhere = client.post("/api/signals", json={**report, "team": "Wijkteam Zuid"}, headers=wouter).json()
    assert [event.team for event in events(households, elsewhere["signal_id"])] == ["Wijkteam Zuid"]


def test_the_team_reports_what_it_saw_itself_with_just_an_address(client):
    result = report(client, headers={}, source="team", about_name="", about_address="Kerkstraat 3",
                    description="Brievenbus puilt uit", team=None, life_domains=[], urgency="normal")
    found = signal(client, result["signal_id"])
    assert (found["source"], found["reported_by"], found["team"]) == ("team", "anna", None)


@pytest.mark.parametrize(("body", "field"), [
    ({"description": None}, "body.description"),
    ({"description": "   "}, "body.description"),
    ({"about_name": "", "about_address": ""}, "body.about_name"),
    ({"source": "woningcorporatie"}, "body.source"),
    ({"urgency": "hoog"}, "body.urgency"),
    ({"life_domains": ["geld"]}, "body.life_domains.0"),
    ({"occurred_at": "2026-01-05T10:30:00"}, "body.occurred_at"),
    ({"team": ""}, "body.team"),
    ({"about_name": "Fam.\x00Jansen"}, "body.about_name"),
    ({"household_id": UNKNOWN_HOUSEHOLD}, "body.household_id"),
])
def test_a_report_with_bad_input_is_refused_naming_the_field(client, households, body, field):
    assert_invalid(client.post("/api/signals", json={**A_REPORT, **body}, headers=PETRA), field)
    assert households.recorder.max_notification_id() in (None, 0)


def test_a_signal_seen_in_the_future_breaks_a_rule(client, households):
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert_refused(client.post("/api/signals", json={**A_REPORT, "occurred_at": tomorrow}, headers=PETRA),
                   "nothing is recorded as having happened in the future")
    assert households.recorder.max_notification_id() in (None, 0)


def test_a_report_retried_with_its_key_lands_once(client, households):
    key = {**PETRA, "Idempotency-Key": "woonstad-2026-0042"}
    first = client.post("/api/signals", json=A_REPORT, headers=key)
    retry = client.post("/api/signals", json=A_REPORT, headers=key)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers["Location"] == first.headers["Location"]
    assert households.recorder.max_notification_id() == first.json()["position"] == 1


# ---- the inbox ---------------------------------------------------------------------------


def test_the_teams_inbox_is_most_urgent_first_and_filters_on_status_team_and_urgency(client, signals_worker):
    low = report(client, urgency="low", occurred_at=hours_ago(1))["signal_id"]
    acute = report(client, urgency="acute", team="Wijkteam Zuid", occurred_at=hours_ago(30))["signal_id"]
    high_old = report(client, urgency="high", occurred_at=hours_ago(48))["signal_id"]
    high_new = report(client, urgency="high", occurred_at=hours_ago(2))["signal_id"]
    position = triaged(client, high_old, {"action": "dismiss", "reason": "Al bekend"})["position"]

    everything = inbox(client, after=position)  # anna's: her team's (Noord), not Zuid's (api/authz.py)
    assert [item["signal_id"] for item in everything["items"]] == [high_new, high_old, low]
    assert everything["next_cursor"] is None
    assert [i["signal_id"] for i in inbox(client, status="new", team="Wijkteam Noord")["items"]] == [high_new, low]
    assert [i["signal_id"] for i in inbox(client, status="dismissed")["items"]] == [high_old]
    assert [i["signal_id"] for i in inbox(client, urgency="acute")["items"]] == []
    kees = {"Authorization": "Bearer dev-kees"}  # of Wijkteam Zuid
    assert [i["signal_id"] for i in client.get("/api/signals", headers=kees).json()["items"]] == [acute]
    assert_problem(client.get("/api/signals", params={"team": "Wijkteam Zuid"}), 403)
    first = inbox(client, limit=2)
    rest = inbox(client, limit=2, cursor=first["next_cursor"])
    assert [i["signal_id"] for i in first["items"] + rest["items"]] == [high_new, high_old, low]


@pytest.mark.parametrize("query", ["status=open", "urgency=hoog", "limit=0", "limit=201", "after=-1", "team=%00",
                                   "cursor=bm90IGEgY3Vyc29y", "cursor=" + "A" * 300, "cursor=%00", "team=" + "x" * 101])
def test_the_inbox_refuses_garbage_queries(client, query):
    assert server_errors(client, "GET", f"/api/signals?{query}", [None], raw=[]) == []
    assert_problem(client.get(f"/api/signals?{query}"), 422)


# ---- triage: link ------------------------------------------------------------------------


def test_a_linked_signal_is_recorded_on_the_household_and_brings_its_check_in_forward(client, households):
    household_id = register(client, intensity="waakvlam")
    assert next_check_in(client, household_id)["due"] == days_from_today(42)
    signal_id = report(client)["signal_id"]

    result = triaged(client, signal_id, {"action": "link", "household_id": household_id}, headers=CARLA)

    recorded = last_event(households, household_id, "SignalRecorded")
    assert recorded.signal_id == signal_id and recorded.actor == "carla"
    assert (recorded.source, recorded.urgency, recorded.description) == (
        "housing_corporation", "high", "Huurachterstand van drie maanden")
    assert next_check_in(client, household_id)["due"] == days_from_today(3)  # high: within 3 days
    assert (result["signal_id"], result["version"], result["household_id"]) == (signal_id, 2, household_id)
    household = client.get(f"/api/households/{household_id}")
    assert household.headers["ETag"] == f'"{result["household_version"]}"'
    assert result["position"] == households.recorder.max_notification_id()
    found = signal(client, signal_id)
    assert (found["status"], found["household_id"], found["triaged_by"], found["new_household"]) == (
        "linked", household_id, "carla", False)


def test_a_signal_linked_to_an_unknown_or_closed_household_stays_new(client, households):
    signal_id = report(client)["signal_id"]
    closed = register(client)
    write(client, closed, "closure", {"reason_code": "moved"})
    position = households.recorder.max_notification_id()

    body = assert_problem(triage(client, signal_id, {"action": "link", "household_id": UNKNOWN_HOUSEHOLD}), 404)
    assert UNKNOWN_HOUSEHOLD in body["detail"]
    assert_problem(triage(client, signal_id, {"action": "link", "household_id": signal_id}), 404)
    assert_refused(triage(client, signal_id, {"action": "link", "household_id": closed}),
                   "nothing but reopening on a closed household")
    assert households.recorder.max_notification_id() == position
    assert signal(client, signal_id)["status"] == "new"


# ---- triage: register and dismiss ------------------------------------------------------------


def test_a_household_registered_from_a_signal_exists_at_once_with_the_signal_on_it(live_client, households):
    client = live_client
    signal_id = report(client, urgency="acute", occurred_at=hours_ago(5))["signal_id"]

    result = triaged(client, signal_id, {"action": "register", "label": "Fam. Jansen", "intensity": "waakvlam"})

    household_id = result["household_id"]
    household = summary(client, household_id)
    assert (household["label"], household["team"], household["intensity"]) == (
        "Fam. Jansen", "Wijkteam Noord", "waakvlam")
    assert household["version"] == result["household_version"]
    assert household["next_check_in"]["due"] <= days_from_today(1)  # acute
    assert kinds(households, household_id)[:3] == ["Registered", "CheckInScheduled", "SignalRecorded"]
    assert last_event(households, household_id, "SignalRecorded").signal_id == signal_id
    caseload = client.get("/api/households", params={"after": result["position"]}).json()["items"]
    assert [row["household_id"] for row in caseload] == [household_id]
    assert signal(client, signal_id)["new_household"] is True


def test_a_dismissed_signal_needs_a_reason(client):
    signal_id = report(client)["signal_id"]
    assert_invalid(triage(client, signal_id, {"action": "dismiss"}), "body.reason")
    assert_invalid(triage(client, signal_id, {"action": "dismiss", "reason": "  "}), "body.reason")

    triaged(client, signal_id, {"action": "dismiss", "reason": "Valt onder de schuldhulpverlening"})

    found = signal(client, signal_id)
    assert (found["status"], found["dismissal_reason"]) == ("dismissed", "Valt onder de schuldhulpverlening")


@pytest.mark.parametrize(("body", "field"), [
    ({"action": "link"}, "body.household_id"),
    ({"action": "link", "household_id": "not-a-uuid"}, "body.household_id"),
    ({"action": "register"}, "body.label"),
    ({"action": "register", "label": "Fam. Jansen", "intensity": "hoog"}, "body.intensity"),
    ({"action": "dismiss", "reason": "Dubbel", "household_id": UNKNOWN_HOUSEHOLD}, "body.household_id"),
    ({"action": "link", "household_id": UNKNOWN_HOUSEHOLD, "label": "Fam. Jansen"}, "body.label"),
    ({"action": "close", "reason": "Dubbel"}, "body.action"),
    ({"reason": "Dubbel"}, "body.action"),
    ({"action": "dismiss", "reason": "Dubbel", "note": "x"}, "body.note"),
    ({"action": "dismiss", "reason": "Du\x00bbel"}, "body.reason"),
])
def test_a_triage_with_the_wrong_fields_for_its_action_is_invalid(client, households, body, field):
    signal_id = report(client)["signal_id"]
    assert_invalid(triage(client, signal_id, body), field)
    assert signal(client, signal_id)["status"] == "new"


@pytest.mark.parametrize("second", [{"action": "dismiss", "reason": "Toch niet"},
                                    {"action": "register", "label": "Fam. Jansen"}, "link"])
def test_a_signal_is_triaged_once(client, households, second):
    household_id = register(client)
    signal_id = report(client)["signal_id"]
    triaged(client, signal_id, {"action": "link", "household_id": household_id})
    body = {"action": "link", "household_id": register(client)} if second == "link" else second
    position = households.recorder.max_notification_id()

    assert_refused(triage(client, signal_id, body), "a signal is triaged once")
    assert households.recorder.max_notification_id() == position


def test_a_triage_retried_with_its_key_answers_the_first_answer(client, households):
    household_id = register(client)
    signal_id = report(client)["signal_id"]
    key = {"Idempotency-Key": "triage-0042"}
    first = triage(client, signal_id, {"action": "link", "household_id": household_id}, headers=key)
    retry = triage(client, signal_id, {"action": "link", "household_id": household_id}, headers=key)
    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json() and retry.headers["Idempotent-Replayed"] == "true"
    assert kinds(households, household_id).count("SignalRecorded") == 1


def test_a_triage_on_a_stale_etag_gets_412_and_on_the_current_one_goes_through(client):
    signal_id = report(client)["signal_id"]
    seen = client.get(f"/api/signals/{signal_id}").headers["ETag"]
    assert seen == '"1"'
    body = assert_problem(triage(client, signal_id, {"action": "dismiss", "reason": "Dubbel"},
                                 headers={"If-Match": '"2"'}), 412)
    assert body["current_version"] == 1
    triaged(client, signal_id, {"action": "dismiss", "reason": "Dubbel"}, headers={"If-Match": seen})


# ---- unknown ids ---------------------------------------------------------------------------


def test_an_unknown_signal_is_not_found(client):
    household_id = register(client)
    for response in (client.get(f"/api/signals/{UNKNOWN_SIGNAL}"),
                     client.get(f"/api/signals/{household_id}"),
                     triage(client, UNKNOWN_SIGNAL, {"action": "dismiss", "reason": "Dubbel"}),
                     triage(client, household_id, {"action": "dismiss", "reason": "Dubbel"})):
        assert_problem(response, 404)
    assert_invalid(client.get("/api/signals/not-a-uuid"), "path.signal_id")
    assert_invalid(triage(client, "not-a-uuid", {"action": "dismiss", "reason": "Dubbel"}), "path.signal_id")


@pytest.mark.parametrize("path", ["", "/plan", "/plan?as_of={now}", "/timeline", "/history"])
def test_a_signal_is_no_household_on_any_household_route(client, path):
    signal_id = report(client)["signal_id"]
    url = f"/api/households/{signal_id}{path}".format(now=datetime.now(UTC).isoformat().replace("+", "%2B"))
    assert_problem(client.get(url), 404)
    assert_problem(client.post(f"/api/households/{signal_id}/contacts", json={"kind": "eropaf"}), 404)


def test_a_team_is_no_household_either(client, households):
    from domain.team import team_id

    households.set_team_policy("Wijkteam Noord", actor="carla", cadence={"waakvlam": 56})
    for path in ("", "/timeline", "/history"):
        assert_problem(client.get(f"/api/households/{team_id('Wijkteam Noord')}{path}"), 404)


# ---- eropaf ---------------------------------------------------------------------------------


def test_the_eropaf_is_measured_from_the_signal_to_the_first_contact_after_it(client, signals_worker):
    household_id = register(client, intensity="waakvlam", occurred_at=hours_ago(100))
    signal_id = report(client, occurred_at=hours_ago(30))["signal_id"]
    write(client, household_id, "contacts", {"kind": "eropaf", "occurred_at": hours_ago(28)})  # before the triage
    triaged(client, signal_id, {"action": "link", "household_id": household_id})
    position = write(client, household_id, "contacts", {"kind": "huisbezoek", "occurred_at": hours_ago(2)})["position"]

    found = signal(client, signal_id, after=position)
    assert found["eropaf_hours"] == 2.0
    assert datetime.fromisoformat(found["first_contact_at"]) == datetime.fromisoformat(
        found["occurred_at"]) + timedelta(hours=2)
    (listed,) = inbox(client, after=position)["items"]
    assert (listed["first_contact_at"], listed["eropaf_hours"]) == (found["first_contact_at"], 2.0)


def test_a_contact_before_the_signal_is_no_eropaf(client, signals_worker):
    household_id = register(client, occurred_at=hours_ago(10))
    write(client, household_id, "contacts", {"kind": "telefonisch", "occurred_at": hours_ago(3)})
    signal_id = report(client, occurred_at=hours_ago(2))["signal_id"]
    position = triaged(client, signal_id, {"action": "link", "household_id": household_id})["position"]
    found = signal(client, signal_id, after=position)
    assert (found["first_contact_at"], found["eropaf_hours"]) == (None, None)


# ---- no 500 for garbage ------------------------------------------------------------------------


def test_the_intake_survives_a_barrage_of_garbage(client):
    assert server_errors(client, "POST", "/api/signals", garbage_bodies(A_REPORT, A_REPORT)) == []


@pytest.mark.parametrize("valid", [{"action": "link", "household_id": UNKNOWN_HOUSEHOLD},
                                   {"action": "register", "label": "Fam. Jansen", "team": "Noord",
                                    "intensity": "licht"},
                                   {"action": "dismiss", "reason": "Dubbel"}], ids=lambda v: v["action"])
def test_the_triage_survives_a_barrage_of_garbage(client, valid):
    signal_id = report(client)["signal_id"]
    fields = ["action", "household_id", "label", "team", "intensity", "reason"]
    assert server_errors(client, "POST", f"/api/signals/{signal_id}/triage", garbage_bodies(valid, fields)) == []


@pytest.mark.parametrize("signal_id", ["not-a-uuid", "0", "%00", "' OR 1=1 --", "x" * 500, "..",
                                       "7d4f2a6e-0000-4000-8000-00000000000g"])
def test_the_signal_routes_survive_a_garbage_signal_id(client, signal_id):
    assert server_errors(client, "GET", f"/api/signals/{signal_id}", [None], raw=[]) == []
    assert server_errors(client, "POST", f"/api/signals/{signal_id}/triage",
                         [{"action": "dismiss", "reason": "Dubbel"}], raw=[]) == []

