"""Who may do what (issue 5, api/authz.py): every route of the OpenAPI document with every role, on a
household of Wijkteam Noord, against an explicit table; and emergency access ("break the glass")."""

from __future__ import annotations

from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from tests.api.support import ROUTES, Route, assert_problem, register, request_for

NOORD = "Wijkteam Noord"
TOKENS = {  # role -> demo token (api/auth.py); the household is of Wijkteam Noord
    "generalist": "dev-anna", "coordinator": "dev-bram", "team_lead": "dev-carla",
    "generalist_elsewhere": "dev-kees", "coordinator_elsewhere": "dev-ruben", "team_lead_elsewhere": "dev-ingrid",
    "privacy_officer": "dev-dirk", "administrator": "dev-admin", "partner": "dev-petra",
}
TEAM = ("generalist", "coordinator", "team_lead")
ELSEWHERE = ("generalist_elsewhere", "coordinator_elsewhere", "team_lead_elsewhere")
CARE = TEAM + ELSEWHERE
STAFF = (*CARE, "privacy_officer", "administrator")
EVERYONE = (*STAFF, "partner")
EMERGENCY = {"X-Emergency-Access": "Acute zorgen, eigen team onbereikbaar"}

# Who is allowed each route that is not on one household (everyone else: 403). Per-household routes: the
# household's own team (TEAM); the privacy officer on its history, access log and export; erasure: the privacy
# officer alone; nobody else without emergency access.
NOT_PER_HOUSEHOLD: dict[tuple[str, str], tuple[str, ...]] = {
    ("POST", "/api/households"): CARE,
    ("GET", "/api/households"): CARE,
    ("GET", "/api/schedule"): CARE,
    ("GET", "/api/integrity"): ("privacy_officer", "administrator"),
    ("GET", "/api/integrity/checkpoints"): ("privacy_officer", "administrator"),
    ("POST", "/api/integrity/checkpoints"): ("privacy_officer", "administrator"),
    ("GET", "/api/teams/{team}/policy"): STAFF,
    ("PUT", "/api/teams/{team}/policy"): ("team_lead", "administrator"),  # of the household's team, Noord
    ("POST", "/api/signals"): EVERYONE,
    ("GET", "/api/signals"): (*CARE, "partner"),  # a team: its own and unassigned signals; a partner: its reports
    ("GET", "/api/signals/{signal_id}"): CARE,  # a partner: only its own (404 for this one of anna's)
    ("POST", "/api/signals/{signal_id}/triage"): CARE,
    ("POST", "/api/signals/{signal_id}/erasure"): ("privacy_officer",),  # as a household's erasure
    ("GET", "/api/notifications"): STAFF,
    ("POST", "/api/notifications/read"): STAFF,
    ("POST", "/api/notifications/{notification_id}/read"): STAFF,
    ("POST", "/api/calendar"): STAFF,
    ("DELETE", "/api/calendar"): STAFF,
    ("GET", "/api/retention/reports"): ("privacy_officer",),
    ("POST", "/api/retention/reports/{report_id}/confirmation"): ("privacy_officer",),  # an unknown report: 404
    ("GET", "/api/staff"): ("administrator", "privacy_officer", "team_lead", "team_lead_elsewhere"),
    ("POST", "/api/staff"): ("administrator",),
    ("GET", "/api/staff/{user_id}"): ("administrator", "privacy_officer", "team_lead"),
    ("POST", "/api/staff/{user_id}/roles"): ("administrator", "team_lead"),
    ("POST", "/api/staff/{user_id}/revocations"): ("administrator", "team_lead"),
    ("POST", "/api/staff/{user_id}/team"): ("administrator",),
}
HOUSEHOLD = "/api/households/{household_id}"
ERASURE = ("POST", f"{HOUSEHOLD}/erasure")
AUDIT = {("GET", f"{HOUSEHOLD}/history"), ("GET", f"{HOUSEHOLD}/access-log"), ("GET", f"{HOUSEHOLD}/export"),
         ("GET", f"{HOUSEHOLD}/export.html")}
PARTNER_NOT_FOUND = {("GET", "/api/signals/{signal_id}")}  # someone else's report is none of the partner's


def allowed(route: Route, role: str) -> bool:
    if route.key == ERASURE:
        return role == "privacy_officer"
    if route.per_household:
        return role in TEAM or (role == "privacy_officer" and route.key in AUDIT)
    return role in NOT_PER_HOUSEHOLD[route.key]


def _as(client: TestClient, role: str) -> TestClient:
    return TestClient(client.app, headers={"Authorization": f"Bearer {TOKENS[role]}"})


def _request(client: TestClient, role: str, route: Route, headers: dict[str, str] | None = None):
    household_id, url, params = request_for(client, route, NOORD)
    return household_id, _as(client, role).request(route.method, url, json=route.body() if route.body else None,
                                                   params=params, headers=headers or {})


def test_the_table_covers_every_route():
    assert {r.key for r in ROUTES if not r.public and not r.per_household} == set(NOT_PER_HOUSEHOLD)


