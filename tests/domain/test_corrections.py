"""A correction never changes the event it corrects: it is a new event holding
the original values, the corrected ones and the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from domain.errors import InvalidInput, NotFound, RuleViolation
from domain.household import recording_at
from tests.domain.support import ACTOR, START, day, events, local_day, only


def version_of(app, household_id, kind):
    (event,) = [e for e in events(app, household_id) if type(e).__name__ == kind]
    return event.originator_version


def test_a_mistyped_birth_year_is_corrected_and_the_original_event_stays(app, household):
    member = app.add_member(household, actor=ACTOR, name="Sandra", role="moeder", birth_year=1948,
                            occurred_at=day(1)).item_id
    target = version_of(app, household, "MemberAdded")

    app.correct(household, actor="fatima", target_version=target, changes={"birth_year": 1984},
                reason="Cijfers omgedraaid")

    corrected = only(app, household, "Corrected")
    assert corrected.actor == "fatima"
    assert (corrected.target_version, corrected.target_kind, corrected.item_id) == (target, "MemberAdded", member)
    assert corrected.original == {"birth_year": 1948}
    assert corrected.changes == {"birth_year": 1984}
    assert corrected.reason == "Cijfers omgedraaid"
    assert only(app, household, "MemberAdded").birth_year == 1948  # the original, untouched
    assert app.get(household).members[member] == {"name": "Sandra", "role": "moeder", "birth_year": 1984}


def test_the_households_label_is_corrected_through_its_registration(app, household):
    app.correct(household, actor=ACTOR, target_version=1, changes={"label": " Fam. De Vries-Bakker "},
                reason="Achternaam partner ontbrak")

    corrected = only(app, household, "Corrected")
    assert (corrected.target_kind, corrected.item_id) == ("Registered", None)
    assert corrected.original == {"label": "Fam. De Vries"}
    assert corrected.changes == {"label": "Fam. De Vries-Bakker"}
    assert app.get(household).label == "Fam. De Vries-Bakker"
    assert only(app, household, "Registered").label == "Fam. De Vries"


def test_when_a_home_visit_happened_can_be_corrected(app, household):
    contact = app.record_contact(household, actor=ACTOR, kind="huisbezoek", life_domains=["housing"],
                                 occurred_at=day(4)).item_id
    target = version_of(app, household, "ContactRecorded")

    app.correct(household, actor=ACTOR, target_version=target,
                changes={"occurred_at": day(3).isoformat(), "life_domains": ["housing", "finances"]},
                reason="Bezoek was een dag eerder; financien ook besproken")

    corrected = only(app, household, "Corrected")
    assert corrected.item_id == contact
    assert corrected.original == {"occurred_at": day(4), "life_domains": ["housing"]}
    assert corrected.changes == {"occurred_at": day(3), "life_domains": ["finances", "housing"]}
    assert only(app, household, "ContactRecorded").occurred_at == day(4)


def test_a_corrected_assessment_corrects_the_scores(app, household):
    app.record_assessment(household, actor=ACTOR, scores={"finances": 1, "housing": 4})
    target = version_of(app, household, "AssessmentRecorded")

    app.correct(household, actor=ACTOR, target_version=target, changes={"scores": {"finances": 2}},
                reason="Verkeerd vakje")

    assert app.get(household).scores == {"finances": 2, "housing": 4}


@pytest.mark.parametrize("kind, fields, changes, field", [
    ("MemberAdded", {"name": "Sandra"}, {"shoe_size": 39}, "changes.shoe_size"),
    ("MemberAdded", {"name": "Sandra"}, {"name": ""}, "changes.name"),
    ("MemberAdded", {"name": "Sandra"}, {"name": 7}, "changes.name"),
    ("MemberAdded", {"name": "Sandra"}, {"birth_year": 1850}, "changes.birth_year"),
    ("MemberAdded", {"name": "Sandra"}, {}, "changes"),
    ("AssessmentRecorded", {"scores": {"housing": 3}}, {"scores": {"housing": 7}}, "changes.scores"),
    ("AssessmentRecorded", {"scores": {"housing": 3}}, {"scores": {"moon": 3}}, "changes.scores"),
    ("AssessmentRecorded", {"scores": {"housing": 3}}, {"scores": {"housing": True}}, "changes.scores"),
    ("ContactRecorded", {"kind": "telefonisch"}, {"kind": "brief"}, "changes.kind"),
    ("ContactRecorded", {"kind": "telefonisch"}, {"occurred_at": "2025-01-01T10:00:00"}, "changes.occurred_at"),
    ("ContactRecorded", {"kind": "telefonisch"}, {"occurred_at": "gisteren"}, "changes.occurred_at"),
    # No longer than the command's request body allows (api/schemas/commands.py).
    ("MemberAdded", {"name": "Sandra"}, {"name": "S" * 201}, "changes.name"),
    ("MemberAdded", {"name": "Sandra"}, {"role": "moeder" * 20}, "changes.role"),
    ("ContactRecorded", {"kind": "telefonisch"}, {"summary": "x" * 10_001}, "changes.summary"),
    ("ContactRecorded", {"kind": "telefonisch"}, {"participants": ["Sandra"] * 51}, "changes.participants"),
    ("ContactRecorded", {"kind": "telefonisch"}, {"participants": ["S" * 201]}, "changes.participants"),
])
def test_a_correction_with_an_invalid_field_is_invalid_input(app, household, kind, fields, changes, field):
    command = {"MemberAdded": app.add_member, "AssessmentRecorded": app.record_assessment,
               "ContactRecorded": app.record_contact}[kind]
    command(household, actor=ACTOR, **fields)
    target = version_of(app, household, kind)
    version = app.get(household).version

    with pytest.raises(InvalidInput) as refused:
        app.correct(household, actor=ACTOR, target_version=target, changes=changes, reason="fout")

    assert refused.value.field == field
    assert app.get(household).version == version


@pytest.mark.parametrize("kind", ["CheckInScheduled", "Escalated", "CoordinatorAssigned", "Corrected"])
def test_decisions_are_undone_by_a_new_decision_not_corrected(app, household, kind):
    app.escalate(household, actor=ACTOR, to_level="crisis", reason="acuut")
    app.assign_coordinator(household, actor=ACTOR, coordinator="mark")
    app.correct(household, actor=ACTOR, target_version=1, changes={"label": "Fam. X"}, reason="typo")
    target = next(e for e in events(app, household) if type(e).__name__ == kind).originator_version
    version = app.get(household).version

    with pytest.raises(RuleViolation) as refused:
        app.correct(household, actor=ACTOR, target_version=target, changes={"reason": "iets anders"},
                    reason="spijt")

    assert refused.value.rule == "only recorded facts can be corrected"
    assert app.get(household).version == version


@pytest.mark.parametrize("target_version", [0, -1, 3, 99])
def test_correcting_an_event_the_household_does_not_have_is_not_found(app, household, target_version):
    with pytest.raises(NotFound):
        app.correct(household, actor=ACTOR, target_version=target_version, changes={"label": "x"}, reason="x")
    assert app.get(household).version == 2


def test_a_correction_says_why(app, household):
    with pytest.raises(RuleViolation) as refused:
        app.correct(household, actor=ACTOR, target_version=1, changes={"label": "Fam. X"}, reason=" ")
    assert refused.value.rule == "a correction says why"
    assert app.get(household).label == "Fam. De Vries"


@pytest.mark.parametrize("moment", [START - timedelta(days=1), datetime.now(UTC) + timedelta(days=1)])
def test_a_corrected_moment_is_neither_before_registration_nor_in_the_future(app, household, moment):
    app.record_signal(household, actor=ACTOR, source="huisarts", description="zorgen", life_domains=[],
                      occurred_at=day(2))
    target = version_of(app, household, "SignalRecorded")

    with pytest.raises(RuleViolation):
        app.correct(household, actor=ACTOR, target_version=target, changes={"occurred_at": moment}, reason="x")
    assert [type(e).__name__ for e in events(app, household)][-1] == "SignalRecorded"


# ---- a correction cannot record what the command may not ------------------------------------
# The corrected event is checked as if it had been recorded in its place: by every rule of its command,
# against the household as it was just before it, at the moment it was recorded.

SHARING = "sharing with a provider outside the team needs consent or a legal basis"


def consent(app, household, party, **fields):
    fields = {"given_by": "Sanne de Vries (moeder)", "purpose": "Warme overdracht", "occurred_at": day(1), **fields}
    return app.record_consent(household, actor=ACTOR, party=party, **fields).item_id


def specialist_care(app, household, provider="GGZ Noord", **fields):
    fields = {"support_level": "specialistisch", "description": "Traject", "handover_note": "Samen kennisgemaakt",
              "occurred_at": day(2), **fields}
    app.start_intervention(household, actor=ACTOR, provider=provider, **fields)
    return version_of(app, household, "InterventionStarted")


def refused(app, household, target, changes) -> RuleViolation:
    version = app.get(household).version
    with pytest.raises(RuleViolation) as refusal:
        app.correct(household, actor=ACTOR, target_version=target, changes=changes, reason="Verkeerd ingevoerd")
    assert app.get(household).version == version  # nothing recorded
    return refusal.value


def test_a_correction_cannot_name_a_provider_the_household_gave_no_consent_for(app, household):
    consent(app, household, "GGZ Noord")
    target = specialist_care(app, household)

    refusal = refused(app, household, target, {"provider": "Jeugdzorg Zuid"})

    assert refusal.rule == SHARING
    assert "Jeugdzorg Zuid" in refusal.detail and local_day(2).isoformat() in refusal.detail
    # Starting it so is refused alike.
    with pytest.raises(RuleViolation) as direct:
        specialist_care(app, household, provider="Jeugdzorg Zuid")
    assert direct.value.rule == refusal.rule


def test_a_correction_cannot_take_the_provider_off_specialist_care(app, household):
    consent(app, household, "GGZ Noord")
    target = specialist_care(app, household)

    assert refused(app, household, target, {"provider": " "}).rule == "formal care names its provider"


def test_a_correction_may_name_a_provider_the_household_had_consented_to_when_the_support_started(app, household):
    consent(app, household, "GGZ Noord")
    consent(app, household, "Jeugdzorg Zuid")
    target = specialist_care(app, household)

    app.correct(household, actor=ACTOR, target_version=target, changes={"provider": " jeugdzorg zuid "},
                reason="Verkeerde aanbieder gekozen")

    assert only(app, household, "Corrected").changes == {"provider": "jeugdzorg zuid"}  # as the command records it


def test_a_consent_given_after_the_support_started_does_not_cover_a_corrected_provider(app, household):
    consent(app, household, "GGZ Noord")
    target = specialist_care(app, household)
    consent(app, household, "Jeugdzorg Zuid", occurred_at=day(3))  # after the support started

    assert refused(app, household, target, {"provider": "Jeugdzorg Zuid"}).rule == SHARING


def test_a_consent_withdrawn_after_the_support_started_still_covers_a_correction_of_it(app, household):
    ggz = consent(app, household, "GGZ Noord")
    target = specialist_care(app, household)
    app.withdraw_consent(household, ggz, actor=ACTOR, occurred_at=day(3))

    app.correct(household, actor=ACTOR, target_version=target, changes={"description": "Traject bij de GGZ"},
                reason="Omschrijving aangevuld")

    assert only(app, household, "Corrected").changes == {"description": "Traject bij de GGZ"}


def test_the_legal_basis_the_support_started_on_covers_a_corrected_provider(app, household):
    target = specialist_care(app, household, legal_basis="Jeugdwet art. 7.4.0")

    app.correct(household, actor=ACTOR, target_version=target, changes={"provider": "Jeugdzorg Zuid"},
                reason="Verkeerde aanbieder gekozen")

    assert only(app, household, "Corrected").original == {"provider": "GGZ Noord"}


def test_a_corrected_provider_may_rest_on_a_legal_basis_given_with_the_correction(app, household):
    consent(app, household, "GGZ Noord")
    target = specialist_care(app, household)
    refused(app, household, target, {"provider": "Jeugdzorg Zuid"})

    app.correct(household, actor=ACTOR, target_version=target, reason="Verkeerde aanbieder gekozen",
                changes={"provider": "Jeugdzorg Zuid", "legal_basis": "Jeugdwet art. 7.4.0"})

    assert only(app, household, "Corrected").changes == {"provider": "Jeugdzorg Zuid",
                                                         "legal_basis": "Jeugdwet art. 7.4.0"}


def test_a_correction_cannot_give_volunteer_help_to_an_organisation_without_consent(app, household):
    app.start_intervention(household, actor=ACTOR, support_level="vrijwillig", provider="", description="Buurvrouw",
                           occurred_at=day(2))  # a neighbour who volunteers: nobody outside the team to share with
    target = version_of(app, household, "InterventionStarted")

    assert refused(app, household, target, {"provider": "Humanitas"}).rule == SHARING


@pytest.mark.parametrize(("command", "fields", "changes", "rule"), [
    ("register", {"label": "Fam. De Vries", "team": "Wijkteam Noord"}, {"label": "   "},
     "a household has a label and a team"),
    ("add_member", {"name": "Sandra"}, {"name": "   "}, "a member has a name"),
    ("add_network_person", {"name": "Henk"}, {"name": " \t"}, "a network person has a name"),
    ("make_agreement", {"who": "Sandra", "what": "Post openen"}, {"who": "  "}, "an agreement says who does what"),
    ("make_agreement", {"who": "Sandra", "what": "Post openen"}, {"what": " "}, "an agreement says who does what"),
])
def test_a_correction_cannot_blank_what_the_command_requires(app, household, command, fields, changes, rule):
    if command == "register":
        target, direct = 1, partial(app.register, actor=ACTOR)  # the household's registration
    else:
        target = getattr(app, command)(household, actor=ACTOR, **fields).version
        direct = partial(getattr(app, command), household, actor=ACTOR)

    assert refused(app, household, target, changes).rule == rule
    with pytest.raises(RuleViolation) as refusal:  # as the command refuses it
        direct(**{**fields, **changes})
    assert refusal.value.rule == rule


def test_a_corrected_moment_is_not_after_the_fact_was_recorded(app, household):
    with recording_at(day(6)):
        app.record_contact(household, actor=ACTOR, kind="huisbezoek", occurred_at=day(5))
    target = version_of(app, household, "ContactRecorded")

    refusal = refused(app, household, target, {"occurred_at": day(7)})  # past, but after it was recorded

    assert refusal.rule == "nothing is recorded as having happened in the future"
    assert "after it was recorded" in refusal.detail


def test_a_corrected_moment_may_lie_until_the_fact_was_recorded(app, household):
    with recording_at(day(6)):
        app.record_contact(household, actor=ACTOR, kind="huisbezoek", occurred_at=day(4))
    target = version_of(app, household, "ContactRecorded")

    app.correct(household, actor=ACTOR, target_version=target, changes={"occurred_at": day(6)},
                reason="Was later op de dag")

    assert only(app, household, "Corrected").changes == {"occurred_at": day(6)}


def test_a_correction_is_checked_with_what_earlier_corrections_of_the_fact_said(app, household):
    consent(app, household, "Humanitas")
    app.start_intervention(household, actor=ACTOR, support_level="vrijwillig", provider="Humanitas",
                           description="Maatje", occurred_at=day(2))
    target = version_of(app, household, "InterventionStarted")
    app.correct(household, actor=ACTOR, target_version=target, changes={"provider": ""}, reason="Was de buurvrouw")

    app.correct(household, actor=ACTOR, target_version=target, changes={"description": "Buurvrouw helpt"},
                reason="Omschrijving")

    assert [e.changes for e in events(app, household) if type(e).__name__ == "Corrected"] == [
        {"provider": ""}, {"description": "Buurvrouw helpt"}]
