"""Two times on every event: when it happened in the world (`occurred_at`, which
may lie in the past but not in the future) and when it was recorded (`timestamp`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.errors import RuleViolation
from tests.domain.support import ACTOR, START, day, events, kinds, local_day, only, register


def test_a_home_visit_typed_in_the_evening_keeps_both_times(app, household):
    this_morning = datetime.now(UTC) - timedelta(hours=9)
    before = datetime.now(UTC)

    app.record_contact(household, actor=ACTOR, kind="huisbezoek", occurred_at=this_morning)

    contact = only(app, household, "ContactRecorded")
    assert contact.occurred_at == this_morning
    assert before <= contact.timestamp <= datetime.now(UTC)


def test_without_a_moment_it_happened_now(app, household):
    before = datetime.now(UTC)
    app.record_contact(household, actor=ACTOR, kind="telefonisch")
    after = datetime.now(UTC)
    assert before <= only(app, household, "ContactRecorded").occurred_at <= after


@pytest.mark.parametrize("ahead", [timedelta(minutes=6), timedelta(hours=2), timedelta(days=1)])
def test_nothing_is_recorded_as_having_happened_in_the_future(app, household, ahead):
    tomorrowish = datetime.now(UTC) + ahead

    with pytest.raises(RuleViolation) as refused:
        app.record_contact(household, actor=ACTOR, kind="huisbezoek", occurred_at=tomorrowish)
    assert refused.value.rule == "nothing is recorded as having happened in the future"
    with pytest.raises(RuleViolation):
        app.register(actor=ACTOR, label="Fam. Later", team="Noord", occurred_at=tomorrowish)
    assert app.get(household).version == 2


def test_a_field_device_a_few_minutes_ahead_is_tolerated(app, household):
    slightly_ahead = datetime.now(UTC) + timedelta(minutes=4)
    app.record_contact(household, actor=ACTOR, kind="telefonisch", occurred_at=slightly_ahead)
    assert only(app, household, "ContactRecorded").occurred_at == slightly_ahead


def test_a_moment_without_a_time_zone_is_refused(app, household):
    naive = datetime.now() - timedelta(hours=1)  # naive on purpose
    with pytest.raises(RuleViolation) as refused:
        app.record_contact(household, actor=ACTOR, kind="telefonisch", occurred_at=naive)
    assert refused.value.rule == "a moment has a time zone"
    with pytest.raises(RuleViolation):
        app.register(actor=ACTOR, label="Fam. Naief", team="Noord", occurred_at=naive)
    with pytest.raises(RuleViolation):
        app.escalate(household, actor=ACTOR, to_level="crisis", reason="acuut", occurred_at=naive)
    assert app.get(household).version == 2


def test_a_moment_in_dutch_summer_time_is_stored_as_the_same_instant_in_utc(app, household):
    cest = timezone(timedelta(hours=2))
    moment = datetime.combine(local_day(20), datetime.min.time(), tzinfo=cest).replace(hour=9)

    app.record_contact(household, actor=ACTOR, kind="huisbezoek", occurred_at=moment)

    stored = only(app, household, "ContactRecorded").occurred_at
    assert stored == moment
    assert stored.utcoffset() == timedelta(0)


def test_nothing_happens_to_a_household_before_it_was_registered(app, household):
    before_registration = START - timedelta(minutes=1)
    with pytest.raises(RuleViolation) as refused:
        app.record_contact(household, actor=ACTOR, kind="eropaf", occurred_at=before_registration)
    assert refused.value.rule == "nothing happens to a household before it was registered"
    with pytest.raises(RuleViolation):
        app.record_signal(household, actor=ACTOR, source="buurt", description="", life_domains=[],
                          occurred_at=before_registration)
    assert kinds(app, household) == ["Registered", "CheckInScheduled"]

    app.record_contact(household, actor=ACTOR, kind="eropaf", occurred_at=START)  # the same moment is fine
    assert kinds(app, household)[-1] == "ContactRecorded"


def test_the_events_of_one_command_happened_at_the_same_moment(app, household):
    check_in = app.get(household).next_check_in["id"]
    app.complete_check_in(household, check_in, actor="mark", kind="huisbezoek", occurred_at=day(6))
    last_three = events(app, household)[-3:]
    assert [e.occurred_at for e in last_three] == [day(6)] * 3
    assert {e.actor for e in last_three} == {"mark"}
    assert [e.timestamp for e in last_three] == sorted(e.timestamp for e in last_three)
    assert last_three[0].timestamp > day(6)  # recorded now, long after it happened


def test_every_event_says_who_when_it_happened_and_when_it_was_recorded(app):
    household = register(app, occurred_at=day(0))
    member = app.add_member(household, actor="fatima", name="Sandra", occurred_at=day(1)).item_id
    goal = app.set_goal(household, actor="fatima", life_domain="finances", description="Rust").item_id
    app.make_agreement(household, actor="fatima", who="Sandra", what="Post openen", goal_id=goal)
    app.start_intervention(household, actor="fatima", support_level="specialistisch", description="GGZ",
                           provider="GGZ Noord", handover_note="samen kennisgemaakt", legal_basis="Wmo 2015")
    app.escalate(household, actor="mark", to_level="crisis", reason="acuut")
    app.correct(household, actor="mark", target_version=3, changes={"birth_year": 1984}, reason="vergeten")
    app.remove_member(household, member, actor="mark")
    app.close_household(household, actor="mark", reason_code="handed_over")
    app.reopen_household(household, actor="teamlead", reason="terug")

    stored = events(app, household)
    assert len(stored) >= 12
    previous_timestamp = None
    for event in stored:
        assert event.actor in {ACTOR, "fatima", "mark", "teamlead"}, type(event).__name__
        assert event.occurred_at.tzinfo is not None, type(event).__name__
        assert event.occurred_at >= day(0), type(event).__name__
        assert event.timestamp.tzinfo is not None, type(event).__name__
        assert event.occurred_at <= event.timestamp + timedelta(minutes=5), type(event).__name__
        if previous_timestamp is not None:
            assert event.timestamp >= previous_timestamp
        previous_timestamp = event.timestamp
