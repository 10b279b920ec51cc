"""The coordinator's and team lead's view of the pilot light: what is due, what is late, and why."""

from __future__ import annotations

import pytest

from tests.api.support import (
    assert_invalid,
    assert_problem,
    days_from_today,
    next_check_in,
    noon_days_ago,
    register,
    server_errors,
    today,
    write,
)

CARLA = {"Authorization": "Bearer dev-carla"}
TEAM = "Wijkteam Noord"  # anna's team: she sees its schedule (api/authz.py)


@pytest.fixture
def schedule_client(client, schedule_worker):
    return client


def _ago(days: int) -> str:
    return noon_days_ago(days)  # not now minus days in UTC: late in the evening that is another Dutch date


def _schedule(client, after: int, **query) -> dict:
    response = client.get("/api/schedule", params={"after": after, **query})
    assert response.status_code == 200, response.text
    return response.json()


def _position(client, household_id: str) -> int:
    return write(client, household_id, "coordinator", {"coordinator": "bram"})["position"]


def test_overdue_check_ins_come_first_with_their_days_overdue_and_far_ones_wait(schedule_client):
    client = schedule_client
    late = register(client, "Fam. Laat", TEAM, intensity="waakvlam", occurred_at=_ago(50))  # due 8 days ago
    soon = register(client, "Fam. Binnenkort", TEAM, intensity="licht", occurred_at=_ago(3))  # due in 11 days
    far = register(client, "Fam. Ver", TEAM, intensity="waakvlam")  # due in 42 days
    position = max(_position(client, household) for household in (late, soon, far))

    page = _schedule(client, position, team=TEAM)

    assert page["today"] == today().isoformat()
    assert [(item["label"], item["days_overdue"]) for item in page["items"]] == [
        ("Fam. Laat", 8), ("Fam. Binnenkort", 0)]
    assert page["items"][0]["due"] == days_from_today(-8)
    assert "Fam. Ver" in [item["label"] for item in _schedule(client, position, team=TEAM, within_days=60)["items"]]


def test_a_coordinator_sees_their_own_households(schedule_client):
    client = schedule_client
    mine = register(client, "Fam. Bram", TEAM, occurred_at=_ago(20))
    theirs = register(client, "Fam. Fatima", TEAM, occurred_at=_ago(20))
    write(client, theirs, "coordinator", {"coordinator": "fatima"})
    position = _position(client, mine)

    assert [item["label"] for item in _schedule(client, position, coordinator="bram")["items"]] == ["Fam. Bram"]


def test_a_partner_s_signal_on_a_quiet_household_moves_its_check_in_and_hints_at_escalation(schedule_client):
    client = schedule_client
    household = register(client, "Fam. Stil", TEAM, intensity="waakvlam")
    position = write(client, household, "signals", {"source": "woningcorporatie", "urgency": "high",
                                                    "description": "Huurachterstand van drie maanden",
                                                    "life_domains": ["housing"]})["position"]

    (item,) = _schedule(client, position, team=TEAM, within_days=3)["items"]

    assert (item["due"], item["reason"], item["escalation_hint"]) == (days_from_today(3), "signal", True)
    assert item["signal_summary"] == "high: Huurachterstand van drie maanden"

    position = write(client, household, "escalations", {"to_level": "licht", "reason": "Signaal woningcorporatie"}
                     )["position"]
    (item,) = _schedule(client, position, team=TEAM, within_days=3)["items"]
    assert (item["intensity"], item["escalation_hint"], item["signal_at"]) == ("licht", False, None)


def test_a_signal_seen_at_a_higher_intensity_is_no_escalation_hint_after_de_escalating(schedule_client):
    client = schedule_client
    household = register(client, "Fam. Druk", TEAM, intensity="intensief")
    write(client, household, "signals", {"source": "huisarts", "description": "Slaapt slecht"})
    position = write(client, household, "de-escalations", {"to_level": "licht", "reason": "Rust teruggekeerd"}
                     )["position"]

    (item,) = _schedule(client, position, team=TEAM, within_days=14)["items"]
    assert (item["intensity"], item["escalation_hint"], item["signal_at"]) == ("licht", False, None)


def test_a_completed_check_in_gives_way_to_the_next_and_a_closed_household_leaves_the_list(schedule_client):
    client = schedule_client
    household = register(client, "Fam. Gezien", TEAM, intensity="licht", occurred_at=_ago(20))
    first = next_check_in(client, household)["id"]
    position = write(client, household, f"check-ins/{first}/complete", {"kind": "huisbezoek"})["position"]

    (item,) = _schedule(client, position, team=TEAM, within_days=30)["items"]
    assert (item["check_in_id"] != first, item["due"], item["reason"]) == (True, days_from_today(14), "completed")

    position = write(client, household, "closure", {"reason_code": "goals_achieved"})["position"]
    assert _schedule(client, position, team=TEAM, within_days=366)["items"] == []


