"""The plan: goals per life domain, agreements (who does what by when) and
interventions along the support ladder. Each item is open until it is
finished, and a finished item is not acted on again."""

from __future__ import annotations

from datetime import date

import pytest

from tests.api.support import (
    UNKNOWN_HOUSEHOLD,
    an_intervention,
    assert_invalid,
    assert_problem,
    assert_refused,
    consented,
    days_from_today,
    last_event,
    post,
    register,
    summary,
    version_of,
    write,
)

GOAL = {"life_domain": "finances", "description": "Schulden zijn in beeld en er is een budgetplan"}


def _goal(client, household_id: str) -> str:
    return write(client, household_id, "goals", GOAL)["item_id"]


def _agreement(client, household_id: str, **extra) -> str:
    return write(client, household_id, "agreements", {"who": "Sanne", "what": "Belt de woningcorporatie",
                                                      **extra})["item_id"]


def _intervention(client, household_id: str) -> str:
    return an_intervention(client, household_id)["intervention_id"]


# ---- goals -------------------------------------------------------------------------


def test_a_goal_set_for_a_life_domain_is_open(client, households):
    household_id = register(client)
    response = post(client, household_id, "goals", GOAL)
    assert response.status_code == 201
    goal_id = response.json()["item_id"]
    assert summary(client, household_id)["goals"] == {goal_id: "open"}
    event = last_event(households, household_id, "GoalSet")
    assert (event.goal_id, event.life_domain, event.description) == (goal_id, "finances", GOAL["description"])


def test_a_revised_goal_stays_open_and_keeps_what_changed_and_why(client, households):
    household_id = register(client)
    goal_id = _goal(client, household_id)
    response = post(client, household_id, f"goals/{goal_id}/revise",
                    {"description": "Schuldregeling is aangevraagd", "reason": "eerste stap gehaald"})
    assert response.status_code == 200
    assert summary(client, household_id)["goals"] == {goal_id: "open"}
    event = last_event(households, household_id, "GoalRevised")
    assert (event.goal_id, event.description, event.reason) == (goal_id, "Schuldregeling is aangevraagd",
                                                                 "eerste stap gehaald")


def test_an_achieved_goal_is_achieved_and_cannot_be_achieved_revised_or_dropped_again(client):
    household_id = register(client)
    goal_id = _goal(client, household_id)
    assert post(client, household_id, f"goals/{goal_id}/achieve", {"note": "Budgetplan loopt"}).status_code == 200
    assert summary(client, household_id)["goals"] == {goal_id: "achieved"}

    version = version_of(client, household_id)
    for action, body in [("achieve", {}), ("revise", {"description": "Nieuw"}), ("drop", {"reason": "Toch niet"})]:
        response = post(client, household_id, f"goals/{goal_id}/{action}", body)
        assert "already achieved" in assert_refused(response, "a finished goal cannot be acted on")["detail"]
    assert version_of(client, household_id) == version


def test_a_dropped_goal_is_dropped_with_its_reason_and_cannot_be_achieved(client, households):
    household_id = register(client)
    goal_id = _goal(client, household_id)
    other = _goal(client, household_id)
    assert post(client, household_id, f"goals/{goal_id}/drop", {"reason": "Niet meer nodig"}).status_code == 200
    assert summary(client, household_id)["goals"] == {goal_id: "dropped", other: "open"}
    assert last_event(households, household_id, "GoalDropped").reason == "Niet meer nodig"
    assert_refused(post(client, household_id, f"goals/{goal_id}/achieve", {}), "a finished goal cannot be acted on")


@pytest.mark.parametrize("action", ["revise", "achieve", "drop"])
def test_an_unknown_goal_is_not_found(client, action):
    household_id = register(client)
    body = {"revise": {"description": "x"}, "achieve": {}, "drop": {"reason": "x"}}[action]
    assert "abc123" in assert_problem(post(client, household_id, f"goals/abc123/{action}", body), 404)["detail"]


@pytest.mark.parametrize(("path", "body", "field"), [
    ("goals", {"description": "Budgetplan"}, "body.life_domain"),
    ("goals", {"life_domain": "geld", "description": "Budgetplan"}, "body.life_domain"),
    ("goals", {"life_domain": "finances"}, "body.description"),
    ("goals", {"life_domain": "finances", "description": ""}, "body.description"),
    ("goals", {"life_domain": "finances", "description": "d" * 2001}, "body.description"),
    ("goals", {**GOAL, "deadline": "2026-12-01"}, "body.deadline"),
    ("goals/{goal}/revise", {}, "body.description"),
    ("goals/{goal}/revise", {"description": "Nieuw", "reason": ["waarom"]}, "body.reason"),
    ("goals/{goal}/achieve", {"note": 5}, "body.note"),
    ("goals/{goal}/achieve", {"achieved": True}, "body.achieved"),
    ("goals/{goal}/drop", {}, "body.reason"),
    ("goals/{goal}/drop", {"reason": ""}, "body.reason"),
    ("goals/not%20a%20goal/drop", {"reason": "x"}, "path.goal_id"),
])
def test_a_goal_command_with_bad_input_is_refused_naming_the_field(client, path, body, field):
    household_id = register(client)
    goal_id = _goal(client, household_id)
    assert_invalid(post(client, household_id, path.format(goal=goal_id), body), field)
    assert summary(client, household_id)["goals"] == {goal_id: "open"}


