"""The course of support: intensity up and down, the pilot light's check-ins,
the signaleringsplan, closing and reopening, and corrections that keep the
original."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.support import (
    assert_invalid,
    assert_problem,
    assert_refused,
    days_from_today,
    events,
    kinds,
    last_event,
    next_check_in,
    post,
    register,
    summary,
    version_of,
    write,
)

# ---- intensity -----------------------------------------------------------------------


def test_escalating_to_crisis_raises_the_intensity_and_brings_the_check_in_forward(client, households):
    household_id = register(client)
    planned = next_check_in(client, household_id)
    assert planned["due"] == days_from_today(14)

    response = post(client, household_id, "escalations", {"to_level": "crisis", "reason": "Dreigende huisuitzetting"})

    assert response.status_code == 200
    household = summary(client, household_id)
    assert household["intensity"] == "crisis"
    assert household["next_check_in"] == {"id": planned["id"], "due": days_from_today(2)}
    escalated = last_event(households, household_id, "Escalated")
    assert (escalated.from_level, escalated.to_level, escalated.reason) == ("licht", "crisis",
                                                                             "Dreigende huisuitzetting")


def test_escalating_leaves_a_check_in_that_is_already_sooner_where_it_is(client):
    household_id = register(client)
    check_in = next_check_in(client, household_id)["id"]
    write(client, household_id, f"check-ins/{check_in}/reschedule", {"due": days_from_today(1)})
    write(client, household_id, "escalations", {"to_level": "intensief", "reason": "Zorgen over de kinderen"})
    assert next_check_in(client, household_id) == {"id": check_in, "due": days_from_today(1)}


@pytest.mark.parametrize("to_level", ["waakvlam", "licht"])
def test_escalating_downward_or_sideways_breaks_a_rule(client, to_level):
    household_id = register(client)
    version = version_of(client, household_id)
    body = assert_refused(post(client, household_id, "escalations", {"to_level": to_level, "reason": "Rustiger"}),
                          "escalate only upward")
    assert "licht" in body["detail"]
    assert version_of(client, household_id) == version
    assert summary(client, household_id)["intensity"] == "licht"


def test_de_escalating_lowers_the_intensity_to_the_pilot_light(client, households):
    household_id = register(client, intensity="intensief")
    response = post(client, household_id, "de-escalations", {"to_level": "waakvlam", "reason": "Het gaat goed"})
    assert response.status_code == 200
    assert summary(client, household_id)["intensity"] == "waakvlam"
    assert last_event(households, household_id, "DeEscalated").from_level == "intensief"


@pytest.mark.parametrize("to_level", ["crisis", "intensief"])
def test_de_escalating_upward_or_sideways_breaks_a_rule(client, to_level):
    household_id = register(client, intensity="intensief")
    assert_refused(post(client, household_id, "de-escalations", {"to_level": to_level, "reason": "Hm"}),
                   "de-escalate only downward")
    assert summary(client, household_id)["intensity"] == "intensief"


def test_a_reason_of_only_spaces_breaks_a_rule(client):
    household_id = register(client)
    assert_refused(post(client, household_id, "escalations", {"to_level": "crisis", "reason": "  "}),
                   "an escalation gives its reason")
    assert_refused(post(client, household_id, "de-escalations", {"to_level": "waakvlam", "reason": "  "}),
                   "a de-escalation gives its reason")


@pytest.mark.parametrize("path", ["escalations", "de-escalations"])
@pytest.mark.parametrize(("body", "field"), [
    ({"reason": "Zorgen"}, "body.to_level"),
    ({"to_level": "hoog", "reason": "Zorgen"}, "body.to_level"),
    ({"to_level": "Crisis", "reason": "Zorgen"}, "body.to_level"),
    ({"to_level": 3, "reason": "Zorgen"}, "body.to_level"),
    ({"to_level": "crisis"}, "body.reason"),
    ({"to_level": "crisis", "reason": ""}, "body.reason"),
    ({"to_level": "crisis", "reason": "r" * 2001}, "body.reason"),
    ({"to_level": "crisis", "reason": "Zorgen", "from_level": "licht"}, "body.from_level"),
])
def test_an_intensity_change_with_bad_input_is_refused_naming_the_field(client, path, body, field):
    household_id = register(client)
    assert_invalid(post(client, household_id, path, body), field)
    assert summary(client, household_id)["intensity"] == "licht"


# ---- cadence -------------------------------------------------------------------------


def test_a_household_gets_its_own_cadence_within_bounds(client, households):
    household_id = register(client)
    response = post(client, household_id, "cadence", {"cadence": {"waakvlam": 28, "licht": 21}})
    assert response.status_code == 200
    assert summary(client, household_id)["cadence"] == {"waakvlam": 28, "licht": 21, "intensief": 7, "crisis": 2}
    assert last_event(households, household_id, "CadenceSet").cadence == {"waakvlam": 28, "licht": 21}


@pytest.mark.parametrize("cadence", [{"crisis": 14}, {"waakvlam": 7}, {"licht": 60}, {"intensief": 1}])
def test_a_cadence_outside_sane_bounds_breaks_a_rule(client, cadence):
    household_id = register(client)
    assert_refused(post(client, household_id, "cadence", {"cadence": cadence}), "a cadence stays within sane bounds")
    assert summary(client, household_id)["cadence"]["licht"] == 14


@pytest.mark.parametrize(("body", "field"), [
    ({}, "body.cadence"),
    ({"cadence": {"crisis": 0}}, "body.cadence.crisis"),
    ({"cadence": {"crisis": 400}}, "body.cadence.crisis"),
    ({"cadence": {"crisis": "twee"}}, "body.cadence.crisis"),
    ({"cadence": {"soms": 14}}, "body.cadence.soms.[key]"),
    ({"cadence": 14}, "body.cadence"),
    ({"cadence": {"licht": 14}, "reason": "x"}, "body.reason"),
])
def test_a_cadence_with_bad_input_is_refused_naming_the_field(client, body, field):
    household_id = register(client)
    assert_invalid(post(client, household_id, "cadence", body), field)


# ---- check-ins: the pilot light ------------------------------------------------------------


def test_completing_the_check_in_records_the_contact_and_lights_the_next(client, households):
    household_id = register(client)
    check_in = next_check_in(client, household_id)["id"]

    response = post(client, household_id, f"check-ins/{check_in}/complete",
                    {"kind": "telefonisch", "summary": "Gaat goed; volgende keer huisbezoek"})

    assert response.status_code == 201
    contact_id = response.json()["item_id"]
    household = summary(client, household_id)
    assert household["next_check_in"]["id"] != check_in
    assert household["next_check_in"]["due"] == days_from_today(14)
    assert household["last_contact_at"] is not None
    assert kinds(households, household_id)[-3:] == ["ContactRecorded", "CheckInCompleted", "CheckInScheduled"]
    assert last_event(households, household_id, "ContactRecorded").contact_id == contact_id


def test_a_completed_check_in_cannot_be_completed_rescheduled_or_cancelled(client):
    household_id = register(client)
    check_in = next_check_in(client, household_id)["id"]
    write(client, household_id, f"check-ins/{check_in}/complete", {"kind": "huisbezoek"})
    version = version_of(client, household_id)
    for action, body in [("complete", {"kind": "huisbezoek"}), ("reschedule", {"due": days_from_today(3)}),
                         ("cancel", {"reason": "Dubbel"})]:
        response = post(client, household_id, f"check-ins/{check_in}/{action}", body)
        assert "already completed" in assert_refused(response, "a finished check-in cannot be acted on")["detail"]
    assert version_of(client, household_id) == version


def test_a_check_in_is_moved_to_another_day(client, households):
    household_id = register(client)
    check_in = next_check_in(client, household_id)["id"]
    response = post(client, household_id, f"check-ins/{check_in}/reschedule",
                    {"due": days_from_today(3), "reason": "Gezin op vakantie"})
    assert response.status_code == 200
    assert next_check_in(client, household_id) == {"id": check_in, "due": days_from_today(3)}
    assert last_event(households, household_id, "CheckInRescheduled").reason == "Gezin op vakantie"


def test_a_check_in_is_not_planned_in_the_past(client):
    household_id = register(client)
    check_in = next_check_in(client, household_id)
    body = assert_refused(post(client, household_id, f"check-ins/{check_in['id']}/reschedule",
                               {"due": days_from_today(-1)}), "a check-in is not planned in the past")
    assert days_from_today(-1) in body["detail"]
    assert next_check_in(client, household_id) == check_in


def test_a_cancelled_check_in_is_replaced_at_once_the_pilot_light_never_goes_out(client, households):
    household_id = register(client)
    check_in = next_check_in(client, household_id)["id"]

    response = post(client, household_id, f"check-ins/{check_in}/cancel", {"reason": "Dubbel gepland"})

    assert response.status_code == 200
    replacement = next_check_in(client, household_id)
    assert replacement["id"] != check_in and replacement["due"] == days_from_today(14)
    assert kinds(households, household_id)[-2:] == ["CheckInCancelled", "CheckInScheduled"]
    assert_refused(post(client, household_id, f"check-ins/{check_in}/cancel", {"reason": "Nogmaals"}),
                   "a finished check-in cannot be acted on")


def test_a_cancelled_check_in_may_be_replaced_on_a_chosen_day(client):
    household_id = register(client)
    check_in = next_check_in(client, household_id)["id"]
    write(client, household_id, f"check-ins/{check_in}/cancel", {"reason": "Ziek", "next_due_on": days_from_today(5)})
    assert next_check_in(client, household_id)["due"] == days_from_today(5)


def test_a_replacement_in_the_past_breaks_a_rule(client):
    household_id = register(client)
    check_in = next_check_in(client, household_id)
    response = post(client, household_id, f"check-ins/{check_in['id']}/cancel",
                    {"reason": "Ziek", "next_due_on": days_from_today(-2)})
    assert_refused(response, "a check-in is not planned in the past")
    assert next_check_in(client, household_id) == check_in


def test_a_cancellation_reason_of_only_spaces_breaks_a_rule(client):
    household_id = register(client)
    check_in = next_check_in(client, household_id)["id"]
    assert_refused(post(client, household_id, f"check-ins/{check_in}/cancel", {"reason": " "}),
                   "a cancelled check-in gives its reason")


@pytest.mark.parametrize(("action", "body"), [
    ("complete", {"kind": "huisbezoek"}), ("reschedule", {"due": "2099-01-01"}), ("cancel", {"reason": "Ziek"})])
def test_an_unknown_check_in_is_not_found(client, action, body):
    household_id = register(client)
    planned = next_check_in(client, household_id)
    assert "abc123" in assert_problem(post(client, household_id, f"check-ins/abc123/{action}", body), 404)["detail"]
    assert next_check_in(client, household_id) == planned


@pytest.mark.parametrize(("action", "body", "field"), [
    ("complete", {}, "body.kind"),
    ("complete", {"kind": "brief"}, "body.kind"),
    ("complete", {"kind": "huisbezoek", "life_domains": ["geld"]}, "body.life_domains.0"),
    ("complete", {"kind": "huisbezoek", "check_in_id": "abc"}, "body.check_in_id"),
    ("reschedule", {}, "body.due"),
    ("reschedule", {"due": "morgen"}, "body.due"),
    ("reschedule", {"due": "2026-12-03T10:00:00+01:00"}, "body.due"),
    ("reschedule", {"due": "2026-12-03", "reason": 1}, "body.reason"),
    ("cancel", {}, "body.reason"),
    ("cancel", {"reason": ""}, "body.reason"),
    ("cancel", {"reason": "Ziek", "next_due_on": "ooit"}, "body.next_due_on"),
    ("cancel", {"reason": "Ziek", "skip": True}, "body.skip"),
])
def test_a_check_in_command_with_bad_input_is_refused_naming_the_field(client, action, body, field):
    household_id = register(client)
    planned = next_check_in(client, household_id)
    assert_invalid(post(client, household_id, f"check-ins/{planned['id']}/{action}", body), field)
    assert next_check_in(client, household_id) == planned


def test_a_check_in_id_of_the_wrong_form_is_refused_naming_the_path(client):
    household_id = register(client)
    assert_invalid(post(client, household_id, "check-ins/a%20b/complete", {"kind": "huisbezoek"}), "path.check_in_id")


# ---- signaleringsplan --------------------------------------------------------------------


PLAN = {
    "groen": {"signs": ["Opent de post"], "actions": ["Maandelijks contact met buurman"]},
    "oranje": {"signs": ["Post blijft liggen"], "actions": ["Buurman belt de regisseur"]},
    "rood": {"signs": ["Afsluiting energie dreigt"], "actions": ["Regisseur gaat eropaf"]},
}


def test_a_signaleringsplan_is_agreed_per_phase(client):
    household_id = register(client)
    response = post(client, household_id, "signaleringsplan", {"phases": PLAN})
    assert response.status_code == 200
    assert summary(client, household_id)["signaleringsplan"] == PLAN


def test_a_signaleringsplan_may_name_only_one_phase_and_a_new_one_replaces_it(client):
    household_id = register(client)
    write(client, household_id, "signaleringsplan", {"phases": PLAN})
    write(client, household_id, "signaleringsplan", {"phases": {"oranje": {"signs": ["Slaapt slecht"]}}})
    assert summary(client, household_id)["signaleringsplan"] == {"oranje": {"signs": ["Slaapt slecht"],
                                                                            "actions": []}}


def test_a_signaleringsplan_without_any_sign_or_action_breaks_a_rule(client):
    household_id = register(client)
    assert_refused(post(client, household_id, "signaleringsplan", {"phases": {"groen": {}, "rood": {"signs": []}}}),
                   "a signaleringsplan names signs or actions for at least one phase")
    assert summary(client, household_id)["signaleringsplan"] == {}


@pytest.mark.parametrize(("body", "field"), [
    ({}, "body.phases"),
    ({"phases": {}}, "body.phases"),
    ({"phases": ["groen"]}, "body.phases"),
    ({"phases": {"paars": {"signs": ["x"]}}}, "body.phases.paars.[key]"),
    ({"phases": {"groen": {"signs": "Opent de post"}}}, "body.phases.groen.signs"),
    ({"phases": {"groen": {"signs": [1]}}}, "body.phases.groen.signs.0"),
    ({"phases": {"groen": {"signs": ["s" * 501]}}}, "body.phases.groen.signs.0"),
    ({"phases": {"groen": {"signs": ["x"] * 31}}}, "body.phases.groen.signs"),
    ({"phases": {"groen": {"signs": ["x"], "who": "Henk"}}}, "body.phases.groen.who"),
    ({"phases": {"groen": None}}, "body.phases.groen"),
])
def test_a_signaleringsplan_with_bad_input_is_refused_naming_the_field(client, body, field):
    household_id = register(client)
    assert_invalid(post(client, household_id, "signaleringsplan", body), field)


# ---- closure and reopening --------------------------------------------------------------


def test_a_closed_household_has_its_reason_and_no_check_in_left(client, households):
    household_id = register(client)
    response = post(client, household_id, "closure", {"reason_code": "goals_achieved",
                                                      "note": "Gezin redt het zelf; netwerk is betrokken"})
    assert response.status_code == 200
    household = summary(client, household_id)
    assert (household["status"], household["closure_reason"], household["next_check_in"]) == (
        "closed", "goals_achieved", None)
    assert kinds(households, household_id)[-2:] == ["CheckInCancelled", "Closed"]


@pytest.mark.parametrize(("path", "body"), [
    ("closure", {"reason_code": "moved"}),
    ("contacts", {"kind": "huisbezoek"}),
    ("members", {"name": "Sanne"}),
    ("escalations", {"to_level": "crisis", "reason": "Zorgen"}),
    ("de-escalations", {"to_level": "waakvlam", "reason": "Rustig"}),
    ("goals", {"life_domain": "housing", "description": "Woning"}),
    ("cadence", {"cadence": {"licht": 21}}),
    ("corrections", {"target_version": 1, "changes": {"label": "Fam. X"}, "reason": "Tikfout"}),
])
def test_anything_but_reopening_on_a_closed_household_breaks_a_rule(client, path, body):
    household_id = register(client)
    write(client, household_id, "closure", {"reason_code": "no_contact"})
    version = version_of(client, household_id)
    body = assert_refused(post(client, household_id, path, body), "nothing but reopening on a closed household")
    assert "closed" in body["detail"]
    assert version_of(client, household_id) == version


def test_a_reopened_household_is_open_again_with_a_new_check_in_at_the_intensity_asked(client, households):
    household_id = register(client)
    write(client, household_id, "closure", {"reason_code": "goals_achieved"})
    response = post(client, household_id, "reopening", {"reason": "Nieuw signaal van de huisarts",
                                                        "intensity": "intensief"})
    assert response.status_code == 200
    household = summary(client, household_id)
    assert (household["status"], household["closure_reason"], household["intensity"]) == ("open", None, "intensief")
    assert household["next_check_in"]["due"] == days_from_today(7)
    assert last_event(households, household_id, "Reopened").reason == "Nieuw signaal van de huisarts"
    assert write(client, household_id, "contacts", {"kind": "eropaf"})["item_id"]


def test_a_reopened_household_keeps_its_intensity_unless_told(client):
    household_id = register(client, intensity="waakvlam")
    write(client, household_id, "closure", {"reason_code": "declined"})
    write(client, household_id, "reopening", {"reason": "Toch hulp gevraagd"})
    household = summary(client, household_id)
    assert household["intensity"] == "waakvlam"
    assert household["next_check_in"]["due"] == days_from_today(42)


def test_only_a_closed_household_is_reopened(client):
    household_id = register(client)
    assert_refused(post(client, household_id, "reopening", {"reason": "Nieuw signaal"}),
                   "only a closed household can be reopened")


def test_a_reopening_reason_of_only_spaces_breaks_a_rule(client):
    household_id = register(client)
    write(client, household_id, "closure", {"reason_code": "moved"})
    assert_refused(post(client, household_id, "reopening", {"reason": " "}), "a reopening gives its reason")


@pytest.mark.parametrize(("path", "body", "field"), [
    ("closure", {}, "body.reason_code"),
    ("closure", {"reason_code": "klaar"}, "body.reason_code"),
    ("closure", {"reason_code": "moved", "note": ["x"]}, "body.note"),
    ("closure", {"reason_code": "moved", "reason": "verhuisd"}, "body.reason"),
    ("reopening", {}, "body.reason"),
    ("reopening", {"reason": "Nieuw signaal", "intensity": "hoog"}, "body.intensity"),
    ("reopening", {"reason": "Nieuw signaal", "reason_code": "moved"}, "body.reason_code"),
])
def test_closing_and_reopening_with_bad_input_is_refused_naming_the_field(client, path, body, field):
    household_id = register(client)
    if path == "reopening":
        write(client, household_id, "closure", {"reason_code": "moved"})
    status = summary(client, household_id)["status"]
    assert_invalid(post(client, household_id, path, body), field)
    assert summary(client, household_id)["status"] == status


# ---- corrections -------------------------------------------------------------------------


def test_a_correction_changes_what_the_household_shows_and_keeps_the_original(client, households):
    household_id = register(client, label="Fam. Jansen")
    response = post(client, household_id, "corrections", {"target_version": 1, "changes": {"label": "Fam. Janssen"},
                                                           "reason": "Tikfout in de naam"})
    assert response.status_code == 201
    assert summary(client, household_id)["label"] == "Fam. Janssen"
    registered, *_, corrected = events(households, household_id)
    assert registered.label == "Fam. Jansen"  # nothing in the store is ever updated
    assert (corrected.target_kind, corrected.original, corrected.changes, corrected.reason) == (
        "Registered", {"label": "Fam. Jansen"}, {"label": "Fam. Janssen"}, "Tikfout in de naam")


def test_a_correction_of_a_member_shows_in_the_household(client, households):
    household_id = register(client)
    result = write(client, household_id, "members", {"name": "Sanne", "birth_year": 1978})
    write(client, household_id, "corrections", {"target_version": result["version"],
                                                "changes": {"birth_year": 1987}, "reason": "Cijfers omgedraaid"})
    assert summary(client, household_id)["members"][result["item_id"]]["birth_year"] == 1987
    assert last_event(households, household_id, "Corrected").item_id == result["item_id"]


def test_a_contact_corrected_to_an_earlier_moment_keeps_the_original_moment_in_the_store(client, households):
    household_id = register(client, occurred_at="2026-01-05T09:00:00+01:00")
    result = write(client, household_id, "contacts", {"kind": "telefonisch",
                                                      "occurred_at": "2026-01-12T10:00:00+01:00"})
    write(client, household_id, "corrections", {"target_version": result["version"],
                                                "changes": {"occurred_at": "2026-01-11T10:00:00+01:00",
                                                            "kind": "huisbezoek"},
                                                "reason": "Was een dag eerder, op huisbezoek"})
    corrected = last_event(households, household_id, "Corrected")
    assert corrected.original["kind"] == "telefonisch"
    assert corrected.changes["kind"] == "huisbezoek"


@pytest.mark.parametrize("target_version", [3, 99])
def test_a_correction_of_an_event_the_household_does_not_have_is_not_found(client, target_version):
    household_id = register(client)
    assert_problem(post(client, household_id, "corrections", {"target_version": target_version,
                                                              "changes": {"label": "x"}, "reason": "x"}), 404)


def test_a_decision_is_undone_by_a_new_decision_not_corrected(client):
    household_id = register(client)
    write(client, household_id, "escalations", {"to_level": "crisis", "reason": "Zorgen"})  # Escalated is version 3
    assert_refused(post(client, household_id, "corrections", {"target_version": 3,
                                                              "changes": {"to_level": "licht"}, "reason": "Te snel"}),
                   "only recorded facts can be corrected")
    assert summary(client, household_id)["intensity"] == "crisis"


def test_a_correction_moving_a_contact_into_the_future_breaks_a_rule(client):
    household_id = register(client)
    result = write(client, household_id, "contacts", {"kind": "telefonisch"})
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert_refused(post(client, household_id, "corrections", {"target_version": result["version"],
                                                              "changes": {"occurred_at": tomorrow}, "reason": "x"}),
                   "nothing is recorded as having happened in the future")


def test_a_correction_of_only_spaces_breaks_a_rule(client):
    household_id = register(client)
    assert_refused(post(client, household_id, "corrections", {"target_version": 1, "changes": {"label": "Fam. X"},
                                                              "reason": "  "}), "a correction says why")


@pytest.mark.parametrize(("body", "field"), [
    ({"changes": {"label": "x"}, "reason": "x"}, "body.target_version"),
    ({"target_version": 0, "changes": {"label": "x"}, "reason": "x"}, "body.target_version"),
    ({"target_version": "eerste", "changes": {"label": "x"}, "reason": "x"}, "body.target_version"),
    ({"target_version": 1, "reason": "x"}, "body.changes"),
    ({"target_version": 1, "changes": {}, "reason": "x"}, "body.changes"),
    ({"target_version": 1, "changes": ["label"], "reason": "x"}, "body.changes"),
    ({"target_version": 1, "changes": {"label": "x"}}, "body.reason"),
    ({"target_version": 1, "changes": {"label": "x"}, "reason": ""}, "body.reason"),
    ({"target_version": 1, "changes": {"team": "Zuid"}, "reason": "x"}, "body.changes.team"),
    ({"target_version": 1, "changes": {"label": ""}, "reason": "x"}, "body.changes.label"),
    ({"target_version": 1, "changes": {"label": 5}, "reason": "x"}, "body.changes.label"),
    ({"target_version": 1, "changes": {"label": "x"}, "reason": "x", "actor": "dirk"}, "body.actor"),
])
def test_a_correction_with_bad_input_is_refused_naming_the_field(client, body, field):
    household_id = register(client, label="Fam. Jansen")
    assert_invalid(post(client, household_id, "corrections", body), field)
    assert summary(client, household_id)["label"] == "Fam. Jansen"


@pytest.mark.parametrize(("changes", "field"), [
    ({"birth_year": "1987"}, "body.changes.birth_year"),
    ({"birth_year": 1800}, "body.changes.birth_year"),
    ({"name": ""}, "body.changes.name"),
    ({"colour": "blauw"}, "body.changes.colour"),
])
def test_a_correction_of_a_member_with_bad_values_is_refused_naming_the_field(client, changes, field):
    household_id = register(client)
    result = write(client, household_id, "members", {"name": "Sanne", "birth_year": 1978})
    assert_invalid(post(client, household_id, "corrections", {"target_version": result["version"],
                                                              "changes": changes, "reason": "x"}), field)
    assert summary(client, household_id)["members"][result["item_id"]]["birth_year"] == 1978


@pytest.mark.parametrize(("changes", "field"), [
    ({"occurred_at": "gisteren"}, "body.changes.occurred_at"),
    ({"occurred_at": "2026-01-11T10:00:00"}, "body.changes.occurred_at"),
    ({"occurred_at": 1767000000}, "body.changes.occurred_at"),
    ({"kind": "brief"}, "body.changes.kind"),
    ({"life_domains": "finances"}, "body.changes.life_domains"),
    ({"participants": [1, 2]}, "body.changes.participants"),
])
def test_a_correction_of_a_contact_with_bad_values_is_refused_naming_the_field(client, changes, field):
    household_id = register(client)
    result = write(client, household_id, "contacts", {"kind": "telefonisch"})
    assert_invalid(post(client, household_id, "corrections", {"target_version": result["version"],
                                                              "changes": changes, "reason": "x"}), field)


def test_a_correction_to_a_moment_without_a_utc_equivalent_is_invalid_not_a_crash(client):
    household_id = register(client)
    result = write(client, household_id, "contacts", {"kind": "telefonisch"})
    response = post(client, household_id, "corrections", {"target_version": result["version"],
                                                          "changes": {"occurred_at": "0001-01-01T00:00:00+01:00"},
                                                          "reason": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.changes.occurred_at"


# ---- a correction cannot record what the command may not --------------------------------------

SPECIALIST_CARE = {"support_level": "specialistisch", "provider": "GGZ Noord", "description": "Traject",
                   "handover_note": "Samen kennisgemaakt"}
SHARING = "sharing with a provider outside the team needs consent or a legal basis"


@pytest.mark.parametrize(("provider", "rule"), [
    ("Jeugdzorg Zuid", SHARING),  # no consent for them
    ("", "formal care names its provider"),
])
def test_a_correction_of_the_provider_is_refused_as_starting_the_care_so_would_be(client, households, provider,
                                                                                 rule):
    household_id = register(client)
    write(client, household_id, "consents", {"given_by": "Sanne Jansen", "party": "GGZ Noord",
                                             "purpose": "Warme overdracht"})
    started = write(client, household_id, "interventions", SPECIALIST_CARE)

    body = assert_refused(post(client, household_id, "corrections", {
        "target_version": started["version"], "changes": {"provider": provider}, "reason": "Andere aanbieder"}), rule)

    assert_refused(post(client, household_id, "interventions", {**SPECIALIST_CARE, "provider": provider}), rule)
    assert version_of(client, household_id) == started["version"]  # nothing recorded
    assert "Corrected" not in kinds(households, household_id)
    if provider:
        assert provider in body["detail"]


def test_a_correction_to_a_blank_name_is_refused_as_adding_the_member_so_would_be(client):
    household_id = register(client)
    result = write(client, household_id, "members", {"name": "Sanne"})
    assert_refused(post(client, household_id, "corrections", {"target_version": result["version"],
                                                              "changes": {"name": "   "}, "reason": "x"}),
                   "a member has a name")
    assert_refused(post(client, household_id, "members", {"name": "   "}), "a member has a name")
    assert summary(client, household_id)["members"][result["item_id"]]["name"] == "Sanne"