@pytest.mark.parametrize("route", [r for r in ROUTES if not r.public], ids=str)
def test_every_role_on_every_route(client, route):
    for role in EVERYONE:
        _, response = _request(client, role, route)
        if allowed(route, role):
            assert response.status_code == route.status, (role, response.text)
        elif role == "partner" and route.key in PARTNER_NOT_FOUND:
            assert_problem(response, 404)
        else:
            body = assert_problem(response, 403)
            assert role, body["detail"]


@pytest.mark.parametrize("route", [r for r in ROUTES if r.per_household and r.key != ERASURE], ids=str)
def test_outside_the_team_only_by_emergency_access_which_is_allowed_and_flagged(client, route):
    for role in ELSEWHERE:
        household_id, response = _request(client, role, route, EMERGENCY)
        assert response.status_code == route.status, (role, response.text)
        access_log = client.app.state.access_log
        rows = [r for r in access_log.entries(UUID(household_id)) if r["user_id"] == TOKENS[role][4:]]
        assert rows and all(r["emergency"] and r["authorised"] and not r["care_relationship"] for r in rows)
        assert rows[-1]["emergency_reason"] == EMERGENCY["X-Emergency-Access"]


def test_an_emergency_access_is_told_to_the_team_lead_and_the_privacy_officer_once_a_day(client):
    lead = _as(client, "team_lead").put(f"/api/teams/{NOORD}/policy", json={"team_lead": "carla"})
    assert lead.status_code == 200, lead.text
    household_id = register(client, label="Fam. Visser")
    kees = _as(client, "generalist_elsewhere")
    for path in ("", "/check-ins", "/export"):  # one emergency, several pages of the file
        assert kees.get(f"/api/households/{household_id}{path}", headers=EMERGENCY).status_code == 200

    for role in ("team_lead", "privacy_officer"):
        items = _as(client, role).get("/api/notifications").json()["items"]
        alerts = [(i["kind"], i["household_id"], i["label"], i["title"])
                  for i in items if i["kind"] == "emergency_access"]
        assert alerts == [("emergency_access", household_id, "Fam. Visser",
                           f"Noodtoegang door kees (Wijkteam Zuid): {EMERGENCY['X-Emergency-Access']}")], role
    for role in ("generalist", "coordinator", "generalist_elsewhere"):  # nobody else, not the user either
        items = _as(client, role).get("/api/notifications").json()["items"]
        assert not [i for i in items if i["kind"] == "emergency_access"], role


@pytest.mark.parametrize("role", CARE)
def test_erasure_is_the_privacy_officers_decision_not_the_teams_even_in_an_emergency(client, households, role):
    household_id = register(client)
    before = households.get(UUID(household_id)).version
    response = _as(client, role).post(f"/api/households/{household_id}/erasure", headers=EMERGENCY,
                                      json={"reason": "Verzoek van betrokkene"})
    assert "privacy officer" in assert_problem(response, 403)["detail"]
    assert households.get(UUID(household_id)).version == before
    access_log = client.app.state.access_log
    tried = [r for r in access_log.entries(UUID(household_id)) if r["route"] == ERASURE[1]]
    assert [(r["user_id"], r["action"], r["authorised"]) for r in tried] == [(TOKENS[role][4:], "delete", False)]


@pytest.mark.parametrize("role", ["privacy_officer", "administrator", "partner"])
def test_emergency_access_is_for_care_workers_only(client, role):
    household_id = register(client)
    response = _as(client, role).get(f"/api/households/{household_id}", headers=EMERGENCY)
    assert_problem(response, 403)


def test_a_coordinator_sees_the_households_they_coordinate_in_another_team(client):
    household_id = register(client)
    ruben = _as(client, "coordinator_elsewhere")
    assert_problem(ruben.get(f"/api/households/{household_id}"), 403)
    refused = client.post(f"/api/households/{household_id}/coordinator", json={"coordinator": "ruben"})
    assert_problem(refused, 409)  # ruben is of Zuid: that shares the file outside Noord, which needs consent
    assert "consent for Wijkteam Zuid" in refused.json()["detail"]
    client.post(f"/api/households/{household_id}/consents", json={
        "given_by": "Sanne Jansen", "party": "Wijkteam Zuid", "purpose": "Regie vanuit Zuid na verhuizing"})
    response = client.post(f"/api/households/{household_id}/coordinator", json={"coordinator": "ruben"})
    assert response.status_code == 200, response.text
    assert ruben.get(f"/api/households/{household_id}").status_code == 200
    (*_, last) = client.app.state.access_log.entries(UUID(household_id))
    assert (last["user_id"], last["care_relationship"], last["emergency"]) == ("ruben", True, False)


def test_a_denied_attempt_is_logged_too(client):
    household_id = register(client)
    assert_problem(_as(client, "generalist_elsewhere").get(f"/api/households/{household_id}/plan"), 403)
    (*_, last) = client.app.state.access_log.entries(UUID(household_id))
    assert (last["user_id"], last["action"], last["authorised"]) == ("kees", "read", False)