# ---- agreements ------------------------------------------------------------------------


def test_an_agreement_says_who_does_what_by_when_for_which_goal(client, households):
    household_id = register(client)
    goal_id = _goal(client, household_id)
    response = post(client, household_id, "agreements", {"who": " Sanne ", "what": "Belt de woningcorporatie",
                                                         "due": days_from_today(7), "goal_id": goal_id})
    assert response.status_code == 201
    agreement_id = response.json()["item_id"]
    assert summary(client, household_id)["agreements"] == {agreement_id: "open"}
    event = last_event(households, household_id, "AgreementMade")
    assert (event.who, event.goal_id, event.due) == ("Sanne", goal_id, date.fromisoformat(days_from_today(7)))


def test_a_completed_agreement_cannot_be_cancelled(client):
    household_id = register(client)
    agreement_id = _agreement(client, household_id)
    assert post(client, household_id, f"agreements/{agreement_id}/complete", {"note": "Geregeld"}).status_code == 200
    assert summary(client, household_id)["agreements"] == {agreement_id: "completed"}
    for action, body in [("cancel", {"reason": "Toch niet"}), ("complete", {})]:
        assert_refused(post(client, household_id, f"agreements/{agreement_id}/{action}", body),
                       "a finished agreement cannot be acted on")


def test_a_cancelled_agreement_cannot_be_completed(client):
    household_id = register(client)
    agreement_id = _agreement(client, household_id)
    assert post(client, household_id, f"agreements/{agreement_id}/cancel",
                {"reason": "Dubbel afgesproken"}).status_code == 200
    assert summary(client, household_id)["agreements"] == {agreement_id: "cancelled"}
    assert_refused(post(client, household_id, f"agreements/{agreement_id}/complete", {}),
                   "a finished agreement cannot be acted on")


def test_an_agreement_for_an_unknown_goal_is_not_found_and_not_made(client):
    household_id = register(client)
    assert_problem(post(client, household_id, "agreements", {"who": "Sanne", "what": "Bellen",
                                                             "goal_id": "abc123"}), 404)
    assert summary(client, household_id)["agreements"] == {}


def test_an_agreement_for_an_achieved_goal_breaks_a_rule(client):
    household_id = register(client)
    goal_id = _goal(client, household_id)
    write(client, household_id, f"goals/{goal_id}/achieve", {})
    assert_refused(post(client, household_id, "agreements", {"who": "Sanne", "what": "Bellen", "goal_id": goal_id}),
                   "a finished goal cannot be acted on")


def test_an_agreement_of_only_spaces_breaks_a_rule(client):
    household_id = register(client)
    assert_refused(post(client, household_id, "agreements", {"who": " ", "what": "Bellen"}),
                   "an agreement says who does what")


@pytest.mark.parametrize("action", ["complete", "cancel"])
def test_an_unknown_agreement_is_not_found(client, action):
    household_id = register(client)
    body = {"reason": "Dubbel"} if action == "cancel" else {}
    assert_problem(post(client, household_id, f"agreements/abc123/{action}", body), 404)


@pytest.mark.parametrize(("path", "body", "field"), [
    ("agreements", {"what": "Bellen"}, "body.who"),
    ("agreements", {"who": "Sanne"}, "body.what"),
    ("agreements", {"who": "Sanne", "what": "Bellen", "due": "volgende week"}, "body.due"),
    ("agreements", {"who": "Sanne", "what": "Bellen", "due": "2026-02-30"}, "body.due"),
    ("agreements", {"who": "Sanne", "what": "Bellen", "goal_id": "a b"}, "body.goal_id"),
    ("agreements", {"who": ["Sanne", "Henk"], "what": "Bellen"}, "body.who"),
    ("agreements", {"who": "Sanne", "what": "Bellen", "reminder": True}, "body.reminder"),
    ("agreements/{agreement}/complete", {"note": {"tekst": "klaar"}}, "body.note"),
    ("agreements/{agreement}/cancel", {}, "body.reason"),
    ("agreements/{agreement}/cancel", {"reason": None}, "body.reason"),
    ("agreements/%3Cscript%3E/cancel", {"reason": "x"}, "path.agreement_id"),
])
def test_an_agreement_command_with_bad_input_is_refused_naming_the_field(client, path, body, field):
    household_id = register(client)
    agreement_id = _agreement(client, household_id)
    assert_invalid(post(client, household_id, path.format(agreement=agreement_id), body), field)
    assert summary(client, household_id)["agreements"] == {agreement_id: "open"}