def test_the_list_pages_with_a_cursor(schedule_client):
    client = schedule_client
    for n in range(5):
        household = register(client, f"Fam. {n}", TEAM, occurred_at=_ago(20 + n))
    position = _position(client, household)

    seen, cursor = [], None
    while True:
        page = _schedule(client, position, team=TEAM, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [item["label"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Fam. {n}" for n in (4, 3, 2, 1, 0)]


@pytest.mark.parametrize("query", [
    "within_days=-1", "within_days=367", "within_days=x", "limit=0", "limit=501", "cursor=bm90IGEgY3Vyc29y",
    "cursor=%00", "team=%00", "coordinator=" + "x" * 101, "after=-1",
])
def test_the_schedule_refuses_garbage_queries_clearly(client, query):
    response = client.get(f"/api/schedule?{query}")
    assert_problem(response, 422)


def test_the_schedule_needs_a_token(client):
    assert_problem(client.get("/api/schedule", headers={"Authorization": ""}), 401)


# ---- "was this check-in overdue on date D, and for how long" ---------------------------


def test_a_household_s_check_ins_say_how_late_each_was_and_whether_it_was_overdue_on_a_date(client):
    household = register(client, "Fam. Terug", TEAM, intensity="licht", occurred_at=_ago(30))  # due 16 days ago
    first = next_check_in(client, household)["id"]
    write(client, household, f"check-ins/{first}/complete", {"kind": "huisbezoek", "occurred_at": _ago(10)})

    response = client.get(f"/api/households/{household}/check-ins", params={"on": days_from_today(-12)})
    assert response.status_code == 200, response.text
    done, following = response.json()

    assert (done["check_in_id"], done["status"], done["days_overdue"], done["overdue_on_day"]) == (
        first, "completed", 6, 4)
    assert (following["status"], following["days_overdue"], following["overdue_on_day"]) == ("open", 0, None)
    assert following["scheduled_on"] == days_from_today(-10)


def test_the_check_ins_of_an_unknown_household_are_not_found(client):
    assert_problem(client.get("/api/households/7d4f2a6e-0000-4000-8000-000000000000/check-ins"), 404)
    assert_invalid(client.get(f"/api/households/{register(client)}/check-ins?on=gisteren"), "query.on")


# ---- the team's policy --------------------------------------------------------------------


def test_a_team_without_a_policy_shows_the_defaults(client):
    response = client.get(f"/api/teams/{TEAM}/policy")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["version"], body["cadence"], body["remind_days_before"], body["overdue_days"]) == (
        0, {"waakvlam": 42, "licht": 14, "intensief": 7, "crisis": 2}, 3, 7)
    assert response.headers["ETag"] == '"0"'


def test_the_team_lead_sets_the_cadence_and_new_households_follow_it(client):
    response = client.put(f"/api/teams/{TEAM}/policy", headers=CARLA,
                          json={"cadence": {"waakvlam": 56}, "remind_days_before": 2, "team_lead": "ingrid"})
    assert response.status_code == 200, response.text
    assert (response.json()["cadence"]["waakvlam"], response.json()["team_lead"], response.headers["ETag"]) == (
        56, "ingrid", '"2"')

    household = register(client, "Fam. Nieuw", TEAM, intensity="waakvlam")
    assert next_check_in(client, household)["due"] == days_from_today(56)
    assert client.get(f"/api/households/{household}").json()["cadence"]["waakvlam"] == 56


def test_only_a_team_lead_sets_a_policy_and_a_stale_version_is_refused(client):
    assert_problem(client.put(f"/api/teams/{TEAM}/policy", json={"remind_days_before": 2}), 403)
    client.put(f"/api/teams/{TEAM}/policy", headers=CARLA, json={"remind_days_before": 2})

    stale = client.put(f"/api/teams/{TEAM}/policy", headers={**CARLA, "If-Match": '"0"'}, json={})
    assert_problem(stale, 412)
    assert client.get(f"/api/teams/{TEAM}/policy").json()["remind_days_before"] == 2


def test_a_policy_outside_its_bounds_is_refused_clearly_and_changes_nothing(client):
    assert_problem(client.put(f"/api/teams/{TEAM}/policy", headers=CARLA, json={"cadence": {"waakvlam": 7}}),
                   409, rule="a cadence stays within sane bounds")
    assert_invalid(client.put(f"/api/teams/{TEAM}/policy", headers=CARLA, json={"overdue_days": 365}),
                   "body.overdue_days")
    assert_invalid(client.put(f"/api/teams/{TEAM}/policy", headers=CARLA, json={"signal_check_in_days":
                                                                                  {"soon": 1}}),
                   "body.signal_check_in_days.soon.[key]")
    assert client.get(f"/api/teams/{TEAM}/policy").json()["version"] == 0


def test_the_policy_survives_a_barrage_of_garbage_without_a_server_error(client):
    carla = type(client)(client.app, headers=CARLA)
    valid = {"cadence": {"waakvlam": 56}, "remind_days_before": 2, "overdue_days": 5,
             "signal_check_in_days": {"low": None}, "team_lead": "carla", "addresses": {"bram": "b@x.nl"}}
    from tests.api.support import garbage_bodies

    assert server_errors(carla, "PUT", f"/api/teams/{TEAM}/policy", garbage_bodies(valid, valid)) == []
    assert server_errors(carla, "GET", "/api/teams/%00/policy", [None], raw=[]) == []
