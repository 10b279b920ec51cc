"""The schedule view: every open household's check-in, kept by the worker, equal to a replay."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from domain.values import local_date
from projections.schedule import ScheduleProjection, ScheduleView, replay
from projections.versions import open_reader

START = datetime.now(UTC) - timedelta(days=120)


def _caught_up(runner, households) -> None:
    last = households.recorder.max_notification_id()
    deadline = time.monotonic() + 30
    while (runner.view.max_tracking_id(households.name) or 0) < last:
        assert time.monotonic() < deadline, "the schedule did not catch up"
        time.sleep(0.01)


def _all_events(households):
    for notification in households.recorder.select_notifications(start=None, limit=10**6):
        yield households.mapper.to_domain_event(notification)


def _story(households, n: int) -> UUID:
    """Households with a little of everything: visits, signals, escalations, closures, corrections."""
    intensity = ("waakvlam", "licht", "intensief")[n % 3]
    household = households.register(actor="anna", label=f"Fam. {n}", team=f"Team {n % 2}", intensity=intensity,
                                     occurred_at=START + timedelta(days=n)).household_id
    households.assign_coordinator(household, actor="carla", coordinator=f"coord{n % 3}")
    if n % 2:
        check_in = households.get(household).next_check_in["id"]
        households.complete_check_in(household, check_in, actor="anna", kind="huisbezoek",
                                     occurred_at=START + timedelta(days=n + 5))
    if n % 3 == 0:
        households.record_signal(household, actor="anna", source="school", description=f"Verzuim {n}",
                                 life_domains=["work_education"], urgency="high")
    if n % 4 == 0:
        households.escalate(household, actor="bram", to_level="crisis", reason="acuut")
    if n % 5 == 0:
        households.close_household(household, actor="bram", reason_code="goals_achieved")
    if n % 10 == 0:
        households.reopen_household(household, actor="bram", reason="Nieuw signaal", intensity="licht")
    if n % 7 == 0:
        households.correct(household, actor="anna", target_version=1, changes={"label": f"Familie {n}"},
                           reason="Tikfout")
    return household


def test_the_live_schedule_equals_a_replay_of_the_store(households, env, schedule_worker):
    for n in range(30):
        _story(households, n)
    _caught_up(schedule_worker, households)

    live = schedule_worker.view.all_rows()
    assert live == replay(_all_events(households))
    assert {row.label for row in live.values()} >= {"Familie 7", "Familie 14"}


def test_the_list_is_overdue_first_and_filters_by_team_coordinator_and_horizon(households, env, schedule_worker):
    ids = [_story(households, n) for n in range(30)]
    _caught_up(schedule_worker, households)
    view = open_reader(ScheduleProjection.name, ScheduleView, env)
    today = local_date(datetime.now(UTC))
    far = today + timedelta(days=400)

    everything, cursor = view.page(until=far, limit=500)
    assert cursor is None
    dues = [(row.due, row.household_id) for row in everything]
    assert dues == sorted(dues)
    closed = {ids[n] for n in (5, 15, 25)}  # closed, not reopened
    assert closed.isdisjoint(row.household_id for row in everything)
    assert len(everything) == 27

    soon, _ = view.page(until=today, team="Team 1", limit=500)
    assert soon and all(row.team == "Team 1" and row.due <= today for row in soon)
    mine = view.open_for("coord2")
    assert mine and all(row.coordinator == "coord2" for row in mine)

    pages, cursor = [], None
    while True:
        page, cursor = view.page(until=far, limit=4, cursor=cursor)
        pages.extend(page)
        if cursor is None:
            break
    assert pages == everything
    view.datastore.close()


def _last_change_to_winter_time() -> datetime:
    """01:00 UTC on the last Sunday of October, the latest one that has passed (the domain refuses the future)."""
    now = datetime.now(UTC)
    for year in (now.year, now.year - 1):
        sunday = date(year, 10, 31) - timedelta(days=(date(year, 10, 31).weekday() + 1) % 7)
        change = datetime.combine(sunday, datetime.min.time(), tzinfo=UTC).replace(hour=1)
        if change <= now:
            return change
    raise AssertionError("unreachable")


def test_a_check_in_planned_across_the_change_to_winter_time_falls_on_the_dutch_date(households, schedule_worker):
    # 22:30 UTC on the Saturday is already Sunday in Amsterdam (summer time, +2);
    # the clocks go back that night. The due date counts Dutch calendar days.
    change = _last_change_to_winter_time()
    registered = change - timedelta(hours=2, minutes=30)
    household = households.register(actor="anna", label="Fam. Winter", team="Team 0", intensity="licht",
                                     occurred_at=registered).household_id
    _caught_up(schedule_worker, households)
    assert schedule_worker.view.all_rows()[household].due == change.date() + timedelta(days=14)
