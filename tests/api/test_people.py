"""Who belongs to a household, who helps from around it, and who coordinates."""

from __future__ import annotations

import pytest

from tests.api.support import (
    BRAM,
    UNKNOWN_HOUSEHOLD,
    assert_invalid,
    assert_problem,
    assert_refused,
    last_event,
    post,
    register,
    summary,
    version_of,
    write,
)

# ---- members -------------------------------------------------------------------


def test_a_member_added_shows_in_the_household(client):
    household_id = register(client)
    response = post(client, household_id, "members", {"name": "Sanne Jansen", "role": "moeder", "birth_year": 1987})

    assert response.status_code == 201
    result = response.json()
    assert result["household_id"] == household_id and result["version"] == 3 and result["item_id"]
    assert response.headers["ETag"] == '"3"'
    assert summary(client, household_id)["members"] == {
        result["item_id"]: {"name": "Sanne Jansen", "role": "moeder", "birth_year": 1987}}


def test_a_member_needs_nothing_but_a_name(client):
    household_id = register(client)
    member_id = write(client, household_id, "members", {"name": "  Daan  "})["item_id"]
    assert summary(client, household_id)["members"][member_id] == {"name": "Daan", "role": "", "birth_year": None}


def test_two_members_are_two_members(client):
    household_id = register(client)
    first = write(client, household_id, "members", {"name": "Sanne"})["item_id"]
    second = write(client, household_id, "members", {"name": "Sanne"})["item_id"]
    assert first != second
    assert set(summary(client, household_id)["members"]) == {first, second}


@pytest.mark.parametrize(("body", "field"), [
    ({}, "body.name"),
    ({"name": ""}, "body.name"),
    ({"name": None}, "body.name"),
    ({"name": ["Sanne"]}, "body.name"),
    ({"name": "S" * 201}, "body.name"),
    ({"name": "Sanne", "birth_year": "1987a"}, "body.birth_year"),
    ({"name": "Sanne", "birth_year": 1850}, "body.birth_year"),
    ({"name": "Sanne", "birth_year": 2101}, "body.birth_year"),
    ({"name": "Sanne", "birth_year": 1987.5}, "body.birth_year"),
    ({"name": "Sanne", "role": {"moeder": True}}, "body.role"),
    ({"name": "Sanne", "bsn": "123456782"}, "body.bsn"),
    ({"name": "Sanne", "occurred_at": "2026-01-05T10:00:00"}, "body.occurred_at"),
])
def test_a_member_with_bad_input_is_refused_naming_the_field(client, body, field):
    household_id = register(client)
    assert_invalid(post(client, household_id, "members", body), field)
    assert summary(client, household_id)["members"] == {}


def test_a_member_whose_name_is_only_spaces_breaks_a_rule(client):
    household_id = register(client)
    assert_refused(post(client, household_id, "members", {"name": "   "}), "a member has a name")


def test_a_member_added_before_the_household_was_registered_breaks_a_rule(client):
    household_id = register(client)
    assert_refused(post(client, household_id, "members", {"name": "Sanne", "occurred_at": "2020-01-01T00:00:00Z"}),
                   "nothing happens to a household before it was registered")


def test_a_member_cannot_be_added_to_an_unknown_household(client):
    assert_problem(post(client, UNKNOWN_HOUSEHOLD, "members", {"name": "Sanne"}), 404)


def test_a_member_removed_is_no_longer_in_the_household_and_the_reason_is_kept(client, households):
    household_id = register(client)
    sanne = write(client, household_id, "members", {"name": "Sanne"})["item_id"]
    daan = write(client, household_id, "members", {"name": "Daan"})["item_id"]

    response = post(client, household_id, f"members/{sanne}/remove", {"reason": "verhuisd naar eigen woning"})

    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'
    assert set(summary(client, household_id)["members"]) == {daan}
    event = last_event(households, household_id, "MemberRemoved")
    assert (event.member_id, event.reason) == (sanne, "verhuisd naar eigen woning")


def test_a_member_is_removed_without_a_reason_too(client):
    household_id = register(client)
    sanne = write(client, household_id, "members", {"name": "Sanne"})["item_id"]
    assert post(client, household_id, f"members/{sanne}/remove", {}).status_code == 200


def test_a_member_removed_twice_is_not_found_the_second_time(client):
    household_id = register(client)
    sanne = write(client, household_id, "members", {"name": "Sanne"})["item_id"]
    write(client, household_id, f"members/{sanne}/remove", {})
    version = version_of(client, household_id)
    body = assert_problem(post(client, household_id, f"members/{sanne}/remove", {}), 404)
    assert sanne in body["detail"]
    assert version_of(client, household_id) == version


def test_an_unknown_member_cannot_be_removed(client):
    household_id = register(client)
    assert_problem(post(client, household_id, "members/abc123/remove", {}), 404)


@pytest.mark.parametrize(("member_id", "body", "field"), [
    ("not%20an%20id", {}, "path.member_id"),
    ("x" * 65, {}, "path.member_id"),
    ("abc123", {"reason": 5}, "body.reason"),
    ("abc123", {"reason": "r" * 2001}, "body.reason"),
    ("abc123", {"why": "verhuisd"}, "body.why"),
])
def test_a_removal_with_bad_input_is_refused_naming_the_field(client, member_id, body, field):
    household_id = register(client)
    assert_invalid(post(client, household_id, f"members/{member_id}/remove", body), field)


# ---- the informal network ----------------------------------------------------------


