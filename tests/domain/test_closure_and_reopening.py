"""Closing a household puts the pilot light out on purpose; on a closed household
nothing happens but reopening, which lights it again."""

from __future__ import annotations

import pytest

from domain.errors import RuleViolation
from tests.domain.support import ACTOR, START, day, kinds, local_day, only, open_check_ins, register


def test_closing_a_household_cancels_its_open_check_in(app, household):
    check_in = app.get(household).next_check_in["id"]

    app.close_household(household, actor="fatima", reason_code="goals_achieved", note="Doelen bereikt",
                        occurred_at=day(30))

    assert kinds(app, household)[-2:] == ["CheckInCancelled", "Closed"]
    cancelled = only(app, household, "CheckInCancelled")
    assert (cancelled.check_in_id, cancelled.reason) == (check_in, "household closed")
    closed = only(app, household, "Closed")
    assert (closed.reason_code, closed.note, closed.actor) == ("goals_achieved", "Doelen bereikt", "fatima")
    household_now = app.get(household)
    assert household_now.status == "closed"
    assert household_now.closure_reason == "goals_achieved"
    assert household_now.next_check_in is None
    assert household_now.check_ins[check_in] == "cancelled"
    assert open_check_ins(app, household) == {}


COMMANDS_ON_A_CLOSED_HOUSEHOLD = {
    "add member": lambda app, h, ids: app.add_member(h, actor=ACTOR, name="Sandra"),
    "remove member": lambda app, h, ids: app.remove_member(h, ids["member"], actor=ACTOR),
    "add network person": lambda app, h, ids: app.add_network_person(h, actor=ACTOR, name="Ineke"),
    "assign coordinator": lambda app, h, ids: app.assign_coordinator(h, actor=ACTOR, coordinator="mark"),
    "record signal": lambda app, h, ids: app.record_signal(h, actor=ACTOR, source="school", description="",
                                                           life_domains=[]),
    "record contact": lambda app, h, ids: app.record_contact(h, actor=ACTOR, kind="telefonisch"),
    "record assessment": lambda app, h, ids: app.record_assessment(h, actor=ACTOR, scores={"housing": 3}),
    "set goal": lambda app, h, ids: app.set_goal(h, actor=ACTOR, life_domain="housing", description="x"),
    "achieve goal": lambda app, h, ids: app.achieve_goal(h, ids["goal"], actor=ACTOR),
    "make agreement": lambda app, h, ids: app.make_agreement(h, actor=ACTOR, who="a", what="b"),
    "complete agreement": lambda app, h, ids: app.complete_agreement(h, ids["agreement"], actor=ACTOR),
    "start intervention": lambda app, h, ids: app.start_intervention(h, actor=ACTOR, support_level="netwerk",
                                                                     description="x"),
    "end intervention": lambda app, h, ids: app.end_intervention(h, ids["intervention"], actor=ACTOR),
    "escalate": lambda app, h, ids: app.escalate(h, actor=ACTOR, to_level="crisis", reason="acuut"),
    "de-escalate": lambda app, h, ids: app.de_escalate(h, actor=ACTOR, to_level="waakvlam", reason="beter"),
    "set cadence": lambda app, h, ids: app.set_cadence(h, actor=ACTOR, cadence={"licht": 20}),
    "complete check-in": lambda app, h, ids: app.complete_check_in(h, ids["check_in"], actor=ACTOR,
                                                                   kind="huisbezoek"),
    "reschedule check-in": lambda app, h, ids: app.reschedule_check_in(h, ids["check_in"], actor=ACTOR,
                                                                       due=local_day(300)),
    "cancel check-in": lambda app, h, ids: app.cancel_check_in(h, ids["check_in"], actor=ACTOR, reason="x"),
    "agree signaleringsplan": lambda app, h, ids: app.agree_signaleringsplan(
        h, actor=ACTOR, phases={"groen": {"signs": ["x"]}}),
    "close": lambda app, h, ids: app.close_household(h, actor=ACTOR, reason_code="moved"),
    "correct": lambda app, h, ids: app.correct(h, actor=ACTOR, target_version=1, changes={"label": "Fam. X"},
                                               reason="typo"),
}


