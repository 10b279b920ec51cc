"""People and roles (domain/staff.py, api/routers/staff.py): registered, granted and revoked with who and why."""

from __future__ import annotations

from tests.api.support import assert_problem, assert_refused, register

ADMIN = {"Authorization": "Bearer dev-admin"}
CARLA = {"Authorization": "Bearer dev-carla"}
INGRID = {"Authorization": "Bearer dev-ingrid"}


def _register(client, user_id="fatima", team="Wijkteam Noord", roles=("generalist",), headers=ADMIN):
    return client.post("/api/staff", headers=headers, json={"user_id": user_id, "team": team, "roles": list(roles),
                                                            "reason": "Nieuw in het team"})


def test_an_administrator_registers_grants_and_revokes_and_every_change_says_who_and_why(client):
    assert _register(client).status_code == 201
    granted = client.post("/api/staff/fatima/roles", headers=ADMIN,
                          json={"role": "coordinator", "reason": "Neemt de regie over van Bram"})
    assert granted.status_code == 200, granted.text
    revoked = client.post("/api/staff/fatima/revocations", headers=ADMIN,
                          json={"role": "generalist", "reason": "Alleen nog regisseur"})
    assert revoked.json()["version"] == 4

    member = client.get("/api/staff/fatima", headers=ADMIN).json()
    assert (member["team"], member["roles"], member["role"]) == ("Wijkteam Noord", ["coordinator"], "coordinator")
    assert [(c["kind"], c["actor"], c["role"], c["reason"]) for c in member["changes"]] == [
        ("StaffRegistered", "admin", None, None),
        ("RoleGranted", "admin", "generalist", "Nieuw in het team"),
        ("RoleGranted", "admin", "coordinator", "Neemt de regie over van Bram"),
        ("RoleRevoked", "admin", "generalist", "Alleen nog regisseur"),
    ]
    assert "fatima" in [m["user_id"] for m in client.get("/api/staff", headers=ADMIN).json()["items"]]


def test_the_registry_decides_role_and_team_and_a_revoked_role_takes_access_away(client):
    household_id = register(client)  # anna, of Noord
    assert _register(client, "anna", roles=("generalist",)).status_code == 201
    assert client.get(f"/api/households/{household_id}").status_code == 200
    moved = client.post("/api/staff/anna/team", headers=ADMIN,
                        json={"team": "Wijkteam Zuid", "reason": "Overplaatsing"})
    assert moved.status_code == 200, moved.text
    client.app.state.households._staff.clear()  # the registry is re-read within seconds; here at once
    assert_problem(client.get(f"/api/households/{household_id}"), 403)
    client.post("/api/staff/anna/revocations", headers=ADMIN, json={"role": "generalist", "reason": "Vertrokken"})
    client.app.state.households._staff.clear()
    assert_problem(client.get("/api/households"), 403)


def test_a_team_lead_manages_the_generalists_and_coordinators_of_their_own_team_only(client):
    assert _register(client).status_code == 201
    assert client.post("/api/staff/fatima/roles", headers=CARLA,
                       json={"role": "coordinator", "reason": "Regisseur"}).status_code == 200
    assert_problem(client.post("/api/staff/fatima/roles", headers=CARLA,
                               json={"role": "privacy_officer", "reason": "Waarom niet"}), 403)
    assert_problem(client.post("/api/staff/fatima/revocations", headers=INGRID,
                               json={"role": "coordinator", "reason": "Niet haar team"}), 403)
    assert_problem(_register(client, "joost", headers=CARLA), 403)
    listed = client.get("/api/staff", headers=CARLA).json()["items"]
    assert {m["team"] for m in listed} == {"Wijkteam Noord"}


def test_the_rules_of_roles(client):
    assert _register(client).status_code == 201
    assert_refused(_register(client), "a user is registered once")
    assert_refused(client.post("/api/staff/fatima/roles", headers=ADMIN,
                               json={"role": "generalist", "reason": "Nog eens"}), "a role is granted once")
    assert_refused(client.post("/api/staff/fatima/revocations", headers=ADMIN,
                               json={"role": "team_lead", "reason": "Niet gehad"}), "only a held role is revoked")
    assert_refused(_register(client, "zonder", team=None, roles=("generalist",)), "a team role needs a team")
    assert_problem(client.post("/api/staff/niemand/roles", headers=ADMIN,
                               json={"role": "generalist", "reason": "x"}), 404)
    assert_problem(client.post("/api/staff/fatima/roles", headers=ADMIN, json={"role": "koning", "reason": "x"}), 422)
    assert_problem(client.post("/api/staff/fatima/roles", headers=ADMIN, json={"role": "generalist"}), 422)


def test_the_demo_registers_its_people_at_first_start(households):
    from waakvlam.demo import STAFF, load_staff

    assert load_staff(households) == len(STAFF)
    members = {m.user_id: (m.role, m.team) for m in households.staff()}
    assert members == STAFF
    assert members["admin"] == ("administrator", None) and members["kees"] == ("generalist", "Wijkteam Zuid")
