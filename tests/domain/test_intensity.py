"""Escalating and de-escalating: only upward, only downward, always with a reason;
a higher intensity brings the next check-in forward when its cadence asks for it."""

from __future__ import annotations

import pytest

from domain.errors import RuleViolation
from tests.domain.support import ACTOR, day, events_of, kinds, local_day, only, register, the_open_check_in


def test_a_household_in_crisis_is_escalated_and_seen_within_two_days(app, household):
    check_in, due = the_open_check_in(app, household)
    assert due == local_day(14)

    app.escalate(household, actor="mark", to_level="crisis", reason="Huisuitzetting aangekondigd",
                 occurred_at=day(1))

    assert app.get(household).intensity == "crisis"
    escalated = only(app, household, "Escalated")
    assert (escalated.from_level, escalated.to_level) == ("licht", "crisis")
    assert escalated.reason == "Huisuitzetting aangekondigd"
    assert escalated.actor == "mark"
    moved = only(app, household, "CheckInRescheduled")
    assert (moved.check_in_id, moved.reason) == (check_in, "escalated")
    assert the_open_check_in(app, household) == (check_in, local_day(3))
    assert app.get(household).next_check_in == {"id": check_in, "due": local_day(3)}


def test_an_escalation_never_pushes_a_nearer_check_in_further_away(app, household):
    check_in, _ = the_open_check_in(app, household)
    app.reschedule_check_in(household, check_in, actor=ACTOR, due=local_day(4), occurred_at=day(1))

    app.escalate(household, actor=ACTOR, to_level="intensief", reason="Zorgen over Kevin", occurred_at=day(1))

    # intensief would mean day 8; the check-in on day 4 stays where it is.
    assert the_open_check_in(app, household) == (check_in, local_day(4))
    assert kinds(app, household)[-1] == "Escalated"


def test_an_escalation_whose_cadence_lands_on_the_planned_day_leaves_the_check_in_alone(app, household):
    check_in, _ = the_open_check_in(app, household)  # licht: due on day 14

    app.escalate(household, actor=ACTOR, to_level="intensief", reason="Meer zorgen", occurred_at=day(7))

    assert the_open_check_in(app, household) == (check_in, local_day(14))
    assert events_of(app, household, "CheckInRescheduled") == []


def test_an_escalation_follows_the_households_own_cadence(app):
    household = register(app, intensity="waakvlam", cadence={"crisis": 1})

    app.escalate(household, actor=ACTOR, to_level="crisis", reason="Acuut", occurred_at=day(10))

    _, due = the_open_check_in(app, household)
    assert due == local_day(11)


@pytest.mark.parametrize("start, to_level", [
    ("licht", "licht"), ("licht", "waakvlam"), ("crisis", "intensief"), ("crisis", "crisis"),
    ("waakvlam", "waakvlam"),
])
def test_escalation_goes_only_upward(app, start, to_level):
    household = register(app, intensity=start)
    version = app.get(household).version

    with pytest.raises(RuleViolation) as refused:
        app.escalate(household, actor=ACTOR, to_level=to_level, reason="Het gaat slechter")

    assert refused.value.rule == "escalate only upward"
    assert app.get(household).intensity == start
    assert app.get(household).version == version


@pytest.mark.parametrize("start, to_level", [
    ("licht", "licht"), ("licht", "intensief"), ("waakvlam", "waakvlam"), ("waakvlam", "crisis"),
])
def test_de_escalation_goes_only_downward(app, start, to_level):
    household = register(app, intensity=start)
    version = app.get(household).version

    with pytest.raises(RuleViolation) as refused:
        app.de_escalate(household, actor=ACTOR, to_level=to_level, reason="Het gaat beter")

    assert refused.value.rule == "de-escalate only downward"
    assert app.get(household).version == version


@pytest.mark.parametrize("reason", ["", "   "])
def test_escalation_and_de_escalation_give_their_reason(app, household, reason):
    with pytest.raises(RuleViolation) as refused:
        app.escalate(household, actor=ACTOR, to_level="crisis", reason=reason)
    assert refused.value.rule == "an escalation gives its reason"
    with pytest.raises(RuleViolation) as refused:
        app.de_escalate(household, actor=ACTOR, to_level="waakvlam", reason=reason)
    assert refused.value.rule == "a de-escalation gives its reason"
    assert app.get(household).intensity == "licht"
    assert app.get(household).version == 2


def test_a_household_can_climb_the_ladder_step_by_step(app):
    household = register(app, intensity="waakvlam")
    for n, level in enumerate(["licht", "intensief", "crisis"], start=1):
        app.escalate(household, actor=ACTOR, to_level=level, reason=f"stap {n}", occurred_at=day(n))
    assert [(e.from_level, e.to_level) for e in events_of(app, household, "Escalated")] == [
        ("waakvlam", "licht"), ("licht", "intensief"), ("intensief", "crisis")]
    # waakvlam due on day 42; licht from day 1 -> 15; intensief from day 2 -> 9; crisis from day 3 -> 5.
    assert [e.due for e in events_of(app, household, "CheckInRescheduled")] == [
        local_day(15), local_day(9), local_day(5)]


def test_a_household_doing_better_is_de_escalated_to_waakvlam_and_keeps_a_check_in(app):
    household = register(app, intensity="intensief")
    check_in, due = the_open_check_in(app, household)
    assert due == local_day(7)

    app.de_escalate(household, actor="fatima", to_level="waakvlam", reason="Stabiel, netwerk draagt",
                    occurred_at=day(5))

    assert app.get(household).intensity == "waakvlam"
    de_escalated = only(app, household, "DeEscalated")
    assert (de_escalated.from_level, de_escalated.to_level) == ("intensief", "waakvlam")
    # The pilot light keeps burning: the check-in already planned stays as it was ...
    assert the_open_check_in(app, household) == (check_in, local_day(7))
    # ... and the one after it comes at the waakvlam cadence.
    app.complete_check_in(household, check_in, actor="fatima", kind="huisbezoek", occurred_at=day(7))
    _, next_due = the_open_check_in(app, household)
    assert next_due == local_day(7 + 42)
