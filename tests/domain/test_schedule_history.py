"""Was this check-in overdue on that date, and for how long? Answered from the events alone."""

from __future__ import annotations

from projections.schedule import CANCELLED, COMPLETED, OPEN, check_ins, overdue_on
from tests.domain.support import ACTOR, day, local_day


def _first(app, household):
    return next(iter(check_ins(app.events.get(household)).values()))


def test_a_check_in_done_late_was_overdue_from_the_day_after_its_due_date_until_it_was_done(app, household):
    first = _first(app, household)  # licht: due 14 days after registration
    assert (first.scheduled_on, first.due, first.status) == (local_day(0), local_day(14), OPEN)

    app.complete_check_in(household, first.check_in_id, actor=ACTOR, kind="huisbezoek", occurred_at=day(20))
    done = check_ins(app.events.get(household))[first.check_in_id]

    assert (done.status, done.ended_on, done.days_overdue(local_day(100))) == (COMPLETED, local_day(20), 6)
    assert [overdue_on(done, local_day(n)) for n in (13, 14, 15, 19, 20, 21)] == [None, None, 1, 5, None, None]


def test_a_check_in_still_open_is_overdue_until_today(app, household):
    first = _first(app, household)
    assert first.days_overdue(local_day(30)) == 16
    assert overdue_on(first, local_day(30)) == 16


def test_a_rescheduled_check_in_counts_against_the_due_date_planned_at_that_time(app, household):
    first = _first(app, household)
    app.reschedule_check_in(household, first.check_in_id, actor=ACTOR, due=local_day(30), reason="vakantie",
                            occurred_at=day(10))
    moved = check_ins(app.events.get(household))[first.check_in_id]

    assert moved.due_as_of(local_day(9)) == local_day(14)
    assert moved.due == local_day(30)
    assert overdue_on(moved, local_day(20)) is None  # on day 20 it was planned for day 30
    assert overdue_on(moved, local_day(33)) == 3


def test_a_visit_recorded_the_next_day_counts_on_the_day_it_happened(app, household):
    first = _first(app, household)
    app.complete_check_in(household, first.check_in_id, actor=ACTOR, kind="huisbezoek", occurred_at=day(14))

    assert overdue_on(check_ins(app.events.get(household))[first.check_in_id], local_day(15)) is None


def test_a_cancelled_check_in_stops_counting_and_its_replacement_starts(app, household):
    first = _first(app, household)
    replacement = app.cancel_check_in(household, first.check_in_id, actor=ACTOR, reason="ziek",
                                      occurred_at=day(16)).item_id
    schedule = check_ins(app.events.get(household))

    assert (schedule[first.check_in_id].status, schedule[first.check_in_id].days_overdue(local_day(40))) == (
        CANCELLED, 2)
    assert schedule[replacement].scheduled_on == local_day(16)
    assert overdue_on(schedule[first.check_in_id], local_day(17)) is None
