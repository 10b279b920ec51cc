"""A correction never changes the event it corrects: it is a new event holding
the original values, the corrected ones and the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidInput, NotFound, RuleViolation
from tests.domain.support import ACTOR, START, day, events, only


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
    ("MemberAdded", {"name": "Sandra"}, {"name": "   "}, "changes.name"),
    ("MemberAdded", {"name": "Sandra"}, {"birth_year": 1850}, "changes.birth_year"),
    ("MemberAdded", {"name": "Sandra"}, {}, "changes"),
    ("AssessmentRecorded", {"scores": {"housing": 3}}, {"scores": {"housing": 7}}, "changes.scores"),
    ("AssessmentRecorded", {"scores": {"housing": 3}}, {"scores": {"moon": 3}}, "changes.scores"),
    ("AssessmentRecorded", {"scores": {"housing": 3}}, {"scores": {"housing": True}}, "changes.scores"),
    ("ContactRecorded", {"kind": "telefonisch"}, {"kind": "brief"}, "changes.kind"),
    ("ContactRecorded", {"kind": "telefonisch"}, {"occurred_at": "2025-01-01T10:00:00"}, "changes.occurred_at"),
    ("ContactRecorded", {"kind": "telefonisch"}, {"occurred_at": "gisteren"}, "changes.occurred_at"),
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
