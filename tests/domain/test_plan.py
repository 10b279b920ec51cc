"""The one plan: goals per life domain, agreements (who does what by when) and
interventions on the support ladder."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import NotFound, RuleViolation
from tests.domain.support import ACTOR, day, events_of, only


def test_a_goal_is_set_revised_and_achieved(app, household):
    goal = app.set_goal(household, actor=ACTOR, life_domain="finances",
                        description="Grip op de post en de rekeningen").item_id
    app.revise_goal(household, goal, actor=ACTOR, description="Alle rekeningen op tijd betaald",
                    reason="concreter gemaakt")
    app.achieve_goal(household, goal, actor=ACTOR, note="Drie maanden zonder achterstand")

    assert app.get(household).goals == {goal: "achieved"}
    set_ = only(app, household, "GoalSet")
    assert (set_.goal_id, set_.life_domain) == (goal, "finances")
    revised = only(app, household, "GoalRevised")
    assert (revised.description, revised.reason) == ("Alle rekeningen op tijd betaald", "concreter gemaakt")
    assert only(app, household, "GoalAchieved").note == "Drie maanden zonder achterstand"


def test_a_goal_that_no_longer_fits_is_dropped_with_a_reason(app, household):
    goal = app.set_goal(household, actor=ACTOR, life_domain="work_education", description="Werk vinden").item_id
    app.drop_goal(household, goal, actor=ACTOR, reason="Eerst herstel, werk later")
    assert app.get(household).goals == {goal: "dropped"}
    assert only(app, household, "GoalDropped").reason == "Eerst herstel, werk later"


@pytest.mark.parametrize("finish", ["achieve", "drop"])
def test_a_finished_goal_cannot_be_revised_achieved_or_dropped(app, household, finish):
    goal = app.set_goal(household, actor=ACTOR, life_domain="housing", description="Passende woning").item_id
    if finish == "achieve":
        app.achieve_goal(household, goal, actor=ACTOR)
    else:
        app.drop_goal(household, goal, actor=ACTOR, reason="verhuisd")
    version = app.get(household).version

    with pytest.raises(RuleViolation):
        app.revise_goal(household, goal, actor=ACTOR, description="anders")
    with pytest.raises(RuleViolation):
        app.achieve_goal(household, goal, actor=ACTOR)
    with pytest.raises(RuleViolation) as refused:
        app.drop_goal(household, goal, actor=ACTOR, reason="toch niet")
    assert refused.value.rule == "a finished goal cannot be acted on"
    assert app.get(household).version == version


def test_an_agreement_says_who_does_what_by_when(app, household):
    goal = app.set_goal(household, actor=ACTOR, life_domain="finances", description="Schulden in beeld").item_id
    agreement = app.make_agreement(household, actor=ACTOR, who=" Sandra ", what=" Post openen met buurvrouw ",
                                   due=date(2031, 5, 1), goal_id=goal).item_id

    made = only(app, household, "AgreementMade")
    assert (made.agreement_id, made.goal_id, made.who, made.what) == (
        agreement, goal, "Sandra", "Post openen met buurvrouw")
    assert made.due == date(2031, 5, 1)  # a date survives the round trip through the store
    assert app.get(household).agreements == {agreement: "open"}

    app.complete_agreement(household, agreement, actor=ACTOR, note="Gaat goed")
    assert app.get(household).agreements == {agreement: "completed"}
    with pytest.raises(RuleViolation):
        app.cancel_agreement(household, agreement, actor=ACTOR, reason="te laat")


def test_a_cancelled_agreement_stays_cancelled(app, household):
    agreement = app.make_agreement(household, actor=ACTOR, who="Kevin", what="Naar school").item_id
    app.cancel_agreement(household, agreement, actor=ACTOR, reason="Andere aanpak")
    assert app.get(household).agreements == {agreement: "cancelled"}
    assert only(app, household, "AgreementCancelled").reason == "Andere aanpak"
    with pytest.raises(RuleViolation):
        app.complete_agreement(household, agreement, actor=ACTOR)


@pytest.mark.parametrize("who, what", [("", "iets"), ("Sandra", "  ")])
def test_an_agreement_names_who_and_what(app, household, who, what):
    with pytest.raises(RuleViolation):
        app.make_agreement(household, actor=ACTOR, who=who, what=what)
    assert app.get(household).agreements == {}


def test_an_agreement_or_intervention_serves_an_open_goal(app, household):
    goal = app.set_goal(household, actor=ACTOR, life_domain="housing", description="Woning behouden").item_id
    app.achieve_goal(household, goal, actor=ACTOR)

    with pytest.raises(RuleViolation):
        app.make_agreement(household, actor=ACTOR, who="Sandra", what="Huur betalen", goal_id=goal)
    with pytest.raises(RuleViolation):
        app.start_intervention(household, actor=ACTOR, support_level="netwerk", description="Hulp zus",
                               goal_id=goal)
    with pytest.raises(NotFound):
        app.make_agreement(household, actor=ACTOR, who="Sandra", what="Huur betalen", goal_id="nosuchgoal")
    with pytest.raises(NotFound):
        app.start_intervention(household, actor=ACTOR, support_level="netwerk", description="Hulp zus",
                               goal_id="nosuchgoal")
    assert app.get(household).agreements == {}
    assert app.get(household).interventions == {}


def test_own_strength_and_the_network_come_without_a_provider(app, household):
    own = app.start_intervention(household, actor=ACTOR, support_level="eigen_kracht",
                                 description="Sandra belt zelf de woningcorporatie").item_id
    network = app.start_intervention(household, actor=ACTOR, support_level="netwerk",
                                     description="Zus helpt met de administratie").item_id
    assert app.get(household).interventions == {own: "open", network: "open"}
    assert [e.provider for e in events_of(app, household, "InterventionStarted")] == ["", ""]


def test_specialist_care_starts_with_a_warm_handover(app, household):
    with pytest.raises(RuleViolation) as refused:
        app.start_intervention(household, actor=ACTOR, support_level="specialistisch",
                               description="Traject GGZ", provider="GGZ Noord")
    assert refused.value.rule == "specialist care starts with a warm handover"

    with pytest.raises(RuleViolation):
        app.start_intervention(household, actor=ACTOR, support_level="specialistisch",
                               description="Traject GGZ", provider="GGZ Noord", handover_note="   ")
    assert app.get(household).interventions == {}

    started = app.start_intervention(
        household, actor=ACTOR, support_level="specialistisch", description="Traject GGZ",
        provider=" GGZ Noord ", handover_note="Samen met Sandra kennisgemaakt bij de intake.",
        legal_basis="Wmo 2015 art. 5.2.3")
    event = only(app, household, "InterventionStarted")
    assert event.intervention_id == started.item_id
    assert (event.support_level, event.provider) == ("specialistisch", "GGZ Noord")
    assert event.handover_note == "Samen met Sandra kennisgemaakt bij de intake."


@pytest.mark.parametrize("level, handover_note", [("eerstelijns", ""), ("specialistisch", "warm overgedragen")])
def test_formal_care_names_its_provider(app, household, level, handover_note):
    with pytest.raises(RuleViolation) as refused:
        app.start_intervention(household, actor=ACTOR, support_level=level, description="Hulp",
                               provider="  ", handover_note=handover_note)
    assert refused.value.rule == "formal care names its provider"
    assert app.get(household).interventions == {}


def test_an_intervention_ends_once(app, household):
    app.record_consent(household, actor=ACTOR, given_by="Sandra", party="Kredietbank", purpose="Schuldhulp")
    intervention = app.start_intervention(household, actor=ACTOR, support_level="eerstelijns",
                                          description="Schuldhulp", provider="Kredietbank").item_id
    app.end_intervention(household, intervention, actor=ACTOR, outcome="Schuldregeling loopt")
    assert app.get(household).interventions == {intervention: "ended"}
    assert only(app, household, "InterventionEnded").outcome == "Schuldregeling loopt"
    with pytest.raises(RuleViolation):
        app.end_intervention(household, intervention, actor=ACTOR)


def test_a_signaleringsplan_names_signs_and_actions_per_phase(app, household):
    phases = {
        "groen": {"signs": ["post wordt geopend"], "actions": []},
        "oranje": {"signs": ["gordijnen overdag dicht"], "actions": ["buurvrouw belt de regisseur"]},
        "rood": {"signs": ["aanmaning deurwaarder"], "actions": ["regisseur gaat eropaf"]},
    }
    app.agree_signaleringsplan(household, actor=ACTOR, phases=phases, occurred_at=day(20))
    assert app.get(household).signaleringsplan == phases
    assert only(app, household, "SignaleringsplanAgreed").phases == phases


def test_an_empty_signaleringsplan_is_no_plan(app, household):
    with pytest.raises(RuleViolation):
        app.agree_signaleringsplan(household, actor=ACTOR, phases={"groen": {"signs": [], "actions": []}})
    with pytest.raises(RuleViolation):
        app.agree_signaleringsplan(household, actor=ACTOR, phases={})
    assert app.get(household).signaleringsplan == {}


@pytest.mark.parametrize("command", [
    lambda app, h: app.revise_goal(h, "nosuchgoal", actor=ACTOR, description="x"),
    lambda app, h: app.achieve_goal(h, "nosuchgoal", actor=ACTOR),
    lambda app, h: app.drop_goal(h, "nosuchgoal", actor=ACTOR, reason="x"),
    lambda app, h: app.complete_agreement(h, "nosuchagreement", actor=ACTOR),
    lambda app, h: app.cancel_agreement(h, "nosuchagreement", actor=ACTOR, reason="x"),
    lambda app, h: app.end_intervention(h, "nosuchintervention", actor=ACTOR),
], ids=["revise goal", "achieve goal", "drop goal", "complete agreement", "cancel agreement", "end intervention"])
def test_acting_on_a_plan_item_the_household_does_not_have_is_not_found(app, household, command):
    goal = app.set_goal(household, actor=ACTOR, life_domain="housing", description="Woning behouden").item_id
    version = app.get(household).version

    with pytest.raises(NotFound):
        command(app, household)

    assert app.get(household).version == version
    assert app.get(household).goals == {goal: "open"}


def test_a_plan_item_id_belongs_to_its_own_kind(app, household):
    goal = app.set_goal(household, actor=ACTOR, life_domain="housing", description="Woning behouden").item_id
    with pytest.raises(NotFound):
        app.complete_agreement(household, goal, actor=ACTOR)
    with pytest.raises(NotFound):
        app.end_intervention(household, goal, actor=ACTOR)
    assert app.get(household).goals == {goal: "open"}
