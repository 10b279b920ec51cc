"""Which reminder a check-in calls for, and who hears of it: the pure rules of the reminder worker."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from domain.team import TeamPolicy
from projections.notifications import DUE_SOON, OVERDUE
from waakvlam.settings import Settings
from workers.reminder_rules import Due, decide, kind_due, recipients

DAY = date(2026, 11, 22)
POLICY = TeamPolicy(remind_days_before=3, overdue_days=7, team_lead="carla")


def _due_in(days: int, coordinator: str | None = "bram") -> Due:
    return Due("c1", uuid4(), "Fam. Jansen", "Wijkteam Noord", coordinator, DAY + timedelta(days=days))


def test_a_check_in_is_reminded_from_n_days_before_and_reported_late_from_m_days_over_time():
    assert [kind_due(_due_in(days), POLICY, DAY) for days in (4, 3, 0, -6, -7, -30)] == [
        None, DUE_SOON, DUE_SOON, DUE_SOON, OVERDUE, OVERDUE]


def test_overdue_comes_after_at_least_a_day_even_when_the_team_says_zero():
    policy = TeamPolicy(remind_days_before=0, overdue_days=0)
    assert (kind_due(_due_in(0), policy, DAY), kind_due(_due_in(-1), policy, DAY)) == (DUE_SOON, OVERDUE)


def test_the_coordinator_hears_first_and_the_team_lead_too_when_it_is_late():
    assert recipients(DUE_SOON, "bram", "carla") == [("bram", False)]
    assert recipients(OVERDUE, "bram", "carla") == [("bram", False), ("carla", True)]
    assert recipients(DUE_SOON, None, "carla") == [("carla", True)]
    assert recipients(OVERDUE, "carla", "carla") == [("carla", False)]
    assert recipients(DUE_SOON, None, None) == []


def test_a_decision_names_its_notifications_and_mails_with_ids_that_make_a_repeat_the_same():
    settings = Settings(WAAKVLAM_MAIL_DOMAIN="wijkteam.test")
    now = datetime(2026, 11, 22, 8, tzinfo=UTC)
    late = _due_in(-8)
    first = decide(late, POLICY, DAY, settings, now=now, with_mail=True)
    again = decide(late, POLICY, DAY, settings, now=now, with_mail=True)

    assert first is not None and again is not None
    assert [n.recipient for n in first.notifications] == ["bram", "carla"]
    assert [m.recipient for m in first.mails] == ["bram@wijkteam.test", "carla@wijkteam.test"]
    assert [m.message_id for m in first.mails] == [m.message_id for m in again.mails]
    assert decide(_due_in(10), POLICY, DAY, settings, now=now, with_mail=True) is None
    assert decide(_due_in(1, coordinator=None), TeamPolicy(), DAY, settings, now=now, with_mail=False) is None
