"""The pilot light never goes out: an open household always has exactly one open
check-in. Completing one schedules the next by the cadence of the intensity."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.application import Households
from domain.errors import NotFound, RuleViolation
from domain.values import CADENCE_BOUNDS
from tests.domain.support import (
    ACTOR,
    DAYS_BETWEEN_CHECK_INS,
    POPO,
    START,
    day,
    events_of,
    kinds,
    local_day,
    only,
    open_check_ins,
    register,
    the_open_check_in,
)


@pytest.mark.parametrize("intensity, days", sorted(DAYS_BETWEEN_CHECK_INS.items()))
def test_completing_a_check_in_schedules_the_next_by_the_cadence_of_the_intensity(app, intensity, days):
    household = register(app, intensity=intensity)
    check_in, _ = the_open_check_in(app, household)

    outcome = app.complete_check_in(household, check_in, actor=ACTOR, kind="huisbezoek",
                                    summary="Alles rustig", occurred_at=day(3))

    assert kinds(app, household)[-3:] == ["ContactRecorded", "CheckInCompleted", "CheckInScheduled"]
    contact = only(app, household, "ContactRecorded")
    completed = only(app, household, "CheckInCompleted")
    assert outcome.item_id == contact.contact_id == completed.contact_id
    assert completed.check_in_id == check_in
    following, due = the_open_check_in(app, household)
    assert following != check_in
    assert due == local_day(3 + days)
    assert events_of(app, household, "CheckInScheduled")[-1].reason == "completed"
    assert app.get(household).check_ins[check_in] == "completed"


def test_a_contact_recorded_as_the_check_in_completes_it(app, household):
    check_in, _ = the_open_check_in(app, household)
    contact = app.record_contact(household, actor=ACTOR, kind="telefonisch", check_in_id=check_in,
                                 occurred_at=day(10)).item_id
    assert only(app, household, "CheckInCompleted").contact_id == contact
    assert the_open_check_in(app, household)[1] == local_day(24)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_households_own_cadence_decides_within_the_bounds(data):
    intensity = data.draw(st.sampled_from(sorted(CADENCE_BOUNDS)))
    low, high = CADENCE_BOUNDS[intensity]
    days = data.draw(st.integers(low, high))
    app = Households(env=POPO)
    household = register(app, intensity=intensity, cadence={intensity: days})
    check_in, due = the_open_check_in(app, household)
    assert due == local_day(days)

    app.complete_check_in(household, check_in, actor=ACTOR, kind="digitaal", occurred_at=day(1))

    assert the_open_check_in(app, household)[1] == local_day(1 + days)


@pytest.mark.parametrize("intensity", sorted(CADENCE_BOUNDS))
def test_a_cadence_just_outside_the_bounds_is_refused(app, household, intensity):
    low, high = CADENCE_BOUNDS[intensity]
    for days in (low - 1, high + 1):
        with pytest.raises(RuleViolation) as refused:
            app.set_cadence(household, actor=ACTOR, cadence={intensity: days})
        assert refused.value.rule == "a cadence stays within sane bounds"
    app.set_cadence(household, actor=ACTOR, cadence={intensity: low})
    app.set_cadence(household, actor=ACTOR, cadence={intensity: high})
    assert app.get(household).cadence == {intensity: high}


def test_a_new_cadence_applies_from_the_next_check_in(app, household):
    check_in, due = the_open_check_in(app, household)

    app.set_cadence(household, actor=ACTOR, cadence={"licht": 21}, occurred_at=day(1))
    assert the_open_check_in(app, household) == (check_in, due)

    app.complete_check_in(household, check_in, actor=ACTOR, kind="huisbezoek", occurred_at=day(12))
    assert the_open_check_in(app, household)[1] == local_day(12 + 21)


def test_a_shorter_cadence_brings_the_open_check_in_forward(app, household):
    check_in, due = the_open_check_in(app, household)  # licht: 14 days after registration

    app.set_cadence(household, actor=ACTOR, cadence={"licht": 7}, occurred_at=day(2))

    assert the_open_check_in(app, household) == (check_in, local_day(2 + 7))
    assert local_day(2 + 7) < due
    assert kinds(app, household)[-2:] == ["CadenceSet", "CheckInRescheduled"]


def test_the_cadence_counts_dutch_calendar_days(app, household):
    check_in, _ = the_open_check_in(app, household)
    # 23:30 UTC is already the next day in Amsterdam, summer or winter.
    late_evening = datetime.combine(START.date() + timedelta(days=9), time(23, 30), tzinfo=UTC)

    app.complete_check_in(household, check_in, actor=ACTOR, kind="telefonisch", occurred_at=late_evening)

    assert the_open_check_in(app, household)[1] == local_day(10 + 14)


def test_a_check_in_is_moved_and_stays_the_same_check_in(app, household):
    check_in, _ = the_open_check_in(app, household)

    app.reschedule_check_in(household, check_in, actor=ACTOR, due=local_day(20), reason="vakantie",
                            occurred_at=day(2))

    assert the_open_check_in(app, household) == (check_in, local_day(20))
    moved = only(app, household, "CheckInRescheduled")
    assert (moved.due, moved.reason) == (local_day(20), "vakantie")
    assert len(events_of(app, household, "CheckInScheduled")) == 1


def test_a_check_in_is_not_planned_in_the_past(app, household):
    check_in, _ = the_open_check_in(app, household)
    with pytest.raises(RuleViolation):
        app.reschedule_check_in(household, check_in, actor=ACTOR, due=local_day(4), occurred_at=day(5))
    with pytest.raises(RuleViolation):
        app.cancel_check_in(household, check_in, actor=ACTOR, reason="ziek", next_due_on=local_day(4),
                            occurred_at=day(5))
    assert the_open_check_in(app, household) == (check_in, local_day(14))

    app.reschedule_check_in(household, check_in, actor=ACTOR, due=local_day(5), occurred_at=day(5))
    assert the_open_check_in(app, household) == (check_in, local_day(5))


def test_cancelling_a_check_in_schedules_a_replacement_by_the_cadence(app, household):
    check_in, _ = the_open_check_in(app, household)

    outcome = app.cancel_check_in(household, check_in, actor=ACTOR, reason="Familie op vakantie",
                                  occurred_at=day(13))

    replacement, due = the_open_check_in(app, household)
    assert replacement != check_in
    assert outcome.item_id == replacement
    assert due == local_day(13 + 14)
    assert only(app, household, "CheckInCancelled").reason == "Familie op vakantie"
    assert events_of(app, household, "CheckInScheduled")[-1].reason == "replaces cancelled"
    assert app.get(household).check_ins[check_in] == "cancelled"


def test_cancelling_a_check_in_can_name_the_day_of_the_replacement(app, household):
    check_in, _ = the_open_check_in(app, household)
    app.cancel_check_in(household, check_in, actor=ACTOR, reason="Ziek", next_due_on=local_day(16),
                        occurred_at=day(13))
    assert the_open_check_in(app, household)[1] == local_day(16)


def test_a_cancelled_check_in_gives_its_reason(app, household):
    check_in, _ = the_open_check_in(app, household)
    with pytest.raises(RuleViolation):
        app.cancel_check_in(household, check_in, actor=ACTOR, reason=" ")
    assert the_open_check_in(app, household)[0] == check_in


def test_a_finished_check_in_cannot_be_completed_moved_or_cancelled(app, household):
    completed, _ = the_open_check_in(app, household)
    app.complete_check_in(household, completed, actor=ACTOR, kind="huisbezoek", occurred_at=day(1))
    cancelled, _ = the_open_check_in(app, household)
    app.cancel_check_in(household, cancelled, actor=ACTOR, reason="dubbel", occurred_at=day(2))
    version = app.get(household).version

    for finished in (completed, cancelled):
        with pytest.raises(RuleViolation) as refused:
            app.complete_check_in(household, finished, actor=ACTOR, kind="huisbezoek")
        assert refused.value.rule == "a finished check-in cannot be acted on"
        with pytest.raises(RuleViolation):
            app.record_contact(household, actor=ACTOR, kind="huisbezoek", check_in_id=finished)
        with pytest.raises(RuleViolation):
            app.reschedule_check_in(household, finished, actor=ACTOR, due=local_day(100))
        with pytest.raises(RuleViolation):
            app.cancel_check_in(household, finished, actor=ACTOR, reason="weg")
    # A refused completion records no contact either.
    assert app.get(household).version == version
    assert len(events_of(app, household, "ContactRecorded")) == 1


def test_an_unknown_check_in_is_not_found(app, household):
    with pytest.raises(NotFound):
        app.complete_check_in(household, "nosuchcheck", actor=ACTOR, kind="huisbezoek")
    with pytest.raises(NotFound):
        app.reschedule_check_in(household, "nosuchcheck", actor=ACTOR, due=local_day(100))
    with pytest.raises(NotFound):
        app.cancel_check_in(household, "nosuchcheck", actor=ACTOR, reason="weg")
    assert app.get(household).version == 2


def test_the_pilot_light_burns_after_every_kind_of_command(app, household):
    """Walk through every command an open household knows; after each one there
    is exactly one open check-in, and the aggregate points at it."""

    def one_open_check_in() -> None:
        check_in, due = the_open_check_in(app, household)
        assert app.get(household).next_check_in == {"id": check_in, "due": due}

    def check_in() -> str:
        return the_open_check_in(app, household)[0]

    one_open_check_in()
    member = app.add_member(household, actor=ACTOR, name="Sandra", occurred_at=day(1)).item_id
    one_open_check_in()
    person = app.add_network_person(household, actor=ACTOR, name="Ineke", occurred_at=day(1)).item_id
    one_open_check_in()
    steps = [
        lambda: app.assign_coordinator(household, actor=ACTOR, coordinator="mark", occurred_at=day(1)),
        lambda: app.record_signal(household, actor=ACTOR, source="huisarts", description="zorgen",
                                  life_domains=["mental_health"], occurred_at=day(2)),
        lambda: app.record_contact(household, actor=ACTOR, kind="eropaf", occurred_at=day(3)),
        lambda: app.record_assessment(household, actor=ACTOR, scores={"mental_health": 2}, occurred_at=day(3)),
        lambda: app.set_goal(household, actor=ACTOR, life_domain="mental_health", description="rust",
                             occurred_at=day(3)),
        lambda: app.make_agreement(household, actor=ACTOR, who="Sandra", what="huisarts bellen",
                                   occurred_at=day(3)),
        lambda: app.start_intervention(household, actor=ACTOR, support_level="netwerk", description="zus",
                                       occurred_at=day(3)),
        lambda: app.escalate(household, actor=ACTOR, to_level="crisis", reason="acuut", occurred_at=day(4)),
        lambda: app.complete_check_in(household, check_in(), actor=ACTOR, kind="huisbezoek", occurred_at=day(5)),
        lambda: app.reschedule_check_in(household, check_in(), actor=ACTOR, due=local_day(8), occurred_at=day(6)),
        lambda: app.cancel_check_in(household, check_in(), actor=ACTOR, reason="ziek", occurred_at=day(7)),
        lambda: app.de_escalate(household, actor=ACTOR, to_level="waakvlam", reason="beter", occurred_at=day(8)),
        lambda: app.set_cadence(household, actor=ACTOR, cadence={"waakvlam": 60}, occurred_at=day(8)),
        lambda: app.agree_signaleringsplan(household, actor=ACTOR, phases={"rood": {"signs": ["stil"]}},
                                           occurred_at=day(8)),
        lambda: app.remove_member(household, member, actor=ACTOR, occurred_at=day(9)),
        lambda: app.remove_network_person(household, person, actor=ACTOR, occurred_at=day(9)),
    ]
    for step in steps:
        step()
        one_open_check_in()
    assert len(open_check_ins(app, household)) == 1