@pytest.mark.parametrize("command", list(COMMANDS_ON_A_CLOSED_HOUSEHOLD))
def test_nothing_but_reopening_happens_on_a_closed_household(app, household, command):
    ids = {
        "member": app.add_member(household, actor=ACTOR, name="Sandra").item_id,
        "goal": app.set_goal(household, actor=ACTOR, life_domain="housing", description="x").item_id,
        "agreement": app.make_agreement(household, actor=ACTOR, who="a", what="b").item_id,
        "intervention": app.start_intervention(household, actor=ACTOR, support_level="netwerk",
                                               description="x").item_id,
        "check_in": app.get(household).next_check_in["id"],
    }
    app.close_household(household, actor=ACTOR, reason_code="declined")
    version = app.get(household).version

    with pytest.raises(RuleViolation) as refused:
        COMMANDS_ON_A_CLOSED_HOUSEHOLD[command](app, household, ids)

    assert refused.value.rule == "nothing but reopening on a closed household"
    assert app.get(household).version == version
    assert open_check_ins(app, household) == {}


def test_only_a_closed_household_is_reopened(app, household):
    with pytest.raises(RuleViolation) as refused:
        app.reopen_household(household, actor=ACTOR, reason="nieuw signaal")
    assert refused.value.rule == "only a closed household can be reopened"
    assert app.get(household).version == 2


def test_reopening_lights_the_pilot_light_again(app, household):
    app.close_household(household, actor=ACTOR, reason_code="goals_achieved", occurred_at=day(30))

    app.reopen_household(household, actor="fatima", reason="Nieuw signaal van de woningcorporatie",
                         occurred_at=day(90))

    household_now = app.get(household)
    assert household_now.status == "open"
    assert household_now.closure_reason is None
    assert household_now.intensity == "licht"
    reopened = only(app, household, "Reopened")
    assert (reopened.reason, reopened.intensity) == ("Nieuw signaal van de woningcorporatie", "licht")
    assert kinds(app, household)[-2:] == ["Reopened", "CheckInScheduled"]
    ((check_in, due),) = open_check_ins(app, household).items()
    assert due == local_day(90 + 14)
    assert household_now.next_check_in == {"id": check_in, "due": due}
    # ... and the household takes commands again.
    app.record_contact(household, actor="fatima", kind="eropaf", occurred_at=day(91))
    assert kinds(app, household)[-1] == "ContactRecorded"


def test_a_household_can_be_reopened_at_another_intensity(app):
    household = register(app, intensity="waakvlam")
    app.close_household(household, actor=ACTOR, reason_code="no_contact", occurred_at=day(50))

    app.reopen_household(household, actor=ACTOR, reason="Crisismelding politie", intensity="crisis",
                         occurred_at=day(100))

    assert app.get(household).intensity == "crisis"
    assert list(open_check_ins(app, household).values()) == [local_day(102)]


def test_a_reopening_gives_its_reason_and_is_not_before_registration(app, household):
    app.close_household(household, actor=ACTOR, reason_code="moved", occurred_at=day(10))
    version = app.get(household).version

    with pytest.raises(RuleViolation) as refused:
        app.reopen_household(household, actor=ACTOR, reason="  ")
    assert refused.value.rule == "a reopening gives its reason"
    with pytest.raises(RuleViolation):
        app.reopen_household(household, actor=ACTOR, reason="terug", occurred_at=START.replace(year=START.year - 1))
    assert app.get(household).version == version
    assert app.get(household).status == "closed"


def test_a_household_closed_and_reopened_twice_has_one_check_in_each_time_it_is_open(app, household):
    for round_ in range(2):
        base = 100 * round_
        app.close_household(household, actor=ACTOR, reason_code="declined", occurred_at=day(base + 10))
        assert open_check_ins(app, household) == {}
        app.reopen_household(household, actor=ACTOR, reason="terug", occurred_at=day(base + 50))
        assert len(open_check_ins(app, household)) == 1
    assert kinds(app, household).count("Closed") == 2
    assert kinds(app, household).count("Reopened") == 2


def test_a_household_is_not_reopened_at_a_moment_before_it_was_closed(app, household):
    app.close_household(household, actor=ACTOR, reason_code="moved", occurred_at=day(50))

    with pytest.raises(RuleViolation) as refused:
        app.reopen_household(household, actor=ACTOR, reason="nieuw signaal", occurred_at=day(10))

    assert refused.value.rule == "a household is reopened after it was closed"
    assert app.get(household).status == "closed"
    app.reopen_household(household, actor=ACTOR, reason="nieuw signaal", occurred_at=day(50))
    assert app.get(household).status == "open"