# ---- interventions --------------------------------------------------------------------------


def test_an_intervention_on_the_support_ladder_is_started_for_a_goal(client, households):
    household_id = register(client)
    goal_id = _goal(client, household_id)
    consented(client, household_id, "Schuldhulpmaatje")  # the volunteer organisation gets the household's data
    response = post(client, household_id, "interventions", {
        "support_level": "vrijwillig", "provider": "Schuldhulpmaatje", "goal_id": goal_id,
        "description": "Maatje helpt wekelijks met de administratie"})
    assert response.status_code == 201
    intervention_id = response.json()["item_id"]
    assert summary(client, household_id)["interventions"] == {intervention_id: "open"}
    event = last_event(households, household_id, "InterventionStarted")
    assert (event.support_level, event.provider, event.goal_id) == ("vrijwillig", "Schuldhulpmaatje", goal_id)


def test_the_households_own_strength_needs_no_provider(client):
    household_id = register(client)
    assert post(client, household_id, "interventions", {"support_level": "eigen_kracht"}).status_code == 201


def test_specialist_care_without_a_warm_handover_note_breaks_a_rule(client):
    household_id = register(client)
    body = assert_refused(post(client, household_id, "interventions", {
        "support_level": "specialistisch", "provider": "GGZ Noord"}), "specialist care starts with a warm handover")
    assert "handover" in body["detail"]
    assert_refused(post(client, household_id, "interventions", {
        "support_level": "specialistisch", "provider": "GGZ Noord", "handover_note": "   "}),
        "specialist care starts with a warm handover")
    assert summary(client, household_id)["interventions"] == {}


def test_specialist_care_with_a_warm_handover_starts(client, households):
    household_id = register(client)
    result = write(client, household_id, "interventions", {
        "support_level": "specialistisch", "provider": "GGZ Noord", "legal_basis": "Wmo 2015 art. 5.2.3",
        "handover_note": "Samen met Sanne kennisgemaakt; intake op 3 december"})
    assert summary(client, household_id)["interventions"] == {result["item_id"]: "open"}
    assert last_event(households, household_id, "InterventionStarted").handover_note.startswith("Samen met Sanne")


def test_formal_care_without_a_provider_breaks_a_rule(client):
    household_id = register(client)
    assert_refused(post(client, household_id, "interventions", {"support_level": "eerstelijns"}),
                   "formal care names its provider")


def test_an_ended_intervention_cannot_be_ended_again(client, households):
    household_id = register(client)
    intervention_id = _intervention(client, household_id)
    response = post(client, household_id, f"interventions/{intervention_id}/end", {"outcome": "Administratie op orde"})
    assert response.status_code == 200
    assert summary(client, household_id)["interventions"] == {intervention_id: "ended"}
    assert last_event(households, household_id, "InterventionEnded").outcome == "Administratie op orde"
    version = version_of(client, household_id)
    assert_refused(post(client, household_id, f"interventions/{intervention_id}/end", {}),
                   "a finished intervention cannot be acted on")
    assert version_of(client, household_id) == version


def test_an_unknown_intervention_is_not_found(client):
    household_id = register(client)
    assert_problem(post(client, household_id, "interventions/abc123/end", {}), 404)


def test_an_intervention_for_an_unknown_goal_is_not_found(client):
    household_id = register(client)
    assert_problem(post(client, household_id, "interventions", {"support_level": "netwerk", "goal_id": "abc123"}),
                   404)


@pytest.mark.parametrize(("path", "body", "field"), [
    ("interventions", {}, "body.support_level"),
    ("interventions", {"support_level": "mantelzorg"}, "body.support_level"),
    ("interventions", {"support_level": 3}, "body.support_level"),
    ("interventions", {"support_level": "netwerk", "provider": "p" * 201}, "body.provider"),
    ("interventions", {"support_level": "netwerk", "handover_note": 1}, "body.handover_note"),
    ("interventions", {"support_level": "netwerk", "budget": 1000}, "body.budget"),
    ("interventions/{intervention}/end", {"outcome": ["ok"]}, "body.outcome"),
    ("interventions/{intervention}/end", {"ended": "ja"}, "body.ended"),
    ("interventions/a.b/end", {}, "path.intervention_id"),
])
def test_an_intervention_command_with_bad_input_is_refused_naming_the_field(client, path, body, field):
    household_id = register(client)
    intervention_id = _intervention(client, household_id)
    assert_invalid(post(client, household_id, path.format(intervention=intervention_id), body), field)
    assert summary(client, household_id)["interventions"] == {intervention_id: "open"}


def test_the_plan_of_an_unknown_household_is_not_found(client):
    for path, body in [("goals", GOAL), ("agreements", {"who": "Sanne", "what": "Bellen"}),
                       ("interventions", {"support_level": "netwerk"})]:
        assert_problem(post(client, UNKNOWN_HOUSEHOLD, path, body), 404)
