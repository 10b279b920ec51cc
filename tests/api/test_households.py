"""Households: registering one, its summary, and the caseload list."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

import pytest

from tests.api.support import (
    BRAM,
    UNKNOWN_HOUSEHOLD,
    assert_invalid,
    assert_problem,
    assert_refused,
    days_from_today,
    kinds,
    register,
    summary,
    today,
    write,
)

# ---- registering -----------------------------------------------------------------


def test_a_registered_household_is_open_at_the_intensity_asked_with_its_first_check_in_planned(client, households):
    response = client.post("/api/households", json={"label": "Fam. Jansen", "team": "Wijkteam Noord",
                                                    "intensity": "intensief"})

    assert response.status_code == 201
    result = response.json()
    household_id = result["household_id"]
    assert UUID(household_id)
    assert result["version"] == 2 and result["item_id"] is None
    assert result["position"] == households.recorder.max_notification_id()
    assert response.headers["Location"] == f"/api/households/{household_id}"
    assert response.headers["ETag"] == '"2"'

    household = summary(client, household_id)
    assert household["label"] == "Fam. Jansen"
    assert household["team"] == "Wijkteam Noord"
    assert household["status"] == "open"
    assert household["intensity"] == "intensief"
    assert household["coordinator"] is None
    assert household["closure_reason"] is None
    assert household["next_check_in"]["due"] == days_from_today(7)  # the pilot light is lit at once
    assert kinds(households, household_id) == ["Registered", "CheckInScheduled"]


def test_a_household_is_registered_at_light_intensity_unless_told_otherwise(client):
    household = summary(client, register(client))
    assert household["intensity"] == "licht"
    assert household["next_check_in"]["due"] == days_from_today(14)
    assert household["cadence"] == {"waakvlam": 42, "licht": 14, "intensief": 7, "crisis": 2}


def test_a_household_may_bring_its_own_cadence(client):
    household_id = register(client, intensity="waakvlam", cadence={"waakvlam": 28, "crisis": 1})
    household = summary(client, household_id)
    assert household["cadence"] == {"waakvlam": 28, "licht": 14, "intensief": 7, "crisis": 1}
    assert household["next_check_in"]["due"] == days_from_today(28)


def test_a_household_registered_after_the_fact_keeps_the_moment_it_happened(client):
    household_id = register(client, occurred_at="2026-01-05T09:00:00+01:00")
    household = summary(client, household_id)
    assert datetime.fromisoformat(household["registered_at"]) == datetime.fromisoformat("2026-01-05T08:00:00+00:00")
    assert household["next_check_in"]["due"] == "2026-01-19"


@pytest.mark.parametrize(("body", "field"), [
    ({"team": "Noord"}, "body.label"),
    ({"label": "Fam. Jansen"}, "body.team"),
    ({"label": "", "team": "Noord"}, "body.label"),
    ({"label": 42, "team": "Noord"}, "body.label"),
    ({"label": "x" * 201, "team": "Noord"}, "body.label"),
    ({"label": "Fam. Jansen", "team": ["Noord"]}, "body.team"),
    ({"label": "Fam. Jansen", "team": "Noord", "intensity": "hoog"}, "body.intensity"),
    ({"label": "Fam. Jansen", "team": "Noord", "cadence": {"licht": 0}}, "body.cadence.licht"),
    ({"label": "Fam. Jansen", "team": "Noord", "cadence": {"soms": 14}}, "body.cadence.soms.[key]"),
    ({"label": "Fam. Jansen", "team": "Noord", "cadence": {"licht": "vaak"}}, "body.cadence.licht"),
    ({"label": "Fam. Jansen", "team": "Noord", "cadence": [14]}, "body.cadence"),
    ({"label": "Fam. Jansen", "team": "Noord", "bsn": "123456782"}, "body.bsn"),
    ({"label": "Fam. Jansen", "team": "Noord", "occurred_at": "2026-01-05 09:00"}, "body.occurred_at"),
    ({"label": "Fam. Jansen", "team": "Noord", "occurred_at": "gisteren"}, "body.occurred_at"),
])
def test_a_registration_with_bad_input_is_refused_naming_the_field(client, households, body, field):
    assert_invalid(client.post("/api/households", json=body), field)
    assert not households.recorder.max_notification_id()


def test_a_cadence_outside_sane_bounds_breaks_a_rule(client):
    response = client.post("/api/households", json={"label": "Fam. Jansen", "team": "Noord",
                                                    "cadence": {"crisis": 30}})
    body = assert_refused(response, "a cadence stays within sane bounds")
    assert "crisis" in body["detail"]


def test_a_label_of_only_spaces_breaks_a_rule(client):
    assert_refused(client.post("/api/households", json={"label": "   ", "team": "Noord"}),
                   "a household has a label and a team")


def test_a_registration_in_the_future_breaks_a_rule(client):
    tomorrow = (datetime.now().astimezone() + timedelta(days=1)).isoformat()
    assert_refused(client.post("/api/households", json={"label": "Fam. Jansen", "team": "Noord",
                                                        "occurred_at": tomorrow}),
                   "nothing is recorded as having happened in the future")


def test_a_registration_that_is_not_json_is_invalid(client):
    response = client.post("/api/households", content=b"label=Fam. Jansen", headers={"Content-Type": "text/plain"})
    assert_invalid(response, "body")


# ---- one household -------------------------------------------------------------


def test_the_summary_shows_what_happened_to_the_household(client):
    household_id = register(client)
    member = write(client, household_id, "members", {"name": "Sanne", "role": "moeder"})["item_id"]
    write(client, household_id, "coordinator", {"coordinator": "bram"})
    write(client, household_id, "assessments", {"scores": {"finances": 2}})
    goal = write(client, household_id, "goals", {"life_domain": "finances", "description": "Budgetplan"})["item_id"]
    write(client, household_id, "contacts", {"kind": "huisbezoek", "occurred_at": datetime.now().astimezone()
                                             .isoformat()})

    response = client.get(f"/api/households/{household_id}")
    household = response.json()
    assert response.headers["ETag"] == f'"{household["version"]}"' == '"7"'
    assert household["id"] == household_id
    assert household["members"] == {member: {"name": "Sanne", "role": "moeder", "birth_year": None}}
    assert household["coordinator"] == "bram"
    assert household["scores"] == {"finances": 2}
    assert household["goals"] == {goal: "open"}
    assert household["last_contact_at"] is not None


def test_an_unknown_household_is_not_found(client):
    body = assert_problem(client.get(f"/api/households/{UNKNOWN_HOUSEHOLD}"), 404)
    assert UNKNOWN_HOUSEHOLD in body["detail"]


@pytest.mark.parametrize("household_id", ["42", "not-a-uuid", "7d4f2a6e-0000-4000-8000"])
def test_a_household_id_that_is_no_uuid_is_refused_naming_the_path(client, household_id):
    assert_invalid(client.get(f"/api/households/{household_id}"), "path.household_id")


def test_the_summary_needs_a_token(client):
    household_id = register(client)
    response = client.get(f"/api/households/{household_id}", headers={"Authorization": ""})
    assert_problem(response, 401)


# ---- the caseload ------------------------------------------------------------------


def _caseload(client, **query) -> list[dict]:
    response = client.get("/api/households", params=query)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _labels(client, **query) -> list[str]:
    return [row["label"] for row in _caseload(client, **query)]


def test_waiting_for_a_position_no_write_has_reached_is_the_clients_mistake_not_a_wait(live_client):
    result = live_client.post("/api/households", json={"label": "Fam. Jansen", "team": "Wijkteam Noord"}).json()
    beyond = result["position"] + 1000
    body = assert_problem(live_client.get("/api/households", params={"after": beyond}), 422, field="query.after")
    assert str(beyond) in body["detail"]
    assert len(_caseload(live_client, after=result["position"])) == 1


def test_a_user_sees_their_new_household_in_the_caseload_at_once(live_client):
    response = live_client.post("/api/households", json={"label": "Fam. Jansen", "team": "Wijkteam Noord"})
    result = response.json()

    rows = _caseload(live_client, after=result["position"])

    assert rows == [{
        "household_id": result["household_id"], "label": "Fam. Jansen", "team": "Wijkteam Noord", "coordinator": None,
        "intensity": "licht", "status": "open", "next_check_in": days_from_today(14), "last_contact_at": None,
        "version": 2,
    }]


@pytest.mark.parametrize(("path", "body", "column", "value"), [
    ("coordinator", {"coordinator": "bram"}, "coordinator", "bram"),
    ("escalations", {"to_level": "crisis", "reason": "Huisuitzetting"}, "intensity", "crisis"),
    ("de-escalations", {"to_level": "waakvlam", "reason": "Rustig"}, "intensity", "waakvlam"),
    ("closure", {"reason_code": "moved"}, "status", "closed"),
    ("corrections", {"target_version": 1, "changes": {"label": "Fam. Janssen"}, "reason": "Tikfout"},
     "label", "Fam. Janssen"),
])
def test_every_write_can_be_read_back_from_the_caseload_with_its_position(live_client, path, body, column, value):
    household_id = register(live_client)
    result = write(live_client, household_id, path, body)

    (row,) = _caseload(live_client, after=result["position"])

    assert row[column] == value
    assert row["version"] == result["version"]


def test_a_contact_shows_in_the_caseload_as_the_last_contact(live_client):
    household_id = register(live_client)
    result = write(live_client, household_id, "contacts", {"kind": "eropaf"})
    (row,) = _caseload(live_client, after=result["position"])
    assert row["last_contact_at"] == summary(live_client, household_id)["last_contact_at"]


NOORD, ZUID = "Wijkteam Noord", "Wijkteam Zuid"  # anna's and bram's team; kees's (api/authz.py)
KEES = {"Authorization": "Bearer dev-kees"}
VIEWERS = {"anna": {}, "bram": BRAM, "kees": KEES}


@pytest.fixture
def caseload(live_client) -> dict[str, str]:
    """Five households of two teams, two coordinators, four intensities; one closed. bram (of Noord)
    also coordinates a household of Zuid."""
    ids = {
        "Fam. Jansen": register(live_client, "Fam. Jansen", NOORD, intensity="crisis"),
        "Fam. De Vries": register(live_client, "Fam. De Vries", NOORD, intensity="intensief"),
        "Fam. Bakker": register(live_client, "Fam. Bakker", ZUID),
        "Fam. Visser": register(live_client, "Fam. Visser", ZUID, intensity="waakvlam"),
        "Fam. Smit": register(live_client, "Fam. Smit", NOORD),
    }
    write(live_client, ids["Fam. Jansen"], "coordinator", {"coordinator": "bram"})
    write(live_client, ids["Fam. Bakker"], "coordinator", {"coordinator": "bram", "legal_basis": "Wmo 2015 art. 2.3.2"},
          headers=KEES)  # a coordinator of Noord: sharing outside Zuid, on a legal basis
    write(live_client, ids["Fam. Visser"], "coordinator", {"coordinator": "ruben"}, headers=KEES)
    last = write(live_client, ids["Fam. Smit"], "closure", {"reason_code": "goals_achieved"})
    _caseload(live_client, after=last["position"])
    return ids


def test_the_caseload_lists_the_soonest_check_in_first_and_closed_households_last(live_client, caseload):
    assert _labels(live_client) == ["Fam. Jansen", "Fam. De Vries", "Fam. Smit"]  # anna's team's


@pytest.mark.parametrize(("viewer", "query", "labels"), [
    ("anna", {"team": NOORD}, ["Fam. Jansen", "Fam. De Vries", "Fam. Smit"]),
    ("kees", {"team": ZUID}, ["Fam. Bakker", "Fam. Visser"]),
    ("kees", {}, ["Fam. Bakker", "Fam. Visser"]),
    ("anna", {"coordinator": "bram"}, ["Fam. Jansen"]),  # bram's households in anna's team
    ("bram", {"coordinator": "bram"}, ["Fam. Jansen", "Fam. Bakker"]),  # a coordinator's own, in any team
    ("kees", {"coordinator": "ruben"}, ["Fam. Visser"]),
    ("anna", {"intensity": "licht"}, ["Fam. Smit"]),
    ("kees", {"intensity": "licht"}, ["Fam. Bakker"]),
    ("anna", {"intensity": "crisis"}, ["Fam. Jansen"]),
    ("anna", {"status": "open"}, ["Fam. Jansen", "Fam. De Vries"]),
    ("anna", {"status": "closed"}, ["Fam. Smit"]),
    ("anna", {"due_before": days_from_today(7)}, ["Fam. Jansen", "Fam. De Vries"]),
    ("anna", {"due_before": days_from_today(1)}, []),
    ("anna", {"team": NOORD, "coordinator": "bram", "intensity": "crisis", "status": "open",
              "due_before": days_from_today(2)}, ["Fam. Jansen"]),
    ("kees", {"team": ZUID, "status": "closed"}, []),
])
def test_the_caseload_filters(live_client, caseload, viewer, query, labels):
    live_client.headers.update(VIEWERS[viewer] or {"Authorization": "Bearer dev-anna"})
    assert _labels(live_client, **query) == labels


@pytest.mark.parametrize("team", [ZUID, "West"])
def test_another_teams_caseload_is_refused(live_client, caseload, team):
    assert_problem(live_client.get("/api/households", params={"team": team}), 403)


def test_the_caseload_is_walked_page_by_page_each_household_exactly_once_in_order(live_client, caseload):
    for label in ["Fam. A", "Fam. B", "Fam. C", "Fam. D"]:
        position = live_client.post("/api/households", json={"label": label, "team": NOORD}).json()["position"]
    everything = _caseload(live_client, after=position, limit=200)
    assert len(everything) == 7  # anna's team's

    walked, cursor, pages = [], None, 0
    while True:
        response = live_client.get("/api/households", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        page = response.json()
        assert len(page["items"]) <= 2
        walked += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == 4
    assert [row["household_id"] for row in walked] == [row["household_id"] for row in everything]
    assert len({row["household_id"] for row in walked}) == 7
    keys = [(row["next_check_in"] or "9999-12-31", row["household_id"]) for row in walked]
    assert keys == sorted(keys)


def test_a_filtered_caseload_is_walked_page_by_page_too(live_client, caseload):
    first = live_client.get("/api/households", params={"team": NOORD, "limit": 2}).json()
    second = live_client.get("/api/households", params={"team": NOORD, "limit": 2,
                                                        "cursor": first["next_cursor"]}).json()
    assert [r["label"] for r in first["items"] + second["items"]] == ["Fam. Jansen", "Fam. De Vries", "Fam. Smit"]
    assert second["next_cursor"] is None


def test_a_page_exactly_as_long_as_the_list_has_no_next_page(live_client, caseload):
    page = live_client.get("/api/households", params={"limit": 3}).json()
    assert len(page["items"]) == 3 and page["next_cursor"] is None


@pytest.mark.parametrize(("query", "field"), [
    ({"cursor": "not-a-cursor"}, "query.cursor"),
    ({"cursor": "OTk5OS0xMi0zMXxub3QtYS11dWlk"}, "query.cursor"),  # "9999-12-31|not-a-uuid"
    ({"after": -1}, "query.after"),
    ({"after": "latest"}, "query.after"),
    ({"limit": 0}, "query.limit"),
    ({"limit": 201}, "query.limit"),
    ({"intensity": "hoog"}, "query.intensity"),
    ({"status": "archived"}, "query.status"),
    ({"due_before": "volgende week"}, "query.due_before"),
    ({"team": "x" * 101}, "query.team"),
    ({"team": "No\x00ord"}, "query.team"),  # bug fixed: a NUL reached PostgreSQL and was a 500
    ({"coordinator": "\x00"}, "query.coordinator"),
])
def test_a_caseload_query_with_bad_input_is_refused_naming_the_parameter(client, query, field):
    assert_invalid(client.get("/api/households", params=query), field)


def test_a_read_after_a_position_the_view_never_reaches_is_a_503_with_retry_after(client, settings):
    settings.catch_up_timeout = 0.2
    position = client.post("/api/households", json={"label": "Fam. Jansen", "team": "Noord"}).json()["position"]
    response = client.get("/api/households", params={"after": position})  # no projection runs beside `client`
    assert_problem(response, 503)
    assert response.headers["Retry-After"] == "1"


def test_the_caseload_needs_a_token_and_answers_another_user_the_same(live_client, caseload):
    assert_problem(live_client.get("/api/households", headers={"Authorization": "Bearer"}), 401)
    assert _labels(live_client) == [r["label"] for r in live_client.get("/api/households", headers=BRAM)
                                    .json()["items"]]


def test_a_household_due_today_is_due_before_today(live_client):
    household_id = register(live_client)
    check_in = summary(live_client, household_id)["next_check_in"]["id"]
    result = write(live_client, household_id, f"check-ins/{check_in}/reschedule", {"due": today().isoformat()})
    assert _labels(live_client, after=result["position"], due_before=today().isoformat()) == ["Fam. Jansen"]
    assert _labels(live_client, due_before=(today() - timedelta(days=1)).isoformat()) == []
    assert date.fromisoformat(_caseload(live_client)[0]["next_check_in"]) == today()
