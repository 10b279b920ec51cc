"""What the team sees and does: contacts, ZRM assessments and signals."""

from __future__ import annotations

import pytest

from domain.errors import RuleViolation
from tests.domain.support import ACTOR, day, events_of, kinds, only, open_check_ins


def test_a_kitchen_table_conversation_is_recorded_with_its_life_domains_once_each(app, household):
    before = open_check_ins(app, household)

    outcome = app.record_contact(
        household, actor=ACTOR, kind="keukentafelgesprek", summary="Eerste gesprek aan de keukentafel.",
        life_domains=["housing", "finances", "housing"], participants=["Sandra", "Kevin"],
        occurred_at=day(2),
    )

    contact = only(app, household, "ContactRecorded")
    assert outcome.item_id == contact.contact_id
    assert contact.kind == "keukentafelgesprek"
    assert contact.life_domains == ["finances", "housing"]
    assert contact.participants == ["Sandra", "Kevin"]
    assert contact.summary == "Eerste gesprek aan de keukentafel."
    assert app.get(household).last_contact_at == day(2)
    # A contact that is not the check-in leaves the pilot light as it was.
    assert open_check_ins(app, household) == before
    assert kinds(app, household)[-1] == "ContactRecorded"


def test_a_contact_needs_nothing_but_its_kind(app, household):
    app.record_contact(household, actor=ACTOR, kind="telefonisch")
    contact = only(app, household, "ContactRecorded")
    assert (contact.summary, contact.life_domains, contact.participants) == ("", [], [])


def test_the_last_contact_is_the_latest_in_the_world_not_the_latest_typed(app, household):
    app.record_contact(household, actor=ACTOR, kind="huisbezoek", occurred_at=day(5))
    app.record_contact(household, actor=ACTOR, kind="telefonisch", occurred_at=day(3))  # typed later
    assert app.get(household).last_contact_at == day(5)

    app.record_contact(household, actor=ACTOR, kind="eropaf", occurred_at=day(6))
    assert app.get(household).last_contact_at == day(6)


def test_an_assessment_scores_only_the_life_domains_that_were_scored(app, household):
    first = app.record_assessment(household, actor=ACTOR, scores={"finances": 2, "housing": 3},
                                  occurred_at=day(7))
    assert app.get(household).scores == {"finances": 2, "housing": 3}

    app.record_assessment(household, actor=ACTOR, scores={"finances": 4}, occurred_at=day(60))

    assert app.get(household).scores == {"finances": 4, "housing": 3}
    recorded = events_of(app, household, "AssessmentRecorded")
    assert [a.scores for a in recorded] == [{"finances": 2, "housing": 3}, {"finances": 4}]
    assert recorded[0].instrument == "zrm-2017"
    assert recorded[0].assessment_id == first.item_id


@pytest.mark.parametrize("scores", [{"finances": 0}, {"finances": 6}, {"housing": 3, "justice": -1}, {},
                                    {"finances": 3.5}, {"finances": True}, {"finances": "3"}])
def test_a_zrm_score_is_one_to_five_and_at_least_one_domain_is_scored(app, household, scores):
    with pytest.raises(RuleViolation):
        app.record_assessment(household, actor=ACTOR, scores=scores)
    assert events_of(app, household, "AssessmentRecorded") == []
    assert app.get(household).scores == {}


def test_assessments_use_the_zrm_2017(app, household):
    with pytest.raises(RuleViolation) as refused:
        app.record_assessment(household, actor=ACTOR, scores={"finances": 3}, instrument="zrm-2013")
    assert refused.value.rule == "assessments use the ZRM 2017"


def test_a_signal_from_the_housing_corporation_is_recorded_on_the_household(app, household):
    outcome = app.record_signal(household, actor=ACTOR, source="woningcorporatie",
                                description="Huurachterstand van drie maanden.",
                                life_domains=["housing", "finances"], urgency="high", occurred_at=day(1))
    app.record_signal(household, actor=ACTOR, source="school", description="Kevin vaak afwezig.",
                      life_domains=["work_education"])

    high, normal = events_of(app, household, "SignalRecorded")
    assert high.signal_id == outcome.item_id
    assert (high.source, high.urgency, high.life_domains) == ("woningcorporatie", "high", ["finances", "housing"])
    assert high.occurred_at == day(1)
    assert normal.urgency == "normal"