def test_a_network_person_who_notices_decline_shows_in_the_household(client):
    household_id = register(client)
    response = post(client, household_id, "network", {"name": "Henk de Buurman", "relation": "buurman",
                                                      "notices_decline": True})
    assert response.status_code == 201
    person_id = response.json()["item_id"]
    assert summary(client, household_id)["network"] == {
        person_id: {"name": "Henk de Buurman", "relation": "buurman", "notices_decline": True}}


def test_a_network_person_does_not_notice_decline_unless_told(client):
    household_id = register(client)
    person_id = write(client, household_id, "network", {"name": "Tante Els"})["item_id"]
    assert summary(client, household_id)["network"][person_id]["notices_decline"] is False


@pytest.mark.parametrize(("body", "field"), [
    ({}, "body.name"),
    ({"name": ""}, "body.name"),
    ({"name": "Henk", "notices_decline": "misschien"}, "body.notices_decline"),
    ({"name": "Henk", "notices_decline": [True]}, "body.notices_decline"),
    ({"name": "Henk", "relation": "b" * 101}, "body.relation"),
    ({"name": "Henk", "phone": "0612345678"}, "body.phone"),
])
def test_a_network_person_with_bad_input_is_refused_naming_the_field(client, body, field):
    household_id = register(client)
    assert_invalid(post(client, household_id, "network", body), field)
    assert summary(client, household_id)["network"] == {}


def test_a_network_person_whose_name_is_only_spaces_breaks_a_rule(client):
    household_id = register(client)
    assert_refused(post(client, household_id, "network", {"name": " "}), "a network person has a name")


def test_a_network_person_removed_is_gone_and_cannot_be_removed_again(client):
    household_id = register(client)
    henk = write(client, household_id, "network", {"name": "Henk"})["item_id"]
    response = post(client, household_id, f"network/{henk}/remove", {"reason": "verhuisd"})
    assert response.status_code == 200
    assert summary(client, household_id)["network"] == {}
    assert_problem(post(client, household_id, f"network/{henk}/remove", {}), 404)


def test_a_member_id_is_not_a_network_person(client):
    household_id = register(client)
    sanne = write(client, household_id, "members", {"name": "Sanne"})["item_id"]
    assert_problem(post(client, household_id, f"network/{sanne}/remove", {}), 404)
    assert sanne in summary(client, household_id)["members"]


def test_a_network_removal_with_a_bad_id_is_refused_naming_the_path(client):
    household_id = register(client)
    assert_invalid(post(client, household_id, "network/a.b/remove", {}), "path.person_id")


# ---- the coordinator -----------------------------------------------------------------


def test_a_coordinator_assigned_coordinates_the_household(client, households):
    household_id = register(client)
    response = post(client, household_id, "coordinator", {"coordinator": "bram",
                                                           "handover_note": "Kent het gezin sinds 2024"})
    assert response.status_code == 200
    assert response.json()["item_id"] is None
    assert summary(client, household_id)["coordinator"] == "bram"
    event = last_event(households, household_id, "CoordinatorAssigned")
    assert (event.coordinator, event.previous, event.handover_note) == ("bram", None, "Kent het gezin sinds 2024")


def test_one_coordinator_at_a_time_a_new_one_takes_over_with_a_handover(client, households):
    household_id = register(client)
    write(client, household_id, "coordinator", {"coordinator": "bram"})
    write(client, household_id, "coordinator", {"coordinator": "carla", "handover_note": "Bram gaat met verlof"},
          headers=BRAM)
    assert summary(client, household_id)["coordinator"] == "carla"
    event = last_event(households, household_id, "CoordinatorAssigned")
    assert (event.previous, event.coordinator, event.actor) == ("bram", "carla", "bram")


def test_assigning_the_same_coordinator_twice_breaks_a_rule_and_writes_nothing(client):
    household_id = register(client)
    write(client, household_id, "coordinator", {"coordinator": "bram"})
    version = version_of(client, household_id)
    body = assert_refused(post(client, household_id, "coordinator", {"coordinator": "bram"}),
                          "one coordinator at a time")
    assert "bram" in body["detail"]
    assert version_of(client, household_id) == version


@pytest.mark.parametrize(("body", "field"), [
    ({}, "body.coordinator"),
    ({"coordinator": ""}, "body.coordinator"),
    ({"coordinator": 7}, "body.coordinator"),
    ({"coordinator": "c" * 101}, "body.coordinator"),
    ({"coordinator": "bram", "handover_note": ["notitie"]}, "body.handover_note"),
    ({"coordinator": "bram", "handover_note": "n" * 10_001}, "body.handover_note"),
    ({"coordinator": "bram", "team_lead": "carla"}, "body.team_lead"),
])
def test_a_coordinator_with_bad_input_is_refused_naming_the_field(client, body, field):
    household_id = register(client)
    assert_invalid(post(client, household_id, "coordinator", body), field)
    assert summary(client, household_id)["coordinator"] is None


def test_a_coordinator_of_only_spaces_breaks_a_rule(client):
    household_id = register(client)
    assert_refused(post(client, household_id, "coordinator", {"coordinator": "  "}), "a coordinator is named")


def test_a_closed_household_gets_no_new_coordinator(client):
    household_id = register(client)
    write(client, household_id, "closure", {"reason_code": "handed_over"})
    assert_refused(post(client, household_id, "coordinator", {"coordinator": "bram"}),
                   "nothing but reopening on a closed household")
    assert summary(client, household_id)["coordinator"] is None
